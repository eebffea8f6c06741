"""Schemathesis against docs/openapi.yaml and the real server: every operation, with generated
valid and invalid requests, must answer without a 5xx, with a documented status code, content
type, headers and a body that matches the documented schema.

Run through scripts/api_fuzz.sh (it installs Schemathesis into a virtualenv and passes its
path in PARLEY_SCHEMATHESIS). The server is seeded first (users, a 1:1 chat, groups, messages,
a reaction, an upload, notifications) and Schemathesis draws path parameters and ids in bodies
from those real ids most of the time, so requests get past the 404s into the handlers' logic.

Settings (environment): PARLEY_FUZZ_EXAMPLES (test cases per operation in each phase, default
100), PARLEY_FUZZ_SEED (default 1; "random" for a new one each run), PARLEY_FUZZ_MAX_TIME
(seconds; unset: each phase stops after its examples), PARLEY_FUZZ_REPORT_DIR (where the NDJSON
and JUnit reports are kept; default: the temporary directory, removed at the end),
PARLEY_FUZZ_CHECKS (Schemathesis checks, comma-separated, instead of CHECKS; "all" to explore).
"""
from __future__ import annotations

import base64
import collections
import json
import os
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

from harness import HTTP_TIMEOUT_S, REPO_ROOT, Client, describe

SPEC = REPO_ROOT / "docs" / "openapi.yaml"
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
PASSWORD = "fuzzing account password 7"  # not an example of the spec: the fuzzer never guesses it
CHATS = "/api/v1/chats"


def schemathesis_bin() -> Path:
    path = os.environ.get("PARLEY_SCHEMATHESIS", "")
    assert path and Path(path).exists(), (
        f"PARLEY_SCHEMATHESIS={path!r} is not the schemathesis executable: run scripts/api_fuzz.sh")
    return Path(path)


def ok(r: requests.Response, status: int = 200) -> dict:
    assert r.status_code == status, describe(r)
    return r.json() if r.content else {}


def send(client: Client, acct, chat_id: str, body: str, **extra) -> dict:
    r = client.post(f"{CHATS}/{chat_id}/messages", token=acct.access,
                    json={"client_id": os.urandom(8).hex(), "body": body, **extra})
    return ok(r, 201)


def upload_grant(client: Client, acct, name: str, data: bytes) -> dict:
    r = client.post("/api/v1/media/uploads", token=acct.access,
                    json={"file_name": name, "content_type": "text/plain", "size": len(data)})
    return ok(r, 201)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def seed(client: Client) -> dict:
    """Users, chats, messages, media and notifications for the fuzzer to aim at; returns the
    ids by kind. `me` (the fuzzer's account) owns three groups, so that a group it was made to
    leave or hand over does not end the exploration."""
    me = client.new_user(password=PASSWORD)
    others = [client.new_user() for _ in range(3)]
    stranger = client.new_user()  # in no chat: for adding members and opening 1:1 chats
    b, c, d = others
    direct = ok(client.post(f"{CHATS}/direct", token=me.access, json={"user_id": b.user_id}), 201)["id"]
    groups = [ok(client.post(f"{CHATS}/groups", token=me.access,
                             json={"name": f"group {i}", "member_ids": [b.user_id, c.user_id, d.user_id]}), 201)["id"]
              for i in range(3)]
    ok(client.patch(f"{CHATS}/{groups[0]}/members/{c.user_id}", token=me.access, json={"role": "admin"}))
    messages = []
    for chat in (direct, *groups):
        messages.append(send(client, me, chat, "hello there")["id"])
        m = send(client, b, chat, f"hi @{me.username}", mentions=[me.user_id])
        messages.append(m["id"])
        r = client.request("PUT", f"{CHATS}/{chat}/messages/{m['id']}/reaction", token=me.access,
                           json={"emoji": "\U0001F44D"})
        assert r.status_code == 204, describe(r)
    messages.append(send(client, me, groups[-1], "a reply", reply_to=messages[-1])["id"])

    # An attached file (its key and a signed download URL) and a second, not yet uploaded grant
    # (a signed upload URL).
    data = b"fuzzing attachment\n"
    attached = upload_grant(client, me, "notes.txt", data)
    r = requests.put(attached["upload_url"], data=data, headers=attached["headers"], timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 204, describe(r)
    messages.append(send(client, me, groups[0], "a file", attachments=[
        {"key": attached["key"], "name": "notes.txt", "content_type": "text/plain", "size": len(data)}])["id"])
    download = ok(client.get(f"{CHATS}/{groups[0]}/media/{attached['key']}", token=me.access,
                             params={"name": "notes.txt"}))
    pending = upload_grant(client, me, "later.txt", b"0123456789")

    notifications = [n["id"] for n in ok(client.get("/api/v1/notifications", token=me.access))["items"]]
    assert notifications, "the seed should have left notifications for the fuzzer's account"
    return {
        "token": me.access,
        "me": me.user_id,
        "users": [me.user_id, *(u.user_id for u in others)],
        "stranger": stranger.user_id,
        "chats": [direct, *groups],
        "messages": messages,
        "keys": [attached["key"], pending["key"]],
        "download": query_of(download["url"]),
        "upload": query_of(pending["upload_url"]),
        "notifications": notifications,
    }


def toml_value(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_value(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))  # a TOML basic string is a JSON string for these values


def config(ids: dict) -> str:
    """Schemathesis configuration: real ids drawn with a probability from dictionaries (the rest
    of the time the generated value is kept, so unknown ids are still tried)."""
    dictionaries = {
        "chats": ids["chats"],
        "messages": ids["messages"],
        "members": ids["users"],
        "users": [*ids["users"], ids["stranger"]],
        "keys": ids["keys"],
        "notifications": ids["notifications"],
    }
    parameters = {
        "path.chat_id": ("chats", 0.8),
        "path.message_id": ("messages", 0.7),
        "path.user_id": ("members", 0.7),
        "path.id": ("users", 0.7),
        "path.key": ("keys", 0.7),
        "path.notification_id": ("notifications", 0.7),
        "body.user_id": ("users", 0.7),
        "body.member_ids[*]": ("users", 0.7),
        "body.mentions[*]": ("members", 0.7),
        "body.reply_to": ("messages", 0.5),
    }
    # The signed query strings of the local media URLs, valid most of the time.
    signed: dict[str, dict[str, tuple[str, float]]] = {}
    for op_id, query in (("downloadBlob", ids["download"]), ("uploadBlob", ids["upload"])):
        signed[op_id] = {}
        for name, value in query.items():
            dictionaries[f"{op_id}_{name}"] = [int(value) if value.isdigit() else value]
            signed[op_id][f"query.{name}"] = (f"{op_id}_{name}", 0.8)

    def bindings(params: dict[str, tuple[str, float]]) -> list[str]:
        return [f"{toml_value(k)} = {{ dictionary = {toml_value(d)}, probability = {p} }}"
                for k, (d, p) in params.items()]

    # Stateful links come from dependency analysis only: the API sends no Location headers, and
    # the other inference (URLs in response bodies) made Schemathesis 4.32 itself crash on a
    # stored avatar URL "http://[x" (urlsplit: Invalid IPv6 URL; the server now refuses it).
    lines = ["[phases.stateful.inference]", 'algorithms = ["dependency-analysis"]', "", "[dictionaries]"]
    lines += [f"{name} = {{ values = {toml_value(values)} }}" for name, values in dictionaries.items()]
    lines += ["", "[parameters]", *bindings(parameters)]
    for op_id, params in signed.items():
        lines += ["", "[[operations]]", f"include-operation-id = {toml_value(op_id)}",
                  "[operations.parameters]", *bindings(params)]
    return "\n".join(lines) + "\n"


def conventions(method: str, resp: dict) -> list[str]:
    """What the spec's conventions promise of every response, documented per operation or not
    (a 405, say): an X-Request-Id; the error envelope on 4xx and 5xx; Allow on 405;
    Retry-After on 429."""
    headers = {k.lower(): v for k, v in resp.get("headers", {}).items()}
    status = resp["status_code"]
    problems = []
    if not (headers.get("x-request-id") or [""])[0]:
        problems.append("no X-Request-Id")
    if status == 405 and not headers.get("allow"):
        problems.append("405 without Allow")
    if status == 429 and not headers.get("retry-after"):
        problems.append("429 without Retry-After")
    if status >= 400 and method != "HEAD":
        try:
            body = json.loads(base64.b64decode(resp["content"]["$base64"]))
            err = body["error"]
            envelope = (set(body) == {"error"} and isinstance(err.get("code"), str) and
                        isinstance(err.get("message"), str) and err["message"])
        except (KeyError, ValueError, TypeError, AttributeError):
            envelope = False
        if not envelope or not (headers.get("content-type") or [""])[0].startswith("application/json"):
            problems.append(f"{status} without the JSON error envelope")
    return problems


def review(report_dir: Path) -> list[str]:
    """Prints, per operation, how often each status (and error code) was answered; returns
    the responses that break the conventions (see conventions())."""
    files = sorted(report_dir.glob("ndjson-*.ndjson"))
    if not files:
        return ["Schemathesis wrote no NDJSON report"]
    per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    problems: dict[str, str] = {}
    with open(files[-1], encoding="utf-8") as events:
        for line in events:
            finished = json.loads(line).get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for interaction in (recorder.get("interactions") or {}).values():
                resp = interaction.get("response")
                if not resp:
                    per_op[recorder["label"]]["no response"] += 1
                    continue
                code = ""
                try:
                    body = json.loads(base64.b64decode(resp["content"]["$base64"]))
                    if isinstance(body, dict) and isinstance(body.get("error"), dict):
                        code = " " + str(body["error"].get("code"))
                except (KeyError, ValueError, TypeError):
                    pass
                per_op[recorder["label"]][f"{resp['status_code']}{code}"] += 1
                request = interaction["request"]
                for problem in conventions(request["method"], resp):
                    problems.setdefault(f"{request['method']} {recorder['label']}: {problem}", request["uri"])
    print("\nresponses per operation:")
    for op in sorted(per_op):
        counts = per_op[op]
        print(f"  {op} ({sum(counts.values())}): " + ", ".join(f"{k} x{n}" for k, n in counts.most_common()))
    print(f"reports: {report_dir}")
    return [f"{problem} (e.g. {uri})" for problem, uri in problems.items()]


def test_schemathesis(parley):
    binary = schemathesis_bin()
    server = parley(name="api-fuzz", PARLEY_ACCESS_TTL_S="86400", PARLEY_NOTIFY_DELAY_S="0",
                    PARLEY_MEDIA_MAX_BYTES="1048576")
    client = Client(server, parley.smtp)
    ids = seed(client)

    work = Path(tempfile.mkdtemp(prefix="schemathesis-", dir=parley.tmp_root))
    report_dir = Path(os.environ.get("PARLEY_FUZZ_REPORT_DIR") or work / "reports")
    config_file = work / "schemathesis.toml"
    config_file.write_text(config(ids))
    args = [str(binary), "--config-file", str(config_file), "run", str(SPEC),
            "--url", server.base, "--header", f"Authorization: Bearer {ids['token']}",
            "--checks", os.environ.get("PARLEY_FUZZ_CHECKS") or ",".join(CHECKS),
            "--max-examples", os.environ.get("PARLEY_FUZZ_EXAMPLES", "100"),
            "--workers", "2", "--generation-database", "none", "--no-color",
            "--report", "ndjson,junit", "--report-dir", str(report_dir), "--request-timeout", "30"]
    seed_value = os.environ.get("PARLEY_FUZZ_SEED", "1")
    if seed_value != "random":
        args += ["--seed", seed_value]
    if os.environ.get("PARLEY_FUZZ_MAX_TIME"):
        args += ["--max-time", os.environ["PARLEY_FUZZ_MAX_TIME"]]
    print(f"\n$ {' '.join(a if not a.startswith('Authorization') else 'Authorization: Bearer …' for a in args)}",
          flush=True)
    proc = subprocess.run(args, cwd=work, stdin=subprocess.DEVNULL, timeout=3600)
    broken = review(report_dir)
    assert proc.returncode == 0, f"Schemathesis found problems (exit code {proc.returncode}); see its report above"
    assert not broken, "responses against the spec's conventions:\n  " + "\n  ".join(broken)
