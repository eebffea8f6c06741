"""Crash safety of the embedded store (SQLite): senders stream `message.send` frames over /ws
while the server is killed with SIGKILL mid-stream and started again on the same data dir and
address, three times in one test.

What must hold (docs/protocol.md, section 9): every send acked `stored` before a kill is in the
store after the restart, once, with the seq and id of its ack; a send that was in flight at the
kill is stored at most once, whether its sender gives it up or retries it with the same
client_id after reconnecting; seqs stay 1..n without gaps in every chat.

A killed process runs no sanitizer teardown (leak check, exit code): only the last server,
stopped with SIGTERM at teardown, gets those checks.
"""
from __future__ import annotations

import random
import threading
import time
import traceback

import websocket

from harness import Client
from ledger import Ledger, Outbox, check_chat, check_store, history
from ws_client import connect, create_group, new_users, open_direct

ROUNDS = 3
SENDERS = 6
WINDOW = 8            # sends in flight per sender
ACKS_PER_ROUND = 150  # stored acks between two kills (at least)
TIMEOUT_S = 60.0


class Sender(threading.Thread):
    """One user's device: streams sends into its chats, at most WINDOW unanswered. When the
    connection drops (the server was killed) it gives up half of its pending sends and retries
    the others, with their client_id, once it has reconnected."""

    def __init__(self, server, acct, chats: list[str], ledger: Ledger, server_up: threading.Event):
        super().__init__(daemon=True, name=f"sender-{acct.username}")
        self.server, self.acct, self.chats = server, acct, chats
        self.server_up = server_up  # reconnect only once the test has looked at the store
        self.outbox = Outbox(ledger, acct.user_id)
        self.rng = random.Random(acct.user_id)
        self.finish = threading.Event()  # stop sending new messages; end once all are stored
        self.down = threading.Event()    # the connection ended and the sender saw all it received
        self.in_flight_at_drop: list[int] = []
        self.abandoned = 0
        self.retried: set = set()  # ledger keys of the sends retried after a drop
        self.failure: str | None = None
        self.sent = 0

    def run(self) -> None:
        try:
            self._run()
        except Exception:  # noqa: BLE001 - reported by the test
            self.failure = traceback.format_exc()
            self.down.set()

    def _connect(self):
        assert self.server_up.wait(TIMEOUT_S), "the server did not come back"
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                return connect(self.server, self.acct, name=self.name)
            except (OSError, websocket.WebSocketException, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _run(self) -> None:
        while True:
            ws = self._connect()
            self.down.clear()
            pos = 0
            try:
                self.outbox.resend(ws)
                while True:
                    frames = ws.since(pos)
                    pos += len(frames)
                    for f in frames:
                        retry = self.outbox.on_frame(f)
                        assert retry is None and f["type"] != "error", f
                    if ws.ended.is_set() and not ws.since(pos):
                        break
                    if self.finish.is_set():
                        if not self.outbox.pending:
                            ws.close()
                            return
                    elif len(self.outbox.pending) < WINDOW:
                        self.sent += 1
                        self.outbox.send(ws, self.rng.choice(self.chats), f"{self.acct.username} {self.sent}")
                        continue
                    ws.wait_beyond(pos, 1.0)
            except (OSError, websocket.WebSocketException):
                ws.wait_closed()  # a send hit the dead socket: take what arrived before
                for f in ws.since(pos):
                    assert self.outbox.on_frame(f) is None and f["type"] != "error", f
            ws.abort()
            # the server went away mid-stream: give up half of what is unanswered
            self.in_flight_at_drop.append(len(self.outbox.pending))
            for client_id, frame in list(self.outbox.pending.items()):
                if self.rng.random() < 0.5:
                    self.outbox.abandon(client_id)
                    self.abandoned += 1
                else:
                    self.retried.add((frame["chat_id"], self.acct.user_id, client_id))
            self.down.set()


def wait_until(cond, what: str, senders: list[Sender], timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        failed = [s.failure for s in senders if s.failure]
        assert not failed, failed[0]
        assert time.monotonic() < deadline, f"not {what} within {timeout} s"
        time.sleep(0.05)


def test_acked_sends_survive_kill_9_and_retries_are_not_duplicated(parley, smtp_sink):
    srv = parley(name="crash", PARLEY_WS_FRAMES_PER_SEC="100000", PARLEY_WS_FRAME_BURST="100000")
    client = Client(srv, smtp_sink)
    users = new_users(client, SENDERS)
    # one group of everyone, two groups of three, three 1:1 chats: every user in three chats,
    # every chat with several senders
    everyone = create_group(client, users[0], *users[1:], name="all")["id"]
    trios = [create_group(client, users[i], users[i + 1], users[i + 2], name=f"trio {i}")["id"] for i in (0, 3)]
    directs = [open_direct(client, users[i], users[i + 3])["id"] for i in range(3)]
    chats_of = {u.user_id: [everyone, trios[i // 3], directs[i % 3]] for i, u in enumerate(users)}
    member_token = {everyone: users[0].access, **{trios[i]: users[3 * i].access for i in range(2)},
                    **{directs[i]: users[i].access for i in range(3)}}

    ledger = Ledger()
    server_up = threading.Event()
    server_up.set()
    senders = [Sender(srv, u, chats_of[u.user_id], ledger, server_up) for u in users]
    for s in senders:
        s.start()
    rounds = []
    stored_unacked: dict = {}  # sends in the store after a restart whose ack the kill prevented
    first_acked: list = []     # the sends acked before the first kill
    by_id = {u.user_id: u for u in users}
    try:
        for _ in range(ROUNDS):
            target = ledger.acked_count() + ACKS_PER_ROUND
            wait_until(lambda: ledger.acked_count() >= target, f"{target} sends acked", senders)
            server_up.clear()
            srv.crash()
            wait_until(lambda: all(s.down.is_set() for s in senders), "every sender disconnected", senders)
            acked = ledger.snapshot()
            first_acked = first_acked or sorted(acked)
            in_flight = sum(s.in_flight_at_drop[-1] for s in senders)
            srv = parley.restart(srv)
            # the store as the kill left it: everything acked is there, as acked
            for chat_id, token in member_token.items():
                items = history(client, token, chat_id)
                _, problems = check_chat(items, chat_id, ledger, acked)
                assert not problems, problems[:5]
                for m in items:
                    key = (chat_id, m["sender_id"], m["client_id"])
                    if key not in acked:
                        stored_unacked[key] = (m["seq"], m["id"])
            rounds.append({"acked_before_kill": len(acked), "in_flight_at_kill": in_flight})
            server_up.set()

        for s in senders:
            s.finish.set()
        wait_until(lambda: all(not s.is_alive() for s in senders), "every retried send stored", senders)
    finally:
        for s in senders:
            s.finish.set()

    assert all(s.failure is None for s in senders), [s.failure for s in senders if s.failure][0]
    # the kills came mid-stream, and the senders did retry sends after reconnecting
    assert all(r["in_flight_at_kill"] > 0 for r in rounds), rounds
    assert sum(s.outbox.resent for s in senders) > 0 and sum(s.abandoned for s in senders) > 0, rounds
    counts, problems = check_store(client, member_token, ledger)
    assert not problems, problems[:10]
    # a retried send that the kill had left stored but unacked got the original message back
    final = ledger.snapshot()
    deduplicated = [k for k in set().union(*(s.retried for s in senders)) if k in stored_unacked]
    assert all(final[k] == stored_unacked[k] for k in deduplicated), [
        (k, final[k], stored_unacked[k]) for k in deduplicated if final[k] != stored_unacked[k]][:5]
    # whether the kills left such a send depends on timing; a client that lost its acks makes
    # one for sure: sends acked before the first kill, sent again to the fourth process, get the
    # original message back and store nothing
    again = random.Random(0).sample(first_acked, 30)
    for user_id in {k[1] for k in again}:
        with connect(srv, by_id[user_id], name="again") as ws:
            for chat_id, _, client_id in (k for k in again if k[1] == user_id):
                _, answer = ws.send_message(chat_id, client_id, "sent again")
                assert (answer.get("status"), answer.get("seq"), answer.get("message_id")) == (
                    "stored", *final[(chat_id, user_id, client_id)]), answer
    counts_after, problems = check_store(client, member_token, ledger)
    assert not problems and counts_after == counts, (problems[:10], counts, counts_after)
    # every message stored is either acked or one of the abandoned sends, each exactly once
    assert sum(c["stored"] for c in counts.values()) == ledger.acked_count() + sum(
        c["unacked_stored"] for c in counts.values()), counts
    assert sum(c["acked"] for c in counts.values()) == ledger.acked_count()
    assert all(c["unacked_stored"] <= len(ledger.abandoned) for c in counts.values())
    print(f"rounds {rounds}; acked {ledger.acked_count()}, abandoned {len(ledger.abandoned)} "
          f"(stored anyway: {sum(c['unacked_stored'] for c in counts.values())}), "
          f"resent {sum(s.outbox.resent for s in senders)} ({len(deduplicated)} already stored), "
          f"{len(again)} acked ones sent again; "
          f"per chat {counts}")
