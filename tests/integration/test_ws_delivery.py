"""WebSocket `/ws` (docs/protocol.md): who receives which live event. A busy group, then
edits, deletes, reactions, receipts, typing, presence and chat changes, each checked against
the members who must get it and a stranger (a connected user who shares no chat) who must
not."""
from __future__ import annotations

import threading
import time

import pytest

from harness import Client, describe
from ws_client import CHATS, cid, connect, create_group, new_users

MEMBERS = 50
SENDERS = 10
PER_SENDER = 20


# --------------------------------------------------------------------------- a busy group

def test_busy_group_every_member_gets_every_message_once_in_order(client: Client, server):
    users = new_users(client, MEMBERS)
    chat = create_group(client, users[0], *users[1:], name="busy")["id"]
    conns = []
    try:
        for u in users:
            conns.append(connect(server, u))
        senders = conns[:SENDERS]
        keys = {c: [f"{c.name}-{i}-{cid()[:8]}" for i in range(PER_SENDER)] for c in senders}
        start = threading.Barrier(SENDERS)
        failures: list[str] = []

        def send_all(c):
            try:
                start.wait(10)
                for k in keys[c]:
                    c.send({"type": "message.send", "id": k, "chat_id": chat, "client_id": k, "body": f"body of {k}"})
            except Exception as e:  # noqa: BLE001 - reported below
                failures.append(f"{c.name}: {e!r}")

        threads = [threading.Thread(target=send_all, args=(c,)) for c in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not failures, failures

        total = SENDERS * PER_SENDER
        is_new = lambda f: f["type"] == "message.new" and f["data"]["chat_id"] == chat  # noqa: E731
        for c in conns:
            c.wait_count(is_new, total, timeout=60, what="message.new of the busy chat")
        # the senders' answers: accepted, then stored, for each client_id
        stored_by_key = {}
        for c in senders:
            answers = c.wait_count(lambda f: f["type"] in ("ack", "error") and f.get("id") in keys[c],
                                   2 * PER_SENDER, what="answers")
            assert all(f["type"] == "ack" for f in answers), [f for f in answers if f["type"] != "ack"][:3]
            for k in keys[c]:
                mine = [f for f in answers if f["id"] == k]
                assert [f["status"] for f in mine] == ["accepted", "stored"], mine
                assert mine[0]["client_id"] == mine[1]["client_id"] == k and mine[1]["chat_id"] == chat, mine
                stored_by_key[k] = mine[1]
        assert sorted(a["seq"] for a in stored_by_key.values()) == list(range(1, total + 1))
        expected = {(a["seq"], a["message_id"], a["client_id"]) for a in stored_by_key.values()}
        sender_of = {k: u.user_id for c, u in zip(senders, users) for k in keys[c]}
        for c in conns:
            c.barrier()
            news = [f["data"] for f in c.snapshot() if is_new(f)]
            seqs = [m["seq"] for m in news]
            assert seqs == list(range(1, total + 1)), f"{c.name}: seqs not 1..{total} in order: {seqs}"
            assert {(m["seq"], m["id"], m["client_id"]) for m in news} == expected, c.name
            assert all(m["sender_id"] == sender_of[m["client_id"]] and m["body"] == f"body of {m['client_id']}"
                       for m in news), c.name
        r = client.get(f"{CHATS}/{chat}/messages", token=users[-1].access, params={"after": total - 100, "limit": 100})
        assert r.status_code == 200, describe(r)
        assert [m["seq"] for m in r.json()["items"]] == list(range(total - 99, total + 1))
    finally:
        for c in conns:
            c.close()


# --------------------------------------------------------------------------- who gets which event

MESSAGE_FIELDS = {"id", "chat_id", "seq", "sender_id", "client_id", "body", "attachments", "reply_to",
                  "mentions", "created_at", "edited_at", "deleted"}


class Room:
    """ann (owner), bob and cat in group `chat`; dave not (yet) a member; eve a stranger.
    Each has one connection: A, B, C, D, E."""

    def __init__(self, client: Client, server):
        self.client = client
        self.ann, self.bob, self.cat, self.dave, self.eve = new_users(client, 5)
        self.chat = create_group(client, self.ann, self.bob, self.cat, name="Book club")["id"]
        self.conns = {}
        for key, u in zip("ABCDE", (self.ann, self.bob, self.cat, self.dave, self.eve)):
            self.conns[key] = connect(server, u, name=key)

    def __getattr__(self, key):  # room.A ... room.E
        if len(key) == 1 and key in "ABCDE":
            return self.conns[key]
        raise AttributeError(key)

    def close(self):
        for c in self.conns.values():
            c.close()

    def delivered(self, pred, to: str, what: str = "", times: int = 1) -> dict:
        """Waits until the connections named in `to` (e.g. "ABC", or "" for none) got a frame
        matching `pred`, then checks, after a barrier on every connection, that each of them
        got exactly `times` such frames, all alike, and that no other connection got one.
        Returns the last one."""
        got = [self.conns[k].wait_count(pred, times, what=what)[-1] for k in to]
        for c in self.conns.values():
            c.barrier()
        counts = {k: sum(1 for f in c.snapshot() if pred(f)) for k, c in self.conns.items()}
        assert counts == {k: (times if k in to else 0) for k in self.conns}, (what, counts)
        assert all(f == got[0] for f in got), (what, got)
        return got[0] if got else {}


@pytest.fixture
def room(client: Client, server):
    r = Room(client, server)
    yield r
    r.close()


def of(type_: str, **data):
    return lambda f: f.get("type") == type_ and all(f.get("data", {}).get(k) == v for k, v in data.items())


def ack_done(frame: dict, ack: dict, **fields) -> None:
    assert ack == {"type": "ack", "id": ack["id"], "status": "done", **fields}, (frame, ack)


def test_edits_and_deletes(room: Room):
    A, B, chat = room.A, room.B, room.chat
    _, m = A.send_message(chat, cid(), "see you at eight", mentions=[room.bob.user_id])
    new = room.delivered(of("message.new", id=m["message_id"]), "ABC", "message.new")["data"]
    assert set(new) == MESSAGE_FIELDS and new["mentions"] == [room.bob.user_id] and new["deleted"] is False, new
    assert (new["seq"], new["created_at"], new["sender_id"]) == (m["seq"], m["created_at"], room.ann.user_id)

    frame = {"type": "message.edit", "chat_id": chat, "message_id": m["message_id"], "body": "half past eight"}
    ack_done(frame, A.request(frame), message_id=m["message_id"])
    edited = room.delivered(of("message.edited", id=m["message_id"]), "ABC", "message.edited")["data"]
    assert edited == {**new, "body": "half past eight", "edited_at": edited["edited_at"]}, edited
    assert isinstance(edited["edited_at"], str) and edited["edited_at"] >= new["created_at"], edited
    # over REST: the same event
    r = room.client.patch(f"{CHATS}/{chat}/messages/{m['message_id']}", token=room.ann.access, json={"body": "nine"})
    assert r.status_code == 200, describe(r)
    room.delivered(of("message.edited", id=m["message_id"], body="nine"), "ABC", "REST edit")

    for who, frame, code in (
            (B, {**frame, "body": "bob's words"}, "not_author"),
            (A, {**frame, "body": ""}, "invalid_body"),
            (A, {**frame, "body": "x" * 16385}, "invalid_body"),
            (A, {**frame, "message_id": "1"}, "message_not_found")):
        err = who.request(frame)
        assert err["type"] == "error" and err["code"] == code, (frame["body"][:20], err)
    room.delivered(of("message.edited", id=m["message_id"]), "ABC", "no more edits", times=2)

    # only the author (or an admin) deletes; a tombstone keeps id, seq, client_id, times
    err = B.request({"type": "message.delete", "chat_id": chat, "message_id": m["message_id"]})
    assert err["code"] == "not_author", err
    frame = {"type": "message.delete", "chat_id": chat, "message_id": m["message_id"]}
    ack_done(frame, A.request(frame), message_id=m["message_id"])
    tomb = room.delivered(of("message.deleted", id=m["message_id"]), "ABC", "message.deleted")["data"]
    assert tomb == {**new, "body": "", "attachments": [], "mentions": [], "deleted": True,
                    "edited_at": tomb["edited_at"]}, tomb
    # deleting again answers done and publishes nothing; a tombstone cannot be edited or reacted to
    ack_done(frame, A.request(frame), message_id=m["message_id"])
    for f in ({"type": "message.edit", "chat_id": chat, "message_id": m["message_id"], "body": "back"},
              {"type": "reaction.set", "chat_id": chat, "message_id": m["message_id"], "emoji": "👍"}):
        assert A.request(f)["code"] == "message_not_found"
    room.delivered(of("message.deleted", id=m["message_id"]), "ABC", "one message.deleted")
    room.delivered(of("reaction"), "", "no reaction")

    # the owner deletes bob's message, bob cannot delete ann's
    _, theirs = B.send_message(chat, cid(), "bob's")
    _, mine = A.send_message(chat, cid(), "ann's", reply_to=theirs["message_id"])
    err = B.request({"type": "message.delete", "chat_id": chat, "message_id": mine["message_id"]})
    assert err["code"] == "not_author", err
    ack_done({}, A.request({"type": "message.delete", "chat_id": chat, "message_id": theirs["message_id"]}),
             message_id=theirs["message_id"])
    room.delivered(of("message.deleted", id=theirs["message_id"], sender_id=room.bob.user_id), "ABC", "by owner")
    room.delivered(of("message.deleted", id=mine["message_id"]), "", "not deleted")


def test_reactions(room: Room):
    A, B, C, chat = room.A, room.B, room.C, room.chat
    _, m = A.send_message(chat, cid(), "vote")
    mid = m["message_id"]
    frame = {"type": "reaction.set", "chat_id": chat, "message_id": mid, "emoji": "👍"}
    ack_done(frame, B.request(frame), message_id=mid)
    ev = room.delivered(of("reaction", user_id=room.bob.user_id, emoji="👍"), "ABC", "reaction set")
    assert ev == {"type": "reaction", "data": {"chat_id": chat, "message_id": mid, "user_id": room.bob.user_id,
                                                "emoji": "👍"}}, ev
    ack_done(frame, B.request({**frame, "emoji": "🎉"}), message_id=mid)
    room.delivered(of("reaction", user_id=room.bob.user_id, emoji="🎉"), "ABC", "reaction replaced")
    r = room.client.request("PUT", f"{CHATS}/{chat}/messages/{mid}/reaction", token=room.cat.access,
                            json={"emoji": "👀"})
    assert r.status_code == 204, describe(r)
    room.delivered(of("reaction", user_id=room.cat.user_id, emoji="👀"), "ABC", "REST reaction")
    r = room.client.get(f"{CHATS}/{chat}/messages", token=room.ann.access)
    assert sorted((x["user_id"], x["emoji"]) for x in r.json()["items"][-1]["reactions"]) == sorted(
        [(room.bob.user_id, "🎉"), (room.cat.user_id, "👀")]), r.text

    for emoji in ("", "a b", "x" * 33, "\n"):
        err = C.request({**frame, "emoji": emoji})
        assert err["code"] == "invalid_emoji", (emoji, err)
    assert C.request({**frame, "message_id": "1"})["code"] == "message_not_found"
    removed = of("reaction", user_id=room.bob.user_id, emoji=None)
    frame = {"type": "reaction.remove", "chat_id": chat, "message_id": mid}
    ack_done(frame, B.request(frame), message_id=mid)
    room.delivered(removed, "ABC", "reaction removed")
    ack_done(frame, B.request(frame), message_id=mid)  # had none: still an event
    room.delivered(removed, "ABC", "reaction removed again", times=2)
    assert len([f for f in B.snapshot() if f["type"] == "reaction"]) == 5


def test_receipts(room: Room):
    A, B, C, chat = room.A, room.B, room.C, room.chat
    msgs = [A.send_message(chat, cid(), f"m{i}")[1] for i in range(3)]
    assert [m["seq"] for m in msgs] == [1, 2, 3]
    receipt = lambda who, r, d: of("receipt", user_id=who.user_id, read_seq=r, delivered_seq=d)  # noqa: E731

    frame = {"type": "receipt.delivered", "chat_id": chat, "seq": 2}
    ack_done(frame, B.request(frame), read_seq=0, delivered_seq=2)
    ev = room.delivered(receipt(room.bob, 0, 2), "AC", "delivered receipt")
    assert ev == {"type": "receipt", "data": {"chat_id": chat, "user_id": room.bob.user_id, "read_seq": 0,
                                               "delivered_seq": 2}}, ev
    frame = {"type": "receipt.read", "chat_id": chat, "seq": 1}
    ack_done(frame, B.request(frame), read_seq=1, delivered_seq=2)
    room.delivered(receipt(room.bob, 1, 2), "AC", "read receipt")
    ack_done(frame, B.request(frame), read_seq=1, delivered_seq=2)  # moved nothing: published all the same
    room.delivered(receipt(room.bob, 1, 2), "AC", "repeated receipt", times=2)
    for seq in (4, 100):
        err = B.request({**frame, "seq": seq})
        assert err["code"] == "invalid_seq", err
    r = room.client.post(f"{CHATS}/{chat}/read", token=room.cat.access, json={"seq": 3})
    assert r.status_code == 200, describe(r)
    room.delivered(receipt(room.cat, 3, 3), "AB", "REST receipt")
    assert [len([f for f in c.snapshot() if f["type"] == "receipt"]) for c in (A, B, C, room.D, room.E)] == [
        4, 1, 3, 0, 0]


def test_typing(room: Room):
    A, C, chat = room.A, room.C, room.chat
    typing = of("typing", user_id=room.cat.user_id, chat_id=chat)
    C.send({"type": "typing", "chat_id": chat})
    C.send({"type": "typing", "chat_id": chat, "id": "again"})  # within 2 s: dropped
    # a request queued behind the typing frames on the server's side: they are done after its ack
    C.request({"type": "receipt.read", "chat_id": chat, "seq": 0})
    ev = room.delivered(typing, "AB", "typing")
    assert ev == {"type": "typing", "data": {"chat_id": chat, "user_id": room.cat.user_id, "expires_in_ms": 5000}}, ev
    assert not [f for f in C.snapshot() if f.get("id") == "again"], "a throttled typing frame was answered"
    # throttled per chat: another chat of cat's is not affected
    other = create_group(room.client, room.cat, room.ann)["id"]
    C.send({"type": "typing", "chat_id": other})
    room.delivered(of("typing", chat_id=other), "A", "typing elsewhere")
    time.sleep(2.2)
    C.send({"type": "typing", "chat_id": chat})
    room.delivered(typing, "AB", "typing after the interval", times=2)


def test_presence_goes_to_contacts_only(client: Client, server, room: Room):
    frank = new_users(client, 1)[0]
    create_group(client, frank, room.ann)
    A, E = room.A, room.E
    is_frank = lambda f: f["type"] == "presence" and f["data"]["user_id"] == frank.user_id  # noqa: E731
    f1 = connect(server, frank, name="f1")
    online = A.wait_for(is_frank, what="frank online")
    assert online == {"type": "presence", "data": {"user_id": frank.user_id, "online": True, "last_seen": None}}
    f2 = connect(server, frank, name="f2")  # already online: no event
    f2.close()
    f1.barrier()
    assert not [f for f in f1.snapshot() if f["type"] == "presence"], "presence is not a snapshot nor sent to oneself"
    f1.close()
    offline = A.wait_for(lambda f: is_frank(f) and not f["data"]["online"], what="frank offline")
    assert set(offline["data"]) == {"user_id", "online", "last_seen"}, offline
    assert offline["data"]["last_seen"].endswith("Z") and len(offline["data"]["last_seen"]) == 24, offline
    for c in room.conns.values():
        c.barrier()
    assert [f["data"]["online"] for f in A.snapshot() if is_frank(f)] == [True, False]
    for key, c in room.conns.items():
        if key != "A":
            assert not [f for f in c.snapshot() if is_frank(f)], key
    assert not [f for f in E.snapshot() if f["type"] == "presence"], "a stranger got presence"


def test_chat_changes(client: Client, room: Room):
    A, B, C, D, chat = room.A, room.B, room.C, room.D, room.chat
    ann, bob, cat, dave = room.ann, room.bob, room.cat, room.dave
    url = f"{CHATS}/{chat}"

    def members(ev):
        return sorted(m["user_id"] for m in ev["data"]["chat"]["members"])

    r = client.post(f"{CHATS}/groups", token=ann.access, json={"name": "Pair", "member_ids": [bob.user_id]})
    assert r.status_code == 201, describe(r)
    ev = room.delivered(of("chat.updated", change="created", chat_id=r.json()["id"]), "AB", "created")
    assert ev["data"]["actor_id"] == ann.user_id and ev["data"]["user_id"] is None and ev["data"]["chat"] == r.json()

    r = client.patch(url, token=ann.access, json={"name": "Reading circle"})
    assert r.status_code == 200, describe(r)
    ev = room.delivered(of("chat.updated", change="updated", chat_id=chat), "ABC", "renamed")
    assert ev["data"]["chat"]["name"] == "Reading circle" and ev["data"]["user_id"] is None, ev
    assert set(ev["data"]) == {"change", "chat_id", "actor_id", "user_id", "chat"}, ev

    r = client.post(f"{url}/members", token=ann.access, json={"user_id": dave.user_id})
    assert r.status_code in (200, 201), describe(r)
    ev = room.delivered(of("chat.updated", change="member_added", chat_id=chat), "ABCD", "member_added")
    assert ev["data"]["user_id"] == dave.user_id and members(ev) == sorted(u.user_id for u in (ann, bob, cat, dave))
    _, m = A.send_message(chat, cid(), "welcome dave")
    room.delivered(of("message.new", id=m["message_id"]), "ABCD", "message to the new member")

    r = client.patch(f"{url}/members/{dave.user_id}", token=ann.access, json={"role": "admin"})
    assert r.status_code == 200, describe(r)
    room.delivered(of("chat.updated", change="role_changed", user_id=dave.user_id), "ABCD", "role_changed")

    # removed: cat is told once, with "chat": null, and stops receiving
    r = client.delete(f"{url}/members/{cat.user_id}", token=ann.access)
    assert r.status_code == 204, describe(r)
    removed = of("chat.updated", change="member_removed", chat_id=chat)
    told = C.wait_for(removed)
    assert told == {"type": "chat.updated", "data": {"change": "member_removed", "chat_id": chat,
                                                     "actor_id": ann.user_id, "user_id": cat.user_id,
                                                     "chat": None}}, told
    ev = room.delivered(lambda f: removed(f) and f["data"]["chat"] is not None, "ABD", "member_removed")
    assert members(ev) == sorted(u.user_id for u in (ann, bob, dave)), ev
    assert len([f for f in C.snapshot() if removed(f)]) == 1
    _, m = A.send_message(chat, cid(), "without cat")
    A.send({"type": "typing", "chat_id": chat})
    A.request({"type": "receipt.delivered", "chat_id": chat, "seq": 0})  # done after the typing frame
    B.request({"type": "reaction.set", "chat_id": chat, "message_id": m["message_id"], "emoji": "👋"})
    room.delivered(of("message.new", id=m["message_id"]), "ABD", "message after the removal")
    room.delivered(of("reaction", message_id=m["message_id"]), "ABD", "reaction after the removal")
    room.delivered(of("typing", chat_id=chat), "BD", "typing after the removal")
    for frame in ({"type": "typing", "chat_id": chat},
                  {"type": "receipt.read", "chat_id": chat, "seq": 1},
                  {"type": "sync", "chats": [{"chat_id": chat, "after_seq": 0}]}):
        start = C.mark()
        C.send({**frame, "id": "gone"})
        err = C.wait_for(lambda f: f.get("type") == "error" and f.get("id") == "gone", start=start)
        assert err["code"] == "chat_not_found", (frame, err)

    # leaving: bob is told with "chat": null, the others get the chat without him
    r = client.delete(f"{url}/members/{bob.user_id}", token=bob.access)
    assert r.status_code == 204, describe(r)
    left = of("chat.updated", change="member_left", chat_id=chat)
    assert B.wait_for(left)["data"]["chat"] is None
    ev = room.delivered(lambda f: left(f) and f["data"]["chat"] is not None, "AD", "member_left")
    assert ev["data"]["user_id"] == bob.user_id and members(ev) == sorted([ann.user_id, dave.user_id])
    # the stranger heard nothing at all
    types = [f["type"] for f in room.E.snapshot()]
    assert types[0] == "hello" and set(types[1:]) == {"pong"}, types
