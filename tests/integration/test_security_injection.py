"""Security: injection. SQL injection strings in every text field and query parameter (the
embedded server stores in SQLite), NoSQL operator objects and operator-looking strings in
every JSON field (a 400 validation error, never a match), header injection in the mails
(CR/LF and SMTP end-of-data in whatever reaches a mail), path traversal in media keys, and
XSS payloads in every text field (stored and answered verbatim as JSON, never sniffed;
tests in web/e2e show that the client renders them as text). The MongoDB side is
tests/contract (LookupValuesThatLookLikeOperatorsFindNothingExtra,
ClientStringsAreValuesNeverOperators).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import time

import pytest
import requests

from harness import HTTP_TIMEOUT_S, Client, assert_error, describe, unique_name
from security_attacks import tried
from ws_client import CHATS, cid, connect, create_group, open_direct, rest_send

SQLI = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "'; DROP TABLE auth_accounts; --",
    "1; DELETE FROM message_messages",
    "' UNION SELECT email, password_hash FROM auth_accounts --",
    "admin'--",
    "%' --",
    "\\'; --",
    "') OR ('a'='a",
    "' || (SELECT hex(randomblob(1000000))) || '",
    "%",
    "_",
    "*",
    "1' AND 1=CAST((SELECT password_hash FROM auth_accounts LIMIT 1) AS INT) --",
]

OPERATOR_VALUES = [{"$gt": ""}, {"$ne": None}, {"$regex": ".*"}, {"$where": "1"}, ["$gt", ""], {"": ""}]
OPERATOR_STRINGS = ['{"$ne": null}', '{"$gt": ""}', "$where", "$gt", "[$ne]", "a.b", "$", "{}"]

XSS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "<a href=\"javascript:alert(1)\">click</a>",
    "{{constructor.constructor('alert(1)')()}}",
    "</textarea><script>alert(1)</script>",
    "<iframe srcdoc=\"<script>alert(1)</script>\">",
]

ME = "/api/v1/users/me"
USERS = "/api/v1/users"


@pytest.fixture(scope="module")
def pair(client: Client):
    """ann and bob in a group and a 1:1 chat, with a message of ann's in each."""
    ann, bob = client.new_user(display_name="Ann Injector"), client.new_user()
    group = create_group(client, ann, bob, name="Injection lab")["id"]
    direct = open_direct(client, ann, bob)["id"]
    msg = rest_send(client, ann, group, "plain")["id"]
    return ann, bob, group, direct, msg


def no_server_error(resp: requests.Response, what: str) -> None:
    assert resp.status_code < 500, f"{what}: {describe(resp)}"


# --------------------------------------------------------------------------- SQL injection

def test_sql_injection_in_text_fields_is_stored_verbatim(client: Client, pair):
    ann, bob, group, direct, msg = pair
    for s in SQLI:
        # message body, over REST, and its edit
        r = client.post(f"{CHATS}/{group}/messages", token=ann.access, json={"client_id": cid(), "body": s})
        assert r.status_code == 201 and r.json()["body"] == s, describe(r)
        r = client.patch(f"{CHATS}/{group}/messages/{r.json()['id']}", token=ann.access, json={"body": s + s})
        assert r.status_code == 200 and r.json()["body"] == s + s, describe(r)
        # profile fields
        short = s[:64].strip()  # names are at most 64 characters, and trimmed
        r = client.patch(ME, token=bob.access, json={"display_name": short, "bio": s})
        assert r.status_code == 200 and r.json()["display_name"] == short and r.json()["bio"] == s, describe(r)
        # group name
        r = client.patch(f"{CHATS}/{group}", token=ann.access, json={"name": short})
        assert r.status_code == 200 and r.json()["name"] == short, describe(r)
        # a client_id (printable ASCII without spaces) that is an injection
        compact = s.replace(" ", "")
        r = client.post(f"{CHATS}/{direct}/messages", token=ann.access, json={"client_id": compact, "body": "x"})
        assert r.status_code in (200, 201) and r.json()["client_id"] == compact, describe(r)
        # a file name
        r = client.post("/api/v1/media/uploads", token=ann.access,
                        json={"file_name": s + ".png", "content_type": "image/png", "size": 10})
        if "/" in s or "\\" in s:
            assert_error(r, 422, "invalid_file_name")
        else:
            assert r.status_code == 201, describe(r)
        tried("injection", 6)
    # everything still there: nothing was dropped or rewritten
    r = client.get(f"{CHATS}/{group}/messages", token=bob.access, params={"limit": 100})
    bodies = [m["body"] for m in r.json()["items"]]
    assert bodies[0] == "plain" and len(bodies) == 1 + len(SQLI), bodies
    assert client.get(f"{CHATS}/{group}", token=bob.access).json()["name"] == SQLI[-1][:64].strip()
    assert client.login(ann.email, ann.password)["access_token"]


def test_sql_injection_in_auth_fields_matches_nothing(client: Client, smtp_sink, pair):
    ann = pair[0]
    # an account waiting for its code: no injected code verifies it
    pending = unique_name()
    assert client.register(f"{pending}@example.com", pending, "correct horse battery").status_code == 201
    for s in SQLI:
        r = client.post("/api/v1/auth/login", json={"email": s, "password": s})
        assert_error(r, r.status_code, None)
        assert r.status_code in (400, 401, 422), f"{s!r}: {describe(r)}"
        r = client.post("/api/v1/auth/login", json={"email": ann.email, "password": s})
        assert_error(r, 401, "invalid_credentials")
        r = client.post("/api/v1/auth/login", json={"email": f"{s}@example.com", "password": ann.password})
        assert r.status_code in (400, 401, 422), f"{s!r}: {describe(r)}"
        r = client.post("/api/v1/auth/verify", json={"email": f"{pending}@example.com", "code": s})
        no_server_error(r, s)
        assert r.status_code in (400, 422, 429), describe(r)  # 429: the code is burnt after 5 guesses
        r = client.post("/api/v1/auth/password/reset", json={"email": ann.email, "code": s,
                                                              "new_password": "long enough secret"})
        assert r.status_code in (400, 422), describe(r)
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": s})
        assert_error(r, 401, "invalid_refresh_token")
        r = client.register(f"x{unique_name()}@example.com", s, "correct horse battery")
        assert r.status_code in (400, 422), f"username {s!r}: {describe(r)}"
        r = client.register(s, unique_name(), "correct horse battery")
        assert r.status_code in (400, 422), f"email {s!r}: {describe(r)}"
        tried("injection", 8)
    # the accounts are intact, and the pending one still pending
    assert client.login(ann.email, ann.password)["access_token"]
    r = client.post("/api/v1/auth/login", json={"email": f"{pending}@example.com", "password": "correct horse battery"})
    assert_error(r, 403, "email_not_verified")


def test_sql_injection_in_path_and_query_parameters(client: Client, pair):
    ann, _, group, _, msg = pair
    t = ann.access
    for s in SQLI:
        q = requests.utils.quote(s, safe="")
        for path, code in ((f"{CHATS}/{q}", "chat_not_found"), (f"{CHATS}/{q}/messages", "chat_not_found"),
                           (f"{USERS}/{q}", "user_not_found"),
                           (f"{CHATS}/{group}/messages/{q}/reaction", None),
                           (f"/api/v1/notifications/{q}/read", "notification_not_found")):
            method = "PUT" if path.endswith("/reaction") else "POST" if path.endswith("/read") else "GET"
            r = client.request(method, path, token=t, json={"emoji": "x"} if method == "PUT" else None)
            if r.status_code == 404 and r.json()["error"]["code"] == "not_found":
                continue  # a "/" in the value makes it another route
            assert_error(r, 404, code or "message_not_found")
            tried("injection")
        for param in ("limit", "before", "after"):
            r = client.get(f"{CHATS}/{group}/messages", token=t, params={param: s})
            assert_error(r, 400, "invalid_query")
            tried("injection")
        for param in ("limit", "cursor"):
            for route in (CHATS, "/api/v1/notifications"):
                assert_error(client.get(route, token=t, params={param: s}), 400, ("invalid_query", "invalid_cursor"))
                tried("injection")
        assert_error(client.get(USERS, token=t, params={"q": "a", "cursor": s}), 400, "invalid_cursor")
        assert_error(client.get(USERS, token=t, params={"q": "a", "limit": s}), 400, "invalid_query")
        tried("injection", 2)
    # the message is still there, unchanged
    items = client.get(f"{CHATS}/{group}/messages", token=t, params={"limit": 100}).json()["items"]
    assert any(m["id"] == msg for m in items)


def test_search_treats_injection_as_a_literal_prefix(client: Client, pair):
    viewer = pair[0]
    # someone whose name really starts with an injection string: only they may match it
    literal = client.new_user(display_name="' OR '1'='1 is my name")
    for s in SQLI + OPERATOR_STRINGS:
        r = client.get(USERS, token=viewer.access, params={"q": s, "limit": 50})
        if len(s) > 64:
            assert_error(r, 400, "invalid_query")
            continue
        assert r.status_code == 200, f"{s!r}: {describe(r)}"
        for u in r.json()["items"]:
            assert (u["username"].lower().startswith(s.lower()) or u["display_name"].lower().startswith(s.lower())), \
                f"q={s!r} matched {u}"
        tried("injection")
    r = client.get(USERS, token=viewer.access, params={"q": "' OR '1'='1"})
    assert [u["id"] for u in r.json()["items"]] == [literal.user_id], r.json()


# --------------------------------------------------------------------------- NoSQL operators

def json_routes(w) -> list[tuple[str, str, str | None, dict]]:
    """(method, path, token, a valid body): every route with a JSON body."""
    ann, bob, group, direct, msg = w
    return [
        ("POST", "/api/v1/auth/register", None,
         {"email": "n@example.com", "username": "nosql", "password": "correct horse battery", "display_name": "N"}),
        ("POST", "/api/v1/auth/verify", None, {"email": ann.email, "code": "123456"}),
        ("POST", "/api/v1/auth/verify/resend", None, {"email": ann.email}),
        ("POST", "/api/v1/auth/login", None, {"email": ann.email, "password": ann.password}),
        ("POST", "/api/v1/auth/refresh", None, {"refresh_token": "x"}),
        ("POST", "/api/v1/auth/password/forgot", None, {"email": ann.email}),
        ("POST", "/api/v1/auth/password/reset", None,
         {"email": ann.email, "code": "123456", "new_password": "another long secret"}),
        ("POST", "/api/v1/auth/password/change", ann.access,
         {"current_password": ann.password, "new_password": "another long secret"}),
        ("PATCH", ME, ann.access, {"display_name": "Ann", "bio": "b", "avatar_url": "https://example.com/a.png"}),
        ("DELETE", ME, ann.access, {"password": ann.password}),
        ("POST", f"{CHATS}/direct", ann.access, {"user_id": bob.user_id}),
        ("POST", f"{CHATS}/groups", ann.access, {"name": "G", "avatar_url": "", "member_ids": [bob.user_id]}),
        ("PATCH", f"{CHATS}/{group}", ann.access, {"name": "G", "avatar_url": ""}),
        ("POST", f"{CHATS}/{group}/members", ann.access, {"user_id": bob.user_id}),
        ("PATCH", f"{CHATS}/{group}/members/{bob.user_id}", ann.access, {"role": "admin"}),
        ("POST", f"{CHATS}/{group}/owner", ann.access, {"user_id": bob.user_id}),
        ("POST", f"{CHATS}/{group}/messages", ann.access,
         {"client_id": "c", "body": "b", "reply_to": msg, "mentions": [bob.user_id]}),
        ("PATCH", f"{CHATS}/{group}/messages/{msg}", ann.access, {"body": "b"}),
        ("PUT", f"{CHATS}/{group}/messages/{msg}/reaction", ann.access, {"emoji": "x"}),
        ("POST", f"{CHATS}/{group}/read", ann.access, {"seq": 1}),
        ("POST", f"{CHATS}/{group}/delivered", ann.access, {"seq": 1}),
        ("POST", "/api/v1/media/uploads", ann.access, {"file_name": "a.png", "content_type": "image/png", "size": 1}),
    ]


def test_every_spec_route_with_a_body_is_in_the_operator_table(pair):
    from test_security_authz import spec_routes
    import yaml
    from test_spec_conformance import SPEC_PATH
    with open(SPEC_PATH, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    with_body = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "application/json" in (op.get("requestBody") or {}).get("content", {}):
                with_body.add((method.upper(), path))
    assert with_body <= set(spec_routes())
    templated = {(m, re.sub(r"/\d{6,}", "/{}", p)) for m, p, _, _ in json_routes(pair)}
    normalised = {(m, re.sub(r"\{[a-z_]+\}", "{}", p)) for m, p in with_body}
    assert normalised <= templated, f"routes with a JSON body missing from json_routes: {normalised - templated}"


def test_operator_objects_in_any_json_field_are_validation_errors(client: Client, pair):
    for method, path, token, body in json_routes(pair):
        for field, value in body.items():
            variants = OPERATOR_VALUES if not isinstance(value, list) else [[v] for v in OPERATOR_VALUES[:4]]
            for bad in variants:
                r = client.request(method, path, token=token, json={**body, field: bad})
                assert_error(r, 400, "invalid_field")
                tried("injection")
        # an operator as the whole body, or as a key of it
        assert_error(client.request(method, path, token=token, json={"$where": "1", **body}), 400, "unknown_field")
        assert_error(client.request(method, path, token=token, json=[body]), 400, "invalid_json")
        tried("injection", 2)
    # nothing happened to ann: her password and account are as they were
    ann = pair[0]
    assert client.login(ann.email, ann.password)["access_token"]


def test_operator_looking_strings_match_nothing(client: Client, pair):
    ann, bob, group, _, _ = pair
    for s in OPERATOR_STRINGS:
        r = client.post("/api/v1/auth/login", json={"email": s, "password": s})
        assert r.status_code in (400, 401, 422), describe(r)
        r = client.post("/api/v1/auth/login", json={"email": ann.email, "password": s})
        assert_error(r, 401, "invalid_credentials")
        assert_error(client.post("/api/v1/auth/refresh", json={"refresh_token": s}), 401, "invalid_refresh_token")
        r = client.post("/api/v1/auth/verify", json={"email": "nobody@example.com", "code": s})
        assert r.status_code in (400, 422), describe(r)
        assert_error(client.post(f"{CHATS}/direct", token=ann.access, json={"user_id": s}), 404, "user_not_found")
        assert_error(client.post(f"{CHATS}/{group}/members", token=ann.access, json={"user_id": s}), 404,
                     "user_not_found")
        assert_error(client.get(f"{CHATS}/{requests.utils.quote(s, safe='')}", token=ann.access), 404,
                     "chat_not_found")
        r = client.post(f"{CHATS}/{group}/messages", token=ann.access,
                        json={"client_id": cid(), "body": "x", "mentions": [s]})
        assert_error(r, 422, "invalid_mentions")
        r = client.post(f"{CHATS}/{group}/messages", token=ann.access,
                        json={"client_id": cid(), "body": "x", "reply_to": s})
        assert_error(r, 422, "invalid_reply_to")
        tried("injection", 9)
    # as a query parameter written the way some frameworks parse operators
    for params in ({"q[$ne]": "x"}, {"q[$regex]": ".*"}, {"q[]": "a"}):
        r = client.get(USERS, token=ann.access, params=params)
        assert_error(r, 400, "invalid_query")
        tried("injection")
    # an unknown parameter is ignored, it does not widen the search
    r = client.get(USERS, token=ann.access, params={"q": "zz", "q[$ne]": "x", "limit[$gt]": "0"})
    assert r.status_code == 200 and all(u["username"].startswith("zz") or u["display_name"].lower().startswith("zz")
                                        for u in r.json()["items"]), describe(r)
    tried("injection")


def test_operator_objects_in_websocket_frames(client: Client, server, pair):
    ann, bob, group, _, msg = pair
    ws = connect(server, ann)
    try:
        for bad in OPERATOR_VALUES:
            for frame, code in (
                ({"type": "message.send", "chat_id": bad, "client_id": cid(), "body": "x"}, "invalid_frame"),
                ({"type": "message.edit", "chat_id": group, "message_id": bad, "body": "x"}, "invalid_frame"),
                ({"type": "message.delete", "chat_id": bad, "message_id": msg}, "invalid_frame"),
                ({"type": "receipt.read", "chat_id": group, "seq": bad}, "invalid_frame"),
                ({"type": "reaction.set", "chat_id": group, "message_id": msg, "emoji": bad}, "invalid_frame"),
                ({"type": "typing", "chat_id": bad}, "invalid_frame"),
                ({"type": "sync", "chats": [{"chat_id": bad, "after_seq": 0}]}, "invalid_frame"),
                ({"type": "auth", "token": bad}, "invalid_token"),
            ):
                answer = ws.request(frame)
                assert answer["type"] == "error" and answer["code"] == code, (frame, answer)
                tried("injection")
        # a send whose client_id is an operator is refused; with an operator-looking string
        # as a plain value it is just that string
        _, final = ws.send_message(group, cid(), "x", mentions=[{"$ne": None}])
        assert final["type"] == "ack" and final["status"] == "stored", final  # non-strings are dropped
        _, final = ws.send_message(group, '{"$ne":null}', "literal")
        assert final["type"] == "ack" and final["status"] == "stored", final
        tried("injection", 2)
    finally:
        ws.close()


# --------------------------------------------------------------------------- mail headers

CRLF_VALUES = ["x\r\nBcc: evil@example.com", "x\nBcc: evil@example.com", "x\rBcc: evil@example.com",
               "x\r\n\r\n<html>body</html>", "x%0d%0aBcc:%20evil@example.com", "x\u2028Bcc: evil@example.com",
               "x\u0085Bcc: evil@example.com"]
EVIL = "evil@example.com"
ALLOWED_HEADERS = {"date", "from", "to", "subject", "message-id", "mime-version", "content-type",
                   "content-transfer-encoding"}


def check_headers(mail, to: str) -> None:
    names = [k.lower() for k in mail.message.keys()]
    assert set(names) <= ALLOWED_HEADERS and len(names) == len(set(names)), names
    assert mail.rcpts == {to}, mail.rcpts
    assert str(mail.message["To"]).strip("<>") == to, mail.message["To"]
    assert b"\nBcc" not in mail.raw.split(b"\r\n\r\n", 1)[0], mail.raw[:400]


def test_line_breaks_never_reach_mail_headers(client: Client, smtp_sink):
    evil_before = smtp_sink.count(EVIL)
    for v in CRLF_VALUES:
        name = unique_name()
        # in the address itself: refused, and no mail goes anywhere
        r = client.register(f"{name}@example.com{v[1:]}", name, "correct horse battery")
        assert_error(r, 422, "invalid_email")
        # in the display name: refused where it has line breaks; otherwise it never reaches a header
        r = client.register(f"{name}@example.com", name, "correct horse battery", display_name=v)
        if r.status_code == 201:
            mail = smtp_sink.wait_for_mail(f"{name}@example.com")
            check_headers(mail, f"{name}@example.com")
        else:
            assert_error(r, 422, "invalid_display_name")
        # forgot / resend answer 202 whatever the address, and mail nobody
        for path in ("/api/v1/auth/password/forgot", "/api/v1/auth/verify/resend"):
            r = client.post(path, json={"email": f"{name}@example.com{v[1:]}"})
            assert r.status_code in (202, 400, 422), describe(r)
        tried("injection", 4)
    acct = client.register_and_verify()
    check_headers(smtp_sink.mails_to(acct.email)[-1], acct.email)
    since = smtp_sink.count(acct.email)
    assert client.post("/api/v1/auth/password/forgot", json={"email": acct.email}).status_code == 202
    check_headers(smtp_sink.wait_for_mail(acct.email, since=since), acct.email)
    smtp_sink.assert_no_mail(EVIL, since=evil_before, wait=0.5)


def test_user_text_in_the_digest_stays_in_the_body(parley, smtp_sink):
    """Message text reaches a mail (the digest's preview): line breaks, header lines and an SMTP
    end-of-data followed by commands stay text in the body of one mail to one recipient."""
    srv = parley(name="digest-injection", PARLEY_NOTIFY_EMAIL_DIGEST="true", PARLEY_NOTIFY_DIGEST_AFTER_S="1")
    c = Client(srv, smtp_sink)
    alice, bob = c.new_user(display_name="Alice\u2028Bcc: evil@example.com"[:6]), c.new_user()
    chat = open_direct(c, alice, bob)["id"]
    evil_before = smtp_sink.count(EVIL)
    since = smtp_sink.count(bob.email)
    smuggle = ("hi\r\nBcc: evil@example.com\r\nSubject: pwned\r\n\r\n.\r\nMAIL FROM:<evil@example.com>\r\n"
               "RCPT TO:<evil@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nowned\r\n.\r\n\n.\n")
    rest_send(c, alice, chat, smuggle)
    mail = smtp_sink.wait_for_mail(bob.email, since=since, timeout=20)
    check_headers(mail, bob.email)
    assert "pwned" not in mail.subject and "smuggled" not in mail.subject, mail.subject
    time.sleep(1.5)
    assert smtp_sink.count(bob.email) == since + 1, "one mail, not two"
    smtp_sink.assert_no_mail(EVIL, since=evil_before, wait=0.5)
    tried("injection", 2)
    c.http.close()


# --------------------------------------------------------------------------- path traversal

TRAVERSAL = ["../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fparley.db",
             "%2E%2E%2F%2E%2E%2Fkeys%2Fjwt-ed25519.key", "..%252f..%252fparley.db", "/etc/passwd", "%2Fetc%2Fpasswd",
             "..", ".", "%2e%2e", "parley.db", "..%5c..%5cparley.db", "..\\..\\parley.db", "a%00b", "%00",
             "{key}%00.png", "{key}/../{key}", "{key}%2F..%2F{key}", "{key}.meta", "{key}.part", "~", "%7e",
             "..;/parley.db", "{key}%20", "C:%5cWindows%5cwin.ini", "file:%2F%2F%2Fetc%2Fpasswd"]


def raw(server, method: str, target: str, token: str | None = None, body: bytes = b"") -> tuple[int, dict, bytes]:
    """One request with `target` sent as is (no client-side normalisation of dot segments)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=HTTP_TIMEOUT_S)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        if token:
            conn.putheader("Authorization", f"Bearer {token}")
        if method == "PUT":
            conn.putheader("Content-Type", "image/png")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if method == "PUT" else None)
        resp = conn.getresponse()
        data = resp.read()
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {}
        return resp.status, parsed, data
    finally:
        conn.close()


def test_path_traversal_in_media_keys(client: Client, server, pair):
    ann, bob, group, _, _ = pair
    data = os.urandom(16)
    r = client.post("/api/v1/media/uploads", token=ann.access,
                    json={"file_name": "t.png", "content_type": "image/png", "size": len(data)})
    grant = r.json()
    assert requests.put(grant["upload_url"], data=data, headers=grant["headers"], timeout=HTTP_TIMEOUT_S).status_code \
        == 204
    key = grant["key"]
    r = client.post(f"{CHATS}/{group}/messages", token=ann.access, json={
        "client_id": cid(), "body": "", "attachments": [{"key": key, "name": "t.png", "content_type": "image/png",
                                                         "size": len(data)}]})
    assert r.status_code == 201, describe(r)
    url = client.get(f"{CHATS}/{group}/media/{key}", token=bob.access).json()["url"]
    query = url.split("?", 1)[1]
    for t in TRAVERSAL:
        t = t.replace("{key}", key)
        # the download route of a chat
        status, body, _ = raw(server, "GET", f"{CHATS}/{group}/media/{t}", bob.access)
        assert (status, body.get("error", {}).get("code")) in ((404, "media_not_found"), (404, "not_found"),
                                                               (400, "bad_request")), f"{t}: {status} {body}"
        # the blob routes, with a valid signature of another key, and without
        for target in (f"/api/v1/media/blob/{t}?{query}", f"/api/v1/media/blob/{t}"):
            status, body, content = raw(server, "GET", target)
            assert status in (400, 403, 404), f"{target}: {status} {content[:200]!r}"
            assert content != data and b"SQLite format" not in content and b"root:" not in content, target
            status, body, content = raw(server, "PUT", target, body=b"x")
            assert status in (400, 403, 404), f"PUT {target}: {status} {content[:200]!r}"
        # as an attachment key
        r = client.post(f"{CHATS}/{group}/messages", token=ann.access, json={
            "client_id": cid(), "body": "x", "attachments": [{"key": t, "name": "t.png", "content_type": "image/png",
                                                              "size": len(data)}]})
        assert_error(r, 422, "invalid_attachment")
        tried("injection", 5)
    # the file itself and the server's files are as they were
    assert requests.get(url, timeout=HTTP_TIMEOUT_S).content == data
    assert (server.data_dir / "parley.db").exists()
    assert client.get(ME, token=ann.access).status_code == 200


def test_path_traversal_on_the_static_root(server):
    for path in ("/../parley.db", "/%2e%2e/parley.db", "/..%2fparley.db", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/keys/jwt-ed25519.key", "/data/parley.db", "/.%2e/.%2e/etc/passwd", "/..\\parley.db",
                 "/../../../../etc/passwd", "/api/v1/../../parley.db"):
        status, _, content = raw(server, "GET", path)
        assert status in (400, 404), f"{path}: {status} {content[:200]!r}"
        assert b"SQLite format" not in content and b"root:" not in content
        tried("injection")


# --------------------------------------------------------------------------- XSS

def test_xss_payloads_are_stored_verbatim_and_served_as_json(client: Client, server, pair):
    ann, bob, group, _, msg = pair
    for x in XSS:
        checks = []
        r = client.post(f"{CHATS}/{group}/messages", token=ann.access, json={"client_id": cid(), "body": x})
        checks.append((r, "body", x))
        r = client.patch(ME, token=bob.access, json={"display_name": x[:64], "bio": x})
        checks.append((r, "display_name", x[:64]))
        r = client.patch(f"{CHATS}/{group}", token=ann.access, json={"name": x[:64]})
        checks.append((r, "name", x[:64]))
        for resp, field, value in checks:
            assert resp.status_code in (200, 201), describe(resp)
            assert resp.json()[field] == value, describe(resp)
            assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
            assert resp.headers.get("X-Content-Type-Options") == "nosniff", resp.headers
        compact = x.replace(" ", "")[:32]
        r = client.request("PUT", f"{CHATS}/{group}/messages/{msg}/reaction", token=bob.access,
                           json={"emoji": compact})
        assert r.status_code in (204, 422), describe(r)
        tried("injection", 4)
    # script URLs are not URLs an avatar may have
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<script>",
                "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example.com/x.png", "java\tscript:alert(1)"):
        assert_error(client.patch(ME, token=ann.access, json={"avatar_url": url}), 422, "invalid_avatar_url")
        assert_error(client.patch(f"{CHATS}/{group}", token=ann.access, json={"avatar_url": url}), 422,
                     "invalid_avatar_url")
        tried("injection", 2)
    # a file name with markup is offered for download as an attachment, never inline HTML
    data = os.urandom(8)
    name = "<img src=x onerror=alert(1)>.png"
    r = client.post("/api/v1/media/uploads", token=ann.access,
                    json={"file_name": name, "content_type": "image/png", "size": len(data)})
    grant = r.json()
    requests.put(grant["upload_url"], data=data, headers=grant["headers"], timeout=HTTP_TIMEOUT_S)
    rest = client.post(f"{CHATS}/{group}/messages", token=ann.access, json={
        "client_id": cid(), "body": "", "attachments": [{"key": grant["key"], "name": name,
                                                         "content_type": "image/png", "size": len(data)}]})
    assert rest.status_code == 201, describe(rest)
    dl = client.get(f"{CHATS}/{group}/media/{grant['key']}", token=bob.access, params={"name": name}).json()["url"]
    got = requests.get(dl, timeout=HTTP_TIMEOUT_S)
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "<" not in got.headers["Content-Disposition"], got.headers["Content-Disposition"]
    tried("injection")
