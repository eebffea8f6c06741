"""Security: authorization. Every route of docs/openapi.yaml and every client frame of
docs/protocol.md is tried by a user who has no business with the object (a stranger, or a
member of another chat), with the exact status and error code expected; then role
escalation inside a group, other people's messages, and what strangers can learn about
each other (receipts, typing, presence, e-mail).

The REST table (`IDOR`) is checked against the spec: a new route fails
`test_every_spec_route_is_in_the_idor_table` until it gets a row.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
import requests

from harness import HTTP_TIMEOUT_S, Client, assert_error, describe
from security_attacks import tried
from test_spec_conformance import SPEC_PATH
from ws_client import CHATS, UNSOLICITED, cid, connect, create_group, open_direct, rest_send

yaml = pytest.importorskip("yaml")

NOTIFS = "/api/v1/notifications"


class World:
    """owner, admin, member and member2 share the group `g`; owner and member share the 1:1
    chat `d`; the stranger shares nothing with them and has their own 1:1 chat with `loner`
    (`own`, holding `own_msg`). `msg` is the owner's message in `g`, with a file attached."""

    def __init__(self, client: Client):
        self.client = client
        self.owner, self.admin, self.member, self.member2, self.stranger, self.loner = (
            client.new_user() for _ in range(6))
        self.g = create_group(client, self.owner, self.admin, self.member, self.member2, name="Secret club")["id"]
        r = client.patch(f"{CHATS}/{self.g}/members/{self.admin.user_id}", token=self.owner.access,
                         json={"role": "admin"})
        assert r.status_code == 200, describe(r)
        self.d = open_direct(client, self.owner, self.member)["id"]
        self.own = open_direct(client, self.stranger, self.loner)["id"]
        self.own_msg = rest_send(client, self.stranger, self.own, "mine")["id"]
        data = os.urandom(32)
        r = client.post("/api/v1/media/uploads", token=self.owner.access,
                        json={"file_name": "plan.png", "content_type": "image/png", "size": len(data)})
        assert r.status_code == 201, describe(r)
        grant = r.json()
        assert requests.put(grant["upload_url"], data=data, headers=grant["headers"],
                            timeout=HTTP_TIMEOUT_S).status_code == 204
        self.key = grant["key"]
        r = client.post(f"{CHATS}/{self.g}/messages", token=self.owner.access, json={
            "client_id": cid(), "body": "the plan, @member2",
            "mentions": [self.member2.user_id],
            "attachments": [{"key": self.key, "name": "plan.png", "content_type": "image/png", "size": len(data)}]})
        assert r.status_code == 201, describe(r)
        self.msg = r.json()["id"]
        self.member_msg = rest_send(client, self.member, self.g, "member's words")["id"]
        self.admin_msg = rest_send(client, self.admin, self.g, "admin's words")["id"]
        self.d_msg = rest_send(client, self.owner, self.d, "just us")["id"]
        # member2's notification of the mention (member2 sends nothing, so it stays unread);
        # the stranger must not reach it
        r = client.get(NOTIFS, token=self.member2.access)
        assert r.status_code == 200 and r.json()["items"], describe(r)
        self.member_notification = r.json()["items"][0]["id"]

    def fill(self, template: str) -> str:
        return template.format(
            g=self.g, d=self.d, own=self.own, msg=self.msg, d_msg=self.d_msg, own_msg=self.own_msg, key=self.key,
            owner=self.owner.user_id, admin=self.admin.user_id, member=self.member.user_id,
            stranger=self.stranger.user_id, notification=self.member_notification)


@pytest.fixture(scope="module")
def world(client: Client) -> World:
    return World(client)


# One row per (method, spec path): what the stranger tries and what must come back.
# `path` is filled by World.fill; `expect` is (status, code) or "self" for routes that only
# ever act on the caller's own data (nothing of another user can be named), or "public" for
# routes that answer every signed-in user by design (checked for leaks elsewhere).
IDOR: list[tuple[str, str, str, dict | None, object]] = [
    # users
    ("GET", "/api/v1/users/me", "/api/v1/users/me", None, "self"),
    ("PATCH", "/api/v1/users/me", "/api/v1/users/me", {"display_name": "x"}, "self"),
    ("DELETE", "/api/v1/users/me", "/api/v1/users/me", None, "self"),
    ("GET", "/api/v1/users/{id}", "/api/v1/users/{owner}", None, "public"),
    ("GET", "/api/v1/users", "/api/v1/users?q=u", None, "public"),
    # auth routes with a token act on the caller's own sessions
    ("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None, "self"),
    ("POST", "/api/v1/auth/logout-all", "/api/v1/auth/logout-all", None, "self"),
    ("POST", "/api/v1/auth/password/change", "/api/v1/auth/password/change", None, "self"),
    # chats: the group of others
    ("POST", "/api/v1/chats/direct", "/api/v1/chats/direct", None, "public"),
    ("POST", "/api/v1/chats/groups", "/api/v1/chats/groups", None, "public"),
    ("GET", "/api/v1/chats", "/api/v1/chats", None, "self"),
    ("GET", "/api/v1/chats/{chat_id}", "/api/v1/chats/{g}", None, (404, "chat_not_found")),
    ("GET", "/api/v1/chats/{chat_id}", "/api/v1/chats/{d}", None, (404, "chat_not_found")),
    ("PATCH", "/api/v1/chats/{chat_id}", "/api/v1/chats/{g}", {"name": "pwned"}, (404, "chat_not_found")),
    ("POST", "/api/v1/chats/{chat_id}/members", "/api/v1/chats/{g}/members", {"user_id": "{stranger}"},
     (404, "chat_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/members/{user_id}", "/api/v1/chats/{g}/members/{member}", None,
     (404, "chat_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/members/{user_id}", "/api/v1/chats/{g}/members/{owner}", None,
     (404, "chat_not_found")),
    ("PATCH", "/api/v1/chats/{chat_id}/members/{user_id}", "/api/v1/chats/{g}/members/{stranger}",
     {"role": "admin"}, (404, "chat_not_found")),
    ("PATCH", "/api/v1/chats/{chat_id}/members/{user_id}", "/api/v1/chats/{g}/members/{owner}",
     {"role": "member"}, (404, "chat_not_found")),
    ("POST", "/api/v1/chats/{chat_id}/owner", "/api/v1/chats/{g}/owner", {"user_id": "{stranger}"},
     (404, "chat_not_found")),
    # messages of the group, and of the 1:1 chat of others
    ("POST", "/api/v1/chats/{chat_id}/messages", "/api/v1/chats/{g}/messages", {"client_id": "idor", "body": "x"},
     (404, "chat_not_found")),
    ("POST", "/api/v1/chats/{chat_id}/messages", "/api/v1/chats/{d}/messages", {"client_id": "idor", "body": "x"},
     (404, "chat_not_found")),
    ("GET", "/api/v1/chats/{chat_id}/messages", "/api/v1/chats/{g}/messages", None, (404, "chat_not_found")),
    ("GET", "/api/v1/chats/{chat_id}/messages", "/api/v1/chats/{d}/messages?after=0", None, (404, "chat_not_found")),
    ("PATCH", "/api/v1/chats/{chat_id}/messages/{message_id}", "/api/v1/chats/{g}/messages/{msg}", {"body": "x"},
     (404, "chat_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}", "/api/v1/chats/{g}/messages/{msg}", None,
     (404, "chat_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}", "/api/v1/chats/{d}/messages/{d_msg}", None,
     (404, "chat_not_found")),
    ("PUT", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction", "/api/v1/chats/{g}/messages/{msg}/reaction",
     {"emoji": "x"}, (404, "chat_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction",
     "/api/v1/chats/{g}/messages/{msg}/reaction", None, (404, "chat_not_found")),
    ("POST", "/api/v1/chats/{chat_id}/read", "/api/v1/chats/{g}/read", {"seq": 1}, (404, "chat_not_found")),
    ("POST", "/api/v1/chats/{chat_id}/delivered", "/api/v1/chats/{g}/delivered", {"seq": 1},
     (404, "chat_not_found")),
    # another chat's message through the stranger's own chat (the ids do not travel across chats)
    ("PATCH", "/api/v1/chats/{chat_id}/messages/{message_id}", "/api/v1/chats/{own}/messages/{msg}", {"body": "x"},
     (404, "message_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}", "/api/v1/chats/{own}/messages/{msg}", None,
     (404, "message_not_found")),
    ("PUT", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction", "/api/v1/chats/{own}/messages/{msg}/reaction",
     {"emoji": "x"}, (404, "message_not_found")),
    ("DELETE", "/api/v1/chats/{chat_id}/messages/{message_id}/reaction",
     "/api/v1/chats/{own}/messages/{msg}/reaction", None, (404, "message_not_found")),
    # notifications of another user
    ("GET", "/api/v1/notifications", "/api/v1/notifications", None, "self"),
    ("GET", "/api/v1/notifications/unread_count", "/api/v1/notifications/unread_count", None, "self"),
    ("POST", "/api/v1/notifications/{notification_id}/read", "/api/v1/notifications/{notification}/read", None,
     (404, "notification_not_found")),
    ("POST", "/api/v1/notifications/read_all", "/api/v1/notifications/read_all", None, "self"),
    # media
    ("POST", "/api/v1/media/uploads", "/api/v1/media/uploads", None, "self"),
    ("GET", "/api/v1/chats/{chat_id}/media/{key}", "/api/v1/chats/{g}/media/{key}", None, (404, "chat_not_found")),
    ("GET", "/api/v1/chats/{chat_id}/media/{key}", "/api/v1/chats/{own}/media/{key}", None, (404, "media_not_found")),
]

# Routes without a bearer token: the signature of a pre-signed URL is the authorization
# (test_media.py tampers with every signed field); no route here names another user's data.
UNAUTHENTICATED = {("PUT", "/api/v1/media/blob/{key}"), ("GET", "/api/v1/media/blob/{key}")}


def spec_routes() -> dict[tuple[str, str], bool]:
    """(METHOD, path) -> whether it needs a bearer token."""
    with open(SPEC_PATH, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    out = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out[(method.upper(), path)] = bool(op.get("security", spec.get("security")))
    return out


def test_every_spec_route_is_in_the_idor_table():
    routes = spec_routes()
    covered = {(m, p) for m, p, *_ in IDOR}
    missing = sorted(r for r, secured in routes.items() if secured and r not in covered)
    assert not missing, f"routes with a bearer token but no row in IDOR: {missing}"
    unknown = sorted(covered - set(routes))
    assert not unknown, f"rows in IDOR for routes the spec does not have: {unknown}"
    assert UNAUTHENTICATED <= {r for r, secured in routes.items() if not secured}


def _rows(expect_kind):
    return [row for row in IDOR if isinstance(row[4], tuple) == (expect_kind == "refused")]


@pytest.mark.parametrize("method, route, path, body, expect", _rows("refused"),
                         ids=[f"{r[0]} {r[2]}" for r in _rows("refused")])
def test_a_stranger_is_refused(client: Client, world: World, method, route, path, body, expect):
    url = world.fill(path)
    payload = {k: world.fill(v) if isinstance(v, str) else v for k, v in body.items()} if body else None
    status, code = expect
    assert_error(client.request(method, url, token=world.stranger.access, json=payload), status, code)
    tried("authorization")


def test_the_strangers_attempts_changed_nothing(client: Client, world: World):
    """Runs after the table (file order): the group, its members, its messages, the file
    and the member's notification are as they were."""
    r = client.get(f"{CHATS}/{world.g}", token=world.owner.access)
    assert r.status_code == 200 and r.json()["name"] == "Secret club", describe(r)
    roles = {m["user_id"]: m["role"] for m in r.json()["members"]}
    assert roles == {world.owner.user_id: "owner", world.admin.user_id: "admin", world.member.user_id: "member",
                     world.member2.user_id: "member"}
    items = client.get(f"{CHATS}/{world.g}/messages", token=world.owner.access).json()["items"]
    assert [m["body"] for m in items] == ["the plan, @member2", "member's words", "admin's words"], items
    assert all(m["reactions"] == [] and not m["deleted"] and m["edited_at"] is None for m in items), items
    assert [m["body"] for m in client.get(f"{CHATS}/{world.d}/messages", token=world.member.access).json()["items"]] \
        == ["just us"]
    r = client.get(NOTIFS, token=world.member2.access)
    n = [x for x in r.json()["items"] if x["id"] == world.member_notification]
    assert n and n[0]["read"] is False, r.json()
    assert client.get(f"{CHATS}/{world.g}/media/{world.key}", token=world.member.access).status_code == 200


def test_unknown_and_malformed_ids_answer_like_strangers(client: Client, world: World):
    """An unknown chat and a chat of others are indistinguishable (no existence oracle)."""
    me = world.stranger.access
    for chat in ("0", "999999999999999999", uuid.uuid4().hex, "-1", "1e3", "%2e%2e", "a" * 200):
        assert_error(client.get(f"{CHATS}/{chat}", token=me), 404, "chat_not_found")
        assert_error(client.get(f"{CHATS}/{chat}/messages", token=me), 404, "chat_not_found")
        tried("authorization", 2)
    for msg in ("0", "999999999999999999", world.d_msg, "a" * 200):
        assert_error(client.patch(f"{CHATS}/{world.own}/messages/{msg}", token=me, json={"body": "x"}), 404,
                     "message_not_found")
        tried("authorization")
    for n in ("0", "999999999999999999", "a" * 200):
        assert_error(client.post(f"{NOTIFS}/{n}/read", token=me), 404, "notification_not_found")
        tried("authorization")


# --------------------------------------------------------------------------- WebSocket frames

def ws_rows(w: World) -> list[tuple[str, dict, str]]:
    """(name, frame, expected error code) for every client frame type of docs/protocol.md that
    names an object (ping names none; auth with another user's token is wrong_user)."""
    return [
        ("message.send to the group", {"type": "message.send", "chat_id": w.g, "client_id": cid(), "body": "x"},
         "chat_not_found"),
        ("message.send to a 1:1 of others", {"type": "message.send", "chat_id": w.d, "client_id": cid(), "body": "x"},
         "chat_not_found"),
        ("message.edit", {"type": "message.edit", "chat_id": w.g, "message_id": w.msg, "body": "x"}, "chat_not_found"),
        ("message.edit via own chat", {"type": "message.edit", "chat_id": w.own, "message_id": w.msg, "body": "x"},
         "message_not_found"),
        ("message.delete", {"type": "message.delete", "chat_id": w.g, "message_id": w.msg}, "chat_not_found"),
        ("message.delete via own chat", {"type": "message.delete", "chat_id": w.own, "message_id": w.msg},
         "message_not_found"),
        ("receipt.read", {"type": "receipt.read", "chat_id": w.g, "seq": 1}, "chat_not_found"),
        ("receipt.delivered", {"type": "receipt.delivered", "chat_id": w.g, "seq": 1}, "chat_not_found"),
        ("reaction.set", {"type": "reaction.set", "chat_id": w.g, "message_id": w.msg, "emoji": "x"},
         "chat_not_found"),
        ("reaction.set via own chat", {"type": "reaction.set", "chat_id": w.own, "message_id": w.msg, "emoji": "x"},
         "message_not_found"),
        ("reaction.remove", {"type": "reaction.remove", "chat_id": w.g, "message_id": w.msg}, "chat_not_found"),
        ("reaction.remove via own chat", {"type": "reaction.remove", "chat_id": w.own, "message_id": w.msg},
         "message_not_found"),
        ("typing", {"type": "typing", "chat_id": w.g}, "chat_not_found"),
        ("auth with another user's token", {"type": "auth", "token": w.owner.access}, "wrong_user"),
    ]


PROTOCOL_CLIENT_FRAMES = {"message.send", "message.edit", "message.delete", "receipt.read", "receipt.delivered",
                          "reaction.set", "reaction.remove", "typing", "sync", "auth", "ping"}


def test_every_client_frame_type_is_in_the_ws_table(world: World):
    covered = {f["type"] for _, f, _ in ws_rows(world)} | {"sync", "ping"}  # sync: its own test; ping: no object
    assert covered == PROTOCOL_CLIENT_FRAMES


def test_a_stranger_is_refused_over_websocket_and_members_hear_nothing(client: Client, server, world: World):
    members = [connect(server, a) for a in (world.owner, world.admin, world.member)]
    stranger = connect(server, world.stranger)
    try:
        marks = [m.mark() for m in members]
        for name, frame, code in ws_rows(world):
            start = stranger.mark()
            stranger.send({"id": name, **frame})
            err = stranger.wait_for(lambda f: f.get("type") == "error" and f.get("id") == name, start=start,
                                    what=f"error for {name}")
            assert err["code"] == code, f"{name}: {err}"
            acks = [f for f in stranger.since(start) if f.get("type") == "ack" and f.get("id") == name]
            assert all(a.get("status") == "accepted" for a in acks), f"{name}: {acks}"
            tried("authorization")
        # sync of others' chats: one error per chat, nothing replayed
        start = stranger.mark()
        ack = stranger.request({"type": "sync", "chats": [{"chat_id": world.g, "after_seq": 0},
                                                          {"chat_id": world.d, "after_seq": 0}]})
        frames = stranger.since(start, UNSOLICITED)
        assert [f.get("code") for f in frames if f["type"] == "error"] == ["chat_not_found"] * 2, frames
        assert not [f for f in frames if f["type"] == "message.new"], frames
        assert ack == {"type": "ack", "id": ack["id"], "status": "synced"}, ack
        tried("authorization", 2)
        stranger.barrier()
        # (members coming online tell each other: that presence is theirs to see)
        insiders = {world.owner.user_id, world.admin.user_id, world.member.user_id, world.member2.user_id}
        for m, mark in zip(members, marks):
            m.barrier()
            heard = [f for f in m.since(mark, UNSOLICITED) if f["type"] != "pong" and not (
                f["type"] == "presence" and f["data"]["user_id"] in insiders)]
            assert heard == [], f"{m.name} heard the stranger: {heard}"
    finally:
        for c in (*members, stranger):
            c.close()


# --------------------------------------------------------------------------- roles

def member_url(gid: str, uid: str) -> str:
    return f"{CHATS}/{gid}/members/{uid}"


def test_role_escalation_inside_a_group(client: Client):
    c = client
    owner, admin, admin2, member, member2, outsider = (c.new_user() for _ in range(6))
    g = create_group(c, owner, admin, admin2, member, member2)["id"]
    for a in (admin, admin2):
        assert c.patch(member_url(g, a.user_id), token=owner.access, json={"role": "admin"}).status_code == 200
    refused = [
        # a member promoting themselves, by every door
        (member, "PATCH", member_url(g, member.user_id), {"role": "admin"}, 403, "not_allowed"),
        (member, "PATCH", member_url(g, member.user_id), {"role": "owner"}, 403, "not_allowed"),
        (member, "POST", f"{CHATS}/{g}/owner", {"user_id": member.user_id}, 403, "not_allowed"),
        (member, "PATCH", member_url(g, member2.user_id), {"role": "admin"}, 403, "not_allowed"),
        (member, "PATCH", member_url(g, owner.user_id), {"role": "member"}, 403, "not_allowed"),
        (member, "PATCH", f"{CHATS}/{g}", {"name": "mine now"}, 403, "not_allowed"),
        (member, "POST", f"{CHATS}/{g}/members", {"user_id": outsider.user_id}, 403, "not_allowed"),
        (member, "DELETE", member_url(g, member2.user_id), None, 403, "not_allowed"),
        (member, "DELETE", member_url(g, admin.user_id), None, 403, "not_allowed"),
        (member, "DELETE", member_url(g, owner.user_id), None, 403, "not_allowed"),
        # an admin reaching for the owner's powers
        (admin, "PATCH", member_url(g, admin.user_id), {"role": "owner"}, 403, "not_allowed"),
        (admin, "PATCH", member_url(g, member.user_id), {"role": "admin"}, 403, "not_allowed"),
        (admin, "PATCH", member_url(g, admin2.user_id), {"role": "member"}, 403, "not_allowed"),
        (admin, "PATCH", member_url(g, owner.user_id), {"role": "member"}, 403, "not_allowed"),
        (admin, "POST", f"{CHATS}/{g}/owner", {"user_id": admin.user_id}, 403, "not_allowed"),
        (admin, "POST", f"{CHATS}/{g}/owner", {"user_id": member.user_id}, 403, "not_allowed"),
        (admin, "DELETE", member_url(g, owner.user_id), None, 403, "not_allowed"),
        (admin, "DELETE", member_url(g, admin2.user_id), None, 403, "not_allowed"),
        # the owner cannot hand out "owner" through the role route, nor change their own role
        (owner, "PATCH", member_url(g, member.user_id), {"role": "owner"}, 403, "not_allowed"),
        (owner, "PATCH", member_url(g, owner.user_id), {"role": "admin"}, 403, "not_allowed"),
        (owner, "POST", f"{CHATS}/{g}/owner", {"user_id": owner.user_id}, 404, "member_not_found"),
        (owner, "POST", f"{CHATS}/{g}/owner", {"user_id": outsider.user_id}, 404, "member_not_found"),
        # roles that do not exist, or are not strings
        (owner, "PATCH", member_url(g, member.user_id), {"role": "superadmin"}, 400, "invalid_field"),
        (owner, "PATCH", member_url(g, member.user_id), {"role": "ADMIN"}, 400, "invalid_field"),
        (owner, "PATCH", member_url(g, member.user_id), {"role": {"$ne": "member"}}, 400, "invalid_field"),
        (owner, "PATCH", member_url(g, member.user_id), {"role": ["admin"]}, 400, "invalid_field"),
        (owner, "PATCH", member_url(g, member.user_id), {"role": "admin", "is_owner": True}, 400, "unknown_field"),
        (member, "POST", f"{CHATS}/{g}/members", {"user_id": outsider.user_id, "role": "owner"}, 400,
         "unknown_field"),
    ]
    for who, method, path, body, status, code in refused:
        assert_error(c.request(method, path, token=who.access, json=body), status, code)
        tried("authorization")
    r = c.get(f"{CHATS}/{g}", token=owner.access)
    assert {m["user_id"]: m["role"] for m in r.json()["members"]} == {
        owner.user_id: "owner", admin.user_id: "admin", admin2.user_id: "admin", member.user_id: "member",
        member2.user_id: "member"}
    # a group created with oneself in member_ids does not make the creator anything else than owner,
    # and an added user always joins as a plain member
    r = c.post(f"{CHATS}/{g}/members", token=admin.access, json={"user_id": outsider.user_id})
    assert r.status_code == 200 and {m["user_id"]: m["role"] for m in r.json()["members"]}[outsider.user_id] == "member"
    # a removed admin loses every right at once
    assert c.delete(member_url(g, admin2.user_id), token=owner.access).status_code == 204
    for method, path, body in (("PATCH", f"{CHATS}/{g}", {"name": "back"}),
                               ("POST", f"{CHATS}/{g}/members", {"user_id": admin2.user_id}),
                               ("DELETE", member_url(g, member.user_id), None),
                               ("GET", f"{CHATS}/{g}/messages", None)):
        assert_error(c.request(method, path, token=admin2.access, json=body), 404, "chat_not_found")
        tried("authorization")


def test_other_peoples_messages(client: Client, server):
    c = client
    owner, admin, member, member2 = (c.new_user() for _ in range(4))
    g = create_group(c, owner, admin, member, member2)["id"]
    c.patch(member_url(g, admin.user_id), token=owner.access, json={"role": "admin"})
    d = open_direct(c, member, member2)["id"]
    by = {who.user_id: rest_send(c, who, g, f"by {who.username}")["id"] for who in (owner, admin, member, member2)}
    d_msg = rest_send(c, member, d, "private")["id"]

    def url(chat, mid):
        return f"{CHATS}/{chat}/messages/{mid}"

    refused = [
        # nobody edits another's message, whatever their role
        (member2, "PATCH", url(g, by[member.user_id]), {"body": "x"}, 403, "not_author"),
        (admin, "PATCH", url(g, by[member.user_id]), {"body": "x"}, 403, "not_author"),
        (owner, "PATCH", url(g, by[admin.user_id]), {"body": "x"}, 403, "not_author"),
        (member, "PATCH", url(g, by[owner.user_id]), {"body": "x"}, 403, "not_author"),
        # a member deletes only their own; in a 1:1 chat only the author deletes
        (member2, "DELETE", url(g, by[member.user_id]), None, 403, "not_author"),
        (member, "DELETE", url(g, by[owner.user_id]), None, 403, "not_author"),
        (member, "DELETE", url(g, by[admin.user_id]), None, 403, "not_author"),
        (member2, "DELETE", url(d, d_msg), None, 403, "not_author"),
        (member2, "PATCH", url(d, d_msg), {"body": "x"}, 403, "not_author"),
    ]
    for who, method, path, body, status, code in refused:
        assert_error(c.request(method, path, token=who.access, json=body), status, code)
        tried("authorization")
    # the same over WebSocket
    ws = connect(server, member2)
    try:
        for frame in ({"type": "message.edit", "chat_id": g, "message_id": by[member.user_id], "body": "x"},
                      {"type": "message.delete", "chat_id": g, "message_id": by[owner.user_id]},
                      {"type": "message.delete", "chat_id": d, "message_id": d_msg},
                      {"type": "message.edit", "chat_id": d, "message_id": d_msg, "body": "x"}):
            err = ws.request(frame)
            assert err["type"] == "error" and err["code"] == "not_author", (frame, err)
            tried("authorization")
    finally:
        ws.close()
    items = {m["id"]: m for m in c.get(f"{CHATS}/{g}/messages", token=owner.access).json()["items"]}
    assert all(not m["deleted"] and m["edited_at"] is None for m in items.values()), items
    # documented powers: an admin or the owner may delete a member's message in a group
    assert c.delete(url(g, by[member.user_id]), token=admin.access).status_code == 200
    assert c.delete(url(g, by[member2.user_id]), token=owner.access).status_code == 200
    # an admin may not delete the owner's message? The spec allows admins to delete any
    # message of the group; check it stays at that (no edit right comes with it)
    assert_error(c.patch(url(g, by[owner.user_id]), token=admin.access, json={"body": "x"}), 403, "not_author")


# --------------------------------------------------------------------------- what strangers learn

def test_strangers_get_no_receipts_typing_or_presence(client: Client, server):
    c = client
    ann, bob, eve = c.new_user(), c.new_user(), c.new_user()
    chat = open_direct(c, ann, bob)["id"]
    seq = rest_send(c, ann, chat, "hi")["seq"]
    e = connect(server, eve, name="eve")
    a = connect(server, ann, name="ann")
    try:
        start = e.mark()
        b = connect(server, bob, name="bob")  # bob comes online: presence to ann only
        a.wait_type("presence", user_id=bob.user_id)
        b.request({"type": "receipt.read", "chat_id": chat, "seq": seq})
        b.send({"type": "typing", "chat_id": chat})
        a.wait_type("receipt", user_id=bob.user_id)
        a.wait_type("typing", user_id=bob.user_id)
        b.close()  # bob goes offline
        a.wait_for(lambda f: f.get("type") == "presence" and f["data"].get("user_id") == bob.user_id
                   and f["data"].get("online") is False, what="bob offline")
        e.barrier()
        heard = [f for f in e.since(start, UNSOLICITED) if f["type"] != "pong"]
        assert heard == [], f"a stranger heard: {heard}"
        tried("authorization", 4)
    finally:
        a.close()
        e.close()
    # nor over REST: the chat list and profiles of strangers carry no presence, receipts or e-mail
    r = c.get(f"/api/v1/users/{ann.user_id}", token=eve.access)
    assert r.status_code == 200 and "email" not in r.json(), describe(r)
    assert not {"online", "presence", "last_seen", "read_seq"} & set(r.json()), r.json()
    r = c.get("/api/v1/users", token=eve.access, params={"q": ann.username})
    assert r.status_code == 200 and all("email" not in u for u in r.json()["items"]), describe(r)
    assert all(x["id"] != chat for x in c.get(CHATS, token=eve.access).json()["items"])
    tried("authorization", 3)


def test_ids_of_other_chats_do_not_travel_in_a_message(client: Client, world: World):
    """reply_to and mentions name things of the chat only: a message or a user of another chat
    is refused, so a send cannot probe or point into a chat the sender is not in."""
    me = world.stranger.access
    for extra, code in (({"reply_to": world.msg}, "invalid_reply_to"), ({"reply_to": world.d_msg}, "invalid_reply_to"),
                        ({"mentions": [world.owner.user_id]}, "invalid_mentions"),
                        ({"mentions": [world.loner.user_id, world.member.user_id]}, "invalid_mentions")):
        r = client.post(f"{CHATS}/{world.own}/messages", token=me, json={"client_id": cid(), "body": "x", **extra})
        assert_error(r, 422, code)
        tried("authorization")
    # a file of another chat cannot be attached either (only one's own uploads)
    r = client.post(f"{CHATS}/{world.own}/messages", token=me, json={
        "client_id": cid(), "body": "", "attachments": [{"key": world.key, "name": "plan.png",
                                                         "content_type": "image/png", "size": 32}]})
    assert_error(r, 422, "invalid_attachment")
    tried("authorization")


def test_a_removed_member_loses_everything_at_once(client: Client, server):
    c = client
    owner, gone, stays = c.new_user(), c.new_user(), c.new_user()
    g = create_group(c, owner, gone, stays)["id"]
    data = os.urandom(8)
    grant = c.post("/api/v1/media/uploads", token=owner.access,
                   json={"file_name": "f.png", "content_type": "image/png", "size": len(data)}).json()
    requests.put(grant["upload_url"], data=data, headers=grant["headers"], timeout=HTTP_TIMEOUT_S)
    first = c.post(f"{CHATS}/{g}/messages", token=owner.access, json={
        "client_id": cid(), "body": "before", "attachments": [
            {"key": grant["key"], "name": "f.png", "content_type": "image/png", "size": len(data)}]}).json()
    ws = connect(server, gone)
    try:
        assert c.delete(member_url(g, gone.user_id), token=owner.access).status_code == 204
        ws.wait_for(lambda f: f.get("type") == "chat.updated" and f["data"].get("chat") is None, what="removal")
        mark = ws.mark()
        rest_send(c, owner, g, "after, @gone is not here")
        c.post(f"{CHATS}/{g}/read", token=stays.access, json={"seq": 2})
        c.request("PUT", f"{CHATS}/{g}/messages/{first['id']}/reaction", token=stays.access, json={"emoji": "👍"})
        for frame, code in (({"type": "typing", "chat_id": g}, "chat_not_found"),
                            ({"type": "receipt.read", "chat_id": g, "seq": 1}, "chat_not_found"),
                            ({"type": "message.send", "chat_id": g, "client_id": cid(), "body": "x"}, "chat_not_found"),
                            ({"type": "reaction.set", "chat_id": g, "message_id": first["id"], "emoji": "x"},
                             "chat_not_found")):
            err = ws.request(frame)
            assert err["type"] == "error" and err["code"] == code, (frame, err)
            tried("authorization")
        start = ws.mark()
        ws.request({"type": "sync", "chats": [{"chat_id": g, "after_seq": 0}]})
        assert not [f for f in ws.since(start) if f["type"] == "message.new"]
        ws.barrier()
        leaked = [f for f in ws.since(mark, UNSOLICITED)
                  if f["type"] in ("message.new", "receipt", "reaction", "typing", "message.edited")]
        assert leaked == [], f"a removed member still hears the group: {leaked}"
        tried("authorization", 2)
    finally:
        ws.close()
    for method, path in (("GET", f"{CHATS}/{g}"), ("GET", f"{CHATS}/{g}/messages"),
                         ("GET", f"{CHATS}/{g}/media/{grant['key']}")):
        assert_error(c.request(method, path, token=gone.access), 404, "chat_not_found")
        tried("authorization")


def test_a_removed_member_is_not_notified_of_what_follows(parley, smtp_sink):
    """A member removed while a notification of the chat is pending for them (they are online,
    so it waits for the read delay) is not told of, and gets no preview of, the messages sent
    after the removal."""
    srv = parley(name="removed-notified", PARLEY_NOTIFY_DELAY_S="1")
    c = Client(srv, smtp_sink)
    owner, gone, stays = c.new_user(), c.new_user(), c.new_user()
    g = create_group(c, owner, gone, stays)["id"]
    ws = connect(srv, gone)
    try:
        rest_send(c, owner, g, "before the removal")
        assert c.delete(member_url(g, gone.user_id), token=owner.access).status_code == 204
        rest_send(c, owner, g, "after the removal: secret")
        time.sleep(3)
    finally:
        ws.close()
    items = c.get(NOTIFS, token=gone.access).json()["items"]
    about = [(n["kind"], n["count"], n["seq"], n["preview"]) for n in items if n["chat_id"] == g]
    assert not [a for a in about if "secret" in a[3] or (a[2] or 0) > 1 or (a[0] == "message" and a[1] > 1)], about
    tried("authorization")
    c.http.close()


def test_other_origins_get_no_cors_grant(client: Client, world: World):
    """Only the configured origins (PARLEY_CORS_ORIGINS, the dev client by default) may read
    answers from a browser; look-alikes, "null" and credentials get nothing."""
    for origin in ("https://evil.example", "null", "http://localhost:5173.evil.example", "http://localhost:51730",
                   "http://evil.localhost:5173", "http://localhost:5173/", "HTTP://LOCALHOST:5173", "file://"):
        for method, path in (("GET", "/api/v1/users/me"), ("OPTIONS", "/api/v1/users/me")):
            r = client.request(method, path, token=world.stranger.access, headers={"Origin": origin})
            assert "Access-Control-Allow-Origin" not in r.headers, (origin, r.headers)
            assert "Access-Control-Allow-Credentials" not in r.headers, (origin, r.headers)
            tried("authorization")
