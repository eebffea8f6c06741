"""Chats API: 1:1 chats, groups, members and roles, the chat list."""
from __future__ import annotations

import time
import uuid

import pytest

from harness import REPO_ROOT, Client, assert_error, describe
from test_spec_conformance import check as spec_check

yaml = pytest.importorskip("yaml")

CHATS = "/api/v1/chats"
VIEW_FIELDS = {"id", "kind", "name", "avatar_url", "created_by", "created_at", "updated_at", "last_activity_at",
               "members"}


# --------------------------------------------------------------------------- helpers

def create_group(client: Client, owner, *members, name: str = "Group", expect: int = 201):
    r = client.post(f"{CHATS}/groups", token=owner.access,
                    json={"name": name, "member_ids": [m.user_id for m in members]})
    assert r.status_code == expect, describe(r)
    return r.json()


def roles(view: dict) -> dict[str, str]:
    return {m["user_id"]: m["role"] for m in view["members"]}


def get_chat(client: Client, acct, chat_id: str) -> dict:
    r = client.get(f"{CHATS}/{chat_id}", token=acct.access)
    assert r.status_code == 200, describe(r)
    return r.json()


def send(client: Client, acct, chat_id: str, body: str = "hi") -> dict:
    r = client.post(f"{CHATS}/{chat_id}/messages", token=acct.access,
                    json={"client_id": uuid.uuid4().hex, "body": body})
    assert r.status_code == 201, describe(r)
    return r.json()


def member_url(chat_id: str, user_id: str) -> str:
    return f"{CHATS}/{chat_id}/members/{user_id}"


@pytest.fixture(scope="module")
def users(client: Client):
    return {n: client.new_user() for n in ("owner", "admin", "member", "other", "outsider")}


@pytest.fixture
def group(client: Client, users):
    """A fresh group: owner, admin (promoted), member; `other` and `outsider` are not in it."""
    g = create_group(client, users["owner"], users["admin"], users["member"], name="Team")
    r = client.patch(member_url(g["id"], users["admin"].user_id), token=users["owner"].access, json={"role": "admin"})
    assert r.status_code == 200, describe(r)
    return r.json()


# --------------------------------------------------------------------------- 1:1 chats

def test_open_direct_is_idempotent_per_pair(client: Client):
    a, b = client.new_user(), client.new_user()
    r = client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id})
    assert r.status_code == 201, describe(r)
    chat = r.json()
    assert set(chat) >= VIEW_FIELDS
    assert chat["kind"] == "direct" and chat["name"] == "" and chat["created_by"] == a.user_id
    assert roles(chat) == {a.user_id: "member", b.user_id: "member"}
    for who, other in ((a, b), (b, a), (a, b)):
        r = client.post(f"{CHATS}/direct", token=who.access, json={"user_id": other.user_id})
        assert r.status_code == 200, describe(r)
        assert r.json()["id"] == chat["id"] and len(r.json()["members"]) == 2
    # a third user gets another chat with b
    c = client.new_user()
    r = client.post(f"{CHATS}/direct", token=c.access, json={"user_id": b.user_id})
    assert r.status_code == 201 and r.json()["id"] != chat["id"], describe(r)


def test_open_direct_reverse_order_first(client: Client):
    a, b = client.new_user(), client.new_user()
    r1 = client.post(f"{CHATS}/direct", token=b.access, json={"user_id": a.user_id})
    r2 = client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id})
    assert (r1.status_code, r2.status_code) == (201, 200), (describe(r1), describe(r2))
    assert r1.json()["id"] == r2.json()["id"]


def test_open_direct_errors(client: Client, users):
    me = users["other"]
    assert_error(client.post(f"{CHATS}/direct", token=me.access, json={"user_id": me.user_id}), 422, "invalid_member")
    assert_error(client.post(f"{CHATS}/direct", token=me.access, json={"user_id": "no-such-user"}),
                 404, "user_not_found")
    assert_error(client.post(f"{CHATS}/direct", token=me.access, json={}), 400, "invalid_field")
    assert_error(client.post(f"{CHATS}/direct", token=me.access, json={"user_id": 5}), 400, "invalid_field")
    assert_error(client.post(f"{CHATS}/direct", token=me.access, json={"user_id": "x", "name": "y"}),
                 400, "unknown_field")
    assert_error(client.post(f"{CHATS}/direct", json={"user_id": users["owner"].user_id}), 401, "invalid_token")


def test_direct_chat_has_no_group_operations(client: Client, users):
    a, b = users["owner"], users["other"]
    chat = client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id}).json()
    assert_error(client.patch(f"{CHATS}/{chat['id']}", token=a.access, json={"name": "x"}), 422, "not_a_group")
    assert_error(client.post(f"{CHATS}/{chat['id']}/members", token=a.access,
                             json={"user_id": users["member"].user_id}), 422, "not_a_group")
    assert_error(client.delete(member_url(chat["id"], b.user_id), token=a.access), 422, "not_a_group")
    assert_error(client.delete(member_url(chat["id"], a.user_id), token=a.access), 422, "not_a_group")
    assert roles(get_chat(client, b, chat["id"])) == {a.user_id: "member", b.user_id: "member"}


# --------------------------------------------------------------------------- groups

def test_create_group(client: Client, users):
    o, a, m = users["owner"], users["admin"], users["member"]
    r = client.post(f"{CHATS}/groups", token=o.access,
                    json={"name": "  Book club ", "avatar_url": "https://example.com/g.png",
                          "member_ids": [a.user_id, m.user_id, a.user_id, o.user_id]})
    assert r.status_code == 201, describe(r)
    g = r.json()
    assert g["kind"] == "group" and g["created_by"] == o.user_id
    assert g["name"] == "Book club" and g["avatar_url"] == "https://example.com/g.png"
    assert roles(g) == {o.user_id: "owner", a.user_id: "member", m.user_id: "member"}
    assert get_chat(client, m, g["id"])["id"] == g["id"]
    assert_error(client.get(f"{CHATS}/{g['id']}", token=users["outsider"].access), 404, "chat_not_found")
    # a group of one
    alone = create_group(client, o, name="Notes")
    assert roles(alone) == {o.user_id: "owner"}


@pytest.mark.parametrize("body,status,code", [
    ({"name": ""}, 422, "invalid_name"),
    ({"name": "   "}, 422, "invalid_name"),
    ({"name": "n" * 65}, 422, "invalid_name"),
    ({"name": "ok", "avatar_url": "ftp://x/y.png"}, 422, "invalid_avatar_url"),
    ({"name": "ok", "member_ids": ["no-such-user"]}, 404, "user_not_found"),
    ({"name": "ok", "member_ids": "abc"}, 400, "invalid_field"),
    ({"name": "ok", "member_ids": [1]}, 400, "invalid_field"),
    ({"member_ids": []}, 400, "invalid_field"),
    ({"name": "ok", "topic": "x"}, 400, "unknown_field"),
])
def test_create_group_errors(client: Client, users, body, status, code):
    assert_error(client.post(f"{CHATS}/groups", token=users["owner"].access, json=body), status, code)


def test_rename_by_admin_only(client: Client, users, group):
    gid = group["id"]
    r = client.patch(f"{CHATS}/{gid}", token=users["owner"].access, json={"name": "Renamed"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed", describe(r)
    r = client.patch(f"{CHATS}/{gid}", token=users["admin"].access,
                     json={"avatar_url": "https://example.com/a.png"})
    assert r.status_code == 200, describe(r)
    assert r.json()["name"] == "Renamed" and r.json()["avatar_url"] == "https://example.com/a.png"
    assert_error(client.patch(f"{CHATS}/{gid}", token=users["member"].access, json={"name": "Mine"}),
                 403, "not_allowed")
    assert_error(client.patch(f"{CHATS}/{gid}", token=users["owner"].access, json={"name": ""}), 422, "invalid_name")
    assert_error(client.patch(f"{CHATS}/{gid}", token=users["outsider"].access, json={"name": "x"}),
                 404, "chat_not_found")
    g = get_chat(client, users["member"], gid)
    assert g["name"] == "Renamed" and g["avatar_url"] == "https://example.com/a.png"
    r = client.patch(f"{CHATS}/{gid}", token=users["owner"].access, json={"avatar_url": ""})
    assert r.status_code == 200 and r.json()["avatar_url"] == "" and r.json()["name"] == "Renamed", describe(r)


def test_add_member(client: Client, users, group):
    gid = group["id"]
    r = client.post(f"{CHATS}/{gid}/members", token=users["admin"].access, json={"user_id": users["other"].user_id})
    assert r.status_code == 200, describe(r)
    assert roles(r.json())[users["other"].user_id] == "member" and len(r.json()["members"]) == 4
    assert get_chat(client, users["other"], gid)["id"] == gid, "the new member sees the group"
    assert_error(client.post(f"{CHATS}/{gid}/members", token=users["owner"].access,
                             json={"user_id": users["other"].user_id}), 409, "already_member")
    assert_error(client.post(f"{CHATS}/{gid}/members", token=users["owner"].access,
                             json={"user_id": users["owner"].user_id}), 409, "already_member")
    assert_error(client.post(f"{CHATS}/{gid}/members", token=users["member"].access,
                             json={"user_id": users["outsider"].user_id}), 403, "not_allowed")
    assert_error(client.post(f"{CHATS}/{gid}/members", token=users["owner"].access,
                             json={"user_id": "no-such-user"}), 404, "user_not_found")
    assert_error(client.post(f"{CHATS}/{gid}/members", token=users["outsider"].access,
                             json={"user_id": users["outsider"].user_id}), 404, "chat_not_found")
    assert users["outsider"].user_id not in roles(get_chat(client, users["owner"], gid))


def test_remove_member_rules(client: Client, users, group):
    gid = group["id"]
    o, a, m = users["owner"], users["admin"], users["member"]
    # nobody removes the owner; an admin does not remove an admin; a member removes nobody else
    assert_error(client.delete(member_url(gid, o.user_id), token=a.access), 403, "not_allowed")
    assert_error(client.delete(member_url(gid, a.user_id), token=m.access), 403, "not_allowed")
    assert_error(client.delete(member_url(gid, o.user_id), token=m.access), 403, "not_allowed")
    assert_error(client.delete(member_url(gid, users["outsider"].user_id), token=o.access), 404, "member_not_found")
    assert set(roles(get_chat(client, o, gid))) == {o.user_id, a.user_id, m.user_id}
    # an admin removes a member
    r = client.delete(member_url(gid, m.user_id), token=a.access)
    assert r.status_code == 204 and r.content == b"", describe(r)
    assert_error(client.get(f"{CHATS}/{gid}", token=m.access), 404, "chat_not_found")
    assert_error(client.get(f"{CHATS}/{gid}/messages", token=m.access), 404, "chat_not_found")
    assert_error(client.post(f"{CHATS}/{gid}/messages", token=m.access, json={"client_id": "x", "body": "y"}),
                 404, "chat_not_found")
    assert gid not in [c["id"] for c in client.get(CHATS, token=m.access, params={"limit": 100}).json()["items"]]
    # the owner removes an admin
    assert client.delete(member_url(gid, a.user_id), token=o.access).status_code == 204
    assert roles(get_chat(client, o, gid)) == {o.user_id: "owner"}


def test_leave_and_owner_must_transfer(client: Client, users, group):
    gid = group["id"]
    o, a, m = users["owner"], users["admin"], users["member"]
    assert_error(client.delete(member_url(gid, o.user_id), token=o.access), 422, "owner_must_transfer")
    assert o.user_id in roles(get_chat(client, o, gid))
    r = client.delete(member_url(gid, m.user_id), token=m.access)
    assert r.status_code == 204, describe(r)
    assert_error(client.get(f"{CHATS}/{gid}", token=m.access), 404, "chat_not_found")
    assert client.delete(member_url(gid, a.user_id), token=a.access).status_code == 204, "admins may leave"
    assert roles(get_chat(client, o, gid)) == {o.user_id: "owner"}
    # a former member can be added back
    r = client.post(f"{CHATS}/{gid}/members", token=o.access, json={"user_id": m.user_id})
    assert r.status_code == 200 and roles(r.json())[m.user_id] == "member", describe(r)


def test_transfer_ownership(client: Client, users, group):
    gid = group["id"]
    o, a, m = users["owner"], users["admin"], users["member"]
    assert_error(client.post(f"{CHATS}/{gid}/owner", token=a.access, json={"user_id": m.user_id}), 403, "not_allowed")
    assert_error(client.post(f"{CHATS}/{gid}/owner", token=m.access, json={"user_id": m.user_id}), 403, "not_allowed")
    assert_error(client.post(f"{CHATS}/{gid}/owner", token=o.access, json={"user_id": users["outsider"].user_id}),
                 404, "member_not_found")
    assert_error(client.post(f"{CHATS}/{gid}/owner", token=o.access, json={"user_id": o.user_id}),
                 404, "member_not_found")
    assert roles(get_chat(client, o, gid))[o.user_id] == "owner"
    r = client.post(f"{CHATS}/{gid}/owner", token=o.access, json={"user_id": m.user_id})
    assert r.status_code == 200, describe(r)
    assert roles(r.json()) == {o.user_id: "admin", a.user_id: "admin", m.user_id: "owner"}
    assert roles(get_chat(client, a, gid)) == roles(r.json())
    # the former owner is now an admin: may leave, may no longer hand over
    assert_error(client.post(f"{CHATS}/{gid}/owner", token=o.access, json={"user_id": a.user_id}), 403, "not_allowed")
    assert_error(client.delete(member_url(gid, m.user_id), token=m.access), 422, "owner_must_transfer")
    assert client.delete(member_url(gid, o.user_id), token=o.access).status_code == 204
    assert roles(get_chat(client, m, gid)) == {a.user_id: "admin", m.user_id: "owner"}


def test_roles_only_by_owner(client: Client, users, group):
    gid = group["id"]
    o, a, m = users["owner"], users["admin"], users["member"]
    assert_error(client.patch(member_url(gid, m.user_id), token=a.access, json={"role": "admin"}), 403, "not_allowed")
    assert_error(client.patch(member_url(gid, a.user_id), token=m.access, json={"role": "member"}), 403, "not_allowed")
    assert_error(client.patch(member_url(gid, m.user_id), token=o.access, json={"role": "owner"}), 403, "not_allowed")
    assert_error(client.patch(member_url(gid, o.user_id), token=o.access, json={"role": "member"}), 403, "not_allowed")
    assert_error(client.patch(member_url(gid, m.user_id), token=o.access, json={"role": "king"}), 400, "invalid_field")
    assert_error(client.patch(member_url(gid, users["outsider"].user_id), token=o.access, json={"role": "admin"}),
                 404, "member_not_found")
    assert roles(get_chat(client, o, gid)) == {o.user_id: "owner", a.user_id: "admin", m.user_id: "member"}
    r = client.patch(member_url(gid, a.user_id), token=o.access, json={"role": "member"})
    assert r.status_code == 200 and roles(r.json())[a.user_id] == "member", describe(r)
    # the demoted admin lost admin rights
    assert_error(client.patch(f"{CHATS}/{gid}", token=a.access, json={"name": "x"}), 403, "not_allowed")
    r = client.patch(member_url(gid, m.user_id), token=o.access, json={"role": "admin"})
    assert r.status_code == 200 and roles(r.json())[m.user_id] == "admin", describe(r)
    r = client.patch(f"{CHATS}/{gid}", token=m.access, json={"name": "Promoted"})
    assert r.status_code == 200 and r.json()["name"] == "Promoted", describe(r)


def test_non_members_get_chat_not_found(client: Client, users, group):
    out = users["outsider"]
    for gid in (group["id"], "no-such-chat", uuid.uuid4().hex):
        calls = [
            ("GET", f"{CHATS}/{gid}", None),
            ("PATCH", f"{CHATS}/{gid}", {"name": "x"}),
            ("POST", f"{CHATS}/{gid}/members", {"user_id": out.user_id}),
            ("DELETE", member_url(gid, users["member"].user_id), None),
            ("DELETE", member_url(gid, out.user_id), None),
            ("PATCH", member_url(gid, users["member"].user_id), {"role": "admin"}),
            ("POST", f"{CHATS}/{gid}/owner", {"user_id": out.user_id}),
        ]
        for method, path, body in calls:
            assert_error(client.request(method, path, token=out.access, json=body), 404, "chat_not_found")
    g = get_chat(client, users["owner"], group["id"])
    assert g["name"] == "Team" and roles(g) == roles(group)


def test_member_limit(parley, smtp_sink):
    srv = parley(PARLEY_MAX_GROUP_MEMBERS="3")
    c = Client(srv, smtp_sink)
    try:
        o, u1, u2, u3 = (c.new_user() for _ in range(4))
        r = c.post(f"{CHATS}/groups", token=o.access, json={"name": "big", "member_ids": [u1.user_id, u2.user_id,
                                                                                            u3.user_id]})
        assert_error(r, 422, "too_many_members")
        # the creator in member_ids does not count twice
        g = c.post(f"{CHATS}/groups", token=o.access,
                   json={"name": "full", "member_ids": [u1.user_id, u2.user_id, o.user_id]})
        assert g.status_code == 201 and len(g.json()["members"]) == 3, describe(g)
        gid = g.json()["id"]
        assert_error(c.post(f"{CHATS}/{gid}/members", token=o.access, json={"user_id": u3.user_id}),
                     422, "too_many_members")
        assert len(c.get(f"{CHATS}/{gid}", token=o.access).json()["members"]) == 3
        assert c.delete(member_url(gid, u2.user_id), token=o.access).status_code == 204
        r = c.post(f"{CHATS}/{gid}/members", token=o.access, json={"user_id": u3.user_id})
        assert r.status_code == 200 and len(r.json()["members"]) == 3, describe(r)
        small = c.post(f"{CHATS}/groups", token=o.access, json={"name": "small", "member_ids": [u1.user_id]})
        assert small.status_code == 201, describe(small)
        r = c.post(f"{CHATS}/{small.json()['id']}/members", token=o.access, json={"user_id": u2.user_id})
        assert r.status_code == 200 and len(r.json()["members"]) == 3, describe(r)
    finally:
        c.http.close()


# --------------------------------------------------------------------------- the chat list

def list_all(client: Client, acct, limit: int) -> tuple[list[dict], list[int]]:
    items, sizes, cursor = [], [], None
    for _ in range(50):
        params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
        r = client.get(CHATS, token=acct.access, params=params)
        assert r.status_code == 200, describe(r)
        page = r.json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        items += page["items"]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return items, sizes
    pytest.fail("pagination did not terminate")


def test_chat_list_order_and_pagination(client: Client):
    me = client.new_user()
    peers = [client.new_user() for _ in range(3)]
    chats = [client.post(f"{CHATS}/direct", token=me.access, json={"user_id": p.user_id}).json() for p in peers]
    chats += [create_group(client, me, peers[0], name=f"g{i}") for i in range(2)]
    assert len({c["id"] for c in chats}) == 5
    # activity order: a message into each chat, in a known order
    order = [chats[i]["id"] for i in (3, 0, 4, 2, 1)]
    for cid in order:
        time.sleep(0.005)
        send(client, me, cid, f"to {cid}")
    expected = list(reversed(order))

    items, sizes = list_all(client, me, limit=2)
    assert sizes == [2, 2, 1], sizes
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids)), f"overlap between pages: {ids}"
    assert ids == expected
    stamps = [c["last_activity_at"] for c in items]
    assert stamps == sorted(stamps, reverse=True)
    full = client.get(CHATS, token=me.access).json()
    assert [c["id"] for c in full["items"]] == expected and full["next_cursor"] is None

    # activity moves a chat to the top
    time.sleep(0.005)
    send(client, peers[0], order[0])
    assert [c["id"] for c in list_all(client, me, limit=3)[0]] == [order[0]] + expected[:-1]
    # renaming a group counts as activity
    time.sleep(0.005)
    r = client.patch(f"{CHATS}/{chats[4]['id']}", token=me.access, json={"name": "renamed"})
    assert r.status_code == 200, describe(r)
    assert client.get(CHATS, token=me.access, params={"limit": 1}).json()["items"][0]["id"] == chats[4]["id"]

    # the other side only sees their own chats
    peer_ids = {c["id"] for c in list_all(client, peers[1], limit=100)[0]}
    assert peer_ids == {chats[1]["id"]}


def test_chat_list_new_user_is_empty(client: Client):
    r = client.get(CHATS, token=client.new_user().access)
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}, describe(r)


@pytest.mark.parametrize("params,code", [
    ({"limit": 0}, "invalid_query"), ({"limit": 101}, "invalid_query"), ({"limit": -1}, "invalid_query"),
    ({"limit": "abc"}, "invalid_query"), ({"limit": "5x"}, "invalid_query"),
    ({"cursor": "garbage!!!"}, "invalid_cursor"), ({"cursor": "bm9jb2xvbg"}, "invalid_cursor"),
])
def test_chat_list_invalid_query(client: Client, users, params, code):
    assert_error(client.get(CHATS, token=users["owner"].access, params=params), 400, code)


def test_chat_routes_need_auth(client: Client, group):
    assert_error(client.get(CHATS), 401, "invalid_token")
    assert_error(client.get(f"{CHATS}/{group['id']}"), 401, "invalid_token")
    assert_error(client.post(f"{CHATS}/groups", json={"name": "x"}), 401, "invalid_token")


# --------------------------------------------------------------------------- spec conformance

@pytest.fixture(scope="module")
def spec() -> dict:
    with open(REPO_ROOT / "docs" / "openapi.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_chat_responses_match_spec(spec, client: Client, users):
    o, m, other, out = users["owner"], users["member"], users["other"], users["outsider"]
    C = "/api/v1/chats/{chat_id}"
    MU = C + "/members/{user_id}"
    x, y = client.new_user(), client.new_user()
    spec_check(spec, "POST", f"{CHATS}/direct", client.post(f"{CHATS}/direct", token=x.access, json={"user_id": y.user_id}))
    spec_check(spec, "POST", f"{CHATS}/direct", client.post(f"{CHATS}/direct", token=y.access, json={"user_id": x.user_id}))
    spec_check(spec, "POST", f"{CHATS}/direct", client.post(f"{CHATS}/direct", token=x.access, json={"user_id": "nope"}))
    spec_check(spec, "POST", f"{CHATS}/direct", client.post(f"{CHATS}/direct", token=x.access, json={"user_id": x.user_id}))
    spec_check(spec, "POST", f"{CHATS}/direct", client.post(f"{CHATS}/direct", json={"user_id": x.user_id}))
    r = client.post(f"{CHATS}/groups", token=o.access, json={"name": "spec", "member_ids": [m.user_id]})
    spec_check(spec, "POST", f"{CHATS}/groups", r)
    gid = r.json()["id"]
    spec_check(spec, "POST", f"{CHATS}/groups", client.post(f"{CHATS}/groups", token=o.access, json={"name": ""}))
    spec_check(spec, "POST", f"{CHATS}/groups", client.post(f"{CHATS}/groups", token=o.access, json={}))
    spec_check(spec, "POST", f"{CHATS}/groups",
               client.post(f"{CHATS}/groups", token=o.access, json={"name": "a", "member_ids": ["nope"]}))
    send(client, m, gid, "for the list")
    spec_check(spec, "GET", CHATS, client.get(CHATS, token=o.access, params={"limit": 1}))
    spec_check(spec, "GET", CHATS, client.get(CHATS, token=x.access))
    spec_check(spec, "GET", CHATS, client.get(CHATS, token=o.access, params={"limit": 0}))
    spec_check(spec, "GET", C, client.get(f"{CHATS}/{gid}", token=m.access))
    spec_check(spec, "GET", C, client.get(f"{CHATS}/{gid}", token=out.access))
    spec_check(spec, "PATCH", C, client.patch(f"{CHATS}/{gid}", token=o.access, json={"name": "spec 2"}))
    spec_check(spec, "PATCH", C, client.patch(f"{CHATS}/{gid}", token=m.access, json={"name": "spec 3"}))
    spec_check(spec, "PATCH", C, client.patch(f"{CHATS}/{gid}", token=o.access, json={"name": ""}))
    spec_check(spec, "POST", C + "/members", client.post(f"{CHATS}/{gid}/members", token=o.access,
                                                         json={"user_id": other.user_id}))
    spec_check(spec, "POST", C + "/members", client.post(f"{CHATS}/{gid}/members", token=o.access,
                                                         json={"user_id": other.user_id}))
    spec_check(spec, "POST", C + "/members", client.post(f"{CHATS}/{gid}/members", token=m.access,
                                                         json={"user_id": out.user_id}))
    spec_check(spec, "PATCH", MU, client.patch(member_url(gid, other.user_id), token=o.access, json={"role": "admin"}))
    spec_check(spec, "PATCH", MU, client.patch(member_url(gid, other.user_id), token=o.access, json={"role": "x"}))
    spec_check(spec, "PATCH", MU, client.patch(member_url(gid, other.user_id), token=m.access, json={"role": "member"}))
    spec_check(spec, "POST", C + "/owner", client.post(f"{CHATS}/{gid}/owner", token=o.access,
                                                       json={"user_id": out.user_id}))
    spec_check(spec, "POST", C + "/owner", client.post(f"{CHATS}/{gid}/owner", token=o.access,
                                                       json={"user_id": other.user_id}))
    spec_check(spec, "DELETE", MU, client.delete(member_url(gid, other.user_id), token=other.access))  # 422
    spec_check(spec, "DELETE", MU, client.delete(member_url(gid, other.user_id), token=m.access))  # 403
    spec_check(spec, "DELETE", MU, client.delete(member_url(gid, m.user_id), token=other.access))  # 204
    spec_check(spec, "DELETE", MU, client.delete(member_url(gid, m.user_id), token=other.access))  # 404
