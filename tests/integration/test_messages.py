"""Messages API: sending (seq, idempotency), history paging, edit/delete, reactions, read state."""
from __future__ import annotations

import threading
import uuid

import pytest
import requests

from harness import HTTP_TIMEOUT_S, Client, assert_error, bearer, describe
from test_spec_conformance import check as spec_check

yaml = pytest.importorskip("yaml")

CHATS = "/api/v1/chats"
MESSAGE_FIELDS = {"id", "chat_id", "seq", "sender_id", "client_id", "body", "attachments", "reply_to",
                  "mentions", "created_at", "edited_at", "deleted"}


# --------------------------------------------------------------------------- helpers

def cid() -> str:
    return uuid.uuid4().hex


def open_direct(client: Client, a, b) -> dict:
    r = client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id})
    assert r.status_code in (200, 201), describe(r)
    return r.json()


def create_group(client: Client, owner, *members, name: str = "Group") -> dict:
    r = client.post(f"{CHATS}/groups", token=owner.access,
                    json={"name": name, "member_ids": [m.user_id for m in members]})
    assert r.status_code == 201, describe(r)
    return r.json()


def send_raw(client: Client, acct, chat_id: str, body: str = "hello", client_id: str | None = None, **extra):
    payload = {"client_id": cid() if client_id is None else client_id, "body": body, **extra}
    return client.post(f"{CHATS}/{chat_id}/messages", token=acct.access, json=payload)


def send(client: Client, acct, chat_id: str, body: str = "hello", **kw) -> dict:
    r = send_raw(client, acct, chat_id, body, **kw)
    assert r.status_code == 201, describe(r)
    m = r.json()
    assert set(m) >= MESSAGE_FIELDS, m
    return m


def history(client: Client, acct, chat_id: str, **params) -> list[dict]:
    r = client.get(f"{CHATS}/{chat_id}/messages", token=acct.access, params=params)
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def chat_item(client: Client, acct, chat_id: str) -> dict:
    r = client.get(CHATS, token=acct.access, params={"limit": 100})
    assert r.status_code == 200, describe(r)
    items = [c for c in r.json()["items"] if c["id"] == chat_id]
    assert len(items) == 1, f"chat {chat_id} listed {len(items)} times: {r.text[:500]}"
    return items[0]


@pytest.fixture(scope="module")
def users(client: Client):
    """alice and bob talk; carol is an outsider; dave joins groups."""
    return {n: client.new_user() for n in ("alice", "bob", "carol", "dave")}


# --------------------------------------------------------------------------- conversation

def test_two_users_converse(client: Client):
    alice, bob = client.new_user(), client.new_user()
    r1 = client.post(f"{CHATS}/direct", token=alice.access, json={"user_id": bob.user_id})
    assert r1.status_code == 201, describe(r1)
    r2 = client.post(f"{CHATS}/direct", token=bob.access, json={"user_id": alice.user_id})
    assert r2.status_code == 200, describe(r2)
    chat_id = r1.json()["id"]
    assert r2.json()["id"] == chat_id

    m1 = send(client, alice, chat_id, "hi bob")
    m2 = send(client, alice, chat_id, "are you there?")
    assert (m1["seq"], m2["seq"]) == (1, 2)
    assert m1["sender_id"] == alice.user_id and m1["chat_id"] == chat_id and m1["body"] == "hi bob"
    assert m1["deleted"] is False and m1["edited_at"] is None and m1["reply_to"] is None

    seen = history(client, bob, chat_id)
    assert [(m["id"], m["seq"], m["body"]) for m in seen] == [(m1["id"], 1, "hi bob"), (m2["id"], 2, "are you there?")]
    assert all(m["reactions"] == [] for m in seen)

    item = chat_item(client, bob, chat_id)
    assert item["unread_count"] == 2 and item["read_seq"] == 0, item
    assert sorted(item["member_ids"]) == sorted([alice.user_id, bob.user_id])
    # the sender has read what they sent
    mine = chat_item(client, alice, chat_id)
    assert mine["unread_count"] == 0 and mine["read_seq"] == 2, mine

    r = client.post(f"{CHATS}/{chat_id}/read", token=bob.access, json={"seq": 2})
    assert r.status_code == 200, describe(r)
    assert r.json() == {"read_seq": 2, "delivered_seq": 2}
    item = chat_item(client, bob, chat_id)
    assert item["unread_count"] == 0 and item["read_seq"] == 2, item

    reply = send(client, bob, chat_id, "yes!", reply_to=m2["id"])
    assert reply["seq"] == 3 and reply["reply_to"] == m2["id"]
    item = chat_item(client, alice, chat_id)
    assert item["unread_count"] == 1, item


def test_chat_list_shows_last_message(client: Client, users):
    """GET /api/v1/chats: last_message is the newest message and last_seq its seq."""
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    empty = chat_item(client, bob, chat["id"])
    assert empty["last_message"] is None and empty["last_seq"] == 0 and empty["unread_count"] == 0, empty
    send(client, alice, chat["id"], "first")
    send(client, alice, chat["id"], "second")
    last = send(client, bob, chat["id"], "third")
    item = chat_item(client, alice, chat["id"])
    assert item["last_seq"] == 3, f"last_seq {item['last_seq']}, last_message {item['last_message']}"
    assert item["last_message"]["id"] == last["id"] and item["last_message"]["body"] == "third", item


def test_read_and_delivered_cursors(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    for i in range(5):
        send(client, alice, chat["id"], f"m{i}")
    url = f"{CHATS}/{chat['id']}"
    r = client.post(f"{url}/delivered", token=bob.access, json={"seq": 4})
    assert r.status_code == 200 and r.json() == {"read_seq": 0, "delivered_seq": 4}, describe(r)
    r = client.post(f"{url}/read", token=bob.access, json={"seq": 2})
    assert r.status_code == 200 and r.json() == {"read_seq": 2, "delivered_seq": 4}, describe(r)
    assert chat_item(client, bob, chat["id"])["unread_count"] == 3
    # cursors never move back
    r = client.post(f"{url}/read", token=bob.access, json={"seq": 1})
    assert r.status_code == 200 and r.json() == {"read_seq": 2, "delivered_seq": 4}, describe(r)
    r = client.post(f"{url}/delivered", token=bob.access, json={"seq": 0})
    assert r.status_code == 200 and r.json() == {"read_seq": 2, "delivered_seq": 4}, describe(r)
    # beyond the last message
    for path in ("read", "delivered"):
        assert_error(client.post(f"{url}/{path}", token=bob.access, json={"seq": 6}), 422, "invalid_seq")
    assert chat_item(client, bob, chat["id"])["read_seq"] == 2
    # wrong types and shapes
    for body in ({"seq": -1}, {"seq": "3"}, {"seq": 1.5}, {}, {"seq": 1, "extra": 1}):
        assert_error(client.post(f"{url}/read", token=bob.access, json=body), 400,
                     ("invalid_field", "unknown_field"))
    r = client.post(f"{url}/read", token=bob.access, json={"seq": 5})
    assert r.status_code == 200 and r.json() == {"read_seq": 5, "delivered_seq": 5}, describe(r)
    assert chat_item(client, bob, chat["id"])["unread_count"] == 0


def test_read_in_empty_chat(client: Client, users):
    chat = create_group(client, users["alice"], users["bob"])
    r = client.post(f"{CHATS}/{chat['id']}/read", token=users["bob"].access, json={"seq": 0})
    assert r.status_code == 200 and r.json() == {"read_seq": 0, "delivered_seq": 0}, describe(r)
    assert_error(client.post(f"{CHATS}/{chat['id']}/read", token=users["bob"].access, json={"seq": 1}),
                 422, "invalid_seq")


# --------------------------------------------------------------------------- seq

def _sender(server, token: str, chat_id: str, n: int, prefix: str, out: list, errors: list):
    with requests.Session() as s:
        for i in range(n):
            try:
                r = s.post(server.url(f"{CHATS}/{chat_id}/messages"), headers=bearer(token),
                           json={"client_id": f"{prefix}-{i}", "body": f"{prefix} {i}"}, timeout=HTTP_TIMEOUT_S)
            except requests.RequestException as e:  # pragma: no cover - reported below
                errors.append(repr(e))
                continue
            if r.status_code != 201:
                errors.append(describe(r))
            else:
                out.append(r.json())


def test_seq_gapless_under_concurrency(client: Client, server, users):
    a, b, d = users["alice"], users["bob"], users["dave"]
    chat = create_group(client, a, b, d, name="busy")
    per_user = 30
    results: dict[str, list] = {}
    errors: list[str] = []
    threads = []
    for acct in (a, b, d):
        results[acct.user_id] = []
        threads.append(threading.Thread(target=_sender, args=(server, acct.access, chat["id"], per_user,
                                                              acct.username, results[acct.user_id], errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    sent = [m for ms in results.values() for m in ms]
    assert len(sent) == 3 * per_user
    assert sorted(m["seq"] for m in sent) == list(range(1, 3 * per_user + 1)), "seqs are 1..N without gaps"
    assert len({m["id"] for m in sent}) == len(sent)
    for ms in results.values():  # each sender sent sequentially, so its seqs increase
        seqs = [m["seq"] for m in ms]
        assert seqs == sorted(seqs)

    items = history(client, a, chat["id"], limit=100)
    assert [m["seq"] for m in items] == list(range(1, 3 * per_user + 1))
    assert len({m["id"] for m in items}) == len(items)
    by_id = {m["id"]: m for m in sent}
    for m in items:
        assert by_id[m["id"]]["seq"] == m["seq"] and by_id[m["id"]]["body"] == m["body"]


# --------------------------------------------------------------------------- idempotency

def test_client_id_is_idempotent(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    key = cid()
    r1 = send_raw(client, alice, chat["id"], "once", client_id=key)
    assert r1.status_code == 201, describe(r1)
    r2 = send_raw(client, alice, chat["id"], "once", client_id=key)
    assert r2.status_code == 200, describe(r2)
    assert (r2.json()["id"], r2.json()["seq"]) == (r1.json()["id"], r1.json()["seq"])
    # a retry with another body still answers the stored message and stores nothing
    r3 = send_raw(client, alice, chat["id"], "changed", client_id=key)
    assert r3.status_code == 200 and r3.json()["id"] == r1.json()["id"] and r3.json()["body"] == "once", describe(r3)
    assert [m["id"] for m in history(client, bob, chat["id"])] == [r1.json()["id"]]

    # the same client_id from another sender is another message
    r4 = send_raw(client, bob, chat["id"], "bob's", client_id=key)
    assert r4.status_code == 201, describe(r4)
    assert r4.json()["id"] != r1.json()["id"] and r4.json()["seq"] == 2
    # and the same client_id in another chat is another message
    other = create_group(client, alice, bob)
    r5 = send_raw(client, alice, other["id"], "elsewhere", client_id=key)
    assert r5.status_code == 201 and r5.json()["seq"] == 1, describe(r5)
    assert len(history(client, alice, chat["id"])) == 2


def test_client_id_idempotent_concurrently(client: Client, server, users):
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    key = cid()
    barrier = threading.Barrier(5)
    responses: list = [None] * 5

    def go(i: int):
        with requests.Session() as s:
            barrier.wait(10)
            responses[i] = s.post(server.url(f"{CHATS}/{chat['id']}/messages"), headers=bearer(alice.access),
                                  json={"client_id": key, "body": "racy"}, timeout=HTTP_TIMEOUT_S)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 200, 201], [describe(r) for r in responses]
    assert len({(r.json()["id"], r.json()["seq"]) for r in responses}) == 1
    items = history(client, bob, chat["id"])
    assert len(items) == 1 and items[0]["seq"] == 1
    assert send(client, alice, chat["id"], "next")["seq"] == 2, "no seq was burnt by the retries"


# --------------------------------------------------------------------------- membership

def test_non_members_get_chat_not_found(client: Client, users):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    chat = open_direct(client, alice, bob)
    msg = send(client, alice, chat["id"], "private")
    for chat_id, msg_id in ((chat["id"], msg["id"]), ("does-not-exist", msg["id"]), (uuid.uuid4().hex, "x")):
        base = f"{CHATS}/{chat_id}"
        calls = [
            ("GET", base, None),
            ("GET", f"{base}/messages", None),
            ("POST", f"{base}/messages", {"client_id": cid(), "body": "intrude"}),
            ("POST", f"{base}/read", {"seq": 1}),
            ("POST", f"{base}/delivered", {"seq": 1}),
            ("PATCH", f"{base}/messages/{msg_id}", {"body": "hacked"}),
            ("DELETE", f"{base}/messages/{msg_id}", None),
            ("PUT", f"{base}/messages/{msg_id}/reaction", {"emoji": "👍"}),
            ("DELETE", f"{base}/messages/{msg_id}/reaction", None),
        ]
        for method, path, body in calls:
            r = client.request(method, path, token=carol.access, json=body)
            assert_error(r, 404, "chat_not_found")
    # nothing changed
    items = history(client, bob, chat["id"])
    assert [(m["id"], m["body"], m["deleted"], m["reactions"]) for m in items] == [(msg["id"], "private", False, [])]


def test_message_routes_need_auth(client: Client, users):
    chat = open_direct(client, users["alice"], users["bob"])
    for method, path, body in [("GET", f"{CHATS}/{chat['id']}/messages", None),
                               ("POST", f"{CHATS}/{chat['id']}/messages", {"client_id": "a", "body": "b"}),
                               ("POST", f"{CHATS}/{chat['id']}/read", {"seq": 0})]:
        assert_error(client.request(method, path, json=body), 401, "invalid_token")
        assert_error(client.request(method, path, json=body, token="not.a.token"), 401, "invalid_token")


# --------------------------------------------------------------------------- edit / delete

def test_edit_author_only(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = open_direct(client, alice, bob)
    m = send(client, alice, chat["id"], "typo")
    url = f"{CHATS}/{chat['id']}/messages/{m['id']}"
    assert_error(client.patch(url, token=bob.access, json={"body": "bob was here"}), 403, "not_author")
    r = client.patch(url, token=alice.access, json={"body": "fixed"})
    assert r.status_code == 200, describe(r)
    e = r.json()
    assert e["id"] == m["id"] and e["seq"] == m["seq"] and e["body"] == "fixed"
    assert e["edited_at"] is not None and e["created_at"] == m["created_at"]
    [h] = [x for x in history(client, bob, chat["id"]) if x["id"] == m["id"]]
    assert h["body"] == "fixed" and h["edited_at"] == e["edited_at"]
    assert_error(client.patch(url, token=alice.access, json={"body": ""}), 422, "invalid_body")
    assert_error(client.patch(url, token=alice.access, json={"body": "x" * 16385}), 422, "invalid_body")
    assert_error(client.patch(f"{CHATS}/{chat['id']}/messages/nope", token=alice.access, json={"body": "x"}),
                 404, "message_not_found")
    assert history(client, bob, chat["id"])[-1]["body"] == "fixed"


def test_delete_leaves_tombstone(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = open_direct(client, alice, bob)
    m = send(client, alice, chat["id"], "regret", mentions=[bob.user_id])
    after = send(client, bob, chat["id"], "later")
    url = f"{CHATS}/{chat['id']}/messages/{m['id']}"
    client.request("PUT", f"{url}/reaction", token=bob.access, json={"emoji": "👍"})
    # in a 1:1 chat the other member may not delete
    assert_error(client.delete(url, token=bob.access), 403, "not_author")
    r = client.delete(url, token=alice.access)
    assert r.status_code == 200, describe(r)
    t = r.json()
    assert t["id"] == m["id"] and t["seq"] == m["seq"] and t["deleted"] is True and t["body"] == ""
    items = history(client, bob, chat["id"], after=m["seq"] - 1)
    assert [x["seq"] for x in items] == [m["seq"], after["seq"]]
    tomb = items[0]
    assert tomb["deleted"] is True and tomb["body"] == "" and tomb["mentions"] == [] and tomb["reactions"] == []
    # a tombstone cannot be edited or reacted to; deleting again is harmless
    assert_error(client.patch(url, token=alice.access, json={"body": "undo"}), 404, "message_not_found")
    assert_error(client.request("PUT", f"{url}/reaction", token=bob.access, json={"emoji": "👍"}),
                 404, "message_not_found")
    r = client.delete(url, token=alice.access)
    assert r.status_code == 200 and r.json()["deleted"] is True, describe(r)
    # replying to a deleted message is refused
    assert_error(send_raw(client, bob, chat["id"], "re", reply_to=m["id"]), 422, "invalid_reply_to")
    # the seq is not reused
    assert send(client, alice, chat["id"], "again")["seq"] == after["seq"] + 1


def test_group_admin_deletes_others_messages(client: Client, users):
    alice, bob, dave = users["alice"], users["bob"], users["dave"]
    chat = create_group(client, alice, bob, dave)   # alice owner
    url = f"{CHATS}/{chat['id']}/messages"
    m_bob = send(client, bob, chat["id"], "bob says")
    m_dave = send(client, dave, chat["id"], "dave says")
    # a plain member cannot delete another's message
    assert_error(client.delete(f"{url}/{m_bob['id']}", token=dave.access), 403, "not_author")
    # the owner can
    r = client.delete(f"{url}/{m_bob['id']}", token=alice.access)
    assert r.status_code == 200 and r.json()["deleted"] is True, describe(r)
    # an admin can
    r = client.patch(f"{CHATS}/{chat['id']}/members/{bob.user_id}", token=alice.access, json={"role": "admin"})
    assert r.status_code == 200, describe(r)
    r = client.delete(f"{url}/{m_dave['id']}", token=bob.access)
    assert r.status_code == 200 and r.json()["deleted"] is True, describe(r)
    assert [x["deleted"] for x in history(client, alice, chat["id"])] == [True, True]
    # but nobody else edits
    m = send(client, dave, chat["id"], "mine")
    assert_error(client.patch(f"{url}/{m['id']}", token=alice.access, json={"body": "owner edit"}), 403, "not_author")


def test_unread_count_ignores_tombstones(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    send(client, alice, chat["id"], "one")
    m2 = send(client, alice, chat["id"], "two")
    assert chat_item(client, bob, chat["id"])["unread_count"] == 2
    assert client.delete(f"{CHATS}/{chat['id']}/messages/{m2['id']}", token=alice.access).status_code == 200
    assert chat_item(client, bob, chat["id"])["unread_count"] == 1


# --------------------------------------------------------------------------- reactions

def test_reactions_one_per_user(client: Client, users):
    alice, bob, dave = users["alice"], users["bob"], users["dave"]
    chat = create_group(client, alice, bob, dave)
    m = send(client, alice, chat["id"], "react to me")
    other = send(client, alice, chat["id"], "not me")
    url = f"{CHATS}/{chat['id']}/messages/{m['id']}/reaction"

    def reactions_of(msg_id):
        [h] = [x for x in history(client, alice, chat["id"]) if x["id"] == msg_id]
        return sorted((r["user_id"], r["emoji"]) for r in h["reactions"])

    r = client.request("PUT", url, token=bob.access, json={"emoji": "👍"})
    assert r.status_code == 204 and r.content == b"", describe(r)
    assert reactions_of(m["id"]) == [(bob.user_id, "👍")]
    assert client.request("PUT", url, token=bob.access, json={"emoji": "❤️"}).status_code == 204
    assert client.request("PUT", url, token=dave.access, json={"emoji": "😂"}).status_code == 204
    assert reactions_of(m["id"]) == sorted([(bob.user_id, "❤️"), (dave.user_id, "😂")]), "PUT replaces"
    assert reactions_of(other["id"]) == []

    r = client.delete(url, token=bob.access)
    assert r.status_code == 204 and r.content == b"", describe(r)
    assert reactions_of(m["id"]) == [(dave.user_id, "😂")]
    assert client.delete(url, token=bob.access).status_code == 204, "removing nothing is fine"
    assert reactions_of(m["id"]) == [(dave.user_id, "😂")]

    for emoji in ("", "a b", "x" * 33, "\u0007", "\u007f", "\U0001F44D\u007f"):  # DEL is a control character too
        assert_error(client.request("PUT", url, token=bob.access, json={"emoji": emoji}), 422, "invalid_emoji")
    assert_error(client.request("PUT", url, token=bob.access, json={"emoji": 1}), 400, "invalid_field")
    assert_error(client.request("PUT", f"{CHATS}/{chat['id']}/messages/nope/reaction", token=bob.access,
                                json={"emoji": "👍"}), 404, "message_not_found")
    assert reactions_of(m["id"]) == [(dave.user_id, "😂")]


# --------------------------------------------------------------------------- history paging

@pytest.fixture(scope="module")
def ten(client: Client, users):
    chat = create_group(client, users["alice"], users["bob"], name="ten")
    for i in range(1, 11):
        send(client, users["alice"], chat["id"], f"n{i}")
    return chat


@pytest.mark.parametrize("params,expected", [
    ({}, list(range(1, 11))),
    ({"limit": 3}, [8, 9, 10]),           # neither before nor after: the newest page
    ({"before": 5}, [1, 2, 3, 4]),
    ({"before": 5, "limit": 2}, [3, 4]),
    ({"before": 1}, []),
    ({"before": 0, "limit": 2}, [9, 10]),  # before=0 is unbounded
    ({"after": 5, "limit": 2}, [6, 7]),
    ({"after": 0, "limit": 2}, [1, 2]),
    ({"after": 8}, [9, 10]),
    ({"after": 10}, []),
    ({"after": 2, "before": 6}, [3, 4, 5]),
    ({"after": 2, "before": 9, "limit": 2}, [3, 4]),
    ({"limit": 100}, list(range(1, 11))),
    ({"limit": 1}, [10]),
    ({"before": 11, "limit": 3}, [8, 9, 10]),  # newest page
    ({"before": 10 ** 12, "limit": 2}, [9, 10]),
])
def test_history_paging(client: Client, users, ten, params, expected):
    items = history(client, users["bob"], ten["id"], **params)
    assert [m["seq"] for m in items] == expected, params
    assert [m["body"] for m in items] == [f"n{s}" for s in expected]


def test_history_walk_forwards(client: Client, users, ten):
    seen, after = [], 0
    for _ in range(10):
        page = history(client, users["bob"], ten["id"], after=after, limit=4)
        if not page:
            break
        seen += [m["seq"] for m in page]
        after = page[-1]["seq"]
    assert seen == list(range(1, 11))


def test_history_walk_backwards(client: Client, users, ten):
    seen, before = [], 10 ** 12
    for _ in range(10):
        page = history(client, users["bob"], ten["id"], before=before, limit=3)
        if not page:
            break
        seen = [m["seq"] for m in page] + seen
        before = page[0]["seq"]
    assert seen == list(range(1, 11))


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": -1}, {"limit": "abc"},
                                    {"limit": ""}, {"before": "x"}, {"before": -1}, {"after": "1.5"},
                                    {"after": -3}, {"limit": "99999999999999999999"}])
def test_history_invalid_query(client: Client, users, ten, params):
    r = client.get(f"{CHATS}/{ten['id']}/messages", token=users["bob"].access, params=params)
    assert_error(r, 400, "invalid_query")


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("client_id", ["", "x" * 65, "has space", "tab\tid", "ünï", "\u007f"])
def test_invalid_client_id(client: Client, users, client_id):
    chat = open_direct(client, users["alice"], users["bob"])
    before = len(history(client, users["alice"], chat["id"], limit=100))
    assert_error(send_raw(client, users["alice"], chat["id"], "x", client_id=client_id), 400, "invalid_client_id")
    assert len(history(client, users["alice"], chat["id"], limit=100)) == before


def test_body_limits(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    assert_error(send_raw(client, alice, chat["id"], ""), 422, "invalid_body")
    assert_error(send_raw(client, alice, chat["id"], "x" * 16385), 422, "invalid_body")
    assert_error(send_raw(client, alice, chat["id"], "é" * 8192 + "x"), 422, "invalid_body")  # 16385 bytes
    assert history(client, alice, chat["id"]) == []
    m = send(client, alice, chat["id"], "x" * 16384)
    assert m["seq"] == 1 and len(m["body"]) == 16384
    m = send(client, alice, chat["id"], "é" * 8192)  # 8192 characters, 16384 bytes
    assert m["body"] == "é" * 8192
    ok = send(client, alice, chat["id"], "y", client_id="x" * 64)
    assert ok["client_id"] == "x" * 64
    assert_error(send_raw(client, alice, chat["id"], 5), 400, "invalid_field")
    assert_error(client.post(f"{CHATS}/{chat['id']}/messages", token=alice.access, json={"body": "no id"}),
                 400, "invalid_field")
    assert_error(client.post(f"{CHATS}/{chat['id']}/messages", token=alice.access,
                             json={"client_id": cid(), "body": "x", "attachments": "none"}), 400, "invalid_field")
    assert_error(client.post(f"{CHATS}/{chat['id']}/messages", token=alice.access,
                             json={"client_id": cid(), "body": "x", "extra": 1}), 400, "unknown_field")
    assert [m["seq"] for m in history(client, alice, chat["id"])] == [1, 2, 3]


def test_reply_to_must_be_in_the_same_chat(client: Client, users):
    alice, bob = users["alice"], users["bob"]
    chat = create_group(client, alice, bob)
    elsewhere = create_group(client, alice, bob)
    foreign = send(client, alice, elsewhere["id"], "elsewhere")
    local = send(client, alice, chat["id"], "here")
    assert_error(send_raw(client, bob, chat["id"], "re", reply_to=foreign["id"]), 422, "invalid_reply_to")
    assert_error(send_raw(client, bob, chat["id"], "re", reply_to="no-such-message"), 422, "invalid_reply_to")
    r = send(client, bob, chat["id"], "re", reply_to=local["id"])
    assert r["reply_to"] == local["id"] and r["seq"] == 2


def test_mentions_must_be_members(client: Client, users):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    chat = create_group(client, alice, bob)
    assert_error(send_raw(client, alice, chat["id"], "hey", mentions=[carol.user_id]), 422, "invalid_mentions")
    assert_error(send_raw(client, alice, chat["id"], "hey", mentions=[bob.user_id, "nobody"]), 422, "invalid_mentions")
    assert_error(send_raw(client, alice, chat["id"], "hey", mentions=[bob.user_id] * 51), 400, "invalid_field")
    assert history(client, alice, chat["id"]) == []
    m = send(client, alice, chat["id"], "hey", mentions=[bob.user_id, bob.user_id, alice.user_id])
    assert m["mentions"] == sorted({bob.user_id, alice.user_id})
    assert history(client, bob, chat["id"])[0]["mentions"] == m["mentions"]


# --------------------------------------------------------------------------- spec conformance

@pytest.fixture(scope="module")
def spec() -> dict:
    from harness import REPO_ROOT
    with open(REPO_ROOT / "docs" / "openapi.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_message_responses_match_spec(spec, client: Client, users):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    chat = create_group(client, alice, bob)
    C = "/api/v1/chats/{chat_id}"
    M = C + "/messages/{message_id}"
    base = f"{CHATS}/{chat['id']}"
    key = cid()
    r = send_raw(client, alice, chat["id"], "spec", client_id=key, mentions=[bob.user_id])
    spec_check(spec, "POST", C + "/messages", r)
    msg = r.json()
    spec_check(spec, "POST", C + "/messages", send_raw(client, alice, chat["id"], "spec", client_id=key))  # 200
    spec_check(spec, "POST", C + "/messages", send_raw(client, alice, chat["id"], "x", client_id=""))  # 400
    spec_check(spec, "POST", C + "/messages", send_raw(client, alice, chat["id"], ""))  # 422
    spec_check(spec, "POST", C + "/messages", send_raw(client, carol, chat["id"], "x"))  # 404
    spec_check(spec, "POST", C + "/messages", client.post(f"{base}/messages", json={}))  # 401
    spec_check(spec, "PUT", M + "/reaction",
               client.request("PUT", f"{base}/messages/{msg['id']}/reaction", token=bob.access, json={"emoji": "👍"}))
    spec_check(spec, "PUT", M + "/reaction",
               client.request("PUT", f"{base}/messages/{msg['id']}/reaction", token=bob.access, json={"emoji": ""}))
    spec_check(spec, "GET", C + "/messages", client.get(f"{base}/messages", token=bob.access))
    spec_check(spec, "GET", C + "/messages", client.get(f"{base}/messages", token=bob.access, params={"limit": 0}))
    spec_check(spec, "GET", C + "/messages", client.get(f"{base}/messages", token=carol.access))
    spec_check(spec, "PATCH", M, client.patch(f"{base}/messages/{msg['id']}", token=alice.access, json={"body": "e"}))
    spec_check(spec, "PATCH", M, client.patch(f"{base}/messages/{msg['id']}", token=bob.access, json={"body": "e"}))
    spec_check(spec, "PATCH", M, client.patch(f"{base}/messages/{msg['id']}", token=alice.access, json={"body": ""}))
    spec_check(spec, "PATCH", M, client.patch(f"{base}/messages/{msg['id']}", token=alice.access, json={"b": ""}))
    spec_check(spec, "POST", C + "/read", client.post(f"{base}/read", token=bob.access, json={"seq": 1}))
    spec_check(spec, "POST", C + "/read", client.post(f"{base}/read", token=bob.access, json={"seq": 9}))
    spec_check(spec, "POST", C + "/read", client.post(f"{base}/read", token=bob.access, json={"seq": "1"}))
    spec_check(spec, "POST", C + "/delivered", client.post(f"{base}/delivered", token=bob.access, json={"seq": 1}))
    spec_check(spec, "POST", C + "/delivered", client.post(f"{base}/delivered", token=carol.access, json={"seq": 1}))
    spec_check(spec, "DELETE", M + "/reaction", client.delete(f"{base}/messages/{msg['id']}/reaction", token=bob.access))
    spec_check(spec, "DELETE", M + "/reaction", client.delete(f"{base}/messages/nope/reaction", token=bob.access))
    spec_check(spec, "DELETE", M, client.delete(f"{base}/messages/{msg['id']}", token=bob.access))  # 403
    spec_check(spec, "DELETE", M, client.delete(f"{base}/messages/{msg['id']}", token=alice.access))
    spec_check(spec, "DELETE", M, client.delete(f"{base}/messages/nope", token=alice.access))  # 404
