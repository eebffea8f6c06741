"""HTTP-level behaviour: health, metrics, CORS, error envelopes, request ids, keep-alive,
command-line interface and shutdown."""
from __future__ import annotations

import re
import socket

import pytest
import requests

from harness import FAST_ARGON2, Client, assert_error, free_port, run_bin

ALLOWED = "http://localhost:5173"
DENIED = "http://evil.example.com"

METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> list[tuple[str, dict, float]]:
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = METRIC_LINE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL.findall(m.group(2) or ""))
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def sample(samples, name, **labels) -> float:
    total = 0.0
    for n, l, v in samples:
        if n == name and all(l.get(k) == v2 for k, v2 in labels.items()):
            total += v
    return total



# --------------------------------------------------------------------------- health

def test_healthz_readyz(client: Client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}


# --------------------------------------------------------------------------- metrics

def test_metrics(client: Client, viewer_token):
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    before = parse_metrics(r.text)

    # one request on a parameterised route
    unknown = "1234567890abcdef"
    assert_error(client.get(f"/api/v1/users/{unknown}", token=viewer_token), 404, "user_not_found")

    r = client.get("/metrics")
    text = r.text
    after = parse_metrics(text)
    for name in ("parley_http_requests_total", "parley_http_request_duration_seconds_bucket",
                 "parley_http_connections_open"):
        assert any(n == name for n, _, _ in after), f"metric {name} missing"
    labels = dict(route="/api/v1/users/{id}", method="GET", status="404")
    assert sample(after, "parley_http_requests_total", **labels) == \
        sample(before, "parley_http_requests_total", **labels) + 1, "request counted once, by route pattern"
    assert unknown not in text, "the route label must be the pattern, not the concrete path"
    buckets = [(l, v) for n, l, v in after
               if n == "parley_http_request_duration_seconds_bucket" and l.get("route") == "/api/v1/users/{id}"]
    assert buckets and all("le" in l for l, _ in buckets)
    assert any(l["le"] == "+Inf" and v >= 1 for l, v in buckets)
    assert sample(after, "parley_http_connections_open") >= 1, "our own connection is open"
    assert sample(after, "parley_http_requests_total", route="/metrics", method="GET", status="200") >= 1, \
        "the previous scrape was counted"


# --------------------------------------------------------------------------- CORS

def test_cors_allowed_origin(client: Client):
    for path in ("/healthz", "/api/v1/auth/jwks"):
        r = client.get(path, headers={"Origin": ALLOWED})
        assert r.status_code == 200
        assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED
    r = client.get("/api/v1/auth/jwks", headers={"Origin": "http://127.0.0.1:5173"})
    assert r.headers.get("Access-Control-Allow-Origin") == "http://127.0.0.1:5173"
    # errors carry CORS headers too, so the browser can read them
    r = client.get("/api/v1/users/me", headers={"Origin": ALLOWED})
    assert_error(r, 401, "invalid_token")
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED


def test_cors_denied_origin(client: Client):
    r = client.get("/api/v1/auth/jwks", headers={"Origin": DENIED})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    r = client.request("OPTIONS", "/api/v1/auth/login",
                       headers={"Origin": DENIED, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_origins_setting(parley):
    srv = parley(name="cors", PARLEY_CORS_ORIGINS="https://app.example.com,https://admin.example.com")
    for origin in ("https://app.example.com", "https://admin.example.com"):
        r = requests.get(srv.url("/api/v1/auth/jwks"), headers={"Origin": origin}, timeout=10)
        assert r.headers.get("Access-Control-Allow-Origin") == origin
    r = requests.get(srv.url("/api/v1/auth/jwks"), headers={"Origin": ALLOWED}, timeout=10)
    assert "Access-Control-Allow-Origin" not in r.headers, "the default origins are replaced, not extended"


@pytest.mark.parametrize("path,method", [
    ("/api/v1/auth/login", "POST"),
    ("/api/v1/users/me", "PATCH"),
    ("/api/v1/users/123456", "GET"),
])
def test_cors_preflight(client: Client, path, method):
    r = client.request("OPTIONS", path, headers={
        "Origin": ALLOWED,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    })
    assert r.status_code == 204, r.text
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED
    methods = {m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert method in methods, r.headers
    allowed_headers = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {"authorization", "content-type"} <= allowed_headers, r.headers


# --------------------------------------------------------------------------- errors / headers

@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v1/users/me/extra", "/api/v2/users/me"])
def test_unknown_route_404(client: Client, path):
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize("method,path,allow", [
    ("GET", "/api/v1/auth/login", {"POST"}),
    ("DELETE", "/api/v1/auth/register", {"POST"}),
    ("PUT", "/api/v1/users/me", {"GET", "PATCH", "DELETE"}),
    ("POST", "/healthz", {"GET"}),
    ("DELETE", "/api/v1/users/123", {"GET"}),
])
def test_wrong_method_405(client: Client, method, path, allow):
    r = client.request(method, path)
    assert_error(r, 405, "method_not_allowed")
    got = {m.strip().upper() for m in r.headers.get("Allow", "").split(",") if m.strip()}
    assert allow <= got, f"Allow: {r.headers.get('Allow')!r}"
    assert not ({"GET", "POST", "PUT", "PATCH", "DELETE"} - allow - {"HEAD"}) & got, \
        f"Allow lists methods the route does not have: {r.headers.get('Allow')!r}"


def test_request_id_on_every_response(client: Client):
    responses = [
        client.get("/healthz"),
        client.get("/nope"),
        client.request("PUT", "/healthz"),
        client.get("/api/v1/users/me"),
        client.post("/api/v1/auth/login", data="{", headers={"Content-Type": "application/json"}),
        client.request("OPTIONS", "/api/v1/auth/login",
                       headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}),
        client.get("/metrics"),
    ]
    ids = []
    for r in responses:
        rid = r.headers.get("X-Request-Id")
        assert rid, f"no X-Request-Id on {r.request.method} {r.request.url} ({r.status_code})"
        ids.append(rid)
    assert len(set(ids)) == len(ids), f"request ids must be unique: {ids}"


def test_keep_alive(server):
    s = requests.Session()
    try:
        for i in range(10):
            r = s.get(server.url("/healthz"), timeout=10)
            assert r.status_code == 200
            assert r.headers.get("Connection", "").lower() != "close"
            # errors don't close the connection either
            assert s.get(server.url("/nope"), timeout=10).status_code == 404
            assert s.post(server.url("/api/v1/auth/login"), json={"email": "x@example.com"},
                          timeout=10).status_code == 400
        pool = s.get_adapter(server.base).poolmanager.connection_from_url(server.base)
        assert pool.num_connections == 1, f"{pool.num_connections} connections for 30 requests"
    finally:
        s.close()


def test_pipelined_raw_requests(server):
    """Two requests written at once on one socket get two responses, in order."""
    req = (f"GET /healthz HTTP/1.1\r\nHost: {server.host}\r\n\r\n"
           f"GET /readyz HTTP/1.1\r\nHost: {server.host}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(req)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    text = data.decode(errors="replace")
    assert text.count("HTTP/1.1 200") == 2, text
    assert text.index('"ok"') < text.index('"ready"'), text


# --------------------------------------------------------------------------- command line

def test_help_lists_settings():
    r = run_bin("--help")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert re.search(r"^\s*PARLEY_LISTEN \(default: 127\.0\.0\.1:8080\)", out, re.M), out
    assert re.search(r"^\s*PARLEY_DATA_DIR \(default: \./data\)", out, re.M), out
    for name in ("PARLEY_SMTP_URL", "PARLEY_MAIL_FROM", "PARLEY_RATE_IP_PER_MIN", "PARLEY_RATE_ACCOUNT_PER_MIN",
                 "PARLEY_OTP_TTL_S", "PARLEY_OTP_MAX_ATTEMPTS", "PARLEY_OTP_RESEND_COOLDOWN_S",
                 "PARLEY_ARGON2_OPSLIMIT", "PARLEY_ARGON2_MEMLIMIT_KIB", "PARLEY_MAX_BODY_BYTES",
                 "PARLEY_ACCESS_TTL_S", "PARLEY_REFRESH_TTL_S", "PARLEY_CORS_ORIGINS", "PARLEY_LOG_LEVEL"):
        assert re.search(rf"^\s*{name} \(default: ", out, re.M), f"{name} missing from --help"
    for name, default in (("PARLEY_RATE_IP_PER_MIN", "30"), ("PARLEY_RATE_ACCOUNT_PER_MIN", "10"),
                          ("PARLEY_OTP_TTL_S", "600"), ("PARLEY_OTP_MAX_ATTEMPTS", "5"),
                          ("PARLEY_OTP_RESEND_COOLDOWN_S", "60"), ("PARLEY_MAX_BODY_BYTES", "1048576"),
                          ("PARLEY_ACCESS_TTL_S", "900")):
        assert re.search(rf"^\s*{name} \(default: {default}\)", out, re.M), f"{name} default is not {default}"


def test_routes_output_format():
    r = run_bin("--routes")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert lines
    for line in lines:
        assert re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) /[A-Za-z0-9_./{}-]*", line), line
    assert "GET /api/v1/users/{id}" in lines


def test_unknown_setting_refuses_to_start(tmp_path):
    env = {"PARLEY_LISTEN": f"127.0.0.1:{free_port()}", "PARLEY_DATA_DIR": str(tmp_path),
           "PARLEY_NO_SUCH_SETTING": "1", **FAST_ARGON2}
    r = run_bin(env=env, timeout=30)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "PARLEY_NO_SUCH_SETTING" in r.stdout + r.stderr, "the error names the bad setting"


def test_graceful_shutdown(parley):
    srv = parley(name="shutdown")
    s = requests.Session()
    assert s.get(srv.url("/healthz"), timeout=10).status_code == 200   # an idle keep-alive connection
    srv.stop_and_check()   # SIGTERM -> exit code 0 within 15 s, no sanitizer reports
    s.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.url("/healthz"), timeout=3)


@pytest.fixture(scope="module")
def viewer_token(client: Client):
    return client.new_user().access


def raw_get(srv, target: str) -> str:
    host, port = srv.url("/").split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def test_web_client_is_served_with_client_side_routes(parley, tmp_path):
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>Parley</title>")
    (web / "assets" / "app-3f2a.js").write_text("console.log('parley')")
    srv = parley(name="web", PARLEY_WEB_DIR=str(web))
    for path in ("/", "/chats/123", "/login?next=%2F"):
        r = requests.get(srv.url(path), timeout=10)
        assert r.status_code == 200, path
        assert r.text == "<!doctype html><title>Parley</title>"
        assert r.headers["Content-Type"].startswith("text/html")
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    js = requests.get(srv.url("/assets/app-3f2a.js"), timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in js.headers["Cache-Control"]
    for path in ("/assets/missing.js", "/api/v1/nope", "/assets/..%2F..%2Findex.html", "/.env"):
        r = requests.get(srv.url(path), timeout=10)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    text = raw_get(srv, "/../../../../etc/passwd")  # not normalised by a client library
    assert "root:" not in text
    assert requests.post(srv.url("/chats/123"), timeout=10).status_code == 404
