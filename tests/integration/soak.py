#!/usr/bin/env python3
"""Soak run of the embedded server: steady chat traffic with reconnect churn against the real
binary, while the server's memory and descriptors are sampled.

    scripts/soak.sh [minutes] [options]        # PARLEY_BIN, default build/asan/bin/parley
    /usr/bin/python3 tests/integration/soak.py --minutes 2 --report soak.json

Traffic (docs/protocol.md): `--users` users, each one device on /ws, each in two 1:1 chats (a
ring) and two groups of 3 to 6. Together they send `--rate` messages per second (Poisson),
each kept pending until acked `stored`, a `typing` before some of them, and `receipt.delivered`
/ `receipt.read` for what they received. Every device drops its connection every `--churn`
seconds on average (half of the time without a close frame, half of the time right after a
send, before its ack), stays away up to 2 s, then does what a client does: renews its token
(`/auth/refresh`) when it is older than 5 minutes (a short run: a third of its time),
reconnects, resends its pending sends with their client_id, reads the chat list and `sync`s
every chat from its cursor. After `synced` its cursor must have reached the chat list's
`last_seq`.

At the end every device stops sending, waits until each of its sends is acked, and syncs once
more. Then the run checks, per chat: the store (REST history) holds exactly the messages acked
`stored`, each client_id once, seqs 1..n without gaps; and what each device holds (live and
replayed `message.new`) is the store, seq for seq. Errors are any `error` frame, a close the
client did not ask for, an unanswered request, a message at a seq the store has not, an error
line in the server log, and the server's own checks at SIGTERM (exit 0, no sanitizer report).

Flatness. RSS and open descriptors of the server are read from /proc every `--sample-s` seconds
during the traffic. RSS here is RssAnon, the process's own memory (heap, stacks, the SQLite page
cache); RssFile, the store's file pages the server reads through a memory map, grows with the
data and belongs to the page cache, so it is reported (start and end) but not judged. The traffic time, from the moment every device is connected, is cut in
quarters; the first is warm-up (the SQLite page cache, allocator arenas, connection buffers
reaching their working size). The median of the last quarter must be within `--rss-tolerance`
(10 % + 8 MiB) of the second quarter's median for RSS, and within 10 % + 5 for descriptors.
Medians of whole quarters ignore the spikes a busy machine causes (a stalled server holds more
queued frames for a moment, a reconnect wave holds more sockets); the absolute slack keeps a
small baseline from failing on allocator granularity. A leak shows as a rise proportional to the
traffic, which grows with the run's length: the 2-minute run is a smoke check, the 30-minute one
the real measure. (Measured: with the Release build RSS reaches its plateau within 2 minutes, as
the SQLite page cache fills, then moves by less than 0.1 MiB over 8 minutes and 15,000
messages; the ASan build starts at about 135 MiB and still rises by about 4 MiB in the second
minute of a 2-minute run.)

The report is printed and, with `--report FILE`, written as JSON (figures and every sample).
Exit status 0 when every check passed.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import websocket  # noqa: E402

from harness import Client, ParleyFactory, SmtpSink, describe, parley_bin  # noqa: E402
from ledger import Ledger, Outbox, check_chat, history  # noqa: E402
from ws_client import CHATS, PROTOCOL, connect, create_group, new_users, open_direct  # noqa: E402

MIB = 1 << 20
ANSWER_TIMEOUT_S = 30.0     # an ack, error or pong later than this is an error
TOKEN_RENEW_AGE_S = 300.0   # access tokens live 900 s; devices renew older ones on reconnect
                            # (a short run renews after a third of its time, to do it at all)
OFFLINE_S = (0.2, 2.0)
RECEIPT_EVERY_S = (1.0, 4.0)
TYPING_SHARE = 0.4          # sends preceded by a `typing`
DRAIN_TIMEOUT_S = 90.0


class Run:
    """What the devices share: the server, the ledger, the phases and the problems found."""

    def __init__(self, args, server, ledger: Ledger):
        self.args = args
        self.server = server
        self.ledger = ledger
        self.traffic_end = 0.0
        self.renew_age = min(TOKEN_RENEW_AGE_S, args.minutes * 60 / 3)
        self.final_sync = threading.Event()
        self._lock = threading.Lock()
        self.problems: list[str] = []
        self.problem_count = 0
        self.online = 0

    def problem(self, text: str) -> None:
        with self._lock:
            self.problem_count += 1
            if len(self.problems) < 200:
                self.problems.append(text)

    def count_online(self, delta: int) -> None:
        with self._lock:
            self.online += delta


class Device(threading.Thread):
    """One user's client, following docs/protocol.md section 10."""

    def __init__(self, run: Run, acct, chats: list[str], seed: int):
        super().__init__(daemon=True, name=f"device-{acct.username}")
        self.run_, self.acct, self.chats = run, acct, chats
        self.rng = random.Random(seed)
        self.http = Client(run.server)
        self.outbox = Outbox(run.ledger, acct.user_id)
        self.cursor = {c: 0 for c in chats}
        self.held: dict[str, dict[int, str]] = {c: {} for c in chats}  # seq -> message id
        self.sync_pending: set[str] = set()
        self.requests: dict[str, tuple[float, dict]] = {}  # id -> (sent at, frame), unanswered
        self.send_times: dict[str, float] = {}              # client_id -> last (re)sent at
        self.retry: list[tuple[float, str]] = []            # (due, client_id) after a retryable error
        self.last_receipt = {c: 0 for c in chats}
        self.stats = collections.Counter()
        self.token_at = time.monotonic()
        self.ws = None
        self.pos = 0
        self.rid = 0
        self.connected = threading.Event()  # the first connection is up
        self.drained = threading.Event()
        self.done = threading.Event()
        self.failure: str | None = None

    # ------------------------------------------------------------------ plumbing

    def problem(self, text: str) -> None:
        self.run_.problem(f"{self.acct.username}: {text}")

    def _request(self, frame: dict) -> str:
        self.rid += 1
        rid = f"d{self.rid}"
        self.requests[rid] = (time.monotonic(), frame)
        self.ws.send({**{k: v for k, v in frame.items() if k != "expect"}, "id": rid})
        return rid

    def _connect(self) -> None:
        if time.monotonic() - self.token_at > self.run_.renew_age:
            r = self.http.refresh(self.acct.refresh_token)
            if r.status_code != 200:
                raise AssertionError(f"refresh failed: {describe(r)}")
            self.acct.tokens = r.json()
            self.token_at = time.monotonic()
            self.stats["token_renewals"] += 1
        for attempt in range(5):
            try:
                self.ws = connect(self.run_.server, self.acct, name=self.acct.username,
                                  protocol=self.run_.args.protocol)
                break
            except (OSError, websocket.WebSocketException, AssertionError) as e:
                self.problem(f"connect failed: {e!r}")
                if attempt == 4:
                    raise
                time.sleep(1.0)
        self.run_.count_online(1)
        self.pos = 0
        self.requests.clear()
        self.sync_pending.clear()
        self.stats["connections"] += 1
        now = time.monotonic()
        for c in self.outbox.pending:
            self.send_times[c] = now
        self.stats["resent"] += self.outbox.resend(self.ws)
        self._sync(self.chats, self._last_seqs())

    def _last_seqs(self) -> dict[str, int]:
        """The chat list's `last_seq` of each of the device's chats."""
        r = self.http.get(CHATS, token=self.acct.access, params={"limit": 100})
        if r.status_code != 200:
            raise AssertionError(describe(r))
        last = {c["id"]: c["last_seq"] for c in r.json()["items"]}
        missing = [c for c in self.chats if c not in last]
        if missing:
            self.problem(f"chats missing from the chat list: {missing}")
        return last

    def _sync(self, chats: list[str], expect: dict[str, int]) -> None:
        """`sync` of `chats` from their cursors; once `synced`, each cursor must have reached
        `expect` (messages that existed before the sync was sent)."""
        self.sync_pending.update(chats)
        frame = {"type": "sync", "chats": [{"chat_id": c, "after_seq": self.cursor[c]} for c in chats],
                 "expect": {c: expect.get(c, 0) for c in chats}}
        self._request(frame)
        self.stats["syncs"] += 1

    def _disconnect(self, polite: bool) -> None:
        if self.ws is None:
            return
        if polite:
            self.ws.close()
        else:
            self.ws.abort()
        self._pump()  # what arrived before the drop is as valid as anything
        self.run_.count_online(-1)
        self.ws = None

    # ------------------------------------------------------------------ frames

    def _pump(self) -> None:
        frames = self.ws.since(self.pos)
        self.pos += len(frames)
        for f in frames:
            self._on_frame(f)

    def _place(self, m: dict) -> None:
        chat = m["chat_id"]
        if chat not in self.held:
            self.problem(f"message.new of a chat not ours: {m}")
            return
        seq, held = m["seq"], self.held[chat]
        if held.setdefault(seq, m["id"]) != m["id"]:
            self.problem(f"chat {chat} seq {seq}: message {m['id']}, earlier {held[seq]}")
        while self.cursor[chat] + 1 in held:
            self.cursor[chat] += 1

    def _on_frame(self, f: dict) -> None:
        kind = f.get("type")
        self.stats[f"frames_{kind}"] += 1
        if kind in ("ack", "error", "pong"):
            if f.get("client_id") is not None:  # an answer to a send
                retry = self.outbox.on_frame(f)
                if kind == "error":
                    self.problem(f"send refused: {f}")
                    if retry:
                        self.retry.append((time.monotonic() + 0.5, retry))
                return
            rid = f.get("id")
            if rid not in self.requests:
                self.problem(f"answer to nothing asked: {f}")
                return
            if kind == "error":
                self.problem(f"request refused: {f} (request {self.requests[rid][1]})")
                if f.get("chat_id") is not None:
                    return  # a per-chat sync error; the sync's ack follows
            sent_at, req = self.requests.pop(rid)
            self.stats[f"answered_{req['type']}"] += 1
            if req["type"] == "sync" and kind == "ack":
                for c, want in req["expect"].items():
                    self.sync_pending.discard(c)
                    if self.cursor[c] < want:
                        self.problem(f"chat {c}: cursor {self.cursor[c]} after synced, {want} expected")
        elif kind == "message.new":
            self._place(f["data"])
        elif kind == "resync_required":
            chat, after = f["data"]["chat_id"], f["data"]["after_seq"]
            self.stats["resyncs"] += 1
            for m in history(self.http, self.acct.access, chat)[after:]:
                self._place(m)
        elif kind in ("receipt", "typing"):
            if f["data"]["user_id"] == self.acct.user_id:
                self.problem(f"own {kind} echoed: {f}")
        elif kind not in ("hello", "presence", "notification", "chat.updated"):
            self.problem(f"unexpected frame: {f}")

    def _check_answers(self, now: float) -> None:
        for rid, (sent_at, req) in list(self.requests.items()):
            if now - sent_at > ANSWER_TIMEOUT_S:
                self.problem(f"no answer within {ANSWER_TIMEOUT_S} s to {req}")
                del self.requests[rid]
        for c in self.outbox.pending:
            if now - self.send_times.get(c, now) > ANSWER_TIMEOUT_S:
                self.problem(f"send {c} not stored within {ANSWER_TIMEOUT_S} s")
                self.send_times[c] = now

    # ------------------------------------------------------------------ the device

    def run(self) -> None:
        try:
            self._traffic()
            self._drain()
            self.drained.set()
            assert self.run_.final_sync.wait(DRAIN_TIMEOUT_S * 2), "no final sync"
            self._final_sync()
        except Exception:  # noqa: BLE001 - reported as the run's failure
            self.failure = traceback.format_exc()
            self.problem(f"device failed: {self.failure.splitlines()[-1]}")
        finally:
            self.drained.set()
            self.done.set()

    def _step_ok(self) -> bool:
        """Whether the connection is still up; a close the device did not ask for is an error."""
        if self.ws.ended.is_set():
            self._pump()
            self.problem(f"connection ended by the server: {self.ws.close_code} {self.ws.close_reason!r} "
                         f"{self.ws.end_error}")
            self._disconnect(polite=False)
            self.stats["server_closes"] += 1
            return False
        return True

    def _traffic(self) -> None:
        args = self.run_.args
        send_every = args.users / args.rate
        self._connect()
        self.connected.set()
        now = time.monotonic()
        next_send = now + self.rng.expovariate(1 / send_every)
        next_receipt = now + self.rng.uniform(*RECEIPT_EVERY_S)
        drop_at = now + self.rng.uniform(0.5, 1.5) * args.churn
        while time.monotonic() < self.run_.traffic_end:
            try:
                self._pump()
                if not self._step_ok():
                    self._connect()
                    continue
                now = time.monotonic()
                if now >= drop_at:
                    polite = self.rng.random() < 0.5
                    self.stats["drops_close" if polite else "drops_abort"] += 1
                    if self.rng.random() < 0.5:  # drop with a send in flight: retried after reconnecting
                        self._send(now)
                    self._disconnect(polite)
                    time.sleep(self.rng.uniform(*OFFLINE_S))
                    self._connect()
                    drop_at = time.monotonic() + self.rng.uniform(0.5, 1.5) * args.churn
                    continue
                if now >= next_send:
                    self._send(now)
                    next_send += self.rng.expovariate(1 / send_every)
                if now >= next_receipt:
                    self._receipts()
                    next_receipt = now + self.rng.uniform(*RECEIPT_EVERY_S)
                self._resend_due(now)
                self._check_answers(now)
                wake = min(next_send, next_receipt, drop_at, self.run_.traffic_end)
                self.ws.wait_beyond(self.pos, max(0.01, min(1.0, wake - time.monotonic())))
            except (OSError, websocket.WebSocketException):
                self.ws.wait_closed()  # a send hit a closed socket: the reader ends too

    def _send(self, now: float) -> None:
        chat = self.rng.choice(self.chats)
        if self.rng.random() < TYPING_SHARE:
            self.ws.send({"type": "typing", "chat_id": chat})
            self.stats["typing_sent"] += 1
        body = f"{self.acct.username} {self.stats['sent']} " + "x" * self.rng.randint(0, 300)
        self.send_times[self.outbox.send(self.ws, chat, body)] = now
        self.stats["sent"] += 1

    def _receipts(self) -> None:
        for chat in self.chats:
            seq = self.cursor[chat]
            if seq > self.last_receipt[chat] and chat not in self.sync_pending:
                kind = "receipt.read" if self.rng.random() < 0.5 else "receipt.delivered"
                self._request({"type": kind, "chat_id": chat, "seq": seq})
                self.last_receipt[chat] = seq
                self.stats[f"{kind}_sent"] += 1

    def _resend_due(self, now: float) -> None:
        due = [c for t, c in self.retry if t <= now]
        self.retry = [(t, c) for t, c in self.retry if t > now]
        if due:
            self.stats["resent"] += self.outbox.resend(self.ws, due)

    def _drain(self) -> None:
        """No new sends: wait until every send is acked `stored` (reconnecting if need be)."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while self.outbox.pending or self.retry:
            if time.monotonic() > deadline:
                self.problem(f"{len(self.outbox.pending)} sends never stored")
                return
            try:
                self._pump()
                if not self._step_ok():
                    self._connect()
                    continue
                self._resend_due(time.monotonic())
                self.ws.wait_beyond(self.pos, 0.2)
            except (OSError, websocket.WebSocketException):
                self.ws.wait_closed()

    def _final_sync(self) -> None:
        """Once nobody sends any more: one last sync, after which every cursor is the chat's end."""
        last = self._last_seqs()
        self._sync(self.chats, last)
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while self.requests and time.monotonic() < deadline and self._step_ok():
            self.ws.wait_beyond(self.pos, 0.2)
            self._pump()
        self._check_answers(time.monotonic() + ANSWER_TIMEOUT_S + 1)
        for c in self.chats:
            if self.cursor[c] != last.get(c) or len(self.held[c]) != last.get(c):
                self.problem(f"chat {c}: holds {len(self.held[c])} up to cursor {self.cursor[c]}, "
                             f"the chat has {last.get(c)}")
        self._disconnect(polite=True)


# --------------------------------------------------------------------------- sampling

def read_proc(pid: int) -> tuple[int, int, int]:
    """(RssAnon, RssFile in bytes, open descriptors) of a process."""
    kib = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            kib[name] = int(value.split()[0])
    return kib.get("RssAnon", 0) * 1024, kib.get("RssFile", 0) * 1024, len(os.listdir(f"/proc/{pid}/fd"))


class Sampler(threading.Thread):
    def __init__(self, pid: int, every: float, run: Run):
        super().__init__(daemon=True, name="sampler")
        self.pid, self.every, self.run_ = pid, every, run
        self.samples: list[dict] = []
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                rss, rss_file, fds = read_proc(self.pid)
            except OSError:
                return
            self.samples.append({"t": round(time.monotonic() - self.t0, 2), "rss": rss, "rss_file": rss_file, "fds": fds,
                                 "online": self.run_.online})
            self.stop.wait(self.every)


def flatness(samples: list[dict], t0: float, t1: float, key: str, rel: float, slack: float) -> dict:
    """Last-quarter median of `key` against the second quarter's, over the traffic [t0, t1)."""
    span = (t1 - t0) / 4
    quarters = [[s[key] for s in samples if t0 + i * span <= s["t"] < t0 + (i + 1) * span] for i in range(4)]
    inside = [s for s in samples if t0 <= s["t"] < t1]
    if not inside or not all(quarters):
        return {"ok": False, "why": "too few samples"}
    q2, q4 = statistics.median(quarters[1]), statistics.median(quarters[3])
    limit = q2 * (1 + rel) + slack
    mid = min(inside, key=lambda s: abs(s["t"] - (t0 + t1) / 2))
    return {"start": inside[0][key], "middle": mid[key], "end": inside[-1][key],
            "min": min(s[key] for s in inside), "max": max(s[key] for s in inside),
            "q2_median": q2, "q4_median": q4, "limit": round(limit), "ok": q4 <= limit}


# --------------------------------------------------------------------------- the run

def make_chats(client, users, rng: random.Random) -> tuple[dict[str, list[str]], dict[str, str], int, int]:
    """Two 1:1 chats per user (a ring) and two groups of 3-6 per user (two partitions)."""
    chats_of: dict[str, list[str]] = {u.user_id: [] for u in users}
    token_of: dict[str, str] = {}
    n = len(users)
    for i in range(n):
        a, b = users[i], users[(i + 1) % n]
        chat = open_direct(client, a, b)["id"]
        chats_of[a.user_id].append(chat)
        chats_of[b.user_id].append(chat)
        token_of[chat] = a.access
    groups = 0
    for _ in range(2):
        order = users[:]
        rng.shuffle(order)
        while order:
            size = rng.randint(3, 6)
            if len(order) - size < 3:
                size = len(order)
            members, order = order[:size], order[size:]
            chat = create_group(client, members[0], *members[1:], name=f"soak {groups}")["id"]
            groups += 1
            for m in members:
                chats_of[m.user_id].append(chat)
            token_of[chat] = members[0].access
    return chats_of, token_of, n, groups


def log_problems(log: str) -> tuple[list[str], collections.Counter]:
    """Error lines of the server's log, and how many warn lines of each message."""
    errors, warns = [], collections.Counter()
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") == "error":
            errors.append(line[:300])
        elif entry.get("level") == "warn":
            warns[entry.get("msg", "?")] += 1
    return errors, warns


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0, help="traffic time (default 30)")
    ap.add_argument("--users", type=int, default=30, help="users, one device each (default 30)")
    ap.add_argument("--rate", type=float, default=25.0, help="messages per second, all users (default 25)")
    ap.add_argument("--churn", type=float, default=20.0,
                    help="mean seconds between a device's reconnects (default 20)")
    ap.add_argument("--sample-s", type=float, default=0.0,
                    help="seconds between samples (default: 240 samples over the run, at least 0.5 s)")
    ap.add_argument("--rss-tolerance", type=float, default=0.10, help="relative RSS tolerance (default 0.10)")
    ap.add_argument("--report", type=Path, help="write the report as JSON to this file")
    ap.add_argument("--protocol", type=int, default=PROTOCOL,
                    help=f"WebSocket protocol version the devices ask for (default {PROTOCOL})")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the data dir and log")
    args = ap.parse_args()
    if args.users < 3:
        ap.error("--users must be at least 3")
    binary = parley_bin()
    if not binary.exists():
        print(f"soak: parley binary not found at {binary} (set PARLEY_BIN)", file=sys.stderr)
        return 2
    # A small allocator quarantine (sanitizer builds), so that RSS shows what the server holds
    # rather than up to 256 MB of recently freed memory.
    os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=8"]))

    tmp = Path(tempfile.mkdtemp(prefix="parley-soak-"))
    smtp = SmtpSink()
    smtp.controller.start()
    factory = ParleyFactory(tmp, smtp)
    try:
        return soak(args, binary, tmp, smtp, factory)
    finally:
        for srv in factory.servers:  # after an exception: no server left behind
            if srv.proc is not None and srv.proc.poll() is None:
                srv.kill()
        smtp.controller.stop()


def soak(args, binary: Path, tmp: Path, smtp: SmtpSink, factory: ParleyFactory) -> int:
    srv = factory(name="soak")
    rng = random.Random(args.seed)
    client = Client(srv, smtp)
    t_setup = time.monotonic()
    users = new_users(client, args.users)
    chats_of, token_of, n_direct, n_groups = make_chats(client, users, rng)
    setup_s = time.monotonic() - t_setup

    ledger = Ledger()
    run = Run(args, srv, ledger)
    every = args.sample_s or max(0.5, args.minutes * 60 / 240)
    sampler = Sampler(srv.proc.pid, every, run)
    sampler.start()
    devices = [Device(run, u, chats_of[u.user_id], args.seed * 1000 + i) for i, u in enumerate(users)]
    traffic_start = time.monotonic()
    run.traffic_end = traffic_start + args.minutes * 60
    for d in devices:
        d.start()
    for d in devices:  # samples count from here: every device connected
        d.connected.wait(ANSWER_TIMEOUT_S)
    measured_from = time.monotonic()
    for d in devices:
        d.drained.wait(args.minutes * 60 + DRAIN_TIMEOUT_S * 2)
    drained = time.monotonic()
    run.final_sync.set()
    for d in devices:
        d.done.wait(ANSWER_TIMEOUT_S * 3)
    sampler.stop.set()
    sampler.join()

    # the store against the acks, and each device's messages against the store
    counts: dict[str, dict] = {}
    problems: list[str] = list(ledger.problems)
    for d in devices:  # tokens renewed during the run
        for chat_id in d.chats:
            token_of[chat_id] = d.acct.access
    for chat_id, token in sorted(token_of.items()):
        items = history(client, token, chat_id)
        counts[chat_id], found = check_chat(items, chat_id, ledger)
        problems += found
        if counts[chat_id]["stored"] != counts[chat_id]["acked"]:
            problems.append(f"chat {chat_id}: {counts[chat_id]['stored']} messages stored, "
                            f"{counts[chat_id]['acked']} acked")
        store = {m["seq"]: m["id"] for m in items}
        for d in devices:
            if chat_id in d.held and d.held[chat_id] != store:
                wrong = [s for s in d.held[chat_id] if d.held[chat_id][s] != store.get(s)]
                problems.append(f"{d.acct.username} chat {chat_id}: holds {len(d.held[chat_id])} messages, "
                                f"the store {len(store)}; differing seqs {wrong[:10]}")
    try:
        srv.stop_and_check()
    except AssertionError as e:
        problems.append(str(e)[:2000])
    log_errors, log_warns = log_problems(srv.log_text())
    problems += [f"server log: {line}" for line in log_errors[:20]]

    t0, t1 = measured_from - sampler.t0, run.traffic_end - sampler.t0
    rss = flatness(sampler.samples, t0, t1, "rss", args.rss_tolerance, 8 * MIB)
    fds = flatness(sampler.samples, t0, t1, "fds", 0.10, 5)
    if not rss["ok"]:
        problems.append(f"RSS not flat: {rss}")
    if not fds["ok"]:
        problems.append(f"open descriptors not flat: {fds}")
    if run.problem_count:
        problems = [f"{run.problem_count} client-side problems, first: {run.problems[:20]}"] + problems
    stats = collections.Counter()
    for d in devices:
        stats.update(d.stats)
    acked = ledger.acked_count()
    report = {
        "ok": not problems,
        "binary": str(binary),
        "minutes": args.minutes, "protocol": args.protocol, "users": args.users, "rate_per_s": args.rate, "churn_s": args.churn,
        "seed": args.seed, "setup_s": round(setup_s, 1), "drain_s": round(drained - run.traffic_end, 1),
        "chats": {"direct": n_direct, "groups": n_groups},
        "messages_acked": acked,
        "messages_in_store": sum(c["stored"] for c in counts.values()),
        "acked_per_s": round(acked / (args.minutes * 60), 1),
        "reconnects": stats["drops_close"] + stats["drops_abort"] + stats["server_closes"],
        "client": dict(sorted(stats.items())),
        "idle_before": sampler.samples[0] if sampler.samples else None,
        "rss_bytes": rss, "fds": fds,
        "server_log_warns": dict(log_warns),
        "problems": problems[:50],
        "sample_s": every,
        "samples": sampler.samples,
        "traffic_window_s": [round(t0, 2), round(t1, 2)],
    }
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=1) + "\n")

    def mib(x):
        return f"{x / MIB:.1f}"
    print(f"soak: {args.minutes:g} min, {args.users} users, {n_direct} 1:1 chats and {n_groups} groups, "
          f"{args.rate:g} msg/s target, reconnect every {args.churn:g} s on average")
    print(f"  messages acked stored {acked} ({report['acked_per_s']}/s), in the store "
          f"{report['messages_in_store']}; resent after reconnect {stats['resent']}")
    print(f"  reconnects {report['reconnects']} ({stats['drops_abort']} dropped, {stats['drops_close']} closed, "
          f"{stats['server_closes']} by the server), syncs {stats['syncs']}, token renewals "
          f"{stats['token_renewals']}; receipts {stats['receipt.read_sent'] + stats['receipt.delivered_sent']}, "
          f"typing {stats['typing_sent']}")
    if "start" in rss:
        print(f"  RSS MiB   start {mib(rss['start'])}  middle {mib(rss['middle'])}  end {mib(rss['end'])}   "
              f"median Q2 {mib(rss['q2_median'])} Q4 {mib(rss['q4_median'])} (limit {mib(rss['limit'])})")
        files = [x["rss_file"] for x in sampler.samples]
        print(f"  RssFile MiB (the store's mapped pages, not judged) start {mib(files[0])}  end {mib(files[-1])}")
        print(f"  open fds  start {fds['start']}  middle {fds['middle']}  end {fds['end']}   "
              f"median Q2 {fds['q2_median']:g} Q4 {fds['q4_median']:g} (limit {fds['limit']})")
    if log_warns:
        print(f"  server warnings: {dict(log_warns)}")
    for p in problems[:20]:
        print(f"  PROBLEM: {p}")
    print(f"soak: {'PASS' if not problems else 'FAIL'}" + (f" (report {args.report})" if args.report else ""))
    if args.keep or problems:
        print(f"  data dir and log kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
