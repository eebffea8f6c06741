"""Security: access and refresh tokens under attack (docs/security.md "Access tokens",
"Sessions and refresh tokens"), on REST, on the WebSocket upgrade (header and query) and
in the WebSocket `auth` frame.

Forged tokens are built two ways: without the key (alg none, HS256 keyed with the public
key from the JWKS, tampered parts, ...), and re-signed with the server's own Ed25519 key
read from its data dir, which shows that the claims themselves are checked (expired,
not-yet-valid, issued in the future, wrong issuer, ...), not only the signature.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import requests

from harness import (HTTP_TIMEOUT_S, Client, assert_error, b64url_decode, b64url_encode, describe, jwt_parts)
from security_attacks import tried
from ws_client import WsClient, connect, create_group, rest_send, upgrade_raw

ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")

ME = "/api/v1/users/me"
CHATS = "/api/v1/chats"


def enc(obj) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


class Forge:
    """Builds tokens from a genuine one: with no key, with an attacker's key, or re-signed
    with the server's own key (which an attacker does not have: that shows claim checks)."""

    def __init__(self, server, genuine: str, jwks: dict):
        self.genuine = genuine
        self.header, self.payload, self.sig = jwt_parts(genuine)
        self.h64, self.p64, self.s64 = genuine.split(".")
        self.jwk = jwks["keys"][0]
        seed = b64url_decode((server.data_dir / "keys" / "jwt-ed25519.key").read_text().split()[1])
        self.server_key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        self.attacker_key = ed25519.Ed25519PrivateKey.generate()

    def signed(self, header: dict, payload: dict, key=None) -> str:
        hp = f"{enc(header)}.{enc(payload)}"
        return f"{hp}.{b64url_encode((key or self.server_key).sign(hp.encode()))}"

    def hmac(self, alg: str, secret: bytes, header: dict | None = None) -> str:
        h = enc({**(header or self.header), "alg": alg})
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        mac = hmac.new(secret, f"{h}.{self.p64}".encode(), digest).digest()
        return f"{h}.{self.p64}.{b64url_encode(mac)}"

    def forgeries(self, victim_id: str, other_server_token: str) -> dict[str, tuple[str, str]]:
        """name -> (token, the error code every transport must answer)."""
        h, p, now = self.header, self.payload, int(time.time())
        pub_raw = b64url_decode(self.jwk["x"])
        attacker_pub = self.attacker_key.public_key().public_bytes_raw() if hasattr(
            self.attacker_key.public_key(), "public_bytes_raw") else None
        flipped = bytearray(b64url_decode(self.s64))
        flipped[0] ^= 1
        bad = "invalid_token"
        out = {
            # --- no signature at all
            "alg none, no signature": (f"{enc({**h, 'alg': 'none'})}.{self.p64}.", bad),
            "alg none, signature kept": (f"{enc({**h, 'alg': 'none'})}.{self.p64}.{self.s64}", bad),
            "alg None": (f"{enc({**h, 'alg': 'None'})}.{self.p64}.", bad),
            "alg NONE": (f"{enc({**h, 'alg': 'NONE'})}.{self.p64}.", bad),
            "alg nOnE, two parts": (f"{enc({**h, 'alg': 'nOnE'})}.{self.p64}", bad),
            "no alg": (f"{enc({k: v for k, v in h.items() if k != 'alg'})}.{self.p64}.{self.s64}", bad),
            "signature stripped": (f"{self.h64}.{self.p64}.", bad),
            # --- algorithm confusion: HMAC keyed with what the JWKS publishes
            "HS256 with the raw public key": (self.hmac("HS256", pub_raw), bad),
            "HS256 with the base64url public key": (self.hmac("HS256", self.jwk["x"].encode()), bad),
            "HS256 with the JWK as JSON": (self.hmac("HS256", json.dumps(self.jwk).encode()), bad),
            "HS384 with the raw public key": (self.hmac("HS384", pub_raw), bad),
            "HS512 with the raw public key": (self.hmac("HS512", pub_raw), bad),
            "HS256 with an empty secret": (self.hmac("HS256", b""), bad),
            "RS256 label, Ed25519 signature": (self.signed({**h, "alg": "RS256"}, p), bad),
            "ES256 label, Ed25519 signature": (self.signed({**h, "alg": "ES256"}, p), bad),
            "Ed25519 label": (self.signed({**h, "alg": "Ed25519"}, p), bad),
            "eddsa lower case": (self.signed({**h, "alg": "eddsa"}, p), bad),
            # --- keys the server does not know
            "unknown kid": (self.signed({**h, "kid": "not-a-key"}, p), bad),
            "empty kid": (self.signed({**h, "kid": ""}, p), bad),
            "no kid": (self.signed({k: v for k, v in h.items() if k != "kid"}, p), bad),
            "kid path traversal": (self.signed({**h, "kid": "../../../../dev/null"}, p), bad),
            "kid SQL injection": (self.signed({**h, "kid": "x' UNION SELECT 'k"}, p), bad),
            "kid as an object": (self.signed({**h, "kid": {"$ne": None}}, p), bad),
            "right kid, attacker's key": (self.signed(h, p, self.attacker_key), bad),
            "embedded jwk of the attacker": (self.signed({**h, "jwk": {
                "kty": "OKP", "crv": "Ed25519",
                "x": b64url_encode(attacker_pub) if attacker_pub else "AAAA"}}, p, self.attacker_key), bad),
            "jku to the attacker": (self.signed({**h, "jku": "http://127.0.0.1:1/jwks"}, p, self.attacker_key), bad),
            "x5u to the attacker": (self.signed({**h, "x5u": "http://127.0.0.1:1/cert"}, p, self.attacker_key), bad),
            "crit extension": (self.signed({**h, "crit": ["exp"]}, p), bad),
            "signed by another server": (other_server_token, bad),
            # --- tampered parts, genuine signature kept
            "payload: sub changed": (f"{self.h64}.{enc({**p, 'sub': victim_id})}.{self.s64}", bad),
            "payload: exp extended": (f"{self.h64}.{enc({**p, 'exp': p['exp'] + 86400})}.{self.s64}", bad),
            "payload: sid changed": (f"{self.h64}.{enc({**p, 'sid': 'x'})}.{self.s64}", bad),
            "payload: re-encoded with spaces": (
                f"{self.h64}.{b64url_encode(json.dumps(p).encode())}.{self.s64}", bad),
            "header: typ changed": (f"{enc({**h, 'typ': 'at+jwt'})}.{self.p64}.{self.s64}", bad),
            "signature: one bit flipped": (f"{self.h64}.{self.p64}.{b64url_encode(bytes(flipped))}", bad),
            "signature: truncated": (f"{self.h64}.{self.p64}.{self.s64[:-4]}", bad),
            "signature: padded base64": (f"{self.h64}.{self.p64}.{self.s64}==", bad),
            "four parts": (f"{self.genuine}.{self.s64}", bad),
            "whitespace inside": (f"{self.h64}. {self.p64}.{self.s64}", bad),
            "over 4 KiB": (self.signed(h, {**p, "pad": "x" * 5000}), bad),
            # --- claims, validly signed with the server's key
            "expired": (self.signed(h, {**p, "iat": now - 3600, "nbf": now - 3600, "exp": now - 5}), "token_expired"),
            "expires now": (self.signed(h, {**p, "exp": now}), "token_expired"),
            "nbf in the future": (self.signed(h, {**p, "nbf": now + 3600}), bad),
            "iat in the future": (self.signed(h, {**p, "iat": now + 3600}), bad),
            "iat and nbf in the future": (self.signed(h, {**p, "iat": now + 600, "nbf": now + 600}), bad),
            "wrong issuer": (self.signed(h, {**p, "iss": "evil"}), bad),
            "no exp": (self.signed(h, {k: v for k, v in p.items() if k != "exp"}), bad),
            "exp a string": (self.signed(h, {**p, "exp": str(p["exp"])}), bad),
            "exp a float": (self.signed(h, {**p, "exp": p["exp"] + 0.5}), bad),
            "exp huge": (self.signed(h, {**p, "exp": 2 ** 70}), bad),
            "no sub": (self.signed(h, {k: v for k, v in p.items() if k != "sub"}), bad),
            "empty sub": (self.signed(h, {**p, "sub": ""}), bad),
            "sub a number": (self.signed(h, {**p, "sub": int(p["sub"])}), bad),
            "no sid": (self.signed(h, {k: v for k, v in p.items() if k != "sid"}), bad),
            "payload not an object": (self.signed(h, [p]), bad),
        }
        return out


@pytest.fixture(scope="module")
def setting(client: Client, parley_other):
    """(attacker account, victim account, Forge, forgeries) for the module."""
    attacker, victim = client.new_user(), client.new_user()
    forge = Forge(client.server, attacker.access, client.get("/api/v1/auth/jwks").json())
    # the genuine token re-signed must still work: the key file is the signing key
    assert client.get(ME, token=forge.signed(forge.header, forge.payload)).status_code == 200
    return attacker, victim, forge, forge.forgeries(victim.user_id, parley_other)


@pytest.fixture(scope="module")
def parley_other(tmp_root, smtp_sink):
    """An access token issued by another Parley server (another key)."""
    from harness import ParleyFactory
    factory = ParleyFactory(tmp_root, smtp_sink)
    other = factory(name="other-key")
    token = Client(other, smtp_sink).new_user().access
    yield token
    factory.stop_all()


def test_forged_access_tokens_are_refused_by_every_rest_route_kind(client: Client, setting):
    attacker, victim, _, forgeries = setting
    group = create_group(client, attacker, victim)["id"]
    routes = [("GET", ME, None), ("GET", f"{CHATS}/{group}", None),
              ("POST", f"{CHATS}/{group}/messages", {"client_id": "forged", "body": "x"}),
              ("POST", "/api/v1/auth/logout", None)]
    for name, (token, code) in forgeries.items():
        for method, path, body in routes:
            r = client.request(method, path, token=token, json=body)
            assert r.status_code == 401, f"{name}: {describe(r)}"
            assert_error(r, 401, code)
        tried("tokens", len(routes))
    # nothing was stored, and the genuine tokens still work
    r = client.get(f"{CHATS}/{group}/messages", token=victim.access)
    assert r.status_code == 200 and r.json()["items"] == [], describe(r)
    assert client.get(ME, token=attacker.access).json()["id"] == attacker.user_id


def test_forged_access_tokens_are_refused_at_the_websocket_upgrade(server, setting):
    _, _, _, forgeries = setting
    for name, (token, code) in forgeries.items():
        for how in ("header", "query"):
            if how == "header":
                resp = upgrade_raw(server, headers={"Authorization": f"Bearer {token}"})
            else:
                resp = upgrade_raw(server, path=f"/ws?access_token={requests.utils.quote(token, safe='')}")
            assert resp.status == 401, f"{name} ({how}): {resp.status} {resp.body[:200]!r}"
            assert resp.json()["error"]["code"] == code, f"{name} ({how}): {resp.body!r}"
            assert resp.closed, f"{name} ({how}): the connection stayed open"
        tried("tokens", 2)
    # a good token in the header does not rescue a bad (or empty) one in the query, which wins
    good = setting[0].access
    bad = forgeries["alg none, no signature"][0]
    for query in (f"access_token={bad}", "access_token=", "access_token", f"access_token={bad}&access_token={good}"):
        resp = upgrade_raw(server, path=f"/ws?{query}", headers={"Authorization": f"Bearer {good}"})
        assert resp.status == 401, (query, resp)
        tried("tokens")


def test_forged_tokens_in_the_auth_frame_keep_the_connection_as_it_was(client: Client, server, setting):
    attacker, victim, forge, forgeries = setting
    ws = connect(server, attacker)
    try:
        for name, (token, code) in forgeries.items():
            answer = ws.request({"type": "auth", "token": token})
            assert answer["type"] == "error" and answer["code"] == code, f"{name}: {answer}"
            tried("tokens")
        # another user's genuine token
        answer = ws.request({"type": "auth", "token": victim.access})
        assert answer["type"] == "error" and answer["code"] == "wrong_user", answer
        # the connection is still the attacker's and still works
        ws.barrier()
        answer = ws.request({"type": "auth", "token": attacker.access})
        assert answer == {"type": "ack", "id": answer["id"], "status": "authenticated"}, answer
        tried("tokens")
    finally:
        ws.close()


def test_refresh_token_reuse_revokes_the_whole_family(client: Client):
    acct = client.new_user()
    other_device = client.login(acct.email, acct.password)  # another session of the same user
    first = acct.refresh_token
    r1 = client.refresh(first)
    assert r1.status_code == 200, describe(r1)
    second = r1.json()["refresh_token"]
    r2 = client.refresh(second)
    assert r2.status_code == 200, describe(r2)
    newest = r2.json()["refresh_token"]
    # the thief replays the first token: the session is revoked, whatever token comes next
    assert_error(client.refresh(first), 401, "refresh_token_reused")
    assert_error(client.refresh(newest), 401, "invalid_refresh_token")
    assert_error(client.refresh(second), 401, ("refresh_token_reused", "invalid_refresh_token"))
    assert_error(client.refresh(first), 401, ("refresh_token_reused", "invalid_refresh_token"))
    tried("tokens", 4)
    # the user's other session is not the stolen one's family
    r = client.refresh(other_device["refresh_token"])
    assert r.status_code == 200, describe(r)


def test_refresh_and_access_tokens_are_not_interchangeable(client: Client, server):
    acct = client.new_user()
    # an access token (and a forged-looking JWT) is not a refresh token
    for token in (acct.access, acct.access + "x", "eyJhbGciOiJub25lIn0.e30."):
        assert_error(client.refresh(token), 401, "invalid_refresh_token")
        tried("tokens")
    # a refresh token is not an access token: REST, upgrade (header and query), auth frame
    rt = acct.refresh_token
    assert_error(client.get(ME, token=rt), 401, "invalid_token")
    assert upgrade_raw(server, headers={"Authorization": f"Bearer {rt}"}).status == 401
    assert upgrade_raw(server, path=f"/ws?access_token={requests.utils.quote(rt, safe='')}").status == 401
    ws = connect(server, acct)
    try:
        answer = ws.request({"type": "auth", "token": rt})
        assert answer["type"] == "error" and answer["code"] == "invalid_token", answer
    finally:
        ws.close()
    tried("tokens", 4)
    # the refresh token was not consumed by any of that
    assert client.refresh(rt).status_code == 200


def test_refresh_token_shapes_are_refused(client: Client):
    acct = client.new_user()
    rt = acct.refresh_token
    for bad in (rt[:-1], rt + "A", rt.upper() if rt != rt.upper() else rt.lower(), " " + rt, rt + "\n",
                hashlib.sha256(rt.encode()).hexdigest(), "", "x" * 5000, "' OR '1'='1", "%", "*"):
        assert_error(client.refresh(bad), 401, "invalid_refresh_token")
        tried("tokens")
    for bad in ({"$ne": None}, {"$gt": ""}, ["a"], 1, None, True):
        assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": bad}), 400, "invalid_field")
        tried("tokens")
    assert client.refresh(rt).status_code == 200


def test_tokens_of_a_deleted_user_stop_working(client: Client, server):
    """A deleted account keeps no access: its access token (still unexpired) is refused by
    REST and the WebSocket, and its refresh token too."""
    friend = client.new_user()
    gone = client.new_user()
    group = create_group(client, friend, gone)["id"]
    rest_send(client, friend, group, "before")
    ws = connect(server, gone)
    ws.close()
    r = client.delete(ME, token=gone.access, json={"password": gone.password})
    assert r.status_code == 204, describe(r)
    for method, path, body in (("GET", ME, None), ("GET", f"{CHATS}/{group}", None),
                               ("GET", f"{CHATS}/{group}/messages", None),
                               ("POST", f"{CHATS}/{group}/messages", {"client_id": "ghost", "body": "boo"}),
                               ("GET", CHATS, None), ("GET", f"/api/v1/users/{friend.user_id}", None),
                               ("POST", f"{CHATS}/direct", {"user_id": friend.user_id}),
                               ("PATCH", ME, {"display_name": "ghost"})):
        assert_error(client.request(method, path, token=gone.access, json=body), 401, "invalid_token")
        tried("tokens")
    resp = upgrade_raw(server, headers={"Authorization": f"Bearer {gone.access}"})
    assert resp.status == 401 and resp.json()["error"]["code"] == "invalid_token", resp
    assert_error(client.refresh(gone.refresh_token), 401, "invalid_refresh_token")
    tried("tokens", 2)
    r = client.get(f"{CHATS}/{group}/messages", token=friend.access)
    assert [m["body"] for m in r.json()["items"]] == ["before"], describe(r)


def test_the_auth_frame_refuses_a_deleted_users_token(client: Client, server):
    acct = client.new_user()
    ws = connect(server, acct)
    try:
        fresh = client.refresh(acct.refresh_token).json()["access_token"]
        r = client.delete(ME, token=acct.access, json={"password": acct.password})
        assert r.status_code == 204, describe(r)
        answer = ws.request({"type": "auth", "token": fresh})
        assert answer["type"] == "error" and answer["code"] == "invalid_token", answer
        tried("tokens")
    finally:
        ws.close()


def test_a_logged_out_session_cannot_be_refreshed_or_renewed(client: Client):
    acct = client.new_user()
    assert client.post("/api/v1/auth/logout", token=acct.access).status_code == 204
    assert_error(client.refresh(acct.refresh_token), 401, "invalid_refresh_token")
    other = client.new_user()
    assert client.post("/api/v1/auth/logout-all", token=other.access).status_code == 204
    assert_error(client.refresh(other.refresh_token), 401, "invalid_refresh_token")
    tried("tokens", 2)


def test_bearer_scheme_variants(client: Client):
    acct = client.new_user()
    t = acct.access
    for header in (f"Bearer {t}x", f"Basic {t}", f"Bearer {t},{t}", f"Bearer {t} {t}", f"Token {t}", t, "Bearer",
                   f"Bearer {t[:-1]}"):
        r = client.get(ME, headers={"Authorization": header})
        assert r.status_code == 401, f"{header[:30]!r}: {describe(r)}"
        tried("tokens")
    # a NUL in a header field is not HTTP at all
    assert_error(client.get(ME, headers={"Authorization": f"Bearer {t}\x00"}), 400, "bad_request")
    tried("tokens")


def test_the_token_is_not_taken_from_the_query_on_rest(client: Client):
    acct = client.new_user()
    assert_error(client.get(ME, params={"access_token": acct.access}), 401, "invalid_token")
    tried("tokens")


def test_ws_auth_frame_with_a_forged_token_does_not_extend_the_deadline(parley, smtp_sink):
    srv = parley(name="ws-expiry", PARLEY_ACCESS_TTL_S="3")
    c = Client(srv, smtp_sink)
    acct = c.new_user()
    _, payload, _ = jwt_parts(acct.access)
    forge = Forge(srv, acct.access, c.get("/api/v1/auth/jwks").json())
    ws = WsClient(srv, acct.access, name="expiring")
    try:
        ws.wait_for(lambda f: f.get("type") == "hello")
        longer = forge.signed({**forge.header, "kid": "other"}, {**payload, "exp": payload["exp"] + 3600})
        answer = ws.request({"type": "auth", "token": longer})
        assert answer["code"] == "invalid_token", answer
        code, _ = ws.wait_closed(timeout=10)
        assert code == 4401
        tried("tokens")
    finally:
        ws.abort()
    c.http.close()
