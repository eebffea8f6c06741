"""Error paths of the auth API: validation, OTP limits, rate limits, body limits, tokens."""
from __future__ import annotations

import json
import time

import pytest
import requests

from harness import (Client, assert_error, b64url_decode, b64url_encode, jwt_parts, unique_name)

PW = "correct horse battery"
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
VERIFY = "/api/v1/auth/verify"


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def post_raw(client: Client, path: str, data: bytes | str, **kw):
    headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
    return client.post(path, data=data, headers=headers, **kw)


# --------------------------------------------------------------------------- registration

def test_duplicate_email_and_username(client: Client):
    name = unique_name("dup")
    email = f"{name}@example.com"
    assert client.register(email, name, PW).status_code == 201

    assert_error(client.register(email, unique_name(), PW), 409, "email_taken")
    assert_error(client.register(email.upper(), unique_name(), PW), 409, "email_taken")
    assert_error(client.register(f"  {email} ", unique_name(), PW), 409, "email_taken")
    assert_error(client.register(f"{unique_name()}@example.com", name, PW), 409, "username_taken")
    assert_error(client.register(f"{unique_name()}@example.com", name.upper(), PW), 409, "username_taken")


@pytest.mark.parametrize("password", [
    "short", "1234567", "password", "12345678", "qwertyui", "iloveyou", "x" * 129,
])
def test_weak_passwords_rejected(client: Client, password):
    name = unique_name()
    assert_error(client.register(f"{name}@example.com", name, password), 422, "weak_password")


@pytest.mark.parametrize("password", ["x7#kQ2pz", "k" * 64 + "Z" * 64])
def test_password_length_boundaries_accepted(client: Client, password):
    name = unique_name()
    r = client.register(f"{name}@example.com", name, password)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("email", [
    "", "not-an-email", "ann@", "@example.com", "ann smith@example.com", "ann@@example.com",
])
def test_invalid_email_rejected(client: Client, email):
    assert_error(client.register(email, unique_name(), PW), 422, "invalid_email")


@pytest.mark.parametrize("username", [
    "ab", "1abc", "_abc", "has-dash", "has space", "a" * 33, "ünïcode",
])
def test_invalid_username_rejected(client: Client, username):
    assert_error(client.register(f"{unique_name()}@example.com", username, PW), 422, "invalid_username")


def test_username_boundaries_accepted(client: Client):
    for username in ("q" + unique_name("")[:2], "l" + unique_name("")[:10] + "_" + "x" * 20):
        assert len(username) in (3, 32)
        r = client.register(f"{unique_name()}@example.com", username, PW)
        assert r.status_code == 201, (username, r.text)


@pytest.mark.parametrize("display_name", ["", "x" * 65, "bell\u0007", "new\nline"])
def test_invalid_display_name_at_register(client: Client, display_name):
    name = unique_name()
    assert_error(client.register(f"{name}@example.com", name, PW, display_name=display_name),
                 422, "invalid_display_name")


# --------------------------------------------------------------------------- login

def test_wrong_password_and_unknown_email(client: Client):
    acct = client.register_and_verify()
    wrong = client.post(LOGIN, json={"email": acct.email, "password": "not the password"})
    e1 = assert_error(wrong, 401, "invalid_credentials")
    unknown = client.post(LOGIN, json={"email": f"{unique_name('ghost')}@example.com", "password": PW})
    e2 = assert_error(unknown, 401, "invalid_credentials")
    assert e1["message"] == e2["message"], "wrong password and unknown e-mail must be indistinguishable"


def test_unverified_login(client: Client, smtp_sink):
    name = unique_name()
    email = f"{name}@example.com"
    assert client.register(email, name, PW).status_code == 201
    assert_error(client.post(LOGIN, json={"email": email, "password": PW}), 403, "email_not_verified")
    # a wrong password on an unverified account must not reveal that the account exists
    assert_error(client.post(LOGIN, json={"email": email, "password": "wrong password!"}),
                 401, "invalid_credentials")


def test_password_change_wrong_current(client: Client):
    acct = client.new_user()
    r = client.post("/api/v1/auth/password/change", token=acct.access,
                    json={"current_password": "wrong password", "new_password": "brand new secret"})
    assert_error(r, 401, "invalid_credentials")
    client.login(acct.email, acct.password)  # unchanged
    r = client.post("/api/v1/auth/password/change", token=acct.access,
                    json={"current_password": acct.password, "new_password": "12345678"})
    assert_error(r, 422, "weak_password")


def test_password_reset_errors(client: Client, smtp_sink):
    acct = client.register_and_verify()
    since = smtp_sink.count(acct.email)
    assert client.post("/api/v1/auth/password/forgot", json={"email": acct.email}).status_code == 202
    code = smtp_sink.wait_for_code(acct.email, since=since)
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": acct.email, "code": other_code(code), "new_password": "brand new secret"})
    assert_error(r, 400, "invalid_code")
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": acct.email, "code": code, "new_password": "password"})
    assert_error(r, 422, "weak_password")
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": f"{unique_name('ghost')}@example.com", "code": code,
                          "new_password": "brand new secret"})
    assert_error(r, 400, "invalid_code")
    # nothing changed: the old password still works
    client.login(acct.email, acct.password)


# --------------------------------------------------------------------------- OTP

def test_wrong_code_and_unknown_email(client: Client, smtp_sink):
    name = unique_name()
    email = f"{name}@example.com"
    assert client.register(email, name, PW).status_code == 201
    code = smtp_sink.wait_for_code(email)
    assert_error(client.verify(email, other_code(code)), 400, "invalid_code")
    assert_error(client.verify(f"{unique_name('ghost')}@example.com", code), 400, "invalid_code")
    assert client.verify(email, code).status_code == 200


def test_code_burnt_after_max_attempts_then_resend(client: Client, smtp_sink):
    name = unique_name()
    email = f"{name}@example.com"
    assert client.register(email, name, PW).status_code == 201
    code = smtp_sink.wait_for_code(email)
    for i in range(5):
        assert_error(client.verify(email, other_code(code)), 400, "invalid_code")
    # burnt: even the right code is refused
    assert_error(client.verify(email, code), 429, "too_many_attempts")
    assert_error(client.post(LOGIN, json={"email": email, "password": PW}), 403, "email_not_verified")

    since = smtp_sink.count(email)
    r = client.post("/api/v1/auth/verify/resend", json={"email": email})
    assert r.status_code == 202, r.text
    new_code = smtp_sink.wait_for_code(email, since=since)
    r = client.verify(email, new_code)
    assert r.status_code == 200, r.text
    client.login(email, PW)


def test_attempts_below_the_limit_keep_the_code(client: Client, smtp_sink):
    name = unique_name()
    email = f"{name}@example.com"
    assert client.register(email, name, PW).status_code == 201
    code = smtp_sink.wait_for_code(email)
    for i in range(4):   # PARLEY_OTP_MAX_ATTEMPTS defaults to 5
        assert_error(client.verify(email, other_code(code)), 400, "invalid_code")
    assert client.verify(email, code).status_code == 200


def test_max_attempts_setting(parley, smtp_sink):
    srv = parley(name="otp-attempts", PARLEY_OTP_MAX_ATTEMPTS="2")
    c = Client(srv, smtp_sink)
    name = unique_name()
    email = f"{name}@example.com"
    assert c.register(email, name, PW).status_code == 201
    code = smtp_sink.wait_for_code(email)
    for i in range(2):
        assert_error(c.verify(email, other_code(code)), 400, "invalid_code")
    assert_error(c.verify(email, code), 429, "too_many_attempts")


def test_expired_code(parley, smtp_sink):
    srv = parley(name="otp-ttl", PARLEY_OTP_TTL_S="1")
    c = Client(srv, smtp_sink)
    name = unique_name()
    email = f"{name}@example.com"
    assert c.register(email, name, PW).status_code == 201
    code = smtp_sink.wait_for_code(email)
    time.sleep(2.5)
    assert_error(c.verify(email, code), 400, "code_expired")
    # a resend gives a fresh code that works (if used in time)
    since = smtp_sink.count(email)
    assert c.post("/api/v1/auth/verify/resend", json={"email": email}).status_code == 202
    fresh = smtp_sink.wait_for_code(email, since=since)
    assert c.verify(email, fresh).status_code == 200


def test_resend_cooldown(parley, smtp_sink):
    srv = parley(name="cooldown", PARLEY_OTP_RESEND_COOLDOWN_S="60")
    c = Client(srv, smtp_sink)
    name = unique_name()
    email = f"{name}@example.com"
    assert c.register(email, name, PW).status_code == 201
    smtp_sink.wait_for_mail(email)
    r = c.post("/api/v1/auth/verify/resend", json={"email": email})
    assert_error(r, 429, "rate_limited")
    retry = r.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 60, retry
    assert smtp_sink.count(email) == 1, "no second mail within the cooldown"

    # same behaviour for an e-mail without an account (no enumeration)
    ghost = f"{unique_name('ghost')}@example.com"
    assert c.post("/api/v1/auth/verify/resend", json={"email": ghost}).status_code == 202
    r = c.post("/api/v1/auth/verify/resend", json={"email": ghost})
    assert_error(r, 429, "rate_limited")
    assert r.headers.get("Retry-After", "").isdigit()


def test_per_ip_rate_limit(parley):
    srv = parley(name="rate-ip", PARLEY_RATE_IP_PER_MIN="5")
    c = Client(srv)
    body = {"email": f"{unique_name()}@example.com", "password": "wrong password"}
    for i in range(5):
        bodyi = {**body, "email": f"{unique_name()}@example.com"}
        assert_error(c.post(LOGIN, json=bodyi), 401, "invalid_credentials")
    r = c.post(LOGIN, json=body)
    assert_error(r, 429, "rate_limited")
    retry = r.headers.get("Retry-After")
    # burst 5, refill 5 per 60 s: the next token comes within 12 s
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 12, retry
    # each auth route has its own bucket, and non-auth routes are not limited
    r = c.post("/api/v1/auth/password/forgot", json={"email": f"{unique_name()}@example.com"})
    assert r.status_code == 202, r.text
    assert c.get("/healthz").status_code == 200
    assert_error(c.post(LOGIN, json=body), 429, "rate_limited")


def test_per_account_rate_limit(parley):
    srv = parley(name="rate-acct", PARLEY_RATE_ACCOUNT_PER_MIN="3")
    c = Client(srv)
    email = f"{unique_name()}@example.com"
    for i in range(3):
        assert_error(c.post(LOGIN, json={"email": email, "password": "wrong password"}),
                     401, "invalid_credentials")
    r = c.post(LOGIN, json={"email": email.upper(), "password": "wrong password"})
    assert_error(r, 429, "rate_limited")
    assert r.headers.get("Retry-After", "").isdigit()
    # another account from the same IP is not affected
    assert_error(c.post(LOGIN, json={"email": f"{unique_name()}@example.com", "password": "wrong password"}),
                 401, "invalid_credentials")


# --------------------------------------------------------------------------- request bodies

@pytest.mark.parametrize("raw", ["{", "", "not json", '{"email": "a@b.c",}', "[]", '"string"', "null", "42"])
def test_malformed_json(client: Client, raw):
    assert_error(post_raw(client, LOGIN, raw), 400, "invalid_json")


@pytest.mark.parametrize("path,body", [
    (LOGIN, {"email": 5, "password": PW}),
    (LOGIN, {"email": "a@example.com", "password": None}),
    (LOGIN, {"email": ["a@example.com"], "password": PW}),
    (REGISTER, {"email": "a@example.com", "username": {"x": 1}, "password": PW}),
    (REGISTER, {"email": "a@example.com", "username": "abcdef", "password": PW, "display_name": 7}),
    (VERIFY, {"email": "a@example.com", "code": 123456}),
    ("/api/v1/auth/refresh", {"refresh_token": True}),
])
def test_wrong_field_types(client: Client, path, body):
    assert_error(client.post(path, json=body), 400, "invalid_field")


@pytest.mark.parametrize("path,body", [
    (LOGIN, {"email": "a@example.com"}),
    (LOGIN, {"password": PW}),
    (LOGIN, {}),
    (REGISTER, {"email": "a@example.com", "password": PW}),
    (VERIFY, {"email": "a@example.com"}),
    ("/api/v1/auth/refresh", {}),
    ("/api/v1/auth/password/reset", {"email": "a@example.com", "code": "123456"}),
])
def test_missing_fields(client: Client, path, body):
    assert_error(client.post(path, json=body), 400, "invalid_field")


@pytest.mark.parametrize("path,body", [
    (LOGIN, {"email": "a@example.com", "password": PW, "remember_me": True}),
    (REGISTER, {"email": "a@example.com", "username": "abcdef", "password": PW, "nickname": "x"}),
    ("/api/v1/auth/password/forgot", {"email": "a@example.com", "extra": 1}),
])
def test_unknown_fields(client: Client, path, body):
    assert_error(client.post(path, json=body), 400, "unknown_field")


def test_null_is_a_wrong_type_for_optional_fields(client: Client):
    """Optional fields are strings when present (the spec declares none of them nullable)."""
    name = unique_name()
    r = client.register(f"{name}@example.com", name, PW, display_name=None)
    assert_error(r, 400, "invalid_field")
    acct = client.new_user()
    for field in ("display_name", "bio", "avatar_url"):
        assert_error(client.patch("/api/v1/users/me", token=acct.access, json={field: None}), 400, "invalid_field")
        assert_error(client.patch("/api/v1/users/me", token=acct.access, json={field: 42}), 400, "invalid_field")


def test_unknown_field_in_profile_patch(client: Client):
    acct = client.new_user()
    r = client.patch("/api/v1/users/me", token=acct.access, json={"email": "x@example.com"})
    assert_error(r, 400, "unknown_field")


def test_oversized_body(parley):
    srv = parley(name="body-limit", PARLEY_MAX_BODY_BYTES="1024")
    big = json.dumps({"email": "a@example.com", "password": "p" * 4096})
    assert len(big) > 4096
    r = requests.post(srv.url(LOGIN), data=big, headers={"Content-Type": "application/json"}, timeout=15)
    assert_error(r, 413, "payload_too_large")
    # just under the limit is processed normally
    ok = json.dumps({"email": "a@example.com", "password": "p" * 900})
    assert len(ok) < 1024
    r = requests.post(srv.url(LOGIN), data=ok, headers={"Content-Type": "application/json"}, timeout=15)
    assert_error(r, 401, "invalid_credentials")
    # the server is still healthy
    r = requests.get(srv.url("/healthz"), timeout=15)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


# --------------------------------------------------------------------------- access tokens

def test_missing_and_garbage_tokens(client: Client):
    me = "/api/v1/users/me"
    assert_error(client.get(me), 401, "invalid_token")
    assert_error(client.get(me, headers={"Authorization": "Bearer garbage"}), 401, "invalid_token")
    assert_error(client.get(me, headers={"Authorization": "Bearer a.b.c"}), 401, "invalid_token")
    assert_error(client.get(me, headers={"Authorization": "Bearer "}), 401, "invalid_token")
    assert_error(client.get(me, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "invalid_token")
    assert_error(client.post("/api/v1/auth/logout"), 401, "invalid_token")


def test_tampered_tokens(client: Client):
    victim = client.register_and_verify()
    acct = client.new_user()
    me = "/api/v1/users/me"
    assert client.get(me, token=acct.access).status_code == 200
    h64, p64, s64 = acct.access.split(".")
    header, payload, _ = jwt_parts(acct.access)

    # payload changed (sub -> another user), original signature kept
    forged = dict(payload, sub=victim.user_id)
    t1 = f"{h64}.{b64url_encode(json.dumps(forged, separators=(',', ':')).encode())}.{s64}"
    assert_error(client.get(me, token=t1), 401, "invalid_token")

    # signature bytes changed
    sig = bytearray(b64url_decode(s64))
    sig[10] ^= 0x01
    t2 = f"{h64}.{p64}.{b64url_encode(bytes(sig))}"
    assert_error(client.get(me, token=t2), 401, "invalid_token")

    # signature dropped
    assert_error(client.get(me, token=f"{h64}.{p64}."), 401, "invalid_token")

    # alg: none
    none_header = b64url_encode(json.dumps({"alg": "none", "typ": "JWT", "kid": header.get("kid")}).encode())
    assert_error(client.get(me, token=f"{none_header}.{p64}."), 401, "invalid_token")
    assert_error(client.get(me, token=f"{none_header}.{p64}.{s64}"), 401, "invalid_token")

    # alg confusion: HS256 keyed with the public key
    import hashlib
    import hmac
    jwks = client.get("/api/v1/auth/jwks").json()["keys"]
    pub = b64url_decode(jwks[0]["x"])
    hs_header = b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": header.get("kid")}).encode())
    for secret in (pub, jwks[0]["x"].encode()):
        mac = hmac.new(secret, f"{hs_header}.{p64}".encode(), hashlib.sha256).digest()
        assert_error(client.get(me, token=f"{hs_header}.{p64}.{b64url_encode(mac)}"), 401, "invalid_token")

    # the genuine token still works
    assert client.get(me, token=acct.access).json()["id"] == acct.user_id


def test_expired_access_token(parley, smtp_sink):
    srv = parley(name="access-ttl", PARLEY_ACCESS_TTL_S="1")
    c = Client(srv, smtp_sink)
    acct = c.new_user()
    assert acct.tokens["expires_in"] == 1
    time.sleep(2.5)
    assert_error(c.get("/api/v1/users/me", token=acct.access), 401, "token_expired")
    # the refresh token still yields a working access token
    r = c.refresh(acct.refresh_token)
    assert r.status_code == 200, r.text
    assert c.get("/api/v1/users/me", token=r.json()["access_token"]).status_code == 200
