"""Scenario `chat`: chat traffic against Parley embedded, one connection per user.

The users (--users) are paired into 1:1 chats and grouped by five into small groups, so
everyone is in one of each. Per run: a fresh server on the prepared data dir, then two
phases of the generator (`parley-loadgen chat`): as fast as the acks come back (each
connection keeps --window sends unanswered), which gives the stored messages per second;
then at half that rate, which gives the ack latency (send -> `stored`) a server has when it
is not saturated. Sends come with the realistic extras: a typing frame before one send in
ten, a receipt.read after one message.new in five."""

import requests

from . import procstat, report
from .cluster import Cluster
from .loadgen import Generator, start_generators
from .report import add_counts, fmt, median_of, merge_histograms
from .server import ParleyServer
from .users import prepare_users

GROUP_SIZE = 5
# The per-connection frame limit (20/s by default) is lifted: the scenario measures how many
# messages the server stores, with fewer connections than users a real server would have.
SERVER_ENV = {"PARLEY_WS_FRAMES_PER_SEC": "1000000", "PARLEY_WS_FRAME_BURST": "1000000"}
TARGET_STORED_PER_S = 50_000
TARGET_P99_MS = 20


def prepare_chats(base_url: str, creds: list[tuple[str, str]], out) -> int:
    """1:1 chats of users (2i, 2i+1) and groups of five; writes `CHAT_ID MEMBER...` lines."""
    session = requests.Session()
    lines = []
    for i in range(0, len(creds) - 1, 2):
        (a, token), (b, _) = creds[i], creds[i + 1]
        r = session.post(base_url + "/api/v1/chats/direct", json={"user_id": b},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
        r.raise_for_status()
        lines.append(f"{r.json()['id']} {a} {b}")
    for i in range(0, len(creds) - GROUP_SIZE + 1, GROUP_SIZE):
        members = [u for u, _ in creds[i:i + GROUP_SIZE]]
        r = session.post(base_url + "/api/v1/chats/groups", json={"name": f"g{i}", "member_ids": members[1:]},
                         headers={"Authorization": f"Bearer {creds[i][1]}"}, timeout=30)
        r.raise_for_status()
        lines.append(" ".join([r.json()["id"], *members]))
    out.write_text("\n".join(lines) + "\n")
    return len(lines)


def combined(reports: list[dict], rate: float) -> dict:
    """The generators' reports of one phase as one."""
    return {
        "rate_asked": rate,
        "stored_per_s": sum(r["stored_per_s"] for r in reports),
        "ack_ms": merge_histograms([r["ack_ms"] for r in reports]),
        **{k: sum(r[k] for r in reports) for k in ("established", "failed", "ended_early", "sent", "stored",
                                                    "message_new", "receipts", "typing")},
        "errors": add_counts([r["errors"] for r in reports]),
        "failures": add_counts([r["failures"] for r in reports]),
    }


def phase(ctx, srv, chats_file, rate: float) -> dict:
    a = ctx.args
    before = procstat.sample(srv.pid)
    gens = start_generators(ctx.loadgen, "chat", srv.ws_url, ctx.credentials, a.users, a.procs or 1, a.threads,
                            a.concurrency, 0, a.timeout_ms,
                            ["--chats", str(chats_file), "--send-rate", str(rate / (a.procs or 1)),
                             "--window", str(a.window), "--warmup", str(a.warmup), "--duration", str(a.duration)])
    try:
        reports = [g.wait_event("report", 120 + a.warmup + a.duration) for g in gens]
        # The generators' whole life (connecting included) against the server's over the same span.
        generators_cpu = sum(procstat.cpu_seconds(g.pid) for g in gens)
    finally:
        for g in gens:
            g.kill()
    after = procstat.sample(srv.pid)
    out = {**combined(reports, rate), "server_cpu_s": after["cpu_s"] - before["cpu_s"],
           "generators_cpu_s": generators_cpu, "server_peak_rss_kib": after["vmhwm_kib"]}
    stored = out["stored"] or 1
    out["server_us_per_stored"] = out["server_cpu_s"] / stored * 1e6
    out["generators_us_per_stored"] = generators_cpu / stored * 1e6
    return out


def distributed_phase(ctx, cluster: Cluster, chats_file, rate: float) -> dict:
    """One phase against the two ws nodes (half the users on each), with the CPU seconds every
    process of the stack spent meanwhile."""
    a = ctx.args
    urls = cluster.ws_urls()
    cluster.wait_quiet(60)  # what the previous phase queued is worked off first
    before = cluster.cpu()
    gens, first = [], 0
    for i, url in enumerate(urls):
        n = a.users // len(urls) + (1 if i < a.users % len(urls) else 0)
        gens.append(Generator([str(ctx.loadgen), "chat", "--url", url, "--credentials", str(ctx.credentials),
                               "--first-credential", str(first), "--connections", str(n), "--threads", "1",
                               "--timeout-ms", str(a.timeout_ms), "--chats", str(chats_file),
                               "--send-rate", str(rate / len(urls)), "--window", str(a.window),
                               "--warmup", str(a.warmup), "--duration", str(a.duration)]))
        first += n
    try:
        reports = [g.wait_event("report", 180 + a.warmup + a.duration) for g in gens]
    finally:
        for g in gens:
            g.kill()
    after = cluster.cpu()
    return {**combined(reports, rate), "cpu_s": {name: after[name] - before[name] for name in after}}


def run_distributed(ctx) -> dict:
    a = ctx.args
    chats_file = ctx.work_dir / "chats.txt"
    service_env = {**{k: v for k, v in ctx.settings.items() if k.startswith("PARLEY_") and "CONNECTIONS" not in k},
                   **SERVER_ENV}
    runs = []
    with Cluster(ctx.repo, ctx.work_dir / "cluster", service_env, ctx.args.keep) as cluster:
        creds = prepare_users(cluster.base_url, cluster.mail_data_dir, a.users, ctx.credentials)
        count = prepare_chats(cluster.base_url, creds, chats_file)
        ctx.log(f"chat (distributed): {a.users} users in {count} chats")
        for i in range(a.repeat):
            top = distributed_phase(ctx, cluster, chats_file, 0)
            ctx.log(f"  run {i + 1}: max {fmt(top['stored_per_s'], 0)} stored/s, ack p99 {fmt(top['ack_ms']['p99'])} ms")
            half = distributed_phase(ctx, cluster, chats_file, top["stored_per_s"] / 2)
            ctx.log(f"  run {i + 1}: at {fmt(half['rate_asked'], 0)}/s: {fmt(half['stored_per_s'], 0)} stored/s, "
                    f"ack p50 {fmt(half['ack_ms']['p50'])} p99 {fmt(half['ack_ms']['p99'])} ms")
            runs.append({"run": i + 1, "max": top, "half": half})
    return {"runs": runs, "markdown": markdown(runs, ctx) + cpu_table(runs)}


def cpu_table(runs: list[dict]) -> str:
    """Where the time went in the max phase: CPU seconds per process, medians over runs."""
    stored = median_of(runs, "max.stored")  # the whole phase's, as the CPU time is
    return "\n".join(report.cpu_table(runs, "Where the CPU time went (max phase, medians)", "max", stored,
                                      ("CPU ms per stored message", 1000, 3))) + "\n"


def run(ctx) -> dict:
    a = ctx.args
    if a.distributed:
        return run_distributed(ctx)
    chats_file = ctx.work_dir / "chats.txt"
    with ParleyServer(ctx.parley, ctx.data_dir, a.users + 1000, {**SERVER_ENV, **ctx.server_env}, log_name="prepare.log").start() as srv:
        creds = prepare_users(srv.base_url, ctx.data_dir, a.users, ctx.credentials)
        count = prepare_chats(srv.base_url, creds, chats_file)
        ctx.log(f"chat: {a.users} users in {count} chats")
    runs = []
    for i in range(a.repeat):
        with ParleyServer(ctx.parley, ctx.data_dir, a.users + 1000, {**SERVER_ENV, **ctx.server_env}, log_name=f"chat-{i}.log"
                          ).start() as srv:
            top = phase(ctx, srv, chats_file, 0)
            ctx.log(f"  run {i + 1}: max {fmt(top['stored_per_s'], 0)} stored/s, ack p99 {fmt(top['ack_ms']['p99'])} ms")
            half = phase(ctx, srv, chats_file, top["stored_per_s"] / 2)
            ctx.log(f"  run {i + 1}: at {fmt(half['rate_asked'], 0)}/s: {fmt(half['stored_per_s'], 0)} stored/s, "
                    f"ack p50 {fmt(half['ack_ms']['p50'])} p99 {fmt(half['ack_ms']['p99'])} ms")
        runs.append({"run": i + 1, "max": top, "half": half})
    return {"runs": runs, "markdown": markdown(runs, ctx)}


FIELDS = [("max.stored_per_s", "stored/s at max", 0), ("max.ack_ms.p50", "ack p50 ms at max", 1),
          ("max.ack_ms.p99", "ack p99 ms at max", 1), ("half.rate_asked", "half rate asked /s", 0),
          ("half.stored_per_s", "stored/s at half", 0), ("half.ack_ms.p50", "ack p50 ms at half", 2),
          ("half.ack_ms.p90", "ack p90 ms at half", 2), ("half.ack_ms.p99", "ack p99 ms at half", 2),
          ("half.ack_ms.max", "ack max ms at half", 1), ("max.server_cpu_s", "server CPU s (max phase)", 1),
          ("max.generators_cpu_s", "generators CPU s (max phase)", 1),
          ("max.server_us_per_stored", "server CPU µs per stored message (max)", 0),
          ("max.generators_us_per_stored", "generators CPU µs per stored message (max)", 0),
          ("max.server_peak_rss_kib", "server peak RSS KiB", 0)]


def markdown(runs: list[dict], ctx) -> str:
    a, env = ctx.args, ctx.env
    mode = " (distributed: the stack of scripts/cluster.sh)" if a.distributed else ""
    out = [f"# chat{mode}: {a.users} users, 1:1 chats and groups of {GROUP_SIZE}", "",
           f"- commit {env['commit']}, {env.get('cpu', '')}, {env.get('kernel', '')}",
           f"- command: `bench/run.sh chat{' --distributed' if a.distributed else ''} --users {a.users} "
           f"--repeat {a.repeat} --window {a.window} --warmup {a.warmup} --duration {a.duration}`",
           f"- each connection keeps at most {a.window} sends unanswered; measured {a.duration} s after "
           f"{a.warmup} s of warm-up; typing before 1 send in 10, receipt.read after 1 message.new in 5",
           "", "| figure | " + " | ".join(f"run {r['run']}" for r in runs) + " | median |",
           "|---|" + "---|" * (len(runs) + 1)]
    for path, label, digits in FIELDS:
        values = [median_of([r], path) for r in runs]
        out.append(f"| {label} | " + " | ".join(fmt(v, digits) for v in values) +
                   f" | {fmt(median_of(runs, path), digits)} |")
    stored = median_of(runs, "max.stored_per_s") or 0
    p99 = median_of(runs, "half.ack_ms.p99") or 0
    errors = add_counts([r[p]["errors"] for r in runs for p in ("max", "half")])
    failures = add_counts([r[p]["failures"] for r in runs for p in ("max", "half")])
    # The targets are the embedded server's; distributed mode's is the CPU table below.
    targets = "Targets (embedded mode's; shown for comparison): " if a.distributed else "Targets: "
    out += ["", f"{targets}at least {TARGET_STORED_PER_S:,} stored messages/s: **{'met' if stored >= TARGET_STORED_PER_S else 'not met'}** "
            f"({fmt(stored, 0)}/s); p99 ack under {TARGET_P99_MS} ms at half that rate: "
            f"**{'met' if p99 < TARGET_P99_MS else 'not met'}** ({fmt(p99, 2)} ms).",
            f"Errors: {errors or 'none'}; connections lost: {failures or 'none'}."]
    return "\n".join(out) + "\n"
