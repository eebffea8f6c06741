"""Properties beyond the happy and error paths: concurrency, odd HTTP, mail without SMTP,
search edge cases, token claims. Same harness as the other files (see harness.py)."""
from __future__ import annotations

import concurrent.futures as cf
import json
import re
import socket
import time
import uuid

import pytest
import requests

from harness import Client, assert_error, b64url_decode, b64url_encode, jwt_parts, unique_name

PW = "correct horse battery"
USERS = "/api/v1/users"
ME = "/api/v1/users/me"


def parallel(n: int, fn):
    with cf.ThreadPoolExecutor(n) as ex:
        return list(ex.map(fn, range(n)))


def raw_exchange(server, data: bytes, timeout: float = 10) -> str:
    """Writes `data` on a fresh socket and reads until the server closes it."""
    out = b""
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        try:
            s.sendall(data)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server may close early on a refused request; keep what was answered
    return out.decode(errors="replace")


# --------------------------------------------------------------------------- concurrency

def test_concurrent_refresh_with_one_token_has_one_winner(client: Client):
    """Of N simultaneous refreshes with the same token exactly one gets new tokens."""
    acct = client.new_user()
    url = client.server.url("/api/v1/auth/refresh")
    rs = parallel(10, lambda _: requests.post(url, json={"refresh_token": acct.refresh_token}, timeout=20))
    winners = [r for r in rs if r.status_code == 200]
    assert len(winners) == 1, [(r.status_code, r.text[:100]) for r in rs]
    for r in rs:
        if r.status_code != 200:
            err = assert_error(r, 401)
            assert err["code"] in ("invalid_refresh_token", "refresh_token_reused"), r.text


def test_concurrent_registration_same_email(client: Client):
    name = unique_name("c")
    url = client.server.url("/api/v1/auth/register")
    rs = parallel(10, lambda i: requests.post(
        url, json={"email": f"{name}@example.com", "username": f"{name}{i}", "password": PW}, timeout=20))
    assert sorted(r.status_code for r in rs) == [201] + [409] * 9, [(r.status_code, r.text[:100]) for r in rs]
    for r in rs:
        if r.status_code == 409:
            assert_error(r, 409, "email_taken")


def test_concurrent_registration_same_username(client: Client):
    name = unique_name("c")
    url = client.server.url("/api/v1/auth/register")
    rs = parallel(10, lambda i: requests.post(
        url, json={"email": f"{name}{i}@example.com", "username": name, "password": PW}, timeout=20))
    assert sorted(r.status_code for r in rs) == [201] + [409] * 9, [(r.status_code, r.text[:100]) for r in rs]
    for r in rs:
        if r.status_code == 409:
            assert_error(r, 409, "username_taken")


# --------------------------------------------------------------------------- HTTP edge cases

def test_malformed_request_line_and_huge_headers(server):
    text = raw_exchange(server, b"GARBAGE\r\n\r\n")
    assert text.startswith("HTTP/1.1 400"), text[:300]
    assert '"error"' in text and '"code"' in text, text[:300]

    text = raw_exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40 * 1024 + b"\r\n\r\n")
    assert text.startswith("HTTP/1.1 431") or text.startswith("HTTP/1.1 400"), text[:300]

    assert requests.get(server.url("/healthz"), timeout=10).json() == {"status": "ok"}


def test_body_limit_applies_to_chunked_and_announced_bodies(parley):
    srv = parley(name="body-limit-2", PARLEY_MAX_BODY_BYTES="1024")

    def chunks():
        for _ in range(8):
            yield b" " * 1000
        yield b'{"email":"a@example.com","password":"whatever1"}'

    r = requests.post(srv.url("/api/v1/auth/login"), data=chunks(),
                      headers={"Content-Type": "application/json"}, timeout=15)
    assert_error(r, 413, "payload_too_large")

    # a Content-Length over the limit is refused without waiting for the body
    start = time.monotonic()
    text = raw_exchange(srv, b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100000000\r\n\r\n")
    assert text.startswith("HTTP/1.1 413"), text[:300]
    assert "payload_too_large" in text
    assert time.monotonic() - start < 5

    assert requests.get(srv.url("/healthz"), timeout=10).status_code == 200


def test_client_request_id_is_kept_when_plain(server):
    r = requests.get(server.url("/healthz"), headers={"X-Request-Id": "trace-abc_123"}, timeout=10)
    assert r.headers.get("X-Request-Id") == "trace-abc_123"
    r = requests.get(server.url("/healthz"), headers={"X-Request-Id": 'bad "id" <x>'}, timeout=10)
    rid = r.headers.get("X-Request-Id")
    assert rid and rid != 'bad "id" <x>', "an unsafe client id is replaced"


# --------------------------------------------------------------------------- mail

def test_mail_goes_to_files_without_smtp(parley):
    """With PARLEY_SMTP_URL empty the mail is written to DATA_DIR/mail/*.eml, and its code works."""
    srv = parley(name="file-mail", PARLEY_SMTP_URL="")
    c = Client(srv)
    name = unique_name()
    email = f"{name}@example.com"
    assert c.register(email, name, PW).status_code == 201
    mail_dir = srv.data_dir / "mail"
    deadline = time.monotonic() + 10
    files = []
    while time.monotonic() < deadline and not files:
        files = [f for f in mail_dir.glob("*.eml") if email in f.read_text(errors="replace")] if mail_dir.exists() else []
        time.sleep(0.1)
    assert files, f"no .eml for {email} in {mail_dir}"
    codes = re.findall(r"(?<!\d)(\d{6})(?!\d)", files[0].read_text().split("\n\n", 1)[1])
    assert codes, files[0].read_text()
    r = c.verify(email, codes[0])
    assert r.status_code == 200, r.text
    c.login(email, PW)


def test_resend_for_verified_account_sends_nothing(client: Client, smtp_sink):
    acct = client.register_and_verify()
    since = smtp_sink.count(acct.email)
    r = client.post("/api/v1/auth/verify/resend", json={"email": acct.email})
    assert r.status_code == 202 and r.json() == {}
    smtp_sink.assert_no_mail(acct.email, since=since, wait=1.0)


def test_reset_code_is_burnt_after_max_attempts(client: Client, smtp_sink):
    acct = client.register_and_verify()
    since = smtp_sink.count(acct.email)
    assert client.post("/api/v1/auth/password/forgot", json={"email": acct.email}).status_code == 202
    code = smtp_sink.wait_for_code(acct.email, since=since)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        r = client.post("/api/v1/auth/password/reset",
                        json={"email": acct.email, "code": wrong, "new_password": "brand new secret"})
        assert_error(r, 400, "invalid_code")
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": acct.email, "code": code, "new_password": "brand new secret"})
    assert_error(r, 429, "too_many_attempts")
    client.login(acct.email, acct.password)  # unchanged
    # a new reset mail gives a working code
    since = smtp_sink.count(acct.email)
    assert client.post("/api/v1/auth/password/forgot", json={"email": acct.email}).status_code == 202
    fresh = smtp_sink.wait_for_code(acct.email, since=since)
    r = client.post("/api/v1/auth/password/reset",
                    json={"email": acct.email, "code": fresh, "new_password": "brand new secret"})
    assert r.status_code == 204, r.text
    client.login(acct.email, "brand new secret")


# --------------------------------------------------------------------------- search edge cases

@pytest.fixture(scope="module")
def viewer(client: Client):
    return client.new_user()


@pytest.mark.parametrize("q", ["%", "_", "u%", "%a", "\\", "'", "\"", "*"])
def test_search_treats_pattern_characters_literally(client: Client, viewer, q):
    """`%` and `_` must not act as SQL LIKE wildcards (every username would match `_`)."""
    r = client.get(USERS, token=viewer.access, params={"q": q})
    assert r.status_code == 200, r.text
    for u in r.json()["items"]:
        assert u["username"].startswith(q.lower()) or u["display_name"].lower().startswith(q.lower()), (q, u)


def test_search_default_limit_is_20(client: Client, viewer):
    prefix = "d" + uuid.uuid4().hex[:8]
    for i in range(21):
        client.register_and_verify(username=f"{prefix}{i:02d}")
    r = client.get(USERS, token=viewer.access, params={"q": prefix})
    assert r.status_code == 200, r.text
    page = r.json()
    assert len(page["items"]) == 20 and isinstance(page["next_cursor"], str), page
    r = client.get(USERS, token=viewer.access, params={"q": prefix, "cursor": page["next_cursor"]})
    assert [u["username"] for u in r.json()["items"]] == [f"{prefix}20"]
    assert r.json()["next_cursor"] is None


def test_search_display_name_case_insensitive_beyond_ascii(client: Client, viewer):
    """Display names are Unicode text; "case-insensitive" must hold for É/é as for E/e."""
    tag = uuid.uuid4().hex[:6]
    target = client.register_and_verify(display_name=f"Émile{tag} Zola")
    for q in (f"Émile{tag}", f"émile{tag}", f"ÉMILE{tag}"):
        r = client.get(USERS, token=viewer.access, params={"q": q})
        assert r.status_code == 200, r.text
        assert [u["id"] for u in r.json()["items"]] == [target.user_id], f"q={q!r}: {r.text}"


# --------------------------------------------------------------------------- token claims

def test_tokens_signed_by_another_server_are_refused(client: Client, parley):
    acct = client.new_user()
    other = parley(name="other-key")
    r = requests.get(other.url(ME), headers={"Authorization": f"Bearer {acct.access}"}, timeout=10)
    assert_error(r, 401, "invalid_token")


def test_claims_are_checked_even_with_a_valid_signature(client: Client):
    """Re-signs tokens with the server's own key (read from its data dir) to check that the
    claims are validated, not only the signature: issuer, expiry, not-before, subject, kid."""
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    key_file = client.server.data_dir / "keys" / "jwt-ed25519.key"
    try:
        seed = b64url_decode(key_file.read_text().split()[1])
        private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    except (OSError, IndexError, ValueError):
        pytest.skip(f"signing key file format not recognised: {key_file}")
    acct = client.new_user()
    header, payload, _ = jwt_parts(acct.access)

    def sign(h: dict, p: dict) -> str:
        hp = f"{b64url_encode(json.dumps(h).encode())}.{b64url_encode(json.dumps(p).encode())}"
        return f"{hp}.{b64url_encode(private.sign(hp.encode()))}"

    resigned = sign(header, payload)
    if client.get(ME, token=resigned).status_code != 200:
        pytest.skip("the key in the data dir is not the signing key")
    now = int(time.time())
    bad = {
        "wrong issuer": (header, dict(payload, iss="someone-else")),
        "no exp": (header, {k: v for k, v in payload.items() if k != "exp"}),
        "nbf in the future": (header, dict(payload, nbf=now + 3600)),
        "exp not a number": (header, dict(payload, exp=str(payload["exp"]))),
        "no sub": (header, {k: v for k, v in payload.items() if k != "sub"}),
        "unknown kid": (dict(header, kid="not-a-key"), payload),
        "alg HS256 label": (dict(header, alg="HS256"), payload),
        "over 4 KiB": (header, dict(payload, pad="x" * 5000)),
    }
    for name, (h, p) in bad.items():
        r = client.get(ME, token=sign(h, p))
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text[:200]}"
        assert_error(r, 401, "invalid_token")
    assert_error(client.get(ME, token=sign(header, dict(payload, exp=now - 5))), 401, "token_expired")
