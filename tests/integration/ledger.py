"""Sends as clients see them, and the check of the store against them (the crash-safety test
and the soak run).

- `Ledger`: every `message.send` made (chat, sender, client_id), the `stored` ack each got
  (seq, message_id), and the sends given up before an ack, which may be stored once or not at
  all. Thread-safe: every device of a run records into one.
- `Outbox`: one device's sends not yet acked `stored`. A send keeps its `client_id` until it
  is stored, and `resend()` sends the same frames again after a reconnect (docs/protocol.md,
  section 10).
- `history()` reads a chat's whole history over REST; `check_store()` compares every chat the
  ledger knows with the store: seqs 1..n without gaps, each (sender, client_id) at most once,
  every acked send present with the seq and id of its ack, nothing the ledger never sent.
"""
from __future__ import annotations

import itertools
import threading

from harness import describe
from ws_client import CHATS, cid

# `error` codes after which a send is retried with the same client_id (docs/protocol.md, section 7).
RETRYABLE = {"storage_busy", "send_queue_full", "internal", "shutting_down", "storage_unavailable",
             "log_unavailable", "upstream_unavailable", "keys_unavailable", "seq_contention"}

Key = tuple[str, str, str]  # (chat_id, sender_id, client_id)


class Ledger:
    def __init__(self):
        self._lock = threading.Lock()
        self.sent: set[Key] = set()
        self.acked: dict[Key, tuple[int, str]] = {}  # the (seq, message_id) of the first stored ack
        self.abandoned: set[Key] = set()              # given up without a stored ack
        self.problems: list[str] = []                 # contradictory acks

    def send(self, key: Key) -> None:
        with self._lock:
            self.sent.add(key)

    def stored(self, key: Key, seq: int, message_id: str) -> None:
        """Records a stored ack; a second ack for the same send must name the same message."""
        with self._lock:
            if key not in self.sent:
                self.problems.append(f"stored ack for a send never made: {key}")
            first = self.acked.setdefault(key, (seq, message_id))
            if first != (seq, message_id):
                self.problems.append(f"{key} acked as {first}, then as {(seq, message_id)}")

    def abandon(self, key: Key) -> None:
        with self._lock:
            if key not in self.acked:
                self.abandoned.add(key)

    def acked_count(self) -> int:
        with self._lock:
            return len(self.acked)

    def snapshot(self) -> dict[Key, tuple[int, str]]:
        with self._lock:
            return dict(self.acked)

    def chats(self) -> set[str]:
        with self._lock:
            return {k[0] for k in self.sent}


class Outbox:
    """One device's sends that are not yet acked `stored` (not thread-safe: one device thread)."""

    _rids = itertools.count(1)

    def __init__(self, ledger: Ledger, sender_id: str):
        self.ledger = ledger
        self.sender_id = sender_id
        self.pending: dict[str, dict] = {}  # client_id -> the message.send frame, without `id`
        self.errors: list[dict] = []        # error frames answering sends
        self.resent = 0                     # frames sent again with a client_id already used

    def send(self, ws, chat_id: str, body: str) -> str:
        """Sends a new message (may raise if the connection is gone: it stays pending)."""
        client_id = cid()
        frame = {"type": "message.send", "chat_id": chat_id, "client_id": client_id, "body": body}
        self.pending[client_id] = frame
        self.ledger.send((chat_id, self.sender_id, client_id))
        ws.send({**frame, "id": f"s{next(self._rids)}"})
        return client_id

    def resend(self, ws, client_ids=None) -> int:
        """Sends the pending sends (or those of `client_ids`) again, with the same client_id."""
        frames = [self.pending[c] for c in (client_ids or list(self.pending)) if c in self.pending]
        for frame in frames:
            self.resent += 1
            ws.send({**frame, "id": f"s{next(self._rids)}"})
        return len(frames)

    def abandon(self, client_id: str) -> None:
        frame = self.pending.pop(client_id)
        self.ledger.abandon((frame["chat_id"], self.sender_id, client_id))

    def on_frame(self, f: dict) -> str | None:
        """Takes an answer to a send. Returns the client_id of a send that got a retryable error
        (the caller resends it later), else None. A final error abandons the send."""
        client_id = f.get("client_id")
        if client_id is None or f.get("type") not in ("ack", "error"):
            return None
        if f["type"] == "ack" and f.get("status") == "stored":
            frame = self.pending.pop(client_id, None)
            chat_id = frame["chat_id"] if frame else f.get("chat_id")
            self.ledger.stored((chat_id, self.sender_id, client_id), f["seq"], f["message_id"])
        elif f["type"] == "error":
            self.errors.append(f)
            if client_id in self.pending:
                if f.get("code") in RETRYABLE:
                    return client_id
                self.abandon(client_id)
        return None


def history(client, token: str, chat_id: str) -> list[dict]:
    """Every message of a chat, in seq order, paged forwards over REST."""
    items: list[dict] = []
    while True:
        r = client.get(f"{CHATS}/{chat_id}/messages", token=token,
                       params={"after": items[-1]["seq"] if items else 0, "limit": 100})
        assert r.status_code == 200, describe(r)
        page = r.json()["items"]
        items += page
        if len(page) < 100:
            return items


def check_chat(items: list[dict], chat_id: str, ledger: Ledger,
               acked: dict[Key, tuple[int, str]] | None = None) -> tuple[dict, list[str]]:
    """Compares one chat's history with the ledger (or with `acked`, a snapshot of its acks).
    Returns ({"stored", "acked", "unacked_stored"}, problems)."""
    acked = ledger.snapshot() if acked is None else acked
    problems: list[str] = []
    seqs = [m["seq"] for m in items]
    if seqs != list(range(1, len(items) + 1)):
        missing = sorted(set(range(1, max(seqs, default=0) + 1)) - set(seqs))
        problems.append(f"chat {chat_id}: seqs not 1..{len(items)} (missing {missing[:10]}, "
                        f"{len(seqs) - len(set(seqs))} repeated)")
    by_key: dict[Key, dict] = {}
    unacked_stored = 0
    for m in items:
        key = (chat_id, m["sender_id"], m["client_id"])
        if key in by_key:
            problems.append(f"chat {chat_id}: client_id {m['client_id']} of {m['sender_id']} stored twice "
                            f"(seq {by_key[key]['seq']} and {m['seq']})")
        by_key[key] = m
        if key not in ledger.sent:
            problems.append(f"chat {chat_id}: seq {m['seq']} was never sent: {m}")
        elif key not in acked:
            unacked_stored += 1
    n_acked = 0
    for key, (seq, message_id) in acked.items():
        if key[0] != chat_id:
            continue
        n_acked += 1
        m = by_key.get(key)
        if m is None:
            problems.append(f"chat {chat_id}: acked send {key[2]} (seq {seq}) is not in the store")
        elif (m["seq"], m["id"]) != (seq, message_id):
            problems.append(f"chat {chat_id}: acked send {key[2]} as seq {seq} id {message_id}, "
                            f"stored as seq {m['seq']} id {m['id']}")
    return {"stored": len(items), "acked": n_acked, "unacked_stored": unacked_stored}, problems


def check_store(client, tokens: dict[str, str], ledger: Ledger,
                acked: dict[Key, tuple[int, str]] | None = None) -> tuple[dict[str, dict], list[str]]:
    """`check_chat` for every chat the ledger knows; `tokens` maps each chat to a member's token."""
    counts: dict[str, dict] = {}
    problems: list[str] = list(ledger.problems)
    for chat_id in sorted(ledger.chats()):
        counts[chat_id], found = check_chat(history(client, tokens[chat_id], chat_id), chat_id, ledger, acked)
        problems += found
    return counts, problems
