"""Users API: profiles, search, validation, account deletion."""
from __future__ import annotations

import re
import uuid

import pytest

from harness import Client, assert_error, unique_name

PUBLIC_FIELDS = {"id", "username", "display_name", "bio", "avatar_url", "created_at"}
USERS = "/api/v1/users"
ME = "/api/v1/users/me"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@pytest.fixture(scope="module")
def viewer(client: Client):
    """A logged-in user who looks at others."""
    return client.new_user()


def search(client: Client, token: str, **params):
    return client.get(USERS, token=token, params=params)


def search_all(client: Client, token: str, q: str, limit: int) -> tuple[list[dict], list[int]]:
    """Follow next_cursor to the end; returns (items, page sizes)."""
    items, sizes = [], []
    cursor = None
    for _ in range(50):
        params = {"q": q, "limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        r = search(client, token, **params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) >= {"items", "next_cursor"}, page
        assert len(page["items"]) <= limit
        items += page["items"]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return items, sizes
        assert isinstance(cursor, str) and cursor
    pytest.fail("pagination did not terminate")


# --------------------------------------------------------------------------- profiles

def test_public_profile_has_no_email(client: Client, viewer):
    other = client.register_and_verify(display_name="Public Person")
    r = client.get(f"{USERS}/{other.user_id}", token=viewer.access)
    assert r.status_code == 200, r.text
    p = r.json()
    assert set(p) >= PUBLIC_FIELDS, p
    assert "email" not in p
    assert other.email not in r.text
    assert p["id"] == other.user_id and p["username"] == other.username
    assert p["display_name"] == "Public Person"
    assert p["bio"] == "" and p["avatar_url"] == ""
    assert RFC3339.fullmatch(p["created_at"]), p["created_at"]


def test_own_profile_defaults(client: Client):
    acct = client.new_user()
    r = client.get(ME, token=acct.access)
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["id"] == acct.user_id and me["email"] == acct.email and me["username"] == acct.username
    assert isinstance(me["display_name"], str)
    assert me["bio"] == "" and me["avatar_url"] == ""
    for k in ("created_at", "updated_at"):
        assert RFC3339.fullmatch(me[k]), (k, me[k])


def test_unknown_user_404(client: Client, viewer):
    for uid in ("0", "does-not-exist", uuid.uuid4().hex, "9" * 19):
        assert_error(client.get(f"{USERS}/{uid}", token=viewer.access), 404, "user_not_found")


def test_users_routes_need_auth(client: Client, viewer):
    assert_error(client.get(f"{USERS}/{viewer.user_id}"), 401, "invalid_token")
    assert_error(client.get(USERS, params={"q": "a"}), 401, "invalid_token")
    assert_error(client.patch(ME, json={"bio": "x"}), 401, "invalid_token")
    assert_error(client.delete(ME, json={"password": "whatever1"}), 401, "invalid_token")


def test_partial_update_keeps_other_fields(client: Client):
    acct = client.new_user(display_name="Keep Me")
    r = client.patch(ME, token=acct.access, json={"bio": "only the bio"})
    assert r.status_code == 200, r.text
    assert r.json()["bio"] == "only the bio" and r.json()["display_name"] == "Keep Me"
    r = client.patch(ME, token=acct.access, json={})
    assert r.status_code == 200, r.text
    assert r.json()["bio"] == "only the bio" and r.json()["display_name"] == "Keep Me"
    # clearing the avatar with an empty string is allowed
    assert client.patch(ME, token=acct.access, json={"avatar_url": "http://example.com/x.png"}).status_code == 200
    r = client.patch(ME, token=acct.access, json={"avatar_url": ""})
    assert r.status_code == 200 and r.json()["avatar_url"] == "", r.text


@pytest.mark.parametrize("field,value,code", [
    ("display_name", "", "invalid_display_name"),
    ("display_name", "x" * 65, "invalid_display_name"),
    ("display_name", "tab\there", "invalid_display_name"),
    ("display_name", "nul\u0000", "invalid_display_name"),
    ("display_name", "del\u007f", "invalid_display_name"),
    ("bio", "b" * 281, "invalid_bio"),
    ("avatar_url", "ftp://example.com/a.png", "invalid_avatar_url"),
    ("avatar_url", "javascript:alert(1)", "invalid_avatar_url"),
    ("avatar_url", "https://exa mple.com/a.png", "invalid_avatar_url"),
    ("avatar_url", "example.com/a.png", "invalid_avatar_url"),
    ("avatar_url", "https://example.com/" + "a" * 2040, "invalid_avatar_url"),
    # no host, or not one: a URL no client can load (these were stored)
    ("avatar_url", "http://[", "invalid_avatar_url"),
    ("avatar_url", "https:///a.png", "invalid_avatar_url"),
    ("avatar_url", "http://[not-an-ip]/a.png", "invalid_avatar_url"),
    ("avatar_url", "https://example.com:http/a.png", "invalid_avatar_url"),
])
def test_profile_validation(client: Client, viewer, field, value, code):
    before = client.get(ME, token=viewer.access).json()
    r = client.patch(ME, token=viewer.access, json={field: value})
    assert_error(r, 422, code)
    after = client.get(ME, token=viewer.access).json()
    assert after[field] == before[field], "a rejected update must not change anything"


@pytest.mark.parametrize("field,value", [
    ("display_name", "é" * 64),            # 64 characters, 128 bytes
    ("display_name", "Zoë 🚀"),
    ("bio", "ü" * 280),                    # 280 characters, 560 bytes
    ("bio", "line one\nline two"),
    ("avatar_url", "https://example.com/" + "a" * (2048 - 20)),
    ("avatar_url", "http://[2001:db8::1]:8080/a.png"),
])
def test_profile_limits_count_characters(client: Client, viewer, field, value):
    r = client.patch(ME, token=viewer.access, json={field: value})
    assert r.status_code == 200, r.text
    assert r.json()[field] == value
    assert client.get(ME, token=viewer.access).json()[field] == value


# --------------------------------------------------------------------------- search

@pytest.fixture(scope="module")
def search_group(client: Client):
    """Five users whose usernames share a unique prefix, created in non-sorted order, plus one
    user found only by display name."""
    prefix = "s" + uuid.uuid4().hex[:8]
    suffixes = ["echo", "alpha", "delta", "bravo", "charlie"]
    members = [client.register_and_verify(username=f"{prefix}_{s}") for s in suffixes]
    dn_prefix = "Zq" + uuid.uuid4().hex[:6]
    by_display = client.register_and_verify(display_name=f"{dn_prefix} Person")
    return {"prefix": prefix, "members": members, "dn_prefix": dn_prefix, "by_display": by_display}


def test_search_by_username_prefix(client: Client, viewer, search_group):
    prefix = search_group["prefix"]
    r = search(client, viewer.access, q=prefix)
    assert r.status_code == 200, r.text
    page = r.json()
    names = [u["username"] for u in page["items"]]
    assert names == sorted(m.username for m in search_group["members"]), "ordered by username"
    assert page["next_cursor"] is None
    for u in page["items"]:
        assert set(u) >= PUBLIC_FIELDS and "email" not in u, u


def test_search_by_display_name_prefix(client: Client, viewer, search_group):
    dn = search_group["dn_prefix"]
    target = search_group["by_display"]
    assert not target.username.startswith(dn.lower())
    for q in (dn, dn.lower(), dn.upper()):
        r = search(client, viewer.access, q=q)
        assert r.status_code == 200, r.text
        assert [u["id"] for u in r.json()["items"]] == [target.user_id], (q, r.json())


def test_search_is_case_insensitive(client: Client, viewer, search_group):
    prefix = search_group["prefix"]
    lower = search(client, viewer.access, q=prefix).json()["items"]
    upper = search(client, viewer.access, q=prefix.upper()).json()["items"]
    assert len(lower) == 5
    assert [u["id"] for u in upper] == [u["id"] for u in lower]


def test_search_prefix_not_substring(client: Client, viewer, search_group):
    prefix = search_group["prefix"]
    r = search(client, viewer.access, q=prefix[1:])   # a substring that is not a prefix
    assert r.status_code == 200
    assert r.json()["items"] == []
    r = search(client, viewer.access, q=f"{prefix}_b")
    assert [u["username"] for u in r.json()["items"]] == [f"{prefix}_bravo"]


def test_search_pagination(client: Client, viewer, search_group):
    prefix = search_group["prefix"]
    items, sizes = search_all(client, viewer.access, prefix, limit=2)
    ids = [u["id"] for u in items]
    assert len(ids) == len(set(ids)), f"duplicates across pages: {ids}"
    assert set(ids) == {m.user_id for m in search_group["members"]}
    assert [u["username"] for u in items] == sorted(m.username for m in search_group["members"])
    assert sizes == [2, 2, 1], sizes


def test_search_default_limit_and_cap(client: Client, viewer, search_group):
    prefix = search_group["prefix"]
    r = search(client, viewer.access, q=prefix, limit=50)
    assert r.status_code == 200 and len(r.json()["items"]) == 5
    r = search(client, viewer.access, q=prefix, limit=1)
    assert r.status_code == 200 and len(r.json()["items"]) == 1 and r.json()["next_cursor"]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "a" * 65}, {"q": "é" * 65}])
def test_search_invalid_query(client: Client, viewer, params):
    assert_error(search(client, viewer.access, **params), 400, "invalid_query")


@pytest.mark.parametrize("limit", ["0", "51", "-1", "abc"])
def test_search_invalid_limit(client: Client, viewer, limit):
    r = search(client, viewer.access, q="a", limit=limit)
    assert_error(r, 400)


@pytest.mark.parametrize("q", ["a" * 64, "é" * 64, "\U0001D552" * 64])  # 64 characters, up to 256 bytes
def test_search_query_of_64_chars_ok(client: Client, viewer, q):
    r = search(client, viewer.access, q=q)
    assert r.status_code == 200, r.text
    assert r.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("cursor", ["garbage!!!", "%%%", "a b"])
def test_search_invalid_cursor(client: Client, viewer, cursor):
    assert_error(search(client, viewer.access, q="a", cursor=cursor), 400, "invalid_cursor")


# --------------------------------------------------------------------------- delete account

def test_delete_account(client: Client, viewer, smtp_sink):
    acct = client.new_user(display_name="Soon Gone")
    second_session = client.login(acct.email, acct.password)

    r = client.delete(ME, token=acct.access, json={"password": "wrong password"})
    assert_error(r, 401, "invalid_credentials")
    assert client.get(f"{USERS}/{acct.user_id}", token=viewer.access).status_code == 200

    r = client.delete(ME, token=acct.access, json={"password": acct.password})
    assert r.status_code == 204, r.text
    assert r.content == b""

    assert_error(client.post("/api/v1/auth/login", json={"email": acct.email, "password": acct.password}),
                 401, "invalid_credentials")
    for rt in (acct.refresh_token, second_session["refresh_token"]):
        assert_error(client.refresh(rt), 401)
    assert_error(client.get(f"{USERS}/{acct.user_id}", token=viewer.access), 404, "user_not_found")
    r = search(client, viewer.access, q=acct.username)
    assert r.status_code == 200 and r.json()["items"] == [], "a deleted user is not searchable"

    # the e-mail and the username are free again
    again = client.register_and_verify(username=acct.username, email=acct.email, password="a new account pw")
    assert again.user_id != acct.user_id
    tokens = client.login(acct.email, "a new account pw")
    assert tokens["user_id"] == again.user_id
    me = client.get(ME, token=tokens["access_token"]).json()
    assert me["id"] == again.user_id
    assert me["display_name"] != "Soon Gone", "no profile data carried over from the deleted account"
    assert me["bio"] == ""


def test_delete_requires_password_field(client: Client):
    acct = client.new_user()
    assert_error(client.delete(ME, token=acct.access, json={}), 400, "invalid_field")
    assert client.get(ME, token=acct.access).status_code == 200
