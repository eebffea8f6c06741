"""docs/openapi.yaml must describe exactly the routes the binary serves."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness import REPO_ROOT, clean_env, parley_bin

yaml = pytest.importorskip("yaml")

SPEC = REPO_ROOT / "docs" / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def spec() -> dict:
    with open(SPEC, encoding="utf-8") as f:
        return yaml.safe_load(f)


def spec_routes(spec: dict) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, item in spec["paths"].items() for m in item if m in HTTP_METHODS}


def binary_routes() -> set[tuple[str, str]]:
    binary = parley_bin()
    if not binary.exists():
        pytest.fail(f"parley binary not found at {binary} (set PARLEY_BIN)")
    r = subprocess.run([str(binary), "--routes"], env=clean_env(), capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"parley --routes exited {r.returncode}: {r.stderr[-2000:]}"
    routes = set()
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        method, _, path = line.strip().partition(" ")
        assert method and path.startswith("/"), f"unexpected --routes line: {line!r}"
        if path.strip().startswith("/internal/"):
            continue  # services' internal API: docs/internal-api.md, not the public spec
        routes.add((method.upper(), path.strip()))
    return routes


def test_spec_matches_routes(spec):
    documented = spec_routes(spec)
    served = binary_routes()
    missing = sorted(served - documented)
    extra = sorted(documented - served)
    msg = []
    if missing:
        msg.append("served but not in docs/openapi.yaml:\n  " + "\n  ".join(f"{m} {p}" for m, p in missing))
    if extra:
        msg.append("in docs/openapi.yaml but not served:\n  " + "\n  ".join(f"{m} {p}" for m, p in extra))
    assert not msg, "\n".join(msg)


# --- the spec itself --------------------------------------------------------------------------

def resolve(spec: dict, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        cur = spec
        for part in ref[2:].split("/"):
            assert part in cur, f"dangling $ref {ref}"
            cur = cur[part]
        node = cur
    return node


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, op


def test_spec_is_openapi_3_0_3(spec):
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] and spec["info"]["version"]
    for ref in all_refs(spec):
        resolve(spec, {"$ref": ref})


def test_spec_no_options_operations_and_param_style(spec):
    for method, path, op in operations(spec):
        assert method != "OPTIONS", f"no separate OPTIONS operations: {path}"
        for name in re.findall(r"\{([^}]+)\}", path):
            params = [resolve(spec, p) for p in op.get("parameters", []) + spec["paths"][path].get("parameters", [])]
            assert any(p["in"] == "path" and p["name"] == name and p.get("required") for p in params), \
                f"{method} {path}: path parameter {name} not declared"


def test_spec_security_and_errors(spec):
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())
    err = spec["components"]["schemas"]["Error"]
    assert err["required"] == ["error"]
    assert set(err["properties"]["error"]["required"]) == {"code", "message"}
    public = {("POST", p) for p in ("/api/v1/auth/register", "/api/v1/auth/verify", "/api/v1/auth/verify/resend",
                                    "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/password/forgot",
                                    "/api/v1/auth/password/reset")}
    public |= {("GET", p) for p in ("/healthz", "/readyz", "/metrics", "/api/v1/auth/jwks")}
    public |= {("PUT", "/api/v1/media/blob/{key}"), ("GET", "/api/v1/media/blob/{key}")}  # signed URLs
    for method, path, op in operations(spec):
        secured = bool(op.get("security", spec.get("security", [])))
        assert secured == ((method, path) not in public), f"{method} {path}: security requirement wrong"
        assert op.get("responses"), f"{method} {path} has no responses"


def test_spec_request_bodies_are_closed(spec):
    for method, path, op in operations(spec):
        if "requestBody" not in op:
            continue
        body = resolve(spec, op["requestBody"])
        if "application/json" not in body["content"]:
            assert set(body["content"]) == {"application/octet-stream"}, f"{method} {path}"  # raw uploads
            continue
        schema = resolve(spec, body["content"]["application/json"]["schema"])
        assert schema.get("type") == "object", f"{method} {path}"
        assert schema.get("additionalProperties") is False, f"{method} {path}: additionalProperties must be false"
        assert "example" in body["content"]["application/json"] or "example" in schema, f"{method} {path}: no example"
