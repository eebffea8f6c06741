"""Notifications (docs/operations.md "Notifications", the `notification` frame of docs/protocol.md):
who is notified of messages, mentions and membership changes, collapsing, the online read
delay, the REST list and its paging, marking read, live frames and the e-mail digest."""
from __future__ import annotations

import base64
import time
import uuid
from datetime import datetime

import pytest

from harness import Client, ParleyFactory, assert_error, describe
from test_spec_conformance import SPEC_PATH
from test_spec_conformance import check as spec_check
from ws_client import connect

yaml = pytest.importorskip("yaml")

CHATS = "/api/v1/chats"
NOTIFICATIONS = "/api/v1/notifications"
FIELDS = {"id", "kind", "chat_id", "actor_id", "message_id", "seq", "count", "preview", "created_at", "updated_at",
          "read", "read_at"}

# The module's server: online members have READ_DELAY_S to read before they are notified;
# the digest setting is left at its default (off), with a short DIGEST_AFTER_S so that a
# digest, were it sent, would arrive within the tests' waits.
READ_DELAY_S = 2.0
DIGEST_AFTER_S = 1
WORKER_POLL_S = 0.2  # how often the server runs due checks
SETTLE_S = 4 * WORKER_POLL_S  # long enough for a few worker runs


@pytest.fixture(scope="module")
def spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def server(tmp_root, smtp_sink):
    factory = ParleyFactory(tmp_root, smtp_sink)
    srv = factory(name="notify", PARLEY_NOTIFY_DELAY_S=str(int(READ_DELAY_S)),
                  PARLEY_NOTIFY_DIGEST_AFTER_S=str(DIGEST_AFTER_S))
    yield srv
    factory.stop_all()


@pytest.fixture(scope="module")
def lurker(client: Client):
    """A user in no chat."""
    return client.new_user()


# --------------------------------------------------------------------------- helpers

def cid() -> str:
    return uuid.uuid4().hex


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def open_direct(client: Client, a, b) -> dict:
    r = client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id})
    assert r.status_code in (200, 201), describe(r)
    return r.json()


def create_group(client: Client, owner, *members, name: str = "Group") -> dict:
    r = client.post(f"{CHATS}/groups", token=owner.access,
                    json={"name": name, "member_ids": [m.user_id for m in members]})
    assert r.status_code == 201, describe(r)
    return r.json()


def send(client: Client, acct, chat_id: str, body: str = "hello", **extra) -> dict:
    r = client.post(f"{CHATS}/{chat_id}/messages", token=acct.access,
                    json={"client_id": cid(), "body": body, **extra})
    assert r.status_code == 201, describe(r)
    return r.json()


def read_chat(client: Client, acct, chat_id: str, seq: int) -> None:
    r = client.post(f"{CHATS}/{chat_id}/read", token=acct.access, json={"seq": seq})
    assert r.status_code == 200, describe(r)


def page(client: Client, acct, **params) -> dict:
    r = client.get(NOTIFICATIONS, token=acct.access, params=params)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert set(body) == {"items", "next_cursor", "unread_count"}, body
    for n in body["items"]:
        assert set(n) == FIELDS, n
    return body


def listed(client: Client, acct, **params) -> list[dict]:
    return page(client, acct, limit=100, **params)["items"]


def unread(client: Client, acct) -> int:
    r = client.get(f"{NOTIFICATIONS}/unread_count", token=acct.access)
    assert r.status_code == 200, describe(r)
    assert set(r.json()) == {"unread_count"}, r.json()
    return r.json()["unread_count"]


def wait_listed(client: Client, acct, predicate, timeout: float = 10.0, what: str = "") -> list[dict]:
    """Polls the user's notifications until `predicate(items)` holds; returns the items."""
    deadline = time.monotonic() + timeout
    while True:
        items = listed(client, acct)
        if predicate(items):
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"{acct.username}: notifications never became {what or predicate}: {items}")
        time.sleep(0.05)


def of_kind(items: list[dict], *kinds: str) -> list[dict]:
    return [n for n in items if n["kind"] in kinds]


def mark(client: Client, acct, notification_id: str):
    return client.post(f"{NOTIFICATIONS}/{notification_id}/read", token=acct.access)


def assert_unread_message(n: dict, chat_id: str, actor, message: dict, count: int) -> None:
    assert n["kind"] == "message" and n["chat_id"] == chat_id, n
    assert n["actor_id"] == actor.user_id and n["message_id"] == message["id"] and n["seq"] == message["seq"], n
    assert n["count"] == count and n["preview"] == message["body"], n
    assert n["read"] is False and n["read_at"] is None, n


def notification_frames(conn) -> list[dict]:
    return [f["data"] for f in conn.snapshot() if f.get("type") == "notification"]


# --------------------------------------------------------------------------- messages to offline members

def test_offline_member_gets_exactly_one_notification_and_marks_it_read(client: Client, spec):
    alice, bob = client.new_user(), client.new_user()
    chat = open_direct(client, alice, bob)["id"]
    assert listed(client, bob) == [] and unread(client, bob) == 0
    m = send(client, alice, chat, "hi bob, lunch?")

    items = wait_listed(client, bob, lambda xs: len(xs) >= 1, what="non-empty")
    time.sleep(SETTLE_S)  # a duplicate (a check run twice, an event handled twice) would show by now
    r = client.get(NOTIFICATIONS, token=bob.access)
    spec_check(spec, "GET", NOTIFICATIONS, r)
    body = r.json()
    assert body["unread_count"] == 1 and body["next_cursor"] is None, body
    assert len(body["items"]) == 1 and body["items"] == items, body
    n = body["items"][0]
    assert_unread_message(n, chat, alice, m, count=1)
    assert n["created_at"] == n["updated_at"], n
    assert ts(m["created_at"]) - 1 <= ts(n["created_at"]) <= time.time() + 1, (m, n)
    r = client.get(f"{NOTIFICATIONS}/unread_count", token=bob.access)
    spec_check(spec, "GET", f"{NOTIFICATIONS}/unread_count", r)
    assert r.json() == {"unread_count": 1}
    # the sender is not notified of their own message
    assert listed(client, alice) == [] and unread(client, alice) == 0

    r = mark(client, bob, n["id"])
    spec_check(spec, "POST", f"{NOTIFICATIONS}/{{notification_id}}/read", r)
    assert r.status_code == 204 and r.content == b"", describe(r)
    (after,) = listed(client, bob)
    assert after["read"] is True and after["read_at"] is not None, after
    assert ts(after["read_at"]) >= ts(after["created_at"]), after
    assert {k: v for k, v in after.items() if k not in ("read", "read_at")} == \
           {k: v for k, v in n.items() if k not in ("read", "read_at")}
    assert unread(client, bob) == 0 and page(client, bob)["unread_count"] == 0
    # idempotent: marking again keeps the first read_at
    time.sleep(0.01)
    r = mark(client, bob, n["id"])
    assert r.status_code == 204, describe(r)
    assert listed(client, bob) == [after]


def test_messages_collapse_into_one_notification_while_unread(client: Client):
    alice, bob, carol = client.new_user(), client.new_user(), client.new_user()
    chat = create_group(client, alice, bob, carol, name="collapse")["id"]
    wait_listed(client, bob, lambda xs: len(of_kind(xs, "member_added")) == 1, what="member_added")
    m1 = send(client, alice, chat, "one")
    first = wait_listed(client, bob, lambda xs: len(of_kind(xs, "message")) == 1, what="a message notification")
    (n1,) = of_kind(first, "message")
    assert_unread_message(n1, chat, alice, m1, count=1)

    m2 = send(client, alice, chat, "two")
    for who in (bob, carol):
        wait_listed(client, who, lambda xs: [n["count"] for n in of_kind(xs, "message")] == [2], what="count 2")
    long_body = "ü" * 100  # 200 bytes: the preview is its first 140 bytes, cut between characters
    m3 = send(client, carol, chat, long_body)
    wait_listed(client, bob, lambda xs: [n["count"] for n in of_kind(xs, "message")] == [3], what="count 3")
    time.sleep(SETTLE_S)
    items = listed(client, bob)
    (n,) = of_kind(items, "message")
    assert n["id"] == n1["id"] and n["count"] == 3, n
    assert n["actor_id"] == carol.user_id and n["message_id"] == m3["id"] and n["seq"] == 3, n
    assert n["preview"] == "ü" * 70, n["preview"]
    assert n["created_at"] == n1["created_at"] and ts(n["updated_at"]) >= ts(n1["updated_at"]), (n1, n)
    assert n["read"] is False
    # newest first: the message notification was updated after the member_added one
    assert [x["kind"] for x in items] == ["message", "member_added"], items
    assert unread(client, bob) == 2
    # carol was notified of alice's two messages; sending read the chat up to her own message,
    # and with it that notification
    (c,) = of_kind(wait_listed(client, carol, lambda xs: all(n["read"] for n in of_kind(xs, "message")),
                               what="read by sending"), "message")
    assert c["actor_id"] == alice.user_id and c["message_id"] == m2["id"] and c["count"] == 2, c
    assert unread(client, carol) == 1  # member_added

    # reading the chat reads its notifications; the next message starts a new one
    read_chat(client, bob, chat, 3)
    items = wait_listed(client, bob, lambda xs: all(n["read"] for n in of_kind(xs, "message")), what="read")
    assert of_kind(items, "message")[0]["id"] == n1["id"]
    assert unread(client, bob) == 1  # member_added is not about a message: still unread
    m4 = send(client, alice, chat, "four")
    items = wait_listed(client, bob, lambda xs: len(of_kind(xs, "message")) == 2, what="a second one")
    new, old = of_kind(items, "message")
    assert new["id"] != n1["id"] and old["id"] == n1["id"] and old["read"] is True, items
    assert_unread_message(new, chat, alice, m4, count=1)
    assert unread(client, bob) == 2


def test_mention_notifies_at_once(client: Client, server):
    alice, bob, carol = client.new_user(), client.new_user(), client.new_user()
    chat = create_group(client, alice, bob, carol, name="mentions")["id"]
    with connect(server, bob) as ws:  # bob is online: a plain message would wait READ_DELAY_S
        wait_listed(client, bob, lambda xs: len(xs) == 1, what="member_added")
        start = ws.mark()
        t0 = time.monotonic()
        m = send(client, alice, chat, f"@{bob.username} look at this", mentions=[bob.user_id])
        frame = ws.wait_for(lambda f: f.get("type") == "notification" and f["data"]["kind"] == "mention",
                            timeout=10, start=start, what="mention notification")
        assert time.monotonic() - t0 < READ_DELAY_S, "a mention must not wait for the read delay"
        items = listed(client, bob)
        (n,) = of_kind(items, "mention")
        assert frame["data"] == n, (frame, n)
        assert n["chat_id"] == chat and n["actor_id"] == alice.user_id and n["message_id"] == m["id"], n
        assert n["seq"] == 1 and n["count"] == 1 and n["preview"] == m["body"] and n["read"] is False, n
        # after the delay: no second, "message" notification of the same message for bob ...
        time.sleep(READ_DELAY_S + SETTLE_S)
        items = listed(client, bob)
        assert [x["kind"] for x in items] == ["mention", "member_added"], items
        assert [f["kind"] for f in notification_frames(ws) if f["kind"] != "member_added"] == ["mention"]
    # ... while carol, offline and not mentioned, got a plain one
    (c,) = of_kind(listed(client, carol), "message", "mention")
    assert c["kind"] == "message" and c["message_id"] == m["id"], c
    assert of_kind(listed(client, alice), "message", "mention") == []


def test_membership_changes_notify_the_affected_user(client: Client, server):
    owner, bob, carol, dave = (client.new_user() for _ in range(4))
    with connect(server, carol) as ws:
        group = create_group(client, owner, bob, dave, name="members")["id"]
        for who in (bob, dave):
            (n,) = wait_listed(client, who, lambda xs: len(xs) == 1, what="member_added")
            assert n["kind"] == "member_added" and n["chat_id"] == group and n["actor_id"] == owner.user_id, n
            assert n["message_id"] is None and n["seq"] is None and n["count"] == 1 and n["preview"] == "", n
            assert n["read"] is False and n["read_at"] is None, n

        r = client.post(f"{CHATS}/{group}/members", token=owner.access, json={"user_id": carol.user_id})
        assert r.status_code == 200, describe(r)
        added = ws.wait_type("notification", kind="member_added", chat_id=group)["data"]
        r = client.delete(f"{CHATS}/{group}/members/{carol.user_id}", token=owner.access)
        assert r.status_code == 204, describe(r)
        removed = ws.wait_type("notification", kind="member_removed", chat_id=group)["data"]
        assert added["actor_id"] == removed["actor_id"] == owner.user_id, (added, removed)
        assert added["id"] != removed["id"]
        items = listed(client, carol)
        assert items == [removed, added], items  # newest first, the same objects as the frames

    r = client.post(f"{CHATS}/{group}/owner", token=owner.access, json={"user_id": bob.user_id})
    assert r.status_code == 200, describe(r)
    items = wait_listed(client, bob, lambda xs: len(xs) == 2, what="owner_changed")
    assert [n["kind"] for n in items] == ["owner_changed", "member_added"], items
    assert items[0]["chat_id"] == group and items[0]["actor_id"] == owner.user_id, items
    # what changes nobody's membership, and leaving, notify nobody
    r = client.patch(f"{CHATS}/{group}/members/{dave.user_id}", token=bob.access, json={"role": "admin"})
    assert r.status_code == 200, describe(r)
    r = client.delete(f"{CHATS}/{group}/members/{owner.user_id}", token=owner.access)
    assert r.status_code == 204, describe(r)
    time.sleep(SETTLE_S)
    assert [n["kind"] for n in listed(client, bob)] == ["owner_changed", "member_added"]
    assert [n["kind"] for n in listed(client, dave)] == ["member_added"]
    assert [n["kind"] for n in listed(client, carol)] == ["member_removed", "member_added"]
    # the one who made the changes is told of none of them
    assert listed(client, owner) == [] and unread(client, owner) == 0


# --------------------------------------------------------------------------- online members

def test_online_member_who_reads_within_the_delay_is_not_notified(client: Client, server):
    alice, bob = client.new_user(), client.new_user()
    chat = open_direct(client, alice, bob)["id"]
    with connect(server, bob) as ws:
        m = send(client, alice, chat, "quick question")
        ws.wait_type("message.new", id=m["id"])
        read_chat(client, bob, chat, m["seq"])
        time.sleep(READ_DELAY_S + SETTLE_S)
        ws.barrier()
        assert notification_frames(ws) == []
    assert listed(client, bob) == [] and unread(client, bob) == 0


def test_online_member_who_does_not_read_is_notified_after_the_delay(client: Client, server):
    alice, bob = client.new_user(), client.new_user()
    chat = open_direct(client, alice, bob)["id"]
    with connect(server, bob) as ws, connect(server, alice) as sender:
        t0 = time.monotonic()
        m1 = send(client, alice, chat, "are you there?")
        time.sleep(READ_DELAY_S / 2)
        assert listed(client, bob) == [], "an online member is not notified before the delay"
        frame = ws.wait_type("notification", timeout=READ_DELAY_S + 10, kind="message")
        assert time.monotonic() - t0 >= READ_DELAY_S - 0.1
        (n,) = listed(client, bob)
        assert frame["data"] == n, (frame, n)
        assert_unread_message(n, chat, alice, m1, count=1)

        # the same notification is sent again, with the new count, when it grows
        m2 = send(client, alice, chat, "hello?")
        again = ws.wait_for(lambda f: f.get("type") == "notification" and f["data"]["count"] == 2,
                            timeout=READ_DELAY_S + 10, what="count 2")["data"]
        assert again["id"] == n["id"] and again["message_id"] == m2["id"] and again["seq"] == 2, again
        assert listed(client, bob) == [again]
        assert len(notification_frames(ws)) == 2
        # marking read sends no frame
        assert mark(client, bob, n["id"]).status_code == 204
        ws.barrier()
        assert len(notification_frames(ws)) == 2
        # the frames went to the notified user only
        sender.barrier()
        assert notification_frames(sender) == []


def test_sender_is_never_notified_of_their_own_messages(client: Client, server):
    alice, bob = client.new_user(), client.new_user()
    chat = open_direct(client, alice, bob)["id"]
    with connect(server, alice) as ws:  # online and never reading: would be notified after the delay
        send(client, alice, chat, "note to self", mentions=[alice.user_id])
        # (bob's notification of it first: a check that runs later counts every unread message)
        wait_listed(client, bob, lambda xs: len(xs) == 1, what="the message")
        last = send(client, alice, chat, f"and @{bob.username}", mentions=[alice.user_id, bob.user_id])
        time.sleep(READ_DELAY_S + SETTLE_S)
        ws.barrier()
        assert notification_frames(ws) == []
    assert listed(client, alice) == [] and unread(client, alice) == 0
    # bob, offline, was notified of both: of the first as a message, of the second as a mention
    items = wait_listed(client, bob, lambda xs: len(xs) == 2, what="two")
    assert sorted(n["kind"] for n in items) == ["mention", "message"], items
    assert of_kind(items, "mention")[0]["message_id"] == last["id"]
    assert of_kind(items, "message")[0]["seq"] == 1 and of_kind(items, "message")[0]["count"] == 1


def test_pending_checks_survive_a_restart(parley, smtp_sink):
    srv = parley(PARLEY_NOTIFY_DELAY_S="2")
    client = Client(srv, smtp_sink)
    alice, bob = client.new_user(), client.new_user()
    chat = open_direct(client, alice, bob)["id"]
    with connect(srv, bob):
        m = send(client, alice, chat, "before the restart")
        time.sleep(0.3)  # the message is handled; its check is due in 2 s
        assert listed(client, bob) == [], "still pending"
    srv.stop_and_check()
    srv2 = parley(data_dir=srv.data_dir)
    client2 = Client(srv2, smtp_sink)
    bob.client = client2
    bob.login()
    (n,) = wait_listed(client2, bob, lambda xs: len(xs) == 1, what="the restored check")
    assert_unread_message(n, chat, alice, m, count=1)
    client.http.close()
    client2.http.close()


# --------------------------------------------------------------------------- marking read

def test_mark_read_refuses_other_users_and_unknown_ids_alike(client: Client, spec):
    alice, bob, mallory = client.new_user(), client.new_user(), client.new_user()
    chat = open_direct(client, alice, bob)["id"]
    send(client, alice, chat, "private")
    (n,) = wait_listed(client, bob, lambda xs: len(xs) == 1)

    theirs = mark(client, mallory, n["id"])
    spec_check(spec, "POST", f"{NOTIFICATIONS}/{{notification_id}}/read", theirs)
    err = assert_error(theirs, 404, "notification_not_found")
    for unknown in (str(int(n["id"]) + 1), "1", "999999999999999999999", "abc", "%20"):
        r = mark(client, bob, unknown)
        assert assert_error(r, 404, "notification_not_found") == err, "another user's id answers like an unknown one"
    assert_error(mark(client, alice, n["id"]), 404, "notification_not_found")  # the sender neither
    assert listed(client, bob) == [n] and unread(client, bob) == 1
    assert_error(client.post(f"{NOTIFICATIONS}/{n['id']}/read"), 401)
    assert mark(client, bob, n["id"]).status_code == 204
    assert unread(client, bob) == 0


def test_mark_all_read(client: Client, spec):
    alice, bob, carol = client.new_user(), client.new_user(), client.new_user()
    for i in range(3):
        create_group(client, alice, bob, carol, name=f"g{i}")
    chat = open_direct(client, alice, bob)["id"]
    send(client, alice, chat, "ping")
    before = wait_listed(client, bob, lambda xs: len(xs) == 4, what="four")
    wait_listed(client, carol, lambda xs: len(xs) == 3, what="three")
    assert mark(client, bob, before[1]["id"]).status_code == 204  # one is read already
    read_at = listed(client, bob)[1]["read_at"]
    assert read_at is not None
    time.sleep(0.01)

    r = client.post(f"{NOTIFICATIONS}/read_all", token=bob.access)
    spec_check(spec, "POST", f"{NOTIFICATIONS}/read_all", r)
    assert r.status_code == 200 and r.json() == {"marked": 3}, describe(r)
    after = listed(client, bob)
    assert [n["id"] for n in after] == [n["id"] for n in before]
    assert all(n["read"] is True and n["read_at"] is not None for n in after), after
    assert after[1]["read_at"] == read_at, "marking all keeps when the others were read"
    assert unread(client, bob) == 0
    r = client.post(f"{NOTIFICATIONS}/read_all", token=bob.access)
    assert r.status_code == 200 and r.json() == {"marked": 0}, describe(r)
    # nobody else's
    assert unread(client, carol) == 3 and not any(n["read"] for n in listed(client, carol))
    assert_error(client.post(f"{NOTIFICATIONS}/read_all"), 401)


# --------------------------------------------------------------------------- listing

def test_list_pages_newest_first(client: Client):
    alice, bob = client.new_user(), client.new_user()
    g0 = create_group(client, alice, bob, name="g0")["id"]
    wait_listed(client, bob, lambda xs: len(xs) == 1)
    direct = open_direct(client, alice, bob)["id"]
    send(client, alice, direct, "first")
    wait_listed(client, bob, lambda xs: len(xs) == 2)
    groups = []
    for i in (1, 2, 3):
        groups.append(create_group(client, alice, bob, name=f"g{i}")["id"])
        wait_listed(client, bob, lambda xs, n=i: len(xs) == 2 + n)
    time.sleep(0.01)
    send(client, alice, direct, "second")  # updates the message notification: it moves to the front
    wait_listed(client, bob, lambda xs: xs[0]["count"] == 2, what="bumped")
    expected = [direct, groups[2], groups[1], groups[0], g0]

    items = listed(client, bob)
    assert [n["chat_id"] for n in items] == expected, items
    keys = [(ts(n["updated_at"]), n["id"]) for n in items]
    assert keys == sorted(keys, reverse=True)

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        p = page(client, bob, **params)
        pages += 1
        assert p["unread_count"] == 5 and len(p["items"]) <= 2, p
        seen += p["items"]
        cursor = p["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor and len(p["items"]) == 2, p
        assert pages < 10
    assert pages == 3 and seen == items
    whole = page(client, bob, limit=5)
    assert whole["items"] == items and whole["next_cursor"] is None
    assert page(client, bob)["items"] == items  # default limit 20
    first = page(client, bob, limit=4)
    assert first["items"] == items[:4] and first["next_cursor"]
    rest = page(client, bob, limit=4, cursor=first["next_cursor"])
    assert rest["items"] == items[4:] and rest["next_cursor"] is None
    assert page(client, bob, limit=100, cursor="")["items"] == items  # an empty cursor is the first page


@pytest.mark.parametrize("params, code", [
    ({"limit": "0"}, "invalid_query"),
    ({"limit": "101"}, "invalid_query"),
    ({"limit": "-1"}, "invalid_query"),
    ({"limit": "abc"}, "invalid_query"),
    ({"limit": "1.5"}, "invalid_query"),
    ({"limit": ""}, "invalid_query"),
    ({"limit": "99999999999999999999"}, "invalid_query"),
    ({"cursor": "!!!"}, "invalid_cursor"),
    ({"cursor": "bm9wZQ"}, "invalid_cursor"),  # "nope": no separator
    ({"cursor": base64.urlsafe_b64encode(b"12:").decode().rstrip("=")}, "invalid_cursor"),
    ({"cursor": base64.urlsafe_b64encode(b"x:1").decode().rstrip("=")}, "invalid_cursor"),
], ids=lambda v: str(v))
def test_list_rejects_bad_paging_params(client: Client, spec, lurker, params, code):
    r = client.get(NOTIFICATIONS, token=lurker.access, params=params)
    spec_check(spec, "GET", NOTIFICATIONS, r)
    assert_error(r, 400, code)


def test_routes_need_a_token(client: Client):
    for method, path in (("GET", NOTIFICATIONS), ("GET", f"{NOTIFICATIONS}/unread_count"),
                         ("POST", f"{NOTIFICATIONS}/1/read"), ("POST", f"{NOTIFICATIONS}/read_all")):
        assert_error(client.request(method, path), 401)
        assert_error(client.request(method, path, token="not.a.token"), 401)


# --------------------------------------------------------------------------- e-mail digest

def test_email_digest_mails_offline_users_once(parley, smtp_sink):
    srv = parley(PARLEY_NOTIFY_EMAIL_DIGEST="true", PARLEY_NOTIFY_DIGEST_AFTER_S="2")
    client = Client(srv, smtp_sink)
    alice, bob, carol = client.new_user(), client.new_user(), client.new_user()
    mails = {u.email: smtp_sink.count(u.email) for u in (alice, bob, carol)}
    to_bob = open_direct(client, alice, bob)["id"]
    to_carol = open_direct(client, alice, carol)["id"]
    send(client, alice, to_bob, "the report is due")
    last = send(client, alice, to_bob, "tomorrow at nine")
    m = send(client, alice, to_carol, "carol reads this at once")
    read_chat(client, carol, to_carol, m["seq"])  # nothing unread: no digest for carol
    wait_listed(client, bob, lambda xs: len(xs) == 1 and xs[0]["count"] == 2, what="count 2")

    mail = smtp_sink.wait_for_mail(bob.email, since=mails[bob.email], timeout=15)
    assert "unread" in mail.subject.lower() and "1 notification" in mail.subject, mail.subject
    text = mail.text
    assert f"message (2 messages): {last['body']}" in text, text
    assert "the report is due" not in text  # one entry per notification, with the latest preview
    # once per notification: no second mail while it stays unread; none for the others
    time.sleep(4.5)
    assert smtp_sink.count(bob.email) == mails[bob.email] + 1
    assert smtp_sink.count(alice.email) == mails[alice.email]
    assert smtp_sink.count(carol.email) == mails[carol.email]
    (n,) = listed(client, bob)
    assert n["read"] is False  # mailing does not mark read
    client.http.close()


def test_email_digest_mails_a_notification_once_even_when_it_grows(parley, smtp_sink):
    srv = parley(PARLEY_NOTIFY_EMAIL_DIGEST="true", PARLEY_NOTIFY_DIGEST_AFTER_S="1")
    client = Client(srv, smtp_sink)
    alice, bob = client.new_user(), client.new_user()
    since = smtp_sink.count(bob.email)
    chat = open_direct(client, alice, bob)["id"]
    send(client, alice, chat, "first")
    smtp_sink.wait_for_mail(bob.email, since=since, timeout=15)
    send(client, alice, chat, "second")
    wait_listed(client, bob, lambda xs: len(xs) == 1 and xs[0]["count"] == 2, what="count 2")
    smtp_sink.assert_no_mail(bob.email, since=since + 1, wait=3.5)
    client.http.close()


def test_email_digest_is_off_by_default(client: Client, smtp_sink):
    alice, bob = client.new_user(), client.new_user()
    since = smtp_sink.count(bob.email)
    chat = open_direct(client, alice, bob)["id"]
    send(client, alice, chat, "no mail for this")
    wait_listed(client, bob, lambda xs: len(xs) == 1)
    # with the digest on, DIGEST_AFTER_S=1 would have mailed within about two seconds
    smtp_sink.assert_no_mail(bob.email, since=since, wait=DIGEST_AFTER_S + 3)
