"""TLS (docs/operations.md, "TLS"): with PARLEY_TLS_CERT_FILE and PARLEY_TLS_KEY_FILE the server
speaks HTTPS and WSS on its one port. The certificates are made at test time (python3
`cryptography`): a self-signed one for 127.0.0.1, which the clients trust as their CA."""
from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl

import pytest
import requests
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import FAST_ARGON2, Client, free_port, run_bin
from ws_client import CHATS, cid, create_group


def make_pair(directory, name: str) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return make_pair(tmp_path_factory.mktemp("tls"), "server")


@pytest.fixture
def tls_server(parley, pair):
    cert, key = pair
    return parley(name="tls", PARLEY_TLS_CERT_FILE=cert, PARLEY_TLS_KEY_FILE=key)


def wss(srv, acct, **sslopt) -> websocket.WebSocket:
    ws = websocket.WebSocket(sslopt=sslopt or {"ca_certs": srv.verify})
    ws.connect(f"wss://{srv.host}:{srv.port}/ws?protocol=2", header=[f"Authorization: Bearer {acct.access}"],
               timeout=10, suppress_origin=True)
    return ws


_pending: dict[int, list[dict]] = {}  # per connection: messages read but not yet looked at


def read_until(ws: websocket.WebSocket, predicate) -> dict:
    """Messages (protocol 2: one or more per frame, one per line) until one satisfies `predicate`."""
    pending = _pending.setdefault(id(ws), [])
    while True:
        while pending:
            frame = pending.pop(0)
            if predicate(frame):
                return frame
        pending += [json.loads(line) for line in ws.recv().split("\n")]


def test_https_and_wss_serve_the_api_and_live_messages(tls_server, smtp_sink):
    srv = tls_server
    assert srv.base == f"https://127.0.0.1:{srv.port}"
    client = Client(srv, smtp_sink)  # verifies the certificate (CA: the certificate itself)
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    ann, bob = client.new_user(), client.new_user()  # register, verify, login over HTTPS
    assert client.get("/api/v1/users/me", token=ann.access).json()["id"] == ann.user_id
    chat = create_group(client, ann, bob)["id"]
    a = wss(srv, ann)
    b = wss(srv, bob, cert_reqs=ssl.CERT_NONE)  # a client that does not check, as websocket-client allows
    try:
        for ws, acct in ((a, ann), (b, bob)):
            hello = read_until(ws, lambda f: True)
            assert hello["type"] == "hello" and hello["data"]["user_id"] == acct.user_id, hello
        key = cid()
        a.send(json.dumps({"type": "message.send", "id": "r1", "chat_id": chat, "client_id": key,
                           "body": "over TLS"}))
        stored = read_until(a, lambda f: f["type"] == "ack" and f.get("status") == "stored")
        got = read_until(b, lambda f: f["type"] == "message.new")
        assert got["data"]["id"] == stored["message_id"] and got["data"]["body"] == "over TLS", got
        # REST and WebSocket meet: a message sent over HTTPS arrives over WSS
        r = client.post(f"{CHATS}/{chat}/messages", token=bob.access, json={"client_id": cid(), "body": "back"})
        assert r.status_code == 201, r.text
        got = read_until(a, lambda f: f["type"] == "message.new" and f["data"]["body"] == "back")
        assert got["data"]["id"] == r.json()["id"]
        a.send(json.dumps({"type": "ping", "id": "p"}))
        assert read_until(a, lambda f: f["type"] == "pong") == {"type": "pong", "id": "p"}
        # a refused upgrade is a plain HTTP answer, over TLS
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            ws = websocket.WebSocket(sslopt={"ca_certs": srv.verify})
            ws.connect(f"wss://{srv.host}:{srv.port}/ws?access_token=garbage", timeout=10, suppress_origin=True)
        assert refused.value.status_code == 401
    finally:
        a.close()
        b.close()
        client.http.close()


def test_plain_http_to_the_tls_port_fails_cleanly(tls_server):
    srv = tls_server
    # a plain HTTP request gets a plain 400 saying what to do, and the connection ends
    r = requests.get(f"http://{srv.host}:{srv.port}/healthz", timeout=10)
    assert r.status_code == 400 and "https://" in r.text, (r.status_code, r.text)
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in data, data
    # a TLS client that does not trust the certificate gives up; garbage is dropped
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(srv.url("/healthz"), timeout=10, verify=True)
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x00\x05hello")  # a handshake record that is not one
        s.settimeout(10)
        try:
            while s.recv(4096):
                pass
        except ConnectionResetError:
            pass
    # and the server goes on serving
    assert requests.get(srv.url("/healthz"), timeout=10, verify=srv.verify).status_code == 200


def test_bad_tls_settings_refuse_to_start_with_a_clear_error(tmp_path, pair):
    cert, key = pair
    _, other_key = make_pair(tmp_path, "other")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    cases = [
        ({"PARLEY_TLS_CERT_FILE": cert}, "set both"),
        ({"PARLEY_TLS_KEY_FILE": key}, "set both"),
        ({"PARLEY_TLS_CERT_FILE": str(tmp_path / "missing.crt"), "PARLEY_TLS_KEY_FILE": key},
         f"PARLEY_TLS_CERT_FILE: cannot read {tmp_path / 'missing.crt'}"),
        ({"PARLEY_TLS_CERT_FILE": cert, "PARLEY_TLS_KEY_FILE": str(tmp_path / "missing.key")},
         f"PARLEY_TLS_KEY_FILE: cannot read {tmp_path / 'missing.key'}"),
        ({"PARLEY_TLS_CERT_FILE": str(not_pem), "PARLEY_TLS_KEY_FILE": key}, "is not a PEM certificate"),
        ({"PARLEY_TLS_CERT_FILE": cert, "PARLEY_TLS_KEY_FILE": str(not_pem)}, "is not a PEM private key"),
        ({"PARLEY_TLS_CERT_FILE": cert, "PARLEY_TLS_KEY_FILE": other_key}, "matching the certificate"),
    ]
    for settings, message in cases:
        env = {"PARLEY_LISTEN": f"127.0.0.1:{free_port()}", "PARLEY_DATA_DIR": str(tmp_path), **FAST_ARGON2,
               **settings}
        r = run_bin(env=env, timeout=30)
        assert r.returncode == 2, (settings, r.returncode, r.stderr[-2000:])
        assert message in r.stderr, (settings, r.stderr[-2000:])
        assert "BEGIN" not in r.stderr  # no key material in the error
