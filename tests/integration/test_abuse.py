"""Abuse of the real binary, each limit on a dedicated server with that one setting changed:
message floods (per connection and per user, over WebSocket and REST), huge and deeply nested
JSON, slowloris clients of HTTP and WebSocket, and connection floods. test_ws_limits.py holds the
plain limits (frame rate with pings, slow consumers, the connection limit counted with
WebSockets); these tests add the hostile client and show that the others are unaffected.
Login, OTP and reset limits across restarts are in test_cluster.py (they need Redis).

Every test counts what it tried with `tried("abuse", n)` (security_attacks.py).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import requests

from harness import Client, assert_error, describe
from security_attacks import tried
from test_ws_limits import proc_status, wait_until_idle
from ws_client import CHATS, WsClient, cid, connect, create_group, rest_send

# What "quickly" means for a normal request while an attack runs: generous, the machine is
# shared and the build is sanitized; a server that stalls behind the attackers takes the
# attack's whole duration (timeouts of several seconds) or never answers.
NORMAL_ANSWER_S = 5.0


def start(parley, smtp_sink, **settings):
    srv = parley(**settings)
    return srv, Client(srv, smtp_sink)


def send_frame(chat: str, key: str, body: str | None = None) -> dict:
    return {"type": "message.send", "id": key, "chat_id": chat, "client_id": key, "body": body or key}


def timed(fn):
    t0 = time.monotonic()
    result = fn()
    return result, time.monotonic() - t0


def open_connections(srv) -> int:
    """parley_http_connections_open, read over a connection of its own (counted in it)."""
    r = requests.get(srv.url("/metrics"), timeout=10)
    assert r.status_code == 200, describe(r)
    for line in r.text.splitlines():
        if line.startswith("parley_http_connections_open"):
            return int(float(line.split()[-1]))
    raise AssertionError("no parley_http_connections_open in /metrics")


def chat_messages(client: Client, acct, chat: str) -> list[dict]:
    r = client.get(f"{CHATS}/{chat}/messages", token=acct.access, params={"limit": 100})
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


# --------------------------------------------------------------------------- floods

def test_send_flood_on_one_connection_throttles_that_connection_only(parley, smtp_sink):
    srv, client = start(parley, smtp_sink, PARLEY_WS_FRAME_BURST="10", PARLEY_WS_FRAMES_PER_SEC="2")
    ann, bob, cat = client.new_user(), client.new_user(), client.new_user()
    chat = create_group(client, ann, bob, cat)["id"]
    flooder, ann2 = connect(srv, ann, name="flooder"), connect(srv, ann, name="ann-2")
    b, c = connect(srv, bob, name="bob"), connect(srv, cat, name="cat")
    conns = (flooder, ann2, b, c)
    try:
        keys = [f"flood-{i}" for i in range(60)]
        for k in keys:
            flooder.send(send_frame(chat, k))
        tried("abuse", len(keys))
        # meanwhile the flooder's other connection and another member send as usual
        others = [c.send_message(chat, cid(), f"cat {i}") for i in range(5)] + [ann2.send_message(chat, cid(), "ann")]
        assert all(stored["status"] == "stored" for _, stored in others), others

        def settled(f):
            return (f["type"] == "ack" and f["status"] == "accepted") or \
                (f["type"] == "error" and f["code"] == "rate_limited")
        answers = flooder.wait_count(settled, len(keys), what="answers to the flood")
        passed = [f["id"] for f in answers if f["type"] == "ack"]
        limited = [f for f in answers if f["type"] == "error"]
        # a bucket of 10 refilled at 2/s: the first ten and a few more (a slow machine: some more)
        assert passed[:10] == keys[:10] and 10 <= len(passed) < 30, passed
        assert all(f["id"] is None and "client_id" not in f for f in limited), limited[:3]
        for k in passed:
            flooder.wait_for(lambda f, k=k: f.get("id") == k and f.get("status") == "stored", what=f"stored {k}")
        # every member got exactly what was stored, nothing of the refused frames
        total = len(passed) + len(others)
        time.sleep(1)  # the flooder's own ping needs a token back
        for conn in conns:
            conn.barrier()
        for conn in (b, c, ann2):
            news = [f["data"]["client_id"] for f in conn.snapshot() if f["type"] == "message.new"]
            assert len(news) == total and set(news) >= set(passed), (conn.name, len(news), total)
        assert len(chat_messages(client, bob, chat)) == total
        assert not any(conn.ended.is_set() for conn in conns)
    finally:
        for conn in conns:
            conn.close()


def test_per_user_send_limit_spans_connections_and_rest(parley, smtp_sink):
    """PARLEY_SEND_PER_MIN/PARLEY_SEND_BURST: one budget per user, however many connections it
    opens (each has its own frame budget) and over REST too; other users are unaffected."""
    srv, client = start(parley, smtp_sink, PARLEY_SEND_BURST="6", PARLEY_SEND_PER_MIN="12")
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    conns = [connect(srv, ann, name=f"ann-{i}") for i in range(3)]
    b = connect(srv, bob, name="bob")
    try:
        keys = {conn: [f"{conn.name}-{j}" for j in range(4)] for conn in conns}
        for j in range(4):
            for conn in conns:
                conn.send(send_frame(chat, keys[conn][j]))
        tried("abuse", 12)
        stored, limited = [], []
        for conn in conns:
            finals = conn.wait_count(lambda f, conn=conn: f.get("id") in keys[conn] and
                                     (f.get("status") == "stored" or f["type"] == "error"), 4, what="final answers")
            stored += [f["client_id"] for f in finals if f["type"] == "ack"]
            limited += [f for f in finals if f["type"] == "error"]
        # a burst of 6, then one every 5 s: the 12 sends take far less than that
        assert 6 <= len(stored) <= 7, (stored, limited)
        assert all(f["code"] == "rate_limited" and f["client_id"] == f["id"] and f["message"] for f in limited), limited
        # REST draws from the same bucket
        r = client.post(f"{CHATS}/{chat}/messages", token=ann.access, json={"client_id": cid(), "body": "rest"})
        tried("abuse")
        assert_error(r, 429, "rate_limited")
        retry_after = int(r.headers["Retry-After"])
        assert 1 <= retry_after <= 5, r.headers
        # Bob is not Ann: he sends over REST and WebSocket as usual, and everyone receives it
        mine = rest_send(client, bob, chat, "bob over rest")
        _, ws_stored = b.send_message(chat, cid(), "bob over ws")
        assert ws_stored["status"] == "stored", ws_stored
        for conn in conns:
            conn.wait_type("message.new", id=ws_stored["message_id"])
            news = [f["data"]["id"] for f in conn.snapshot() if f["type"] == "message.new"]
            assert mine["id"] in news and len(news) == len(stored) + 2, (conn.name, len(news))
            assert not conn.ended.is_set()
        # the bucket refills
        time.sleep(retry_after + 0.2)
        rest_send(client, ann, chat, "later")
    finally:
        for conn in (*conns, b):
            conn.close()


# --------------------------------------------------------------------------- huge and deep JSON

def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_huge_and_deeply_nested_json_get_clear_errors_and_memory_stays_bounded(parley, smtp_sink, monkeypatch):
    monkeypatch.setenv("ASAN_OPTIONS", ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=8"])))
    srv, client = start(parley, smtp_sink, PARLEY_MAX_BODY_BYTES="65536")
    pid = srv.proc.pid
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    send_path = f"{CHATS}/{chat}/messages"
    json_headers = {"Content-Type": "application/json"}
    # (path, token, method, body, status): bodies within the size limit fail on their shape
    cases = []
    for path, token, method in ((send_path, ann.access, "POST"), ("/api/v1/auth/login", None, "POST"),
                                ("/api/v1/users/me", ann.access, "PATCH"), (f"{CHATS}/groups", ann.access, "POST")):
        cases += [
            (path, token, method, nested(30000), 400),                   # 60 kB of brackets
            (path, token, method, nested_object(17), 400),               # one level too deep
            (path, token, method, nested_object(5000), 400),             # 30 kB, objects
            (path, token, method, '{"body":' + nested(20, '"x"') + "}", 400),  # deep inside a field
            (path, token, method, json.dumps({f"k{i}": i for i in range(3000)}), 400),  # many unknown fields
            (path, token, method, json.dumps({"body": "x" * 70000}), 413),  # over the body limit
            (path, token, method, "[" * 200000, 413),                    # unclosed and over it
        ]
    tried("abuse", len(cases))
    for path, token, method, body, status in cases:
        r = client.request(method, path, token=token, data=body.encode(), headers=json_headers)
        err = assert_error(r, status)
        assert (err["code"] == "payload_too_large") == (status == 413), (path, body[:40], describe(r))

    ws = connect(srv, ann, name="deep")
    try:
        frames = [nested(30000), nested_object(17), '{"type":"ping","x":' + nested(40) + "}",
                  '{"type":"sync","chats":' + nested(10000) + "}",
                  json.dumps({"type": "sync", "chats": [{"chat_id": chat, "after_seq": 0}] * 1001}),
                  '{"type":"message.send","chat_id":' + nested(100) + "}"]
        tried("abuse", len(frames))
        for text in frames:
            mark = ws.mark()
            ws.send_text(text)
            err = ws.wait_for(lambda f: f["type"] == "error", start=mark, what="invalid_frame")
            assert err["code"] == "invalid_frame", (text[:60], err)
        ws.barrier()  # the connection is still there

        # a volley of the largest bodies and frames does not leave memory behind
        wait_until_idle(pid)
        rss_before = proc_status(pid, "VmRSS")
        big = nested(32000).encode()
        for _ in range(100):
            assert client.request("POST", send_path, token=ann.access, data=big,
                                  headers=json_headers).status_code == 400
            ws.send_text(nested(32000))
        tried("abuse", 200)
        ws.barrier()
        wait_until_idle(pid)
        rss_after = proc_status(pid, "VmRSS")
        assert rss_after - rss_before < 48 * 2**20, (rss_before >> 20, rss_after >> 20)
        # healthy: answers at once, and a normal send goes through
        r, took = timed(lambda: requests.get(srv.url("/healthz"), timeout=NORMAL_ANSWER_S))
        assert r.status_code == 200 and took < NORMAL_ANSWER_S
        _, stored = ws.send_message(chat, cid(), "still fine")
        assert stored["status"] == "stored", stored
    finally:
        ws.close()


# --------------------------------------------------------------------------- slowloris

class Slowloris:
    """Hostile sockets played by one thread: some trickle a request a byte at a time, some
    never send anything, some announce a body and send part of it. Records when the server
    cut each one off."""

    def __init__(self, srv, trickle: int, silent: int, partial_body: int):
        self.srv = srv
        self.socks: list[tuple[str, socket.socket]] = []
        self.cut: dict[int, float] = {}  # index -> seconds after start
        self.started = time.monotonic()
        head = b"GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000 + b"\r\n\r\n"
        body = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
               b"Content-Length: 1000\r\n\r\n{\"email\":"
        for kind, n in (("trickle", trickle), ("silent", silent), ("partial", partial_body)):
            for _ in range(n):
                s = socket.create_connection((srv.host, srv.port), timeout=5)
                s.setblocking(False)
                if kind == "partial":
                    s.send(body)
                self.socks.append((kind, s))
        self.head = head
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="slowloris")
        self.thread.start()

    def _run(self):
        pos = 0
        while not self.stop.is_set() and len(self.cut) < len(self.socks):
            for i, (kind, s) in enumerate(self.socks):
                if i in self.cut:
                    continue
                try:
                    if kind == "trickle" and pos < len(self.head):
                        s.send(self.head[pos:pos + 1])
                    data = s.recv(4096)
                    if data == b"" or kind != "trickle":
                        # EOF, or an answer to something that is not a request (a 408/400 is fine)
                        self.cut[i] = time.monotonic() - self.started
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:  # reset or broken pipe: cut off
                    self.cut[i] = time.monotonic() - self.started
            pos += 1
            time.sleep(0.2)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for _, s in self.socks:
            s.close()


def test_slowloris_clients_are_cut_off_and_others_are_served_meanwhile(parley, smtp_sink):
    read_s, idle_s, ws_idle_s = 2, 3, 4
    srv, client = start(parley, smtp_sink, PARLEY_READ_TIMEOUT_S=str(read_s), PARLEY_IDLE_TIMEOUT_S=str(idle_s),
                        PARLEY_WS_IDLE_TIMEOUT_S=str(ws_idle_s))
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    good = connect(srv, bob, name="good")  # answers the server's pings
    client.http.close()
    baseline = open_connections(srv)  # the good WebSocket and the metrics request
    # WebSockets that upgrade, then never read (nor answer pings), or send half a frame header
    never_read = [WsClient(srv, ann.access, read=False, name=f"mute-{i}") for i in range(8)]
    half_frame = [WsClient(srv, ann.access, read=False, name=f"half-{i}") for i in range(8)]
    for w in half_frame:
        w.ws.sock.sendall(b"\x81\xfe\x40")  # a masked text frame of 16 kB... whose length never ends
    attack = Slowloris(srv, trickle=15, silent=10, partial_body=5)
    tried("abuse", 15 + 10 + 5 + 8 + 8)
    try:
        # meanwhile: a new visitor, a signed-in request and a live message, each promptly
        time.sleep(1)
        r, took = timed(lambda: requests.get(srv.url("/healthz"), timeout=NORMAL_ANSWER_S))
        assert r.status_code == 200 and took < NORMAL_ANSWER_S, took
        r, took = timed(lambda: requests.get(srv.url("/api/v1/users/me"), headers=ann.headers,
                                             timeout=NORMAL_ANSWER_S))
        assert r.status_code == 200 and took < NORMAL_ANSWER_S, (took, describe(r))
        fresh = Client(srv, smtp_sink)
        m = rest_send(fresh, ann, chat, "hi")
        fresh.http.close()
        good.wait_type("message.new", id=m["id"], timeout=NORMAL_ANSWER_S)
        # every hostile connection is gone after the documented timeouts (plus slack)
        deadline = time.monotonic() + max(read_s, idle_s, ws_idle_s) + 15
        while (now_open := open_connections(srv)) > baseline and time.monotonic() < deadline:
            time.sleep(0.5)
        assert now_open <= baseline, f"{now_open - baseline} hostile connections still open"
        attack.stop.set()
        attack.thread.join(5)
        assert len(attack.cut) == len(attack.socks), f"{len(attack.cut)} of {len(attack.socks)} cut off"
        for i, (kind, _) in enumerate(attack.socks):
            limit = {"trickle": read_s, "silent": idle_s, "partial": read_s}[kind]
            # not before its timeout (the request had started, or the connection had been
            # idle), not much later
            assert limit - 0.5 <= attack.cut[i] <= limit + 10, (kind, attack.cut[i])
        for w in (*never_read, *half_frame):
            w.start_reading()
            w.wait_closed(5)
            assert w.close_code is None, (w.name, w.close_code)  # dropped without a close frame
        good.barrier()
        assert not good.ended.is_set()
    finally:
        attack.close()
        for w in (*never_read, *half_frame):
            w.abort()
        good.close()


# --------------------------------------------------------------------------- connection flood

def test_connection_flood_is_refused_while_existing_users_keep_working(parley, smtp_sink):
    limit = 12
    srv, client = start(parley, smtp_sink, PARLEY_MAX_CONNECTIONS=str(limit))
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    a, b = connect(srv, ann, name="ann"), connect(srv, bob, name="bob")
    rest_send(client, ann, chat, "before")  # the client's kept-alive connection is open
    established = 3
    flood = []
    try:
        for _ in range(80):
            flood.append(socket.create_connection((srv.host, srv.port), timeout=5))
        tried("abuse", len(flood))
        time.sleep(0.5)  # the server has taken them all from the backlog
        held, refused = 0, 0
        for s in flood:
            s.settimeout(0.3)
            try:
                refused += s.recv(1) == b""
            except TimeoutError:
                held += 1  # accepted: waits for a request
            except ConnectionResetError:
                refused += 1
        assert held <= limit - established and held + refused == len(flood), (held, refused)
        # a newcomer gets no answer (accepted and closed at once) ...
        try:
            r = requests.get(srv.url("/healthz"), timeout=5)
            raise AssertionError(f"answered over the limit: {describe(r)}")
        except requests.ConnectionError:
            pass
        tried("abuse")
        # ... while established connections work: REST on the kept-alive one, live delivery
        m = rest_send(client, ann, chat, "during the flood")
        assert b.wait_type("message.new", id=m["id"])["data"]["body"] == "during the flood"
        _, stored = b.send_message(chat, cid(), "answer")
        a.wait_type("message.new", id=stored["message_id"])
        # the flood ends: slots are free again
        for s in flood:
            s.close()
        flood.clear()
        deadline = time.monotonic() + 10
        while True:
            try:
                assert requests.get(srv.url("/healthz"), timeout=5).status_code == 200
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "no slot freed after the flood"
                time.sleep(0.2)
    finally:
        for s in flood:
            s.close()
        a.close()
        b.close()
