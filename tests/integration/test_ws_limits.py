"""WebSocket `/ws` (docs/protocol.md) under its limits, each on a dedicated server with small
settings: the frame rate, the sync limit, slow consumers (4408), token expiry and renewal
(4401), keep-alive, shutdown (1012), and connections that outlive the HTTP read timeout."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from harness import Client, jwt_parts
from ws_client import CHATS, UNSOLICITED, WsClient, connect, create_group, rest_send, upgrade_raw


def start(parley, smtp_sink, **settings):
    srv = parley(**settings)
    return srv, Client(srv, smtp_sink)


def proc_status(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_until_idle(pid: int, timeout: float = 60.0) -> None:
    """Waits until the process used (almost) no CPU for half a second."""
    deadline = time.monotonic() + timeout
    last = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_ticks(pid)
        if now - last <= 2:
            return
        last = now
    raise AssertionError(f"server still busy after {timeout}s")


# --------------------------------------------------------------------------- frame rate

def test_frame_flood_gets_rate_limited(parley, smtp_sink):
    srv, client = start(parley, smtp_sink, PARLEY_WS_FRAME_BURST="5", PARLEY_WS_FRAMES_PER_SEC="1")
    ann = client.new_user()
    c, other = connect(srv, ann, name="flooder"), connect(srv, ann, name="other")
    try:
        for i in range(4):
            c.send_text("not json")  # invalid frames cost a token too
        for i in range(12):
            c.send({"type": "ping", "id": f"p{i}"})
        answers = c.wait_count(lambda f: f["type"] in ("pong", "error"), 16, what="answers to the flood")
        invalid = [f for f in answers if f["type"] == "error" and f["code"] == "invalid_frame"]
        pongs = [f for f in answers if f["type"] == "pong"]
        limited = [f for f in answers if f["type"] == "error" and f["code"] == "rate_limited"]
        assert len(invalid) == 4 and len(invalid) + len(pongs) + len(limited) == 16, answers
        # the bucket holds 5 and refills 1 per second: 1 or 2 pings got through (a slow machine: a few more)
        assert 1 <= len(pongs) <= 4 and pongs[0]["id"] == "p0", pongs
        assert all(f["id"] is None and set(f) == {"type", "id", "code", "message"} for f in limited), limited
        # the connection stays open; the limit is per connection; the bucket refills
        other.barrier()
        time.sleep(1.2)
        c.barrier()
        assert not c.ended.is_set()
    finally:
        c.close()
        other.close()


# --------------------------------------------------------------------------- sync limit

def test_sync_beyond_the_limit_answers_resync_required(parley, smtp_sink):
    srv, client = start(parley, smtp_sink, PARLEY_WS_SYNC_LIMIT="5")
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    small = create_group(client, ann, bob)["id"]
    sent = [rest_send(client, ann, chat, f"m{i}") for i in range(8)]
    rest_send(client, ann, small, "one")
    b = connect(srv, bob)
    try:
        start_ = b.mark()
        ack = b.request({"type": "sync", "chats": [{"chat_id": chat, "after_seq": 2},
                                                   {"chat_id": chat, "after_seq": 3},
                                                   {"chat_id": small, "after_seq": 0}]})
        frames = b.since(start_, UNSOLICITED)
        assert frames[0] == {"type": "resync_required", "data": {"chat_id": chat, "after_seq": 2}}, frames
        assert [(f["type"], f["data"]["seq"]) for f in frames[1:6]] == [("message.new", s) for s in range(4, 9)]
        assert [f["data"]["id"] for f in frames[1:6]] == [m["id"] for m in sent[3:]]
        assert frames[6]["type"] == "message.new" and frames[6]["data"]["chat_id"] == small
        assert frames[7:] == [ack] and ack["status"] == "synced", frames
        # what the client does next: page the gap over REST
        r = client.get(f"{CHATS}/{chat}/messages", token=bob.access, params={"after": 2, "limit": 100})
        assert [m["seq"] for m in r.json()["items"]] == [3, 4, 5, 6, 7, 8], r.text
    finally:
        b.close()


# --------------------------------------------------------------------------- slow consumer

def test_slow_consumer_is_closed_with_4408_and_memory_stays_bounded(parley, smtp_sink, monkeypatch):
    # A small allocator quarantine (sanitizer builds), so that RSS shows what the server holds
    # rather than what it freed recently.
    monkeypatch.setenv("ASAN_OPTIONS", ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=8"])))
    srv, client = start(parley, smtp_sink, PARLEY_WS_QUEUE_FRAMES="64", PARLEY_WS_SYNC_LIMIT="100000",
                        PARLEY_WS_FRAME_BURST="1000")
    pid = srv.proc.pid
    ann, bob, cat = client.new_user(), client.new_user(), client.new_user()
    chat = create_group(client, ann, bob, cat)["id"]
    body = "x" * 16000
    history = [rest_send(client, ann, chat, f"{i} {body}") for i in range(60)]
    # connections that never read, with a small receive buffer
    slow = [WsClient(srv, u.access, read=False, name=f"slow-{u.username}",
                     sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 8192),)) for u in (bob, cat)]
    fast = connect(srv, ann, name="fast")
    try:
        wait_until_idle(pid)
        rss_before = proc_status(pid, "VmRSS")
        # live messages they do not read, and syncs that would each queue 60 x 16 kB
        live = [rest_send(client, ann, chat, f"live {i} {body}") for i in range(40)]
        for c in slow:
            for _ in range(40):
                c.send({"type": "sync", "chats": [{"chat_id": chat, "after_seq": 0}]})
        fast.wait_type("message.new", id=live[-1]["id"])
        wait_until_idle(pid)
        rss_after = proc_status(pid, "VmRSS")
        # unbounded queues would hold 2 x 40 x 60 x 16 kB (150 MB) and more; bounded ones take
        # a few MB
        assert rss_after - rss_before < 40 * 2**20, (rss_before >> 20, rss_after >> 20)

        for c in slow:
            c.start_reading()
            code, reason = c.wait_closed(30)
            assert (code, reason) == (4408, "slow consumer"), (c.name, code, reason, c.end_error)
            got = [f["data"]["seq"] for f in c.snapshot() if f["type"] == "message.new"]
            # far from everything arrived: the waiting frames were discarded
            assert c.frames[0]["type"] == "hello" and len(got) < len(live) + 40 * len(history) // 2, (c.name, len(got))
        fast.barrier()
        assert fast.close_code is None and not fast.ended.is_set()
        again = connect(srv, bob, name="bob-again")
        try:
            ack = again.request({"type": "sync", "chats": [{"chat_id": chat, "after_seq": len(history)}]})
            assert ack["status"] == "synced"
            replay = [f["data"]["id"] for f in again.snapshot() if f["type"] == "message.new"]
            assert replay == [m["id"] for m in live]
        finally:
            again.close()
    finally:
        for c in slow:
            c.abort()
        fast.close()


# --------------------------------------------------------------------------- token expiry

def test_expired_token_is_refused_at_the_upgrade(parley, smtp_sink):
    srv, client = start(parley, smtp_sink, PARLEY_ACCESS_TTL_S="1")
    ann = client.new_user()
    exp = jwt_parts(ann.access)[1]["exp"]
    time.sleep(max(0.0, exp - time.time()) + 1.1)
    for resp in (upgrade_raw(srv, headers={"Authorization": f"Bearer {ann.access}"}),
                 upgrade_raw(srv, f"/ws?access_token={ann.access}")):
        assert resp.status == 401 and resp.closed, resp
        assert resp.json() == {"error": {"code": "token_expired", "message": "access token expired"}}, resp.body


def test_token_expiry_closes_with_4401_unless_renewed(parley, smtp_sink):
    ttl = 4
    srv, client = start(parley, smtp_sink, PARLEY_ACCESS_TTL_S=str(ttl))
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    first = ann.login()
    exp1 = jwt_parts(first["access_token"])[1]["exp"]
    plain = WsClient(srv, first["access_token"], name="plain")
    renewed = WsClient(srv, first["access_token"], name="renewed")
    try:
        for c in (plain, renewed):
            c.barrier()
        time.sleep(max(0.0, exp1 - time.time() - ttl + 1.1))  # a second later: a later exp
        r = client.refresh(first["refresh_token"])
        assert r.status_code == 200, r.text
        fresh = r.json()["access_token"]
        exp2 = jwt_parts(fresh)[1]["exp"]
        assert exp2 > exp1
        ack = renewed.request({"type": "auth", "token": fresh})
        assert ack == {"type": "ack", "id": ack["id"], "status": "authenticated"}, ack
        # refused renewals leave the deadline where it is
        for token, code in (("garbage", "invalid_token"), (bob.login()["access_token"], "wrong_user"),
                            (None, "invalid_token"), (first["access_token"][:-4] + "AAAA", "invalid_token")):
            err = renewed.request({"type": "auth"} if token is None else {"type": "auth", "token": token})
            assert err["type"] == "error" and err["code"] == code and err["message"], (code, err)

        code, reason = plain.wait_closed(ttl + 5)
        closed_at = time.time()
        assert (code, reason) == (4401, "access token expired"), (code, reason, plain.end_error)
        assert closed_at >= exp1 - 0.1, (closed_at, exp1)
        assert not renewed.ended.is_set(), (renewed.close_code, renewed.close_reason)
        # past the first token's expiry the renewed connection still works and receives
        time.sleep(max(0.0, exp1 + 0.5 - time.time()))
        m = rest_send(client, bob, chat, "still there?")
        renewed.wait_type("message.new", id=m["id"])
        renewed.barrier()
        # an expired token cannot renew
        err = renewed.request({"type": "auth", "token": first["access_token"]})
        assert err["code"] == "token_expired" and err["message"] == "access token expired", err
        code, reason = renewed.wait_closed(exp2 - time.time() + 5)
        assert (code, reason) == (4401, "access token expired"), (code, reason)
        assert time.time() >= exp2 - 0.1
    finally:
        plain.abort()
        renewed.abort()


# --------------------------------------------------------------------------- keep-alive

def test_keep_alive_drops_silent_peers_only(parley, smtp_sink):
    srv, client = start(parley, smtp_sink, PARLEY_WS_IDLE_TIMEOUT_S="2")
    ann = client.new_user()
    answering = connect(srv, ann, name="answering")  # the reader answers pings
    silent = WsClient(srv, ann.access, read=False, name="silent")
    try:
        time.sleep(4.5)
        answering.barrier()
        silent.start_reading()
        silent.wait_closed(5)
        # dropped without a close frame (1006 for the client); hello had been sent
        assert silent.close_code is None and [f["type"] for f in silent.frames] == ["hello"], silent.frames
        assert not answering.ended.is_set()
    finally:
        answering.close()
        silent.abort()


# --------------------------------------------------------------------------- HTTP read timeout

def test_idle_websocket_outlives_the_http_read_timeout(parley, smtp_sink):
    """Regression: the HTTP read deadline used to end every WebSocket after PARLEY_READ_TIMEOUT_S."""
    srv, client = start(parley, smtp_sink, PARLEY_READ_TIMEOUT_S="2", PARLEY_IDLE_TIMEOUT_S="2")
    ann, bob = client.new_user(), client.new_user()
    chat = create_group(client, ann, bob)["id"]
    b = connect(srv, bob)
    try:
        time.sleep(5)  # no frame in either direction (the WebSocket keep-alive pings come after 15 s)
        assert not b.ended.is_set(), (b.close_code, b.close_reason, b.end_error)
        m = rest_send(client, ann, chat, "are you still there?")
        assert b.wait_type("message.new", id=m["id"])["data"]["body"] == "are you still there?"
        b.barrier()
    finally:
        b.close()


# --------------------------------------------------------------------------- connection limit

def refused_without_response(srv, token: str) -> bool:
    """An upgrade that the server accepted at the TCP level and closed without a byte."""
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        s.sendall(f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n".encode())
        try:
            return s.recv(1024) == b""
        except ConnectionResetError:
            return True


def connect_soon(srv, acct, name: str, timeout: float = 5.0):
    """Connects, retrying while the server has not yet counted a closed connection out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return connect(srv, acct, name=name)
        except Exception:  # noqa: BLE001 - refused while the limit is reached
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_websockets_count_against_the_connection_limit(parley, smtp_sink):
    srv, client = start(parley, smtp_sink, PARLEY_MAX_CONNECTIONS="3")
    ann = client.new_user()
    client.http.close()  # its kept-alive connection counts too
    conns = [connect_soon(srv, ann, f"w{i}") for i in range(3)]
    try:
        assert refused_without_response(srv, ann.access)
        conns.pop().close()
        conns.append(connect_soon(srv, ann, "w3"))  # a slot is free again
        for c in conns:
            c.barrier()
    finally:
        for c in conns:
            c.close()


# --------------------------------------------------------------------------- shutdown

def test_sigterm_closes_connections_with_1012(parley, smtp_sink):
    srv, client = start(parley, smtp_sink)
    ann, bob = client.new_user(), client.new_user()
    conns = [connect(srv, ann, name="a1"), connect(srv, ann, name="a2"), connect(srv, bob, name="b")]
    for c in conns:
        c.barrier()
    srv.stop_and_check()  # SIGTERM; exit code 0, no sanitizer report
    for c in conns:
        assert c.wait_closed(5) == (1012, "server restart"), (c.name, c.close_code, c.end_error)
