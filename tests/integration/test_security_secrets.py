"""Security: secrets. A full flow (register, verify, login, refresh, reuse, WebSocket with the
token in the query and in `auth`, password change, forgot and reset, wrong guesses, media
URLs, account deletion) on a server of its own; then its whole log output is searched for
every password, code, token and signature used, and every answer for fields that must never
leave the server (password hashes, e-mails of others, refresh tokens outside login and
refresh, private keys)."""
from __future__ import annotations

import json
import os
import re

import pytest
import requests

from harness import HTTP_TIMEOUT_S, Client, assert_error, describe, jwt_parts
from security_attacks import tried
from ws_client import CHATS, WsClient, connect, create_group, open_direct, rest_send

ME = "/api/v1/users/me"
PASSWORD = "Secret horse battery 1"
CHANGED = "Changed horse battery 2"
RESET = "Reset horse battery 3"


def contains(haystack: str, needle: str) -> bool:
    """`needle` appears in `haystack` as itself (digits not inside a longer number)."""
    if needle.isdigit():
        return re.search(rf"(?<!\d){needle}(?!\d)", haystack) is not None
    return needle in haystack


@pytest.fixture(scope="module")
def flow(tmp_root, smtp_sink):
    """Runs the flow on a dedicated server; yields (server, secrets by name, answers)."""
    from harness import ParleyFactory
    factory = ParleyFactory(tmp_root, smtp_sink)
    srv = factory(name="secrets", PARLEY_WS_FRAME_BURST="1000")
    c = Client(srv, smtp_sink)
    secrets: dict[str, str] = {}
    answers: list[requests.Response] = []

    def keep(r):
        answers.append(r)
        return r

    email = "secret.keeper@example.com"
    secrets["password"] = PASSWORD
    since = smtp_sink.count(email)
    r = keep(c.register(email, "secretkeeper", PASSWORD, display_name="Keeper"))
    assert r.status_code == 201, describe(r)
    uid = r.json()["user_id"]
    code = smtp_sink.wait_for_code(email, since=since)
    secrets["verification code"] = code
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    secrets["wrong code"] = wrong
    keep(c.verify(email, wrong))
    assert keep(c.verify(email, code)).status_code == 200
    # a wrong password attempt, then the login
    keep(c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD + "x"}))
    secrets["wrong password"] = PASSWORD + "x"
    login = keep(c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    secrets["access token"] = login["access_token"]
    secrets["access token signature"] = login["access_token"].split(".")[2]
    secrets["refresh token"] = login["refresh_token"]
    rotated = keep(c.refresh(login["refresh_token"])).json()
    secrets["rotated refresh token"] = rotated["refresh_token"]
    secrets["second access token"] = rotated["access_token"]
    keep(c.refresh(login["refresh_token"]))  # reuse: the session is revoked
    login = keep(c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    secrets["third refresh token"] = login["refresh_token"]
    token = login["access_token"]
    secrets["third access token"] = token
    # WebSocket: the token in the query (as browsers do) and in an auth frame; a refused upgrade
    ws = WsClient(srv, token, query=True, name="keeper")
    ws.wait_for(lambda f: f.get("type") == "hello")
    assert ws.request({"type": "auth", "token": rotated["access_token"]})["type"] in ("ack", "error")
    assert ws.request({"type": "auth", "token": token + "x"})["type"] == "error"
    ws.close()
    requests.get(srv.url(f"/ws?access_token={token}x"), headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                                 "Sec-WebSocket-Version": "13"}, timeout=10)
    # a chat, a message, a file with its signed URLs
    friend = c.new_user()
    chat = open_direct(c, friend, Account(uid, token))["id"]
    group = create_group(c, friend, Account(uid, token), name="Secret keepers")["id"]
    rest_send(c, friend, chat, "hello keeper")
    data = os.urandom(16)
    g = keep(c.post("/api/v1/media/uploads", token=token,
                    json={"file_name": "s.png", "content_type": "image/png", "size": len(data)})).json()
    secrets["upload signature"] = dict(x.split("=", 1) for x in g["upload_url"].split("?", 1)[1].split("&"))["sig"]
    assert requests.put(g["upload_url"], data=data, headers=g["headers"], timeout=HTTP_TIMEOUT_S).status_code == 204
    keep(c.post(f"{CHATS}/{chat}/messages", token=token, json={
        "client_id": "f1", "body": "", "attachments": [{"key": g["key"], "name": "s.png", "content_type": "image/png",
                                                        "size": len(data)}]}))
    d = keep(c.get(f"{CHATS}/{chat}/media/{g['key']}", token=friend.access)).json()
    secrets["download signature"] = dict(x.split("=", 1) for x in d["url"].split("?", 1)[1].split("&"))["sig"]
    requests.get(d["url"], timeout=HTTP_TIMEOUT_S)
    # profile and chat views, as the user and as others see them
    for path, tok in ((ME, token), (f"/api/v1/users/{uid}", friend.access), (f"{CHATS}/{chat}", friend.access),
                      (f"{CHATS}/{group}", friend.access), (CHATS, token), (f"{CHATS}/{chat}/messages", token),
                      ("/api/v1/users?q=secretkeeper", friend.access), ("/api/v1/notifications", token),
                      ("/api/v1/auth/jwks", None)):
        keep(c.get(path, token=tok))
    # password change, forgot and reset (with a wrong code first)
    keep(c.post("/api/v1/auth/password/change", token=token,
                json={"current_password": PASSWORD, "new_password": CHANGED}))
    secrets["changed password"] = CHANGED
    since = smtp_sink.count(email)
    keep(c.post("/api/v1/auth/password/forgot", json={"email": email}))
    reset_code = smtp_sink.wait_for_code(email, since=since)
    secrets["reset code"] = reset_code
    wrong_reset = f"{(int(reset_code) + 7) % 1000000:06d}"
    secrets["wrong reset code"] = wrong_reset
    keep(c.post("/api/v1/auth/password/reset", json={"email": email, "code": wrong_reset, "new_password": RESET}))
    r = keep(c.post("/api/v1/auth/password/reset", json={"email": email, "code": reset_code, "new_password": RESET}))
    assert r.status_code in (200, 204), describe(r)
    secrets["reset password"] = RESET
    # weak passwords are refused without echoing them
    keep(c.register("weak@example.com", "weakling", "password"))
    keep(c.register("weak2@example.com", "weakling2", "Tr0ub4dor&3-but-\u0000"))
    # the account is deleted at last (with a wrong password first)
    final = keep(c.post("/api/v1/auth/login", json={"email": email, "password": RESET})).json()
    keep(c.delete(ME, token=final["access_token"], json={"password": "wrong" + RESET}))
    secrets["wrong delete password"] = "wrong" + RESET
    assert keep(c.delete(ME, token=final["access_token"], json={"password": RESET})).status_code == 204
    c.http.close()
    factory.stop_all()  # flushes the log; the log must be complete before it is searched
    yield srv, secrets, answers


class Account:
    """Just enough of harness.Account for the ws_client REST helpers."""

    def __init__(self, user_id: str, access: str):
        self.user_id = user_id
        self.access = access


def test_no_secret_appears_in_the_server_log(flow):
    srv, secrets, _ = flow
    log = srv.log_text()
    assert len(log.splitlines()) > 50, "the log is suspiciously short"
    leaks = [name for name, value in secrets.items() if contains(log, value)]
    assert not leaks, f"in the server log ({srv.log_path}): {leaks}"
    # nor their hashes, nor any password hash
    assert "$argon2" not in log
    tried("secrets", len(secrets) + 1)


def test_no_secret_appears_in_mail_beyond_its_own_code(flow, smtp_sink):
    _, secrets, _ = flow
    mails = smtp_sink.mails_to("secret.keeper@example.com")
    for m in mails:
        raw = m.raw.decode("utf-8", "replace")
        for name, value in secrets.items():
            if name in ("verification code", "reset code"):
                continue
            assert not contains(raw, value), f"{name} in a mail: {m.subject}"
    tried("secrets", len(mails))


def test_answers_carry_no_secret_where_they_should_not(flow):
    _, secrets, answers = flow
    token_routes = ("/api/v1/auth/login", "/api/v1/auth/refresh")
    for r in answers:
        text = r.text
        path = requests.utils.urlparse(r.request.url).path
        assert "$argon2" not in text, describe(r)
        assert not [k for k in re.findall(r'"(\w+)":', text) if "password" in k or "hash" in k or "secret" in k], \
            describe(r)
        for name, value in secrets.items():
            if "password" in name or "code" in name:
                assert not contains(text, value), f"{name} in {describe(r)}"
            if "refresh token" in name and path not in token_routes:
                assert value not in text, f"{name} in {describe(r)}"
        if path not in token_routes:
            assert "refresh_token" not in text, describe(r)
        assert r.headers.get("Cache-Control") in ("no-store", "public, max-age=300"), describe(r)
        tried("secrets")
    # login and refresh answers are never cached
    for r in answers:
        if requests.utils.urlparse(r.request.url).path in token_routes:
            assert r.headers.get("Cache-Control") == "no-store", r.headers


def test_profiles_and_member_lists_expose_no_e_mail_or_credentials(client: Client):
    ann, bob = client.new_user(), client.new_user()
    g = create_group(client, ann, bob)
    views = [client.get(f"/api/v1/users/{bob.user_id}", token=ann.access).json(),
             client.get("/api/v1/users", token=ann.access, params={"q": bob.username}).json(),
             client.get(f"{CHATS}/{g['id']}", token=ann.access).json(), g,
             client.get(CHATS, token=ann.access).json(),
             client.post(f"{CHATS}/direct", token=ann.access, json={"user_id": bob.user_id}).json()]
    for v in views:
        text = json.dumps(v)
        assert bob.email not in text and "email" not in text, text
        assert not {"password", "password_hash", "refresh_token", "session", "sid"} & set(re.findall(r'"(\w+)":', text))
        tried("secrets")
    own = client.get(ME, token=bob.access).json()
    assert own["email"] == bob.email and not {"password", "password_hash", "verified_at", "sessions"} & set(own)
    jwks = client.get("/api/v1/auth/jwks").json()
    assert all(set(k) == {"kty", "crv", "kid", "x", "alg", "use"} for k in jwks["keys"]), jwks  # no private "d"
    _, payload, _ = jwt_parts(bob.access)
    assert set(payload) == {"iss", "sub", "sid", "iat", "nbf", "exp", "jti"}, payload  # nothing personal
    tried("secrets", 3)


def test_errors_do_not_echo_what_was_sent(client: Client):
    acct = client.new_user()
    for body, path in (({"email": acct.email, "password": "Not-the-password-42"}, "/api/v1/auth/login"),
                       ({"email": "x@example.com", "username": "echoecho", "password": "abc"}, "/api/v1/auth/register"),
                       ({"refresh_token": "rt-should-not-echo-123"}, "/api/v1/auth/refresh"),
                       ({"email": acct.email, "code": "987654", "new_password": "Another-long-one-7"},
                        "/api/v1/auth/password/reset")):
        r = client.post(path, json=body)
        assert r.status_code >= 400, describe(r)
        for k, v in body.items():
            if k != "email" and k != "username":
                assert v not in r.text, f"{k} echoed: {describe(r)}"
        tried("secrets")
    r = client.post("/api/v1/auth/password/change", token=acct.access,
                    json={"current_password": "Wrong-current-pass-9", "new_password": "Brand-new-pass-9"})
    assert_error(r, 401)
    assert "Wrong-current-pass-9" not in r.text and "Brand-new-pass-9" not in r.text
    tried("secrets")
