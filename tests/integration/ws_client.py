"""A small WebSocket client for the `/ws` tests (websocket-client underneath).

`WsClient` connects with an access token (header or query), and a background thread reads
every frame into a list, answering the server's pings as it goes. Tests then wait for
frames with `wait_for(predicate)`, send requests with `request(...)`, and use `barrier()` (a
`ping` round trip) to know that every event queued for this connection before that point
has arrived: the server's outbound queue is first-in, first-out.

`read=False` connects without the reader: nothing is read from the socket until
`start_reading()`, which is how a slow consumer is played.

`upgrade_raw(server, headers)` performs an upgrade request over a plain socket and returns
the raw HTTP response, for refused upgrades.
"""
from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field

import websocket
import websocket._abnf

from harness import Client, describe

# websocket-client 1.2 refuses close frames with codes registered after RFC 6455, among them
# 1012 (service restart), which the server sends at shutdown.
websocket._abnf.VALID_CLOSE_STATUS = (*websocket._abnf.VALID_CLOSE_STATUS, 1012, 1013, 1014)

DEFAULT_TIMEOUT_S = 10.0

# Frames that arrive on their own schedule (the notification worker), whatever a test does.
UNSOLICITED = ("notification",)


PROTOCOL = 2  # the version the tests speak unless they ask for another (docs/protocol.md)


def ws_url(server, token: str | None = None, protocol: int | None = PROTOCOL) -> str:
    query = ([f"protocol={protocol}"] if protocol is not None else []) + ([f"access_token={token}"] if token else [])
    return f"ws://{server.host}:{server.port}/ws" + ("?" + "&".join(query) if query else "")


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    closed: bool = field(default=False)  # the server closed the TCP connection after it

    def json(self):
        return json.loads(self.body)


def upgrade_raw(server, path: str = "/ws", headers: dict[str, str] | None = None,
                timeout: float = DEFAULT_TIMEOUT_S) -> RawResponse:
    """Sends a WebSocket upgrade request and reads the response until the server closes
    the connection (or `timeout`)."""
    hdrs = {
        "Host": f"{server.host}:{server.port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        **(headers or {}),
    }
    request = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    data = b""
    closed = False
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(request.encode())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines and lines[0].startswith("HTTP/1.1 "), f"not an HTTP response: {data[:300]!r}"
    _, status, *reason = lines[0].split(" ", 2)
    parsed = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    if "content-length" in parsed:
        assert len(body) == int(parsed["content-length"]), f"truncated body: {data[:500]!r}"
    return RawResponse(int(status), reason[0] if reason else "", parsed, body, closed)


class WsClient:
    """One WebSocket connection; frames are read by a background thread."""

    _ids = itertools.count(1)

    def __init__(self, server, token: str | None, *, query: bool = False, read: bool = True,
                 sockopt: tuple = (), timeout: float = DEFAULT_TIMEOUT_S, name: str = "",
                 protocol: int | None = PROTOCOL):
        self.name = name
        self.frames: list[dict] = []   # every message, parsed, in arrival order
        self.raw: list[str] = []       # the text frames as received (protocol 2: one message per line)
        self.binary: list[bytes] = []
        self.close_code: int | None = None  # from the server's close frame
        self.close_reason: str = ""
        self.ended = threading.Event()  # the reader saw a close frame, EOF or an error
        self.end_error: str | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        header = [] if query or token is None else [f"Authorization: Bearer {token}"]
        self.ws = websocket.WebSocket(sockopt=sockopt, skip_utf8_validation=True)
        self.ws.connect(ws_url(server, token if query else None, protocol), header=header, timeout=timeout,
                        suppress_origin=True)
        self.ws.sock.settimeout(None)  # the reader blocks; waits have their own timeouts
        if read:
            self.start_reading()

    # ------------------------------------------------------------------ reading

    def start_reading(self) -> None:
        assert self._thread is None
        self._thread = threading.Thread(target=self._read_loop, daemon=True, name=f"ws-{self.name}")
        self._thread.start()

    def _read_loop(self) -> None:
        ws = self.ws
        try:
            while True:
                frame = ws.recv_frame()
                op = frame.opcode
                if op in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_CONT):
                    ws.cont_frame.validate(frame)
                    ws.cont_frame.add(frame)
                    if not ws.cont_frame.is_fire(frame):
                        continue
                    op, whole = ws.cont_frame.extract(frame)
                    data = whole.data
                    with self._cond:
                        if op == websocket.ABNF.OPCODE_TEXT:
                            text = data.decode("utf-8") if isinstance(data, bytes) else data
                            self.raw.append(text)
                            self.frames.extend(json.loads(line) for line in text.split("\n"))
                        else:
                            self.binary.append(data)
                        self._cond.notify_all()
                elif op == websocket.ABNF.OPCODE_PING:
                    ws.pong(frame.data)
                elif op == websocket.ABNF.OPCODE_CLOSE:
                    code, reason = None, ""
                    if len(frame.data) >= 2:
                        code = struct.unpack("!H", frame.data[:2])[0]
                        reason = frame.data[2:].decode("utf-8", "replace")
                    with self._cond:
                        self.close_code, self.close_reason = code, reason
                    try:  # answer the close, then drop the connection as a browser does
                        ws.send_close(code if code is not None else 1000)
                    except Exception:  # noqa: BLE001 - the server may have closed first
                        pass
                    break
        except Exception as e:  # noqa: BLE001 - EOF, reset or a protocol error end the reader
            self.end_error = repr(e)
        finally:
            try:
                if ws.sock is not None:
                    ws.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            with self._cond:
                self.ended.set()
                self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = DEFAULT_TIMEOUT_S, start: int = 0, what: str = "") -> dict:
        """The first frame at index >= `start` that matches `predicate`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        i = start
        with self._cond:
            while True:
                while i < len(self.frames):
                    if predicate(self.frames[i]):
                        return self.frames[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.ended.is_set():
                    raise AssertionError(
                        f"[{self.name}] no frame {what or predicate} within {timeout}s "
                        f"(ended={self.ended.is_set()} close={self.close_code} {self.close_reason!r} "
                        f"error={self.end_error}); last frames: {self.tail(5)}")
                self._cond.wait(min(left, 0.5))

    def wait_count(self, predicate, n: int, timeout: float = DEFAULT_TIMEOUT_S, what: str = "") -> list[dict]:
        """Waits until at least `n` frames match; returns all that match."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [f for f in self.frames if predicate(f)]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0 or self.ended.is_set():
                    raise AssertionError(
                        f"[{self.name}] {len(got)} of {n} frames {what} within {timeout}s "
                        f"(ended={self.ended.is_set()} close={self.close_code}); last frames: {self.tail(3)}")
                self._cond.wait(min(left, 0.5))

    def wait_type(self, type_: str, timeout: float = DEFAULT_TIMEOUT_S, start: int = 0, **data) -> dict:
        """The first `type_` event whose `data` has the given items."""
        def match(f):
            d = f.get("data") or {}
            return f.get("type") == type_ and all(d.get(k) == v for k, v in data.items())
        return self.wait_for(match, timeout, start, what=f"{type_} {data}")

    def tail(self, n: int) -> list[str]:
        """The last `n` frames as received, shortened, for failure messages."""
        return [t if len(t) <= 400 else t[:400] + f"...({len(t)} chars)" for t in self.raw[-n:]]

    def snapshot(self) -> list[dict]:
        with self._cond:
            return list(self.frames)

    def mark(self) -> int:
        with self._cond:
            return len(self.frames)

    def since(self, mark: int, ignore: tuple = ()) -> list[dict]:
        """Frames received after `mark()`, without those whose type is in `ignore`."""
        with self._cond:
            return [f for f in self.frames[mark:] if f.get("type") not in ignore]

    def wait_beyond(self, mark: int, timeout: float) -> bool:
        """Waits until more than `mark` frames arrived or the reader ended; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.frames) > mark or self.ended.is_set(), timeout)

    def events(self, type_: str | None = None, start: int = 0) -> list[dict]:
        """Frames carrying `data` (server events), optionally of one type."""
        return [f for f in self.snapshot()[start:] if "data" in f and (type_ is None or f["type"] == type_)]

    def wait_closed(self, timeout: float = DEFAULT_TIMEOUT_S) -> tuple[int | None, str]:
        """Waits for the reader to end; returns the server's close code and reason."""
        assert self.ended.wait(timeout), (
            f"[{self.name}] still open after {timeout}s; last frames: {self.tail(3)}")
        return self.close_code, self.close_reason

    # ------------------------------------------------------------------ sending

    def send_text(self, text: str) -> None:
        self.ws.send(text)

    def send_binary(self, data: bytes) -> None:
        self.ws.send_binary(data)

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))

    def next_id(self) -> str:
        return f"r{next(self._ids)}"

    def request(self, frame: dict, timeout: float = DEFAULT_TIMEOUT_S) -> dict:
        """Sends `frame` with a fresh `id` and returns its final answer (ack, error or pong):
        for a message.send the one after `accepted`, for a sync the one after the per-chat
        errors."""
        frame = {"id": self.next_id(), **frame}
        start = self.mark()
        self.send(frame)

        def final(f):
            if not _answers(f, frame["id"]):
                return False
            if frame["type"] == "message.send":
                return f.get("status") != "accepted"
            if frame["type"] == "sync":
                return "chat_id" not in f
            return True
        return self.wait_for(final, timeout, start, what=f"answer to {frame}")

    def send_message(self, chat_id: str, client_id: str, body: str = "hello", timeout: float = DEFAULT_TIMEOUT_S,
                     **extra) -> tuple[dict, dict]:
        """Sends a message.send and returns its (accepted, final) answers."""
        rid = self.next_id()
        start = self.mark()
        self.send({"type": "message.send", "id": rid, "chat_id": chat_id, "client_id": client_id, "body": body,
                   **extra})
        accepted = self.wait_for(lambda f: _answers(f, rid), timeout, start, what=f"first answer to {rid}")
        final = accepted
        if accepted.get("type") == "ack" and accepted.get("status") == "accepted":
            final = self.wait_for(lambda f: _answers(f, rid) and f.get("status") != "accepted",
                                  timeout, start, what=f"final answer to {rid}")
        return accepted, final

    def answers(self, rid) -> list[dict]:
        """Every answer (ack, error, pong) received so far to the request with id `rid`."""
        return [f for f in self.snapshot() if _answers(f, rid)]

    def barrier(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """A ping round trip: every frame the server queued for this connection before it
        read the ping has arrived once this returns."""
        pong = self.request({"type": "ping"}, timeout)
        assert pong["type"] == "pong", pong

    # ------------------------------------------------------------------ closing

    def close(self, code: int = 1000, timeout: float = 5.0) -> None:
        """Closes politely (close frame, wait for the echo), then drops the socket."""
        if not self.ended.is_set():
            try:
                self.ws.send_close(code)
            except Exception:  # noqa: BLE001 - already gone
                pass
            if self._thread is not None:
                self.ended.wait(timeout)
        self.abort()

    def abort(self) -> None:
        """Drops the TCP connection without a close frame."""
        sock = self.ws.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self.ws.shutdown()
        except Exception:  # noqa: BLE001
            pass
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _answers(frame: dict, rid) -> bool:
    return frame.get("type") in ("ack", "error", "pong") and frame.get("id") == rid


def connect(server, acct, **kw) -> WsClient:
    """Connects `acct` (a harness Account) and waits for hello."""
    c = WsClient(server, acct.access, name=kw.pop("name", acct.username), **kw)
    hello = c.wait_for(lambda f: True, what="hello")
    assert hello["type"] == "hello" and hello["data"]["user_id"] == acct.user_id, hello
    return c


# --------------------------------------------------------------------------- REST helpers

CHATS = "/api/v1/chats"


def cid() -> str:
    return uuid.uuid4().hex


def _ok(resp, *statuses: int) -> dict:
    assert resp.status_code in statuses, describe(resp)
    return resp.json() if resp.content else {}


def create_group(client, owner, *members, name: str = "Group") -> dict:
    return _ok(client.post(f"{CHATS}/groups", token=owner.access,
                           json={"name": name, "member_ids": [m.user_id for m in members]}), 201)


def open_direct(client, a, b) -> dict:
    return _ok(client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id}), 200, 201)


def rest_send(client, acct, chat_id: str, body: str = "hello", client_id: str | None = None,
              expect: tuple = (201,)) -> dict:
    r = client.post(f"{CHATS}/{chat_id}/messages", token=acct.access,
                    json={"client_id": client_id or cid(), "body": body})
    return _ok(r, *expect)


def new_users(client, n: int, threads: int = 4) -> list:
    """`n` fresh, logged-in users, registered a few at a time (each thread has its own HTTP session)."""
    out: list = [None] * n
    errors: list[str] = []

    def work(indices):
        c = Client(client.server, client.smtp)
        try:
            for i in indices:
                out[i] = c.new_user()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            c.http.close()

    workers = [threading.Thread(target=work, args=(range(k, n, threads),)) for k in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(300)
    assert not errors, errors[:3]
    for acct in out:  # requests made later on `client` use the accounts' own tokens
        acct.client = client
    return out
