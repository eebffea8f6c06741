"""Media (docs/operations.md "Media", docs/openapi.yaml media routes): pre-signed upload, the
PUT to the local storage, attachments, pre-signed downloads for chat members, and every
refusal, each of which must leave nothing behind: no blob to fetch and no stray or temporary
file in the server's media directory."""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
import uuid
import zlib
from datetime import datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest
import requests

from harness import HTTP_TIMEOUT_S, Client, ParleyFactory, assert_error, describe
from test_spec_conformance import SPEC_PATH
from test_spec_conformance import check as spec_check
from ws_client import connect

yaml = pytest.importorskip("yaml")

CHATS = "/api/v1/chats"
UPLOADS = "/api/v1/media/uploads"
BLOB = "/api/v1/media/blob/"
MAX_BYTES = 4096  # PARLEY_MEDIA_MAX_BYTES of the module's server
KEY_RE = r"^[A-Za-z0-9_-]{1,128}$"


@pytest.fixture(scope="module")
def spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def server(tmp_root, smtp_sink):
    factory = ParleyFactory(tmp_root, smtp_sink)
    srv = factory(name="media", PARLEY_MEDIA_MAX_BYTES=str(MAX_BYTES))
    yield srv
    factory.stop_all()


@pytest.fixture(scope="module")
def trio(client: Client):
    """alice and bob share a 1:1 chat; carol is in no chat with them."""
    alice, bob, carol = client.new_user(), client.new_user(), client.new_user()
    r = client.post(f"{CHATS}/direct", token=alice.access, json={"user_id": bob.user_id})
    assert r.status_code == 201, describe(r)
    return alice, bob, carol, r.json()["id"]


# --------------------------------------------------------------------------- helpers

def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of the given size."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"".join(bytes((x * 40 % 256, y * 60 % 256, 128)) for x in range(width))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def request_upload(client: Client, acct, file_name="file.bin", content_type="image/png", size=100, **kw):
    body = {"file_name": file_name, "content_type": content_type, "size": size, **kw}
    return client.post(UPLOADS, token=acct.access, json=body)


def grant(client: Client, acct, file_name="file.png", content_type="image/png", size=100) -> dict:
    r = request_upload(client, acct, file_name, content_type, size)
    assert r.status_code == 201, describe(r)
    return r.json()


def put(url: str, data, content_type: str | None = "image/png", **headers) -> requests.Response:
    """A PUT with plain `requests` (no token, no session)."""
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.put(url, data=data, headers=headers, timeout=HTTP_TIMEOUT_S)


def upload(client: Client, acct, data: bytes, file_name="file.png", content_type="image/png") -> dict:
    """Requests an upload URL and PUTs `data` to it; returns the grant."""
    g = grant(client, acct, file_name, content_type, len(data))
    r = requests.put(g["upload_url"], data=data, headers=g["headers"], timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 204, describe(r)
    return g


def with_query(url: str, **changes) -> str:
    """`url` with query parameters replaced (a value of None removes the parameter)."""
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query, keep_blank_values=True))
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    return urlunsplit(parts._replace(query=urlencode(q)))


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def query(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query))


def flip(hex_text: str) -> str:
    return ("0" if hex_text[0] != "0" else "1") + hex_text[1:]


def media_dir(srv):
    return srv.data_dir / "media"


def media_files(srv) -> set[str]:
    d = media_dir(srv)
    return {p.name for p in d.iterdir()} if d.exists() else set()


def assert_nothing_left(client: Client, srv, before: set[str], acct, chat_id: str, key: str) -> None:
    """The refused upload left no file behind and cannot be fetched."""
    after = media_files(srv)
    assert after == before, f"media directory changed: added {sorted(after - before)}, removed {sorted(before - after)}"
    assert not [n for n in after if ".part" in n], sorted(after)
    assert not (media_dir(srv) / key).exists()
    assert_error(client.get(f"{CHATS}/{chat_id}/media/{key}", token=acct.access), 404, "media_not_found")


def download_grant(client: Client, acct, chat_id: str, key: str, name: str | None = None) -> dict:
    params = {"name": name} if name is not None else None
    r = client.get(f"{CHATS}/{chat_id}/media/{key}", token=acct.access, params=params)
    assert r.status_code == 200, describe(r)
    assert set(r.json()) == {"url", "expires_at"}, r.json()
    return r.json()


def attachment(g: dict, name: str, content_type: str, size: int, **extra) -> dict:
    return {"key": g["key"], "name": name, "content_type": content_type, "size": size, **extra}


def share(client: Client, acct, chat_id: str, g: dict, size: int, name: str = "file.png",
          content_type: str = "image/png") -> None:
    """Sends a message to the chat with the uploaded file `g` attached: only then do its
    members get download URLs for it."""
    r = send(client, acct, chat_id, "", attachments=[attachment(g, name, content_type, size)])
    assert r.status_code == 201, describe(r)


def send(client: Client, acct, chat_id: str, body: str = "", **extra):
    return client.post(f"{CHATS}/{chat_id}/messages", token=acct.access,
                       json={"client_id": uuid.uuid4().hex, "body": body, **extra})


def raw_put(srv, target: str, headers: dict[str, str], chunks: list[bytes], timeout: float = 10.0):
    """A PUT with a chunked body over a plain socket; returns (status, JSON body or None).
    The server may answer and close before the whole body is sent."""
    head = (f"PUT {target} HTTP/1.1\r\nHost: {srv.host}:{srv.port}\r\nTransfer-Encoding: chunked\r\n"
            f"Connection: close\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    data = b""
    with socket.create_connection((srv.host, srv.port), timeout=timeout) as s:
        try:
            s.sendall(head)
            for c in chunks:
                s.sendall(f"{len(c):x}\r\n".encode() + c + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                got = s.recv(65536)
                if not got:
                    break
                data += got
        except (ConnectionResetError, socket.timeout):
            pass
    head_text, _, body = data.partition(b"\r\n\r\n")
    status_line = head_text.split(b"\r\n", 1)[0].decode("latin-1")
    assert status_line.startswith("HTTP/1.1 "), f"no HTTP response: {data[:300]!r}"
    return int(status_line.split(" ")[1]), (json.loads(body) if body.strip() else None)


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


# --------------------------------------------------------------------------- the whole flow

def test_upload_attach_and_download_an_image(client: Client, server, trio, spec):
    alice, bob, carol, chat = trio
    image = png(3, 2)
    before = media_files(server)
    t0 = time.time()
    r = request_upload(client, alice, "photo.png", "image/png", len(image))
    spec_check(spec, "POST", UPLOADS, r)
    assert r.status_code == 201, describe(r)
    g = r.json()
    assert set(g) == {"key", "upload_url", "method", "headers", "expires_at"}, g
    assert re.fullmatch(KEY_RE, g["key"]) and g["key"].startswith(alice.user_id + "_"), g
    assert g["method"] == "PUT" and g["headers"] == {"Content-Type": "image/png"}, g
    assert g["upload_url"].startswith(f"{server.base}{BLOB}{g['key']}?"), g
    assert t0 + 900 - 1 <= ts(g["expires_at"]) <= time.time() + 900 + 1, g
    # not there before the PUT
    assert_error(client.get(f"{CHATS}/{chat}/media/{g['key']}", token=bob.access), 404, "media_not_found")

    r = requests.put(g["upload_url"], data=image, headers=g["headers"], timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 204 and r.content == b"", describe(r)
    key = g["key"]
    assert media_files(server) - before == {key, key + ".meta"}
    assert (media_dir(server) / key).read_bytes() == image

    with connect(server, bob) as ws:
        att = attachment(g, "photo.png", "image/png", len(image), width=3, height=2)
        r = send(client, alice, chat, "", attachments=[att])
        assert r.status_code == 201, describe(r)
        m = r.json()
        assert m["attachments"] == [att] and m["body"] == "", m
        live = ws.wait_type("message.new", id=m["id"])["data"]
        assert live["attachments"] == [att], live
    r = client.get(f"{CHATS}/{chat}/messages", token=bob.access)
    assert r.status_code == 200, describe(r)
    (seen,) = [x for x in r.json()["items"] if x["id"] == m["id"]]
    assert seen["attachments"] == [att], seen

    t1 = time.time()
    r = client.get(f"{CHATS}/{chat}/media/{key}", token=bob.access, params={"name": "photo.png"})
    spec_check(spec, "GET", f"{CHATS}/{{chat_id}}/media/{{key}}", r)
    d = r.json()
    assert d["url"].startswith(f"{server.base}{BLOB}{key}?"), d
    assert t1 + 3600 - 1 <= ts(d["expires_at"]) <= time.time() + 3600 + 1, d
    got = requests.get(d["url"], timeout=HTTP_TIMEOUT_S)  # no token: the signature authorises
    assert got.status_code == 200, describe(got)
    assert got.content == image and hashlib.sha256(got.content).digest() == hashlib.sha256(image).digest()
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == "inline; filename*=UTF-8''photo.png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    # the uploader, a member too, fetches it as well
    assert requests.get(download_grant(client, alice, chat, key)["url"], timeout=HTTP_TIMEOUT_S).content == image

    # a non-member gets nothing, as for an unknown chat
    assert_error(client.get(f"{CHATS}/{chat}/media/{key}", token=carol.access), 404, "chat_not_found")
    assert_error(client.get(f"{CHATS}/999999999/media/{key}", token=carol.access), 404, "chat_not_found")
    assert_error(client.get(f"{CHATS}/{chat}/media/{key}"), 401)
    # unknown keys
    for other in (alice.user_id + "_nosuchfile", "nosuchfile", "bad.key"):
        assert_error(client.get(f"{CHATS}/{chat}/media/{other}", token=bob.access), 404, "media_not_found")


def test_download_names_and_dispositions(client: Client, server, trio):
    alice, bob, _, chat = trio
    text = b"name,count\nalpha,1\n"
    g = upload(client, alice, text, "report.csv", "text/csv")
    r = send(client, alice, chat, "the numbers", attachments=[attachment(g, "report.csv", "text/csv", len(text))])
    assert r.status_code == 201, describe(r)
    assert r.json()["attachments"] == [{"key": g["key"], "name": "report.csv", "content_type": "text/csv",
                                        "size": len(text)}]  # no width/height when not given

    got = requests.get(download_grant(client, bob, chat, g["key"], "report.csv")["url"], timeout=HTTP_TIMEOUT_S)
    assert got.status_code == 200 and got.content == text, describe(got)
    # not shown inline: the browser saves it
    assert got.headers["Content-Disposition"] == "attachment; filename*=UTF-8''report.csv"
    assert got.headers["Content-Type"] == "text/csv"

    name = "отчёт 2024 (v2).csv"
    got = requests.get(download_grant(client, bob, chat, g["key"], name)["url"], timeout=HTTP_TIMEOUT_S)
    assert got.status_code == 200 and got.content == text, describe(got)
    assert got.headers["Content-Disposition"] == "attachment; filename*=UTF-8''" + quote(name, safe="")
    # no name: the key
    got = requests.get(download_grant(client, bob, chat, g["key"])["url"], timeout=HTTP_TIMEOUT_S)
    assert got.headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{g['key']}"
    for bad in ("../../etc/passwd", "a\nb.csv", "x" * 256):
        assert_error(client.get(f"{CHATS}/{chat}/media/{g['key']}", token=bob.access, params={"name": bad}),
                     400, "invalid_file_name")


def test_download_url_refuses_tampering(client: Client, server, trio):
    alice, bob, _, chat = trio
    data, other_data = os.urandom(300), os.urandom(200)
    g = upload(client, alice, data)
    other = upload(client, alice, other_data)
    share(client, alice, chat, g, len(data))
    url = download_grant(client, bob, chat, g["key"], "a.png")["url"]
    q = query(url)
    assert requests.get(url, timeout=HTTP_TIMEOUT_S).content == data
    tampered = [
        with_query(url, sig=flip(q["sig"])),
        with_query(url, sig=None),
        with_query(url, sig=q["sig"].upper()),
        with_query(url, expires=str(int(q["expires"]) + 1)),
        with_query(url, expires=None),
        with_query(url, name="b.png"),
        with_query(url, name=None),
        with_path(url, BLOB + other["key"]),  # another file with this file's signature
    ]
    for t in tampered:
        assert_error(requests.get(t, timeout=HTTP_TIMEOUT_S), 403, "invalid_signature")
    assert_error(requests.get(with_path(url, BLOB + "bad.key"), timeout=HTTP_TIMEOUT_S), 404, "media_not_found")
    # an upload URL does not download, and a download URL does not upload
    assert_error(requests.get(g["upload_url"], timeout=HTTP_TIMEOUT_S), 403, "invalid_signature")
    assert_error(put(url, other_data), 403, "invalid_signature")
    assert requests.get(url, timeout=HTTP_TIMEOUT_S).content == data


def test_a_file_is_fetched_only_through_a_chat_it_was_sent_to(client: Client, server, trio):
    alice, bob, carol, chat = trio
    g = upload(client, alice, b"secret bytes", "s.txt", "text/plain")
    r = send(client, alice, chat, "", attachments=[attachment(g, "s.txt", "text/plain", 12)])
    assert r.status_code == 201, describe(r)
    # carol learnt the key (forwarded, or she was a member once) and asks through her own chat
    r = client.post(f"{CHATS}/direct", token=carol.access, json={"user_id": bob.user_id})
    assert r.status_code in (200, 201), describe(r)
    carols = r.json()["id"]
    assert_error(client.get(f"{CHATS}/{carols}/media/{g['key']}", token=carol.access), 404, "media_not_found")
    # bob, a member of both chats, gets it only through the chat it was sent to
    assert_error(client.get(f"{CHATS}/{carols}/media/{g['key']}", token=bob.access), 404, "media_not_found")
    assert client.get(f"{CHATS}/{chat}/media/{g['key']}", token=bob.access).status_code == 200
    # an uploaded file sent nowhere is fetched nowhere, not even by its uploader
    unsent = upload(client, alice, b"draft", "d.txt", "text/plain")
    assert_error(client.get(f"{CHATS}/{chat}/media/{unsent['key']}", token=alice.access), 404, "media_not_found")
    # once its message is deleted, the file is no longer handed out
    r = send(client, alice, chat, "", attachments=[attachment(unsent, "d.txt", "text/plain", 5)])
    assert r.status_code == 201, describe(r)
    assert client.get(f"{CHATS}/{chat}/media/{unsent['key']}", token=bob.access).status_code == 200
    assert client.delete(f"{CHATS}/{chat}/messages/{r.json()['id']}", token=alice.access).status_code == 200
    assert_error(client.get(f"{CHATS}/{chat}/media/{unsent['key']}", token=bob.access), 404, "media_not_found")


# --------------------------------------------------------------------------- upload requests

@pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "application/octet-stream",
                                          "application/x-msdownload", "IMAGE/PNG", "image/png; charset=x",
                                          "image/png ", ""])
def test_upload_request_refuses_content_types(client: Client, server, trio, content_type):
    before = media_files(server)
    r = request_upload(client, trio[0], "f.bin", content_type, 10)
    assert_error(r, 422, "unsupported_content_type")
    assert media_files(server) == before


@pytest.mark.parametrize("size, status, code", [
    (MAX_BYTES + 1, 413, "file_too_large"),
    (10 ** 12, 413, "file_too_large"),
    (0, 400, "invalid_field"),  # below the schema's minimum, as -1: not a file that is too large
    (-1, 400, "invalid_field"),
    ("12", 400, "invalid_field"),
    (1.5, 400, "invalid_field"),
    (None, 400, "invalid_field"),
])
def test_upload_request_refuses_sizes(client: Client, server, trio, spec, size, status, code):
    r = request_upload(client, trio[0], "f.png", "image/png", size)
    spec_check(spec, "POST", UPLOADS, r)
    assert_error(r, status, code)


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\windows\\win.ini", "dir/f.png", "/abs.png", "",
                                  "nul\x00.png", "line\nbreak.png", "tab\t.png", "del\x7f.png", "esc\x1b[31m.png",
                                  "x" * 256, "é" * 128])
def test_upload_request_refuses_file_names(client: Client, server, trio, name):
    before = media_files(server)
    r = request_upload(client, trio[0], name, "image/png", 10)
    assert_error(r, 422, "invalid_file_name")
    assert media_files(server) == before


def test_upload_request_accepts_names_up_to_255_bytes(client: Client, trio):
    for name in ("x" * 255, "é" * 127 + "a", "photo (1).final.png", "日本語.png", ".."):
        r = request_upload(client, trio[0], name, "image/png", 10)
        assert r.status_code == 201, describe(r)


def test_upload_request_shape(client: Client, trio):
    alice = trio[0]
    assert_error(client.post(UPLOADS, json={"file_name": "a.png", "content_type": "image/png", "size": 1}), 401)
    for body in ({"content_type": "image/png", "size": 1}, {"file_name": "a.png", "size": 1},
                 {"file_name": "a.png", "content_type": "image/png"},
                 {"file_name": "a.png", "content_type": "image/png", "size": 1, "extra": 1},
                 {"file_name": 5, "content_type": "image/png", "size": 1}, []):
        assert_error(client.post(UPLOADS, token=alice.access, json=body), 400)


# --------------------------------------------------------------------------- the PUT

def test_put_refusals_leave_nothing_behind(client: Client, server, trio):
    alice, _, _, chat = trio
    data = os.urandom(100)
    g = grant(client, alice, "f.png", "image/png", len(data))
    url, key = g["upload_url"], g["key"]
    q = query(url)
    before = media_files(server)

    def refused(resp, status, code):
        assert_error(resp, status, code)
        assert_nothing_left(client, server, before, alice, chat, key)

    # the body or its type differ from what was signed
    refused(put(url, data, "image/jpeg"), 422, "wrong_content_type")
    refused(put(url, data, None), 422, "wrong_content_type")
    refused(put(url, data, "image/png; charset=binary"), 422, "wrong_content_type")
    refused(put(url, data, "IMAGE/PNG"), 422, "wrong_content_type")
    refused(put(url, data[:-1]), 422, "wrong_size")
    refused(put(url, data + b"x"), 422, "wrong_size")
    refused(put(url, b""), 422, "wrong_size")
    # the URL was changed
    refused(put(with_query(url, sig=flip(q["sig"])), data), 403, "invalid_signature")
    refused(put(with_query(url, sig=None), data), 403, "invalid_signature")
    refused(put(with_query(url, sig=""), data), 403, "invalid_signature")
    refused(put(with_query(url, expires=str(int(q["expires"]) + 3600)), data), 403, "invalid_signature")
    refused(put(with_query(url, expires=None), data), 403, "invalid_signature")
    refused(put(with_query(url, size="101"), data + b"x"), 403, "invalid_signature")
    refused(put(with_query(url, type="image/jpeg"), data, "image/jpeg"), 403, "invalid_signature")
    refused(put(with_query(url, type=None), data, ""), 403, "invalid_signature")
    other_key = alice.user_id + "_" + "A" * 22
    refused(put(with_path(url, BLOB + other_key), data), 403, "invalid_signature")
    assert_nothing_left(client, server, before, alice, chat, other_key)
    for bad_key in ("bad.key", "..%2F..%2Fparley.db", "%2e%2e", "a%00b"):
        refused(put(with_path(url, BLOB + bad_key), data), 404, "media_not_found")
    # a body over PARLEY_MEDIA_MAX_BYTES, announced, or streamed in chunks
    refused(put(url, os.urandom(MAX_BYTES + 1)), 413, "payload_too_large")
    status, body = raw_put(server, target_of(url), {"Content-Type": "image/png"}, [os.urandom(1500)] * 4)
    assert status == 413 and body["error"]["code"] == "payload_too_large", body
    assert_nothing_left(client, server, before, alice, chat, key)
    # chunked, within the limit but not the signed size
    status, body = raw_put(server, target_of(url), {"Content-Type": "image/png"}, [data[:60], data[60:], b"!"])
    assert status == 422 and body["error"]["code"] == "wrong_size", body
    assert_nothing_left(client, server, before, alice, chat, key)

    # the URL still works after all that, once
    r = put(url, data)
    assert r.status_code == 204, describe(r)
    assert media_files(server) - before == {key, key + ".meta"}
    stored = dict(media_files=media_files(server), bytes=(media_dir(server) / key).read_bytes(),
                  meta=(media_dir(server) / (key + ".meta")).read_bytes())
    assert stored["bytes"] == data
    for again in (data, os.urandom(100)):
        assert_error(put(url, again), 409, "already_uploaded")
    assert media_files(server) == stored["media_files"]
    assert (media_dir(server) / key).read_bytes() == data
    assert (media_dir(server) / (key + ".meta")).read_bytes() == stored["meta"]
    share(client, alice, chat, g, len(data), "f.png")
    got = requests.get(download_grant(client, alice, chat, key)["url"], timeout=HTTP_TIMEOUT_S)
    assert got.content == data


def test_chunked_upload_of_the_signed_size_is_stored(client: Client, server, trio):
    alice, bob, _, chat = trio
    data = os.urandom(1000)
    g = grant(client, alice, "c.png", "image/png", len(data))
    status, body = raw_put(server, target_of(g["upload_url"]), {"Content-Type": "image/png"},
                           [data[:1], data[1:500], data[500:]])
    assert status == 204 and body is None, body
    share(client, alice, chat, g, len(data), "c.png")
    got = requests.get(download_grant(client, bob, chat, g["key"])["url"], timeout=HTTP_TIMEOUT_S)
    assert got.content == data


def test_concurrent_puts_store_one_upload(client: Client, server, trio):
    alice, _, _, chat = trio
    for _ in range(4):
        g = grant(client, alice, "race.png", "image/png", 512)
        bodies = [os.urandom(512) for _ in range(4)]
        results: list = [None] * len(bodies)
        start = threading.Barrier(len(bodies))

        def go(i):
            start.wait(10)
            results[i] = put(g["upload_url"], bodies[i])

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [204, 409, 409, 409], [describe(r) for r in results]
        winner = bodies[[r.status_code for r in results].index(204)]
        assert (media_dir(server) / g["key"]).read_bytes() == winner
        share(client, alice, chat, g, 512, "race.png")
        got = requests.get(download_grant(client, alice, chat, g["key"])["url"], timeout=HTTP_TIMEOUT_S)
        assert got.content == winner
    assert not [n for n in media_files(server) if ".part" in n]


def test_upload_urls_expire(parley, smtp_sink):
    srv = parley(PARLEY_MEDIA_UPLOAD_TTL_S="2", PARLEY_MEDIA_DOWNLOAD_TTL_S="1")
    client = Client(srv, smtp_sink)
    alice, bob = client.new_user(), client.new_user()
    r = client.post(f"{CHATS}/direct", token=alice.access, json={"user_id": bob.user_id})
    chat = r.json()["id"]
    data = os.urandom(64)
    t0 = time.time()
    late = grant(client, alice, "late.png", "image/png", len(data))
    g = grant(client, alice, "now.png", "image/png", len(data))
    # valid for the whole TTL: not a fraction of a second less
    for x in (late, g):
        assert t0 + 2 - 0.002 <= ts(x["expires_at"]) <= time.time() + 2 + 1, (t0, x)
        assert int(query(x["upload_url"])["expires"]) == ts(x["expires_at"]), x
    assert put(g["upload_url"], data).status_code == 204
    r = send(client, alice, chat, "", attachments=[attachment(g, "now.png", "image/png", len(data))])
    assert r.status_code == 201, describe(r)
    t1 = time.time()
    d = download_grant(client, bob, chat, g["key"], "now.png")
    assert t1 + 1 - 0.002 <= ts(d["expires_at"]) <= time.time() + 1 + 1, d
    assert int(query(d["url"])["expires"]) >= ts(d["expires_at"]), "the URL stops working before expires_at"
    before = media_files(srv)

    time.sleep(max(ts(late["expires_at"]), int(query(d["url"])["expires"])) - time.time() + 1.1)
    assert_error(put(late["upload_url"], data), 403, "url_expired")
    assert_nothing_left(client, srv, before, alice, chat, late["key"])
    assert_error(requests.get(d["url"], timeout=HTTP_TIMEOUT_S), 403, "url_expired")
    # moving the expiry on breaks the signature
    q = query(late["upload_url"])
    assert_error(put(with_query(late["upload_url"], expires=str(int(q["expires"]) + 60)), data), 403,
                 "invalid_signature")
    assert_nothing_left(client, srv, before, alice, chat, late["key"])
    # a fresh download URL works again
    assert requests.get(download_grant(client, bob, chat, g["key"])["url"], timeout=HTTP_TIMEOUT_S).content == data
    client.http.close()


# --------------------------------------------------------------------------- attaching

def test_attachment_refusals(client: Client, server, trio):
    alice, bob, _, chat = trio
    data = os.urandom(50)
    mine = upload(client, alice, data, "mine.png")
    bobs = upload(client, bob, data, "bobs.png")
    never = grant(client, alice, "never.png", "image/png", len(data))
    good = attachment(mine, "mine.png", "image/png", len(data))
    r = client.get(f"{CHATS}/{chat}/messages", token=alice.access, params={"limit": 100})
    seqs_before = [m["seq"] for m in r.json()["items"]]

    for bad in (
        attachment(never, "never.png", "image/png", len(data)),      # requested, never uploaded
        attachment(bobs, "bobs.png", "image/png", len(data)),        # somebody else's upload
        {**good, "key": alice.user_id + "_nosuchkey"},               # made up
        {**good, "key": "../../etc/passwd"},
        {**good, "size": len(data) + 1},                             # not what was uploaded
        {**good, "content_type": "image/jpeg"},
        {**good, "name": "../mine.png"},
        {**good, "name": ""},
        {**good, "width": 100001, "height": 10},
    ):
        assert_error(send(client, alice, chat, "see attached", attachments=[bad]), 422, "invalid_attachment")
        assert_error(send(client, alice, chat, "see attached", attachments=[good, bad]), 422, "invalid_attachment")
    for attachments, status, code in (
        ([{"key": mine["key"]}], 422, "invalid_attachment"),
        ([[good]], 400, "invalid_field"),
        ("x", 400, "invalid_field"),
        ([{**good, "extra": 1}], 400, "invalid_field"),
        ([{**good, "size": "50"}], 400, "invalid_field"),
        ([good] * 11, 400, "invalid_field"),
    ):
        assert_error(send(client, alice, chat, "x", attachments=attachments), status, code)
    r = client.get(f"{CHATS}/{chat}/messages", token=alice.access, params={"limit": 100})
    assert [m["seq"] for m in r.json()["items"]] == seqs_before, "a refused message was stored"
    # each may attach their own
    r = send(client, bob, chat, "", attachments=[attachment(bobs, "bobs.png", "image/png", len(data))])
    assert r.status_code == 201, describe(r)
    r = send(client, alice, chat, "", attachments=[good, {**good, "name": "copy.png"}])
    assert r.status_code == 201, describe(r)
