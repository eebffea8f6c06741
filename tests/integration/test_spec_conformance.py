"""Real responses must match the response schemas of docs/openapi.yaml (status code declared,
body valid against the documented schema). Complements test_openapi.py, which compares routes."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from harness import REPO_ROOT, Client, unique_name

yaml = pytest.importorskip("yaml")

SPEC_PATH = REPO_ROOT / "docs" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(spec: dict, node):
    while isinstance(node, dict) and "$ref" in node:
        cur = spec
        for part in node["$ref"][2:].split("/"):
            cur = cur[part]
        node = cur
    return node


def validate(spec: dict, schema, value, where: str = "$") -> list[str]:
    """A small JSON-schema (OpenAPI 3.0 subset) validator; returns the problems found."""
    schema = resolve(spec, schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null is not allowed"]
    problems: list[str] = []
    kind = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "boolean": bool}
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: expected integer, got {value!r}"]
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return [f"{where}: expected number, got {value!r}"]
    elif kind in checks and not isinstance(value, checks[kind]):
        return [f"{where}: expected {kind}, got {type(value).__name__} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where}: longer than {schema['maxLength']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{where}: shorter than {schema['minLength']}")
        if schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{where}: {value!r} is not an RFC 3339 date-time")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: required property {name!r} missing")
        for name, v in value.items():
            if name in props:
                problems += validate(spec, props[name], v, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: undocumented property {name!r}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            problems += validate(spec, schema["items"], v, f"{where}[{i}]")
    return problems


def check(spec: dict, method: str, path: str, resp) -> None:
    """`resp` (to `method` on the spec path `path`) has a documented status and a valid body."""
    op = spec["paths"][path][method.lower()]
    responses = op["responses"]
    status = str(resp.status_code)
    assert status in responses, f"{method} {path}: status {status} is not documented ({sorted(responses)}): {resp.text[:300]}"
    documented = resolve(spec, responses[status])
    content = documented.get("content")
    if not content:
        assert resp.content == b"", f"{method} {path} {status}: documented without a body, got {resp.text[:200]!r}"
        return
    if "application/json" in content:
        assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
        problems = validate(spec, content["application/json"]["schema"], resp.json())
        assert not problems, f"{method} {path} {status}: body does not match the spec:\n  " + "\n  ".join(problems) + \
            f"\nbody: {resp.text[:500]}"
    else:
        ctype = next(iter(content))
        if ctype != "*/*":  # */*: any type (a download carries the file's own)
            assert resp.headers.get("Content-Type", "").startswith(ctype), (ctype, resp.headers)


def test_auth_responses_match_spec(spec, client: Client, smtp_sink):
    name = unique_name()
    email = f"{name}@example.com"
    pw = "correct horse battery"
    A = "/api/v1/auth"

    check(spec, "POST", f"{A}/register", client.register(email, name, pw, display_name="Spec Person"))
    check(spec, "POST", f"{A}/register", client.register(email, unique_name(), pw))            # 409
    check(spec, "POST", f"{A}/register", client.register(f"x{email}", unique_name(), "short"))  # 422
    check(spec, "POST", f"{A}/register", client.post(f"{A}/register", json={"email": email}))  # 400
    check(spec, "POST", f"{A}/login", client.post(f"{A}/login", json={"email": email, "password": pw}))  # 403
    code = smtp_sink.wait_for_code(email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    check(spec, "POST", f"{A}/verify", client.verify(email, wrong))  # 400
    check(spec, "POST", f"{A}/verify", client.verify(email, code))
    check(spec, "POST", f"{A}/verify/resend", client.post(f"{A}/verify/resend", json={"email": email}))
    check(spec, "POST", f"{A}/login", client.post(f"{A}/login", json={"email": email, "password": "wrong pw!"}))
    r = client.post(f"{A}/login", json={"email": email, "password": pw})
    check(spec, "POST", f"{A}/login", r)
    tokens = r.json()
    r = client.refresh(tokens["refresh_token"])
    check(spec, "POST", f"{A}/refresh", r)
    tokens = r.json()
    check(spec, "POST", f"{A}/refresh", client.refresh("not-a-token"))  # 401
    check(spec, "GET", f"{A}/jwks", client.get(f"{A}/jwks"))
    check(spec, "POST", f"{A}/password/change", client.post(
        f"{A}/password/change", token=tokens["access_token"],
        json={"current_password": "wrong pw!", "new_password": "another long secret"}))  # 401
    check(spec, "POST", f"{A}/password/change", client.post(
        f"{A}/password/change", token=tokens["access_token"],
        json={"current_password": pw, "new_password": "12345678"}))  # 422
    check(spec, "POST", f"{A}/password/forgot", client.post(f"{A}/password/forgot", json={"email": email}))
    check(spec, "POST", f"{A}/password/reset", client.post(
        f"{A}/password/reset", json={"email": email, "code": "000000x", "new_password": "another long secret"}))
    check(spec, "POST", f"{A}/logout", client.post(f"{A}/logout"))  # 401
    check(spec, "POST", f"{A}/logout-all", client.post(f"{A}/logout-all", token=tokens["access_token"]))


def test_user_responses_match_spec(spec, client: Client):
    acct = client.new_user(display_name="Conformance")
    other = client.new_user()
    U = "/api/v1/users"
    check(spec, "GET", f"{U}/me", client.get(f"{U}/me", token=acct.access))
    check(spec, "GET", f"{U}/me", client.get(f"{U}/me"))  # 401
    check(spec, "PATCH", f"{U}/me", client.patch(f"{U}/me", token=acct.access,
                                                 json={"bio": "hi", "avatar_url": "https://example.com/a.png"}))
    check(spec, "PATCH", f"{U}/me", client.patch(f"{U}/me", token=acct.access, json={"bio": "b" * 281}))  # 422
    check(spec, "PATCH", f"{U}/me", client.patch(f"{U}/me", token=acct.access, json={"nick": "x"}))  # 400
    check(spec, "GET", f"{U}/{{id}}", client.get(f"{U}/{other.user_id}", token=acct.access))
    check(spec, "GET", f"{U}/{{id}}", client.get(f"{U}/0", token=acct.access))  # 404
    check(spec, "GET", U, client.get(U, token=acct.access, params={"q": acct.username[:4], "limit": 1}))
    check(spec, "GET", U, client.get(U, token=acct.access, params={"q": ""}))  # 400
    check(spec, "DELETE", f"{U}/me", client.delete(f"{U}/me", token=acct.access, json={"password": "nope nope"}))
    check(spec, "DELETE", f"{U}/me", client.delete(f"{U}/me", token=acct.access, json={"password": acct.password}))


def test_ops_responses_match_spec(spec, client: Client):
    for path in ("/healthz", "/readyz", "/metrics"):
        check(spec, "GET", path, client.get(path))
