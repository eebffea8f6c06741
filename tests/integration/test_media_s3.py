"""Media on S3 (docs/operations.md "Media on S3"): the real binary with PARLEY_MEDIA_STORAGE=s3
against fake_s3.FakeS3, which checks every request's SigV4 signature with its own code, so
what Parley signs is verified independently of Parley's signer: upload -> attach -> download,
the refusals S3 makes of a PUT of another type or size, the server's own signed HEADs, an
unreachable store, and the start-up checks of the settings."""
from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

import fake_s3
from harness import HTTP_TIMEOUT_S, Client, ParleyFactory, assert_error, describe, run_bin

CHATS = "/api/v1/chats"
UPLOADS = "/api/v1/media/uploads"
SECRET = "s3cr3t/Parley+Test=Key-0123456789"
TOKEN = "FQoGZXIvYXdzEJr//////////wEaDParleyTestSessionToken="


def s3_settings(endpoint: str, **overrides: str) -> dict[str, str]:
    return {
        "PARLEY_MEDIA_STORAGE": "s3",
        "PARLEY_S3_ENDPOINT": endpoint,
        "PARLEY_S3_BUCKET": "parley-media",
        "PARLEY_S3_REGION": "eu-central-1",
        "PARLEY_S3_PATH_STYLE": "true",
        "PARLEY_S3_ACCESS_KEY_ID": "AKIDPARLEYTEST",
        "PARLEY_S3_SECRET_ACCESS_KEY": SECRET,
        "PARLEY_S3_SESSION_TOKEN": TOKEN,
        "PARLEY_S3_TIMEOUT_MS": "2000",
        **overrides,
    }


@pytest.fixture(scope="module")
def s3():
    store = fake_s3.FakeS3(secret_access_key=SECRET, session_token=TOKEN).start()
    yield store
    store.stop()


@pytest.fixture(scope="module")
def server(tmp_root, smtp_sink, s3):
    web = tmp_root / "media-s3-web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>app</title>")
    factory = ParleyFactory(tmp_root, smtp_sink)
    srv = factory(name="media-s3", PARLEY_WEB_DIR=str(web), **s3_settings(s3.endpoint))
    yield srv
    factory.stop_all()


def direct_chat(client: Client, a, b) -> str:
    r = client.post(f"{CHATS}/direct", token=a.access, json={"user_id": b.user_id})
    assert r.status_code == 201, describe(r)
    return r.json()["id"]


def send(client: Client, acct, chat_id: str, **extra):
    return client.post(f"{CHATS}/{chat_id}/messages", token=acct.access,
                       json={"client_id": uuid.uuid4().hex, "body": "", **extra})


def put(url: str, headers: dict[str, str], body: bytes) -> requests.Response:
    return requests.put(url, headers=headers, data=body, timeout=HTTP_TIMEOUT_S)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --------------------------------------------------------------------------- the verifier itself

def test_the_fake_verifies_aws_published_examples():
    """The fake's SigV4 code reproduces AWS's published signatures (pre-signed GET and the
    Authorization-header GET Object example), so its verdicts can be trusted."""
    secret, scope = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524/us-east-1/s3/aws4_request"
    host = {"host": "examplebucket.s3.amazonaws.com"}
    pairs = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/" + scope),
             ("X-Amz-Date", "20130524T000000Z"), ("X-Amz-Expires", "86400"), ("X-Amz-SignedHeaders", "host")]
    creq = fake_s3.canonical_request("GET", "/test.txt", pairs, host, ["host"], fake_s3.UNSIGNED)
    sts = fake_s3.string_to_sign("20130524T000000Z", scope, creq)
    assert fake_s3.signature(secret, "20130524", "us-east-1", sts) == \
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

    headers = {**host, "range": "bytes=0-9", "x-amz-content-sha256": fake_s3.EMPTY_SHA256,
               "x-amz-date": "20130524T000000Z"}
    creq = fake_s3.canonical_request("GET", "/test.txt", [], headers, sorted(headers), fake_s3.EMPTY_SHA256)
    sts = fake_s3.string_to_sign("20130524T000000Z", scope, creq)
    assert sts.endswith("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
    assert fake_s3.signature(secret, "20130524", "us-east-1", sts) == \
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


# --------------------------------------------------------------------------- the flow

def test_upload_attach_download(client: Client, s3: fake_s3.FakeS3, server):
    alice, bob = client.new_user(), client.new_user()
    chat = direct_chat(client, alice, bob)
    data = os.urandom(1500)
    r = client.post(UPLOADS, token=alice.access,
                    json={"file_name": "été photo.png", "content_type": "image/png", "size": len(data)})
    assert r.status_code == 201, describe(r)
    g = r.json()
    key = g["key"]
    assert g["upload_url"].startswith(f"{s3.endpoint}/parley-media/{key}?"), g
    assert g["method"] == "PUT"
    assert g["headers"] == {"Content-Type": "image/png", "Content-Length": str(len(data))}, g
    q = query_of(g["upload_url"])
    assert q["X-Amz-SignedHeaders"] == "content-length;content-type;host"
    assert q["X-Amz-Credential"].startswith("AKIDPARLEYTEST/") and q["X-Amz-Credential"].endswith(
        "/eu-central-1/s3/aws4_request")
    assert q["X-Amz-Security-Token"] == TOKEN
    assert int(q["X-Amz-Expires"]) in (900, 901)  # PARLEY_MEDIA_UPLOAD_TTL_S, rounded up to a second
    att = {"key": key, "name": "été photo.png", "content_type": "image/png", "size": len(data)}

    # Not uploaded yet: the server's signed HEAD finds nothing.
    assert_error(send(client, alice, chat, attachments=[att]), 422, "invalid_attachment")
    heads = s3.requests("HEAD")
    assert heads and heads[-1].key == key and heads[-1].status == 404 and heads[-1].auth == "header", heads

    # S3 refuses a PUT whose type or size is not the signed one, and one with a changed URL.
    for headers, body in (({"Content-Type": "image/gif"}, data),
                          ({"Content-Type": "image/png"}, data + b"x"),
                          ({"Content-Type": "image/png"}, data[:-1])):
        r = put(g["upload_url"], headers, body)
        assert r.status_code == 403 and b"SignatureDoesNotMatch" in r.content, describe(r)
    r = put(g["upload_url"].replace("X-Amz-Expires=", "X-Amz-Expires=9"), g["headers"], data)
    assert r.status_code == 403 and b"SignatureDoesNotMatch" in r.content, describe(r)
    assert key not in s3.objects

    r = put(g["upload_url"], g["headers"], data)
    assert r.status_code == 200, describe(r)
    assert s3.objects[key] == (data, "image/png")

    # Attaching checks the stored type and size.
    assert_error(send(client, alice, chat, attachments=[{**att, "size": len(data) + 1}]), 422, "invalid_attachment")
    assert_error(send(client, alice, chat, attachments=[{**att, "content_type": "image/jpeg"}]), 422,
                 "invalid_attachment")
    r = send(client, alice, chat, attachments=[att])
    assert r.status_code == 201, describe(r)
    assert r.json()["attachments"] == [att]

    # A member downloads straight from the bucket, under the file's name.
    r = client.get(f"{CHATS}/{chat}/media/{key}", token=bob.access, params={"name": "été photo.png"})
    assert r.status_code == 200, describe(r)
    url = r.json()["url"]
    assert url.startswith(f"{s3.endpoint}/parley-media/{key}?"), url
    assert query_of(url)["X-Amz-SignedHeaders"] == "host"
    got = requests.get(url, timeout=HTTP_TIMEOUT_S)
    assert got.status_code == 200, describe(got)
    assert got.content == data
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == "inline; filename*=UTF-8''%C3%A9t%C3%A9%20photo.png"
    r = requests.get(url.replace("response-content-disposition=inline", "response-content-disposition=attachment"),
                     timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 403, describe(r)

    # Parley's own requests were HEADs with an Authorization header; the clients' were pre-signed.
    assert {(s.method, s.auth) for s in s3.requests()} == {("HEAD", "header"), ("PUT", "query"), ("GET", "query")}
    assert all(s.status in (200, 404) for s in s3.requests("HEAD"))
    # Parley does not serve the bytes itself with S3.
    assert client.request("PUT", f"/api/v1/media/blob/{key}", data=data).status_code in (404, 405)


def test_the_web_client_may_upload_to_the_bucket(client: Client, s3: fake_s3.FakeS3):
    r = client.get("/")
    assert r.status_code == 200, describe(r)
    assert f"connect-src 'self' ws: wss: {s3.endpoint};" in r.headers["Content-Security-Policy"], r.headers


def test_secrets_stay_out_of_the_log(client: Client, server):
    log = server.log_text()
    for secret in (SECRET, TOKEN, "X-Amz-Signature", "Signature="):
        assert secret not in log, secret


def test_an_unreachable_store_is_unavailable(parley, smtp_sink):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = parley(name="media-s3-down", **s3_settings(f"http://127.0.0.1:{port}"))
    client = Client(srv, smtp_sink)
    alice, bob = client.new_user(), client.new_user()
    chat = direct_chat(client, alice, bob)
    r = client.post(UPLOADS, token=alice.access, json={"file_name": "a.png", "content_type": "image/png", "size": 3})
    assert r.status_code == 201, describe(r)  # signing needs no request
    key = r.json()["key"]
    att = {"key": key, "name": "a.png", "content_type": "image/png", "size": 3}
    assert_error(send(client, alice, chat, attachments=[att]), 503, "media_unavailable")
    # a key attached to no message of the chat is refused before the store is asked
    assert_error(client.get(f"{CHATS}/{chat}/media/{key}", token=bob.access), 404, "media_not_found")
    assert '"mod":"s3"' in srv.log_text()


# --------------------------------------------------------------------------- settings

def test_s3_settings_are_checked_at_start_without_printing_secrets(tmp_path):
    base = {"PARLEY_DATA_DIR": str(tmp_path), "PARLEY_MEDIA_STORAGE": "s3", "PARLEY_S3_SECRET_ACCESS_KEY": SECRET,
            "PARLEY_S3_SESSION_TOKEN": TOKEN}
    r = run_bin(env=base)
    assert r.returncode == 2, r
    assert "PARLEY_S3_BUCKET: required with PARLEY_MEDIA_STORAGE=s3" in r.stderr
    assert "PARLEY_S3_ACCESS_KEY_ID: required with PARLEY_MEDIA_STORAGE=s3" in r.stderr
    assert "PARLEY_S3_SECRET_ACCESS_KEY" not in r.stderr  # given
    for env, problem in (
            ({"PARLEY_S3_BUCKET": "Parley_Media"}, "PARLEY_S3_BUCKET: a bucket name is"),
            ({"PARLEY_S3_ENDPOINT": "s3.example.com"}, "PARLEY_S3_ENDPOINT: S3 endpoint 's3.example.com'"),
            ({"PARLEY_S3_ENDPOINT": "http://127.0.0.1:9000"}, "PARLEY_S3_ENDPOINT: virtual-hosted addressing"),
            ({"PARLEY_S3_REGION": "EU"}, "PARLEY_S3_REGION: a region is"),
            ({"PARLEY_MEDIA_STORAGE": "gcs"}, "PARLEY_MEDIA_STORAGE: expected local or s3, got 'gcs'"),
            ({"PARLEY_S3_PATH_STYLE": "maybe"}, "PARLEY_S3_PATH_STYLE: expected true or false"),
    ):
        r = run_bin(env={**base, "PARLEY_S3_BUCKET": "parley-media", "PARLEY_S3_ACCESS_KEY_ID": "AKID", **env})
        assert r.returncode == 2 and problem in r.stderr, (env, r.stderr)
        assert SECRET not in r.stdout + r.stderr and TOKEN not in r.stdout + r.stderr


def test_help_documents_the_media_settings():
    r = run_bin("--help")
    assert r.returncode == 0, r
    for line in ("PARLEY_MEDIA_STORAGE (default: local)", "PARLEY_S3_ENDPOINT (default: <empty>)",
                 "PARLEY_S3_BUCKET (default: <empty>)", "PARLEY_S3_REGION (default: us-east-1)",
                 "PARLEY_S3_PATH_STYLE (default: false)", "PARLEY_S3_ACCESS_KEY_ID (default: <empty>)",
                 "PARLEY_S3_SECRET_ACCESS_KEY (default: <empty>)", "PARLEY_S3_SESSION_TOKEN (default: <empty>)",
                 "PARLEY_S3_TIMEOUT_MS (default: 5000)"):
        assert line in r.stdout, line
