"""The happy paths of authentication, end to end, with mail through the real SMTP sink."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import requests

from harness import (Client, assert_error, b64url_decode, bearer, jwt_parts, unique_name)

PW1 = "correct horse battery"
PW2 = "another long secret"
PW3 = "yet another passphrase"


def parse_ts(value: str) -> datetime:
    assert isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_token_response(body: dict, user_id: str) -> None:
    assert set(body) >= {"user_id", "access_token", "token_type", "expires_in",
                         "refresh_token", "refresh_expires_in"}, body
    assert body["user_id"] == user_id
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and 0 < body["expires_in"] <= 900
    assert isinstance(body["refresh_expires_in"], int) and body["refresh_expires_in"] > body["expires_in"]
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert isinstance(body["refresh_token"], str) and len(body["refresh_token"]) >= 16


def test_full_flow(client: Client, smtp_sink):
    username = unique_name("flow")
    email = f"{username}@example.com"

    # --- register: 201, unverified, a mail with a 6-digit code through SMTP -----------------
    r = client.register(email, username, PW1, display_name="Flow Tester")
    assert r.status_code == 201, r.text
    reg = r.json()
    assert isinstance(reg["user_id"], str) and reg["user_id"]
    assert reg["email"] == email and reg["username"] == username and reg["verified"] is False
    user_id = reg["user_id"]

    mail = smtp_sink.wait_for_mail(email)
    assert mail.mail_from == "parley-test@example.com", "PARLEY_MAIL_FROM is the envelope sender"
    code = mail.code

    # --- login before verification is refused -------------------------------------------------
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PW1})
    assert_error(r, 403, "email_not_verified")

    # --- verify -------------------------------------------------------------------------------
    r = client.verify(email, code)
    assert r.status_code == 200, r.text
    assert r.json() == {"verified": True}

    # --- login --------------------------------------------------------------------------------
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PW1})
    assert r.status_code == 200, r.text
    s1 = r.json()
    assert_token_response(s1, user_id)
    r = client.get("/api/v1/users/me", token=s1["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["id"] == user_id

    # --- refresh rotates; reuse of a rotated token revokes the whole session -------------------
    r = client.refresh(s1["refresh_token"])
    assert r.status_code == 200, r.text
    s1b = r.json()
    assert_token_response(s1b, user_id)
    assert s1b["refresh_token"] != s1["refresh_token"]
    assert client.get("/api/v1/users/me", token=s1b["access_token"]).status_code == 200

    r = client.refresh(s1["refresh_token"])
    assert_error(r, 401, "refresh_token_reused")
    r = client.refresh(s1b["refresh_token"])
    assert_error(r, 401, "invalid_refresh_token")

    # --- profile get / update -------------------------------------------------------------
    s2 = client.login(email, PW1)
    tok = s2["access_token"]
    r = client.get("/api/v1/users/me", token=tok)
    assert r.status_code == 200, r.text
    me = r.json()
    assert set(me) >= {"id", "username", "email", "display_name", "bio", "avatar_url",
                       "created_at", "updated_at"}, me
    assert me["id"] == user_id and me["username"] == username and me["email"] == email
    assert me["display_name"] == "Flow Tester"
    created = parse_ts(me["created_at"])
    parse_ts(me["updated_at"])

    patch = {"display_name": "Flow Renamed", "bio": "hello there", "avatar_url": "https://example.com/a.png"}
    r = client.patch("/api/v1/users/me", token=tok, json=patch)
    assert r.status_code == 200, r.text
    upd = r.json()
    for k, v in patch.items():
        assert upd[k] == v, upd
    assert upd["id"] == user_id and upd["email"] == email
    assert parse_ts(upd["created_at"]) == created
    assert parse_ts(upd["updated_at"]) >= created
    r = client.get("/api/v1/users/me", token=tok)
    assert {k: r.json()[k] for k in patch} == patch, "the update is persisted"

    # --- forgot / reset -----------------------------------------------------------------------
    since = smtp_sink.count(email)
    r = client.post("/api/v1/auth/password/forgot", json={"email": email})
    assert r.status_code == 202, r.text
    assert r.json() == {}
    reset_code = smtp_sink.wait_for_code(email, since=since)
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": email, "code": reset_code, "new_password": PW2})
    assert r.status_code == 204, r.text
    assert r.content == b""

    assert_error(client.refresh(s2["refresh_token"]), 401, "invalid_refresh_token")
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PW1})
    assert_error(r, 401, "invalid_credentials")
    s3 = client.login(email, PW2)
    assert_token_response(s3, user_id)

    # the reset code is single use
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": email, "code": reset_code, "new_password": "some other secret"})
    assert r.status_code in (400, 429), r.text
    client.login(email, PW2)

    # --- change password: keeps this session, revokes the others ------------------------------
    s4 = client.login(email, PW2)  # another session
    r = client.post("/api/v1/auth/password/change", token=s3["access_token"],
                    json={"current_password": PW2, "new_password": PW3})
    assert r.status_code == 204, r.text
    r = client.refresh(s3["refresh_token"])
    assert r.status_code == 200, f"the changing session must survive: {r.text}"
    s3b = r.json()
    assert_error(client.refresh(s4["refresh_token"]), 401, "invalid_refresh_token")
    assert_error(client.post("/api/v1/auth/login", json={"email": email, "password": PW2}),
                 401, "invalid_credentials")
    client.login(email, PW3)

    # --- logout: this session's refresh token stops working -----------------------------------
    other = client.login(email, PW3)
    r = client.post("/api/v1/auth/logout", token=s3b["access_token"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_error(client.refresh(s3b["refresh_token"]), 401, "invalid_refresh_token")
    r = client.refresh(other["refresh_token"])
    assert r.status_code == 200, f"logout must only end its own session: {r.text}"
    other = r.json()

    # --- logout-all: every session ends -------------------------------------------------------
    a = client.login(email, PW3)
    b = client.login(email, PW3)
    r = client.post("/api/v1/auth/logout-all", token=a["access_token"])
    assert r.status_code == 204, r.text
    for s in (a, b, other):
        assert_error(client.refresh(s["refresh_token"]), 401, "invalid_refresh_token")
    # the account itself still works
    client.login(email, PW3)


def test_jwks_and_access_token(client: Client):
    acct = client.new_user()
    r = client.get("/api/v1/auth/jwks")
    assert r.status_code == 200, r.text
    keys = r.json()["keys"]
    assert isinstance(keys, list) and keys
    for k in keys:
        assert k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA" and k["use"] == "sig"
        assert isinstance(k["kid"], str) and k["kid"]
        assert len(b64url_decode(k["x"])) == 32

    header, payload, sig = jwt_parts(acct.access)
    assert header["alg"] == "EdDSA"
    assert header["kid"] in {k["kid"] for k in keys}
    assert payload["sub"] == acct.user_id
    assert isinstance(payload.get("exp"), int)

    # the signature verifies with the published key
    crypto = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    key = next(k for k in keys if k["kid"] == header["kid"])
    pub = crypto.Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"]))
    signing_input = acct.access.rsplit(".", 1)[0].encode()
    pub.verify(b64url_decode(sig), signing_input)  # raises InvalidSignature on mismatch


def test_email_and_username_are_normalised(client: Client, smtp_sink):
    base = unique_name("norm")
    email = f"{base}@example.com"
    r = client.register(f"  {base.upper()}@Example.COM \t", base.upper(), PW1)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == email
    assert r.json()["username"] == base
    code = smtp_sink.wait_for_code(email)
    # verify and login accept any case / surrounding spaces
    assert client.verify(f" {email.upper()} ", code).status_code == 200
    tokens = client.login(email.upper(), PW1)
    me = client.get("/api/v1/users/me", token=tokens["access_token"]).json()
    assert me["email"] == email and me["username"] == base


def test_verify_is_idempotent(client: Client, smtp_sink):
    username = unique_name()
    email = f"{username}@example.com"
    assert client.register(email, username, PW1).status_code == 201
    code = smtp_sink.wait_for_code(email)
    assert client.verify(email, code).status_code == 200
    r = client.verify(email, code)
    assert r.status_code == 200, r.text
    assert r.json() == {"verified": True}


def test_resend_sends_a_working_code(client: Client, smtp_sink):
    username = unique_name()
    email = f"{username}@example.com"
    assert client.register(email, username, PW1).status_code == 201
    smtp_sink.wait_for_mail(email)
    since = smtp_sink.count(email)
    r = client.post("/api/v1/auth/verify/resend", json={"email": email})
    assert r.status_code == 202, r.text
    assert r.json() == {}
    code = smtp_sink.wait_for_code(email, since=since)
    assert client.verify(email, code).status_code == 200
    client.login(email, PW1)


def test_no_enumeration_for_unknown_email(client: Client, smtp_sink):
    email = f"{unique_name('nobody')}@example.com"
    r = client.post("/api/v1/auth/password/forgot", json={"email": email})
    assert r.status_code == 202 and r.json() == {}
    r = client.post("/api/v1/auth/verify/resend", json={"email": email})
    assert r.status_code == 202 and r.json() == {}
    smtp_sink.assert_no_mail(email, since=0, wait=1.0)


def test_forgot_for_existing_account_sends_mail(client: Client, smtp_sink):
    acct = client.register_and_verify()
    since = smtp_sink.count(acct.email)
    r = client.post("/api/v1/auth/password/forgot", json={"email": acct.email})
    assert r.status_code == 202 and r.json() == {}
    mail = smtp_sink.wait_for_mail(acct.email, since=since)
    assert re.fullmatch(r"\d{6}", mail.code)


def test_state_survives_restart(parley, smtp_sink):
    """Accounts, sessions and the signing key live in PARLEY_DATA_DIR."""
    srv = parley(name="restart1")
    c = Client(srv, smtp_sink)
    acct = c.new_user()
    kids = {k["kid"] for k in c.get("/api/v1/auth/jwks").json()["keys"]}
    data_dir = srv.data_dir
    srv.stop_and_check()

    srv2 = parley(data_dir=data_dir, name="restart2")
    c2 = Client(srv2, smtp_sink)
    kids2 = {k["kid"] for k in c2.get("/api/v1/auth/jwks").json()["keys"]}
    assert kids <= kids2, "the signing key must persist across restarts"
    r = c2.get("/api/v1/users/me", token=acct.access)
    assert r.status_code == 200, r.text
    r = c2.refresh(acct.refresh_token)
    assert r.status_code == 200, r.text
    c2.login(acct.email, acct.password)
