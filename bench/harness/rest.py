"""Scenario `rest`: history pages and chat lists read over the REST API, requests/s and latency.

Prepared once per invocation (through the public API, on one data dir): --users users, each in
--chats-per-user chats: two groups of five (users i..i+4 from 0 and from 2, wrapping around) and
1:1 chats with their nearest neighbours on a ring (i with i+1 .. i+k). The *history chats* (the
groups and the 1:1 chats of 2j with 2j+1) get --messages messages each, every other chat
--list-messages, so each chat in a list has a last message. The messages are sent with
POST /api/v1/chats/{id}/messages by wrk, 64 at a time, by members in turn (not measured).

Per run: a fresh server on that data dir, then one phase per --rest-phases entry, each wrk at
full speed with --http-connections over --http-threads for --warmup seconds (discarded), then
for --duration seconds (measured). Every request carries the access token of a member of what
it reads; the lists are shuffled and each wrk thread goes through them round robin from its own
place:

- history: GET /api/v1/chats/{id}/messages, the newest page (default size, 50), history chats;
- history_before: the same with `before` = a random seq of the chat from 51 up, one page back
  into the history (always a full page);
- chats: GET /api/v1/chats, the caller's chat list (default page, 20 chats);
- chat: GET /api/v1/chats/{id}, one chat with its members, any chat.

A run fails when wrk saw any status >= 400 or socket error: the figures would not be about the
reads."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from . import procstat, wrk
from .fanout import machine_busy_s, settle
from .report import fmt, median_of
from .server import ParleyServer
from .users import prepare_users

PHASES = ("history", "history_before", "chats", "chat")
GROUP_SIZE = 5
GROUPS_PER_USER = 2
PAGE = 50  # GET .../messages without `limit`
BEFORE_PER_MEMBER = 4  # `before` cursors per history chat and member
SEED_CONNECTIONS = 64
SEED_LIMIT_S = 1800


def add_arguments(p) -> None:
    def phases(text: str) -> list[str]:
        out = [x.strip() for x in text.split(",") if x.strip()]
        if not out or any(x not in PHASES for x in out):
            raise ValueError(f"phases are {', '.join(PHASES)}")
        return out

    g = p.add_argument_group("rest (also --users, --warmup, --duration, --repeat)")
    g.add_argument("--http-connections", type=int, default=64, help="rest: wrk connections (default 64)")
    g.add_argument("--http-threads", type=int, default=2, help="rest: wrk threads (default 2)")
    g.add_argument("--chats-per-user", type=int, default=20,
                   help="rest: chats each user is in, two of them groups of five (default 20, a full chat list page)")
    g.add_argument("--messages", type=int, default=300, help="rest: messages in each history chat (default 300)")
    g.add_argument("--list-messages", type=int, default=3,
                   help="rest: messages in each other chat (default 3)")
    g.add_argument("--rest-phases", type=phases, default=list(PHASES),
                   help=f"rest: phases to run, in order (default {','.join(PHASES)})")


def _api(session: requests.Session, method: str, url: str, token: str, body: dict | None = None) -> dict:
    r = session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    if r.status_code not in (200, 201):
        raise RuntimeError(f"{method} {url} -> {r.status_code}: {r.text[:300]}")
    return r.json()


def chat_layout(users: int, directs_per_user: int) -> list[tuple[int, list[int], bool]]:
    """(owner, other members, history chat?) of every chat, users by index: a ring of 1:1 chats
    (i with i+1 .. i+directs_per_user/2), and GROUPS_PER_USER partitions of the users into groups
    of GROUP_SIZE, the p-th shifted by 2p."""
    out = []
    for i in range(users):
        for d in range(1, directs_per_user // 2 + 1):
            out.append((i, [(i + d) % users], d == 1 and i % 2 == 0))
    for p in range(GROUPS_PER_USER):
        for k in range(users // GROUP_SIZE):
            first = 2 * p + k * GROUP_SIZE
            out.append((first % users, [(first + j) % users for j in range(1, GROUP_SIZE)], True))
    return out


def create_chats(base_url: str, creds: list[tuple[str, str]], directs_per_user: int) -> list[dict]:
    """Creates the chats of chat_layout() in parallel: [{"id", "members": [user index], "history"}]."""
    local = threading.local()

    def create(w) -> dict:
        owner, others, history = w
        if not hasattr(local, "s"):
            local.s = requests.Session()
        token = creds[owner][1]
        if len(others) == 1:
            chat = _api(local.s, "POST", base_url + "/api/v1/chats/direct", token, {"user_id": creds[others[0]][0]})
        else:
            chat = _api(local.s, "POST", base_url + "/api/v1/chats/groups", token,
                        {"name": f"bench group {owner}", "member_ids": [creds[o][0] for o in others]})
        return {"id": chat["id"], "members": [owner, *others], "history": history}

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(create, chat_layout(len(creds), directs_per_user)))


def body_text(rng: random.Random) -> str:
    """A chat line of 20-160 characters (one line: wrk's request file is line-based)."""
    words = ("ok", "see you", "tomorrow", "the build", "is green", "again", "lunch?", "sounds good", "on my way",
             "meeting moved to 3", "thanks!", "can you review", "the report", "later", "haha", "sure")
    out = []
    target = rng.randint(20, 160)
    while sum(len(w) + 1 for w in out) < target:
        out.append(rng.choice(words))
    return " ".join(out)


def write_seed(path, chats: list[dict], creds: list[tuple[str, str]], messages: int, list_messages: int,
               rng: random.Random) -> int:
    """The sends that fill the chats, members taking turns: `POST PATH TOKEN BODY` lines, chats
    interleaved so that concurrent sends go to different chats."""
    per_chat = []
    for c, chat in enumerate(chats):
        count = messages if chat["history"] else list_messages
        lines = []
        for k in range(count):
            sender = chat["members"][k % len(chat["members"])]
            body = f'{{"client_id":"seed-{c}-{k}","body":"{body_text(rng)}"}}'
            lines.append(f"POST /api/v1/chats/{chat['id']}/messages {creds[sender][1]} {body}")
        per_chat.append(lines)
    out = []
    for k in range(max(messages, list_messages)):
        out += [lines[k] for lines in per_chat if k < len(lines)]
    path.write_text("\n".join(out) + "\n")
    return len(out)


def write_phase(path, phase: str, chats: list[dict], creds: list[tuple[str, str]], messages: int,
                rng: random.Random) -> int:
    """The requests of one phase, shuffled: `GET PATH TOKEN` lines, each token a member's."""
    lines = []
    if phase == "chats":
        lines = [f"GET /api/v1/chats {token}" for _, token in creds]
    for chat in chats:
        tokens = [creds[m][1] for m in chat["members"]]
        base = f"/api/v1/chats/{chat['id']}"
        if phase == "chat":
            lines += [f"GET {base} {t}" for t in tokens]
        elif phase == "history" and chat["history"]:
            lines += [f"GET {base}/messages {t}" for t in tokens]
        elif phase == "history_before" and chat["history"]:
            lines += [f"GET {base}/messages?before={rng.randint(PAGE + 1, messages)} {t}"
                      for t in tokens for _ in range(BEFORE_PER_MEMBER)]
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def check(base_url: str, chats: list[dict], creds: list[tuple[str, str]], a) -> None:
    """What a read answers, checked on a few chats and users before anything is measured: the
    history chats hold --messages messages (seq 1..N), a page has PAGE of them, a user's list
    --chats-per-user chats (up to its page of 20)."""
    s = requests.Session()
    history = [c for c in chats if c["history"]]
    for chat in history[:3] + history[-3:]:
        token = creds[chat["members"][-1]][1]
        page = _api(s, "GET", f"{base_url}/api/v1/chats/{chat['id']}/messages", token)["items"]
        if len(page) != min(PAGE, a.messages) or page[-1]["seq"] != a.messages:
            raise RuntimeError(f"chat {chat['id']}: newest page has {len(page)} messages, last seq "
                               f"{page[-1]['seq'] if page else None}; expected {a.messages}")
        older = _api(s, "GET", f"{base_url}/api/v1/chats/{chat['id']}/messages?before={PAGE + 1}", token)["items"]
        if [m["seq"] for m in older] != list(range(1, PAGE + 1)):
            raise RuntimeError(f"chat {chat['id']}: the page before {PAGE + 1} is not seqs 1..{PAGE}")
    for i in (0, len(creds) // 2, len(creds) - 1):
        items = _api(s, "GET", f"{base_url}/api/v1/chats", creds[i][1])["items"]
        if len(items) != min(20, a.chats_per_user):
            raise RuntimeError(f"user {i}: {len(items)} chats listed, expected {min(20, a.chats_per_user)}")


def prepare(ctx, wrk_bin) -> tuple[list[dict], dict]:
    """Users, chats and messages on ctx.data_dir, once; returns the chats and what it took."""
    a = ctx.args
    if a.users < 2 * GROUP_SIZE or a.users % GROUP_SIZE or a.users <= a.chats_per_user \
            or a.chats_per_user < GROUPS_PER_USER + 2 or (a.chats_per_user - GROUPS_PER_USER) % 2:
        raise SystemExit(f"rest: --users must be a multiple of {GROUP_SIZE} (at least {2 * GROUP_SIZE}), "
                         f"--chats-per-user even, at least {GROUPS_PER_USER + 2} and below --users")
    if a.messages <= PAGE:
        raise SystemExit(f"rest: --messages must be above the page size, {PAGE}")
    rng = random.Random(1)
    took = {}
    with ParleyServer(ctx.parley, ctx.data_dir, 1000 + SEED_CONNECTIONS, ctx.server_env,
                      log_name="prepare.log").start() as srv:
        t = time.monotonic()
        creds = prepare_users(srv.base_url, ctx.data_dir, a.users, ctx.credentials)
        took["users_s"] = time.monotonic() - t
        t = time.monotonic()
        chats = create_chats(srv.base_url, creds, a.chats_per_user - GROUPS_PER_USER)
        took["chats_s"] = time.monotonic() - t
        seed_file = ctx.work_dir / "seed.txt"
        count = write_seed(seed_file, chats, creds, a.messages, a.list_messages, rng)
        ctx.log(f"rest: {a.users} users, {len(chats)} chats ({sum(c['history'] for c in chats)} with "
                f"{a.messages} messages); sending {count:,} messages")
        t = time.monotonic()
        seeded = wrk.run(wrk_bin, ctx.repo / "bench" / "wrk" / "requests.lua", srv.base_url, seed_file, 2,
                         SEED_CONNECTIONS, SEED_LIMIT_S, once=True, timeout_s=30)
        took["messages_s"] = time.monotonic() - t
        if seeded["answered"] != count or seeded["failed"]:
            raise RuntimeError(f"rest: seeding answered {seeded['answered']} of {count} sends, "
                               f"{seeded['failed']} failed; see {srv.log_path}")
        ctx.log(f"rest: {count:,} messages in {took['messages_s']:.1f} s ({count / took['messages_s']:,.0f}/s)")
        took["settle_s"] = settle(srv.pid, 120)  # what the sends left behind (notifications), before stopping
        check(srv.base_url, chats, creds, a)
    files = {}
    for phase in a.rest_phases:
        files[phase] = ctx.work_dir / f"requests-{phase}.txt"
        took[f"{phase}_requests"] = write_phase(files[phase], phase, chats, creds, a.messages, rng)
    return chats, {"took": took, "files": files, "messages_sent": count}


def phase(ctx, srv, wrk_bin, requests_file) -> dict:
    """Warm-up, then the measured wrk run, the server sampled around it."""
    a = ctx.args
    script = ctx.repo / "bench" / "wrk" / "requests.lua"
    if a.warmup > 0:
        wrk.run(wrk_bin, script, srv.base_url, requests_file, a.http_threads, a.http_connections, a.warmup)
    before, busy_before = procstat.sample(srv.pid), machine_busy_s()
    out = wrk.run(wrk_bin, script, srv.base_url, requests_file, a.http_threads, a.http_connections, a.duration)
    after, busy_after = procstat.sample(srv.pid), machine_busy_s()
    cpu = after["cpu_s"] - before["cpu_s"]
    errors = out["errors"]
    failed = errors["status"] + errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    return {
        "requests": out["requests"],
        "requests_per_s": out["requests"] / out["duration_s"],
        "latency_ms": out["latency_ms"],
        "non_2xx": errors["status"],
        "socket_errors": {k: v for k, v in errors.items() if k != "status" and v},
        "failed": failed,
        "bytes_per_response": out["bytes"] / out["requests"] if out["requests"] else None,
        "server_cpu_s": cpu,
        "server_cpu_us_per_request": cpu * 1e6 / out["requests"] if out["requests"] else None,
        "wrk_cpu_s": out["cpu_s"],
        "other_cpu_s": busy_after - busy_before - cpu - out["cpu_s"],
        "seconds": out["duration_s"],
        "wrk": out,
    }


def run(ctx) -> dict:
    a = ctx.args
    wrk_bin = wrk.binary(ctx.repo)
    ctx.settings["PARLEY_MAX_CONNECTIONS"] = "http connections + 1000"
    chats, prep = prepare(ctx, wrk_bin)
    runs = []
    for i in range(a.repeat):
        with ParleyServer(ctx.parley, ctx.data_dir, 1000 + a.http_connections, ctx.server_env,
                          log_name=f"rest-{i}.log").start() as srv:
            settle(srv.pid)
            run_ = {"run": i + 1}
            for name in a.rest_phases:
                r = phase(ctx, srv, wrk_bin, prep["files"][name])
                run_[name] = r
                ctx.log(f"  run {i + 1} {name}: {fmt(r['requests_per_s'], 0)} requests/s, p50 "
                        f"{fmt(r['latency_ms']['p50'], 2)} p99 {fmt(r['latency_ms']['p99'], 2)} ms, server CPU "
                        f"{fmt(r['server_cpu_s'], 2)} s, non-2xx {r['non_2xx']}, socket errors "
                        f"{r['socket_errors'] or 'none'}")
                if r["failed"]:
                    raise RuntimeError(f"rest: {name} had {r['non_2xx']} answers >= 400 and socket errors "
                                       f"{r['socket_errors'] or 'none'}; see {srv.log_path}")
            run_["server_peak_rss_kib"] = procstat.sample(srv.pid)["vmhwm_kib"]
        runs.append(run_)
    prep = {"took": prep["took"], "messages_sent": prep["messages_sent"], "chats": len(chats),
            "history_chats": sum(c["history"] for c in chats)}
    summary = {name: {f: median_of(runs, f"{name}.{f}") for f in SUMMARY_FIELDS} for name in a.rest_phases}
    return {"summary": summary, "runs": runs, "preparation": prep,
            "markdown": markdown(summary, runs, prep, ctx, wrk.version(wrk_bin))}


SUMMARY_FIELDS = ["requests_per_s", "latency_ms.p50", "latency_ms.p90", "latency_ms.p99", "latency_ms.max",
                  "non_2xx", "bytes_per_response", "server_cpu_s", "server_cpu_us_per_request", "wrk_cpu_s",
                  "other_cpu_s"]
WHAT = {
    "history": "`GET /api/v1/chats/{id}/messages`: the newest page (50 messages)",
    "history_before": "`GET /api/v1/chats/{id}/messages?before=S`: a page back into the history (50 messages, "
                      "S random from 51 up)",
    "chats": "`GET /api/v1/chats`: the caller's chat list (first page, up to 20 chats)",
    "chat": "`GET /api/v1/chats/{id}`: one chat with its members",
}
# (field, label, digits, scale) of the per-phase tables
PER_RUN = [("requests_per_s", "requests/s", 0, 1), ("latency_ms.p50", "p50 ms", 2, 1),
           ("latency_ms.p90", "p90 ms", 2, 1), ("latency_ms.p99", "p99 ms", 2, 1), ("latency_ms.max", "max ms", 1, 1),
           ("non_2xx", "non-2xx", 0, 1), ("bytes_per_response", "bytes/response", 0, 1),
           ("server_cpu_s", "server CPU s", 2, 1), ("server_cpu_us_per_request", "server CPU µs/request", 1, 1),
           ("wrk_cpu_s", "wrk CPU s", 2, 1), ("other_cpu_s", "others' CPU s", 2, 1)]


def markdown(summary: dict, runs: list[dict], prep: dict, ctx, wrk_version: str) -> str:
    a, env = ctx.args, ctx.env
    took = prep["took"]
    n = len(runs)
    out = [
        "# Benchmark: rest (history and chat lists)", "",
        f"{env['date']} · commit {env['commit']}{' (dirty)' if env['dirty'] else ''} · {env['cpu']} · "
        f"{env['cores']} cores · {env['memory_gib']} GiB · Linux {env['kernel']} · {env['compiler']} · "
        f"wrk {wrk_version}", "",
        f"Command: `bench/run.sh rest --users {a.users} --chats-per-user {a.chats_per_user} --messages {a.messages} "
        f"--http-connections {a.http_connections} --http-threads {a.http_threads} --warmup {a.warmup} "
        f"--duration {a.duration} --repeat {a.repeat}"
        f"{' --rest-phases ' + ','.join(a.rest_phases) if a.rest_phases != list(PHASES) else ''}`", "",
        f"{a.users} users, each in {a.chats_per_user} chats ({GROUPS_PER_USER} groups of {GROUP_SIZE}, the rest 1:1): "
        f"{prep['chats']:,} chats, of which {prep['history_chats']} *history chats* with {a.messages} messages each "
        f"(the groups and half the 1:1 chats), the others {a.list_messages} each; {prep['messages_sent']:,} messages "
        f"sent through `POST /api/v1/chats/{{id}}/messages` by wrk (64 connections) in "
        f"{took['messages_s']:.0f} s before anything is measured. Every run starts a fresh server on that data dir. "
        f"Per phase: wrk at full speed, {a.http_connections} connections over {a.http_threads} threads, "
        f"{a.warmup} s warm-up (discarded), then {a.duration} s measured; every request carries the token of a "
        "member of what it reads, from a shuffled list each wrk thread goes through round robin. Server and wrk "
        "share the machine's cores.", "",
        f"## Summary (median of {n} run{'s' if n > 1 else ''})", "",
        "| phase | requests | requests/s | p50 / p90 / p99 / max (ms) | non-2xx | bytes/response | server CPU s "
        "| server CPU µs/request | wrk CPU s | others' CPU s |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in a.rest_phases:
        s = summary[name]
        out.append(f"| {name} | {WHAT[name]} ({took[name + '_requests']:,} distinct) "
                   f"| **{fmt(s['requests_per_s'], 0)}** | {fmt(s['latency_ms.p50'], 2)} / "
                   f"{fmt(s['latency_ms.p90'], 2)} / {fmt(s['latency_ms.p99'], 2)} / {fmt(s['latency_ms.max'], 1)} "
                   f"| {fmt(s['non_2xx'], 0)} | {fmt(s['bytes_per_response'], 0)} | {fmt(s['server_cpu_s'], 2)} "
                   f"| {fmt(s['server_cpu_us_per_request'], 1)} | {fmt(s['wrk_cpu_s'], 2)} "
                   f"| {fmt(s['other_cpu_s'], 2)} |")
    rss = median_of(runs, "server_peak_rss_kib")
    others = [r[name]["other_cpu_s"] / r[name]["seconds"] for r in runs for name in a.rest_phases]
    out += ["", f"Server peak RSS (VmHWM at the end of a run, median): {fmt(rss and rss / 1024)} MiB. "
            f"Other processes used {fmt(sum(others) / len(others), 2)} of the {env['cores']} cores on average "
            f"during the measured runs (up to {fmt(max(others), 2)}): "
            f"{'a quiet machine' if max(others) < 0.1 else 'not a quiet machine, the figures are noisy'}.", ""]
    for name in a.rest_phases:
        out += [f"## {name}", "", "| figure | " + " | ".join(f"run {r['run']}" for r in runs) + " | median |",
                "|---|" + "---:|" * (n + 1)]
        for field, label, digits, _ in PER_RUN:
            out.append(f"| {label} | " + " | ".join(fmt(median_of([r], f"{name}.{field}"), digits) for r in runs)
                       + f" | {fmt(median_of(runs, f'{name}.{field}'), digits)} |")
        out.append("")
    out += ["## Server settings", "", "```",
            *[f"{k}={v}" for k, v in sorted(ctx.settings.items()) if "PASSWORD" not in k and "SECRET" not in k],
            "```", "",
            "Requests/s = requests wrk completed in the measured run ÷ its duration. Latency = wrk's, from "
            "writing a request to reading its whole answer, one request at a time per connection. Non-2xx = "
            "answers with a status ≥ 400 (wrk's count; a run with any, or with a socket error, fails). Server CPU "
            "s = user + system time of the server process over the measured run (/proc), µs/request = that ÷ "
            "requests. wrk CPU s = the measured wrk process's. Others' CPU s = what else the machine was busy with "
            "meanwhile (/proc/stat): other users of a shared machine, the run's noise.", ""]
    return "\n".join(out)
