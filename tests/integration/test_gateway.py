"""`parley-gateway` (docs/operations.md, "Gateway") in front of a real server: the all-in-one
`parley` plays every service, so each API route, /ws and the JWKS fetch cross the gateway
exactly as they would in a distributed deployment.

PARLEY_GATEWAY_BIN names the gateway binary (default build/asan/bin/parley-gateway).
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from harness import REPO_ROOT, Client, ParleyFactory, ParleyServer, assert_error, clean_env, describe, free_port
from ws_client import cid, connect, create_group, rest_send, upgrade_raw

SERVICES = ("AUTH", "USER", "CHAT", "MESSAGE", "NOTIFICATION", "WS")


def gateway_bin() -> Path:
    p = Path(os.environ.get("PARLEY_GATEWAY_BIN", str(REPO_ROOT / "build" / "asan" / "bin" / "parley-gateway")))
    return p if p.is_absolute() else REPO_ROOT / p


class Gateways:
    """gateways(backend_url, **overrides) starts a gateway whose every upstream is
    `backend_url`; stopped (SIGTERM, exit 0, no sanitizer report) at teardown."""

    def __init__(self, tmp_root: Path):
        self.tmp_root = tmp_root
        self.started: list[ParleyServer] = []

    def __call__(self, backend_url: str, wait_ready: bool = True, **overrides: str) -> ParleyServer:
        binary = gateway_bin()
        if not binary.exists():
            pytest.fail(f"parley-gateway not found at {binary} (set PARLEY_GATEWAY_BIN)")
        workdir = Path(tempfile.mkdtemp(prefix="gateway-", dir=self.tmp_root))
        env = {f"PARLEY_{s}_URLS": backend_url for s in SERVICES}
        env.update({"PARLEY_LISTEN": f"127.0.0.1:{free_port()}", "PARLEY_WEB_DIR": "",
                    "PARLEY_RATE_IP_PER_MIN": "100000", "PARLEY_JWKS_REFRESH_S": "2"})
        env.update(overrides)
        gw = ParleyServer(binary, env, workdir, workdir / "gateway.log", "gateway")
        self.started.append(gw)
        if wait_ready:
            gw.start()  # until /readyz answers 200
        else:
            log = open(gw.log_path, "ab")
            gw.proc = subprocess.Popen([str(binary)], env=clean_env(env), stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=log, cwd=str(workdir))
            log.close()  # the child has its own descriptor
            wait_until(lambda: answers(gw, "/healthz") == 200, what="the gateway to listen")
        return gw

    def stop_all(self) -> None:
        errors = []
        for gw in self.started:
            if gw.proc is not None and gw.returncode is None:
                try:
                    gw.stop_and_check()
                except AssertionError as e:
                    errors.append(str(e))
        if errors:
            pytest.fail("\n\n".join(errors), pytrace=False)


def answers(server: ParleyServer, path: str) -> int | None:
    try:
        return requests.get(server.url(path), timeout=2).status_code
    except requests.RequestException:
        return None


def wait_until(condition, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def stack(tmp_root, smtp_sink):
    backends = ParleyFactory(tmp_root, smtp_sink)
    gateways = Gateways(tmp_root)
    backend = backends(name="backend")
    gw = gateways(backend.base)
    yield backend, gw
    gateways.stop_all()
    backends.stop_all()


@pytest.fixture(scope="module")
def via(stack, smtp_sink):
    """A Client that talks to the gateway."""
    c = Client(stack[1], smtp_sink)
    yield c
    c.http.close()


@pytest.fixture
def gateways(tmp_root):
    g = Gateways(tmp_root)
    yield g
    g.stop_all()


def request_id() -> str:
    return "gw" + uuid.uuid4().hex[:20]


def backend_saw(backend: ParleyServer, rid: str) -> bool:
    time.sleep(0.2)  # log lines are written after the response
    return f'"req":"{rid}"' in backend.log_text()


# --------------------------------------------------------------------------- HTTP

def test_the_api_works_through_the_gateway(via: Client):
    ann, bob = via.new_user(), via.new_user()
    me = via.get("/api/v1/users/me", token=ann.access)
    assert me.status_code == 200 and me.json()["id"] == ann.user_id, describe(me)
    found = via.get(f"/api/v1/users?q={bob.username}&limit=5", token=ann.access)
    assert found.status_code == 200 and any(u["id"] == bob.user_id for u in found.json()["items"]), describe(found)
    chat = create_group(via, ann, bob, name="Through the gateway")
    sent = rest_send(via, ann, chat["id"], body="hello via gateway")
    history = via.get(f"/api/v1/chats/{chat['id']}/messages?limit=10", token=bob.access)
    assert history.status_code == 200, describe(history)
    assert [m["id"] for m in history.json()["items"]] == [sent["id"]], history.json()
    read = via.post(f"/api/v1/chats/{chat['id']}/read", token=bob.access, json={"seq": sent["seq"]})
    assert read.status_code in (200, 204), describe(read)
    count = via.get("/api/v1/notifications/unread_count", token=bob.access)
    assert count.status_code == 200, describe(count)
    refreshed = via.refresh(ann.refresh_token)
    assert refreshed.status_code == 200 and refreshed.json()["access_token"], describe(refreshed)


def test_a_request_keeps_its_id_across_the_gateway(via: Client, stack):
    backend, _ = stack
    ann = via.new_user()
    rid = request_id()
    r = via.get("/api/v1/users/me", token=ann.access, headers={"X-Request-Id": rid})
    assert r.status_code == 200, describe(r)
    assert r.headers["X-Request-Id"] == rid
    assert r.headers.get("Server") == "parley" and "," not in r.headers.get("X-Request-Id"), r.headers
    assert backend_saw(backend, rid), "the service's log line does not carry the gateway's request id"


def test_tokens_are_checked_at_the_edge(via: Client, stack):
    backend, _ = stack
    for headers in ({}, {"Authorization": "Bearer not.a.token"}):
        rid = request_id()
        r = via.get("/api/v1/chats", headers={**headers, "X-Request-Id": rid})
        assert_error(r, 401, "invalid_token")
        assert not backend_saw(backend, rid), "a request without a valid token reached the service"
    rid = request_id()
    r = via.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"},
                 headers={"X-Request-Id": rid})
    assert_error(r, 401)  # public: the service answered
    assert backend_saw(backend, rid)


def test_internal_routes_are_never_forwarded(via: Client, stack):
    backend, _ = stack
    for method in ("GET", "POST", "DELETE"):
        rid = request_id()
        r = via.request(method, "/internal/v1/chats/1/members", headers={"X-Request-Id": rid,
                                                                          "X-Parley-Service-Token": "x" * 32})
        assert_error(r, 404, "not_found")
        assert not backend_saw(backend, rid)


def test_the_gateway_answers_its_own_ops_routes(via: Client):
    assert via.get("/healthz").json() == {"status": "ok"}
    assert via.get("/readyz").json() == {"status": "ready"}
    metrics = via.get("/metrics")
    assert metrics.status_code == 200 and "parley_http_requests_total" in metrics.text
    assert 'route="/api/v1/users/me"' in metrics.text, "the gateway's metrics are not by route"


def test_cors_preflight_is_answered_by_the_gateway(via: Client):
    r = via.request("OPTIONS", "/api/v1/chats/42/messages", headers={"Origin": "http://localhost:5173",
                                                         "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204, describe(r)
    assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:5173", r.headers
    assert "POST" in r.headers.get("Access-Control-Allow-Methods", ""), r.headers


# --------------------------------------------------------------------------- WebSocket

def test_websocket_through_the_gateway(via: Client, stack):
    _, gw = stack
    ann, bob = via.new_user(), via.new_user()
    chat = create_group(via, ann, bob, name="Live")
    a, b = connect(gw, ann), connect(gw, bob)
    try:
        accepted, stored = a.send_message(chat["id"], cid(), body="over the tunnel")
        assert accepted["status"] == "accepted" and stored["status"] == "stored", (accepted, stored)
        new = b.wait_type("message.new")
        assert new["data"]["body"] == "over the tunnel", new
        a.barrier()
    finally:
        a.close()
        b.close()
    assert a.close_code == 1000, (a.close_code, a.close_reason)


def test_an_upgrade_without_a_token_stops_at_the_gateway(stack):
    _, gw = stack
    resp = upgrade_raw(gw, "/ws")
    assert resp.status == 401, resp
    assert resp.json()["error"]["code"] == "invalid_token", resp.body
    assert resp.closed


# --------------------------------------------------------------------------- dedicated gateways

def test_not_ready_until_the_auth_service_answers(gateways, tmp_root, smtp_sink):
    port = free_port()
    gw = gateways(f"http://127.0.0.1:{port}", wait_ready=False)
    assert answers(gw, "/readyz") == 503
    assert answers(gw, "/healthz") == 200
    backends = ParleyFactory(tmp_root, smtp_sink)
    try:
        backends(name="late-backend", PARLEY_LISTEN=f"127.0.0.1:{port}")
        wait_until(lambda: answers(gw, "/readyz") == 200, what="the gateway to load the key")
    finally:
        backends.stop_all()


def test_an_unreachable_service_is_502(gateways, stack, smtp_sink):
    backend, _ = stack
    gw = gateways(backend.base, PARLEY_NOTIFICATION_URLS=f"http://127.0.0.1:{free_port()}")
    c = Client(gw, smtp_sink)
    ann = c.new_user()
    assert_error(c.get("/api/v1/notifications", token=ann.access), 502, "upstream_unavailable")
    assert c.get("/api/v1/users/me", token=ann.access).status_code == 200


def test_every_api_request_counts_against_the_clients_limit(gateways, stack):
    backend, _ = stack
    gw = gateways(backend.base, PARLEY_RATE_IP_PER_MIN="5")
    statuses = [requests.get(gw.url("/api/v1/chats"), timeout=5).status_code for _ in range(5)]
    assert statuses == [401] * 5, statuses
    limited = requests.get(gw.url("/api/v1/auth/jwks"), timeout=5)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert requests.get(gw.url("/healthz"), timeout=5).status_code == 200  # not an API route
