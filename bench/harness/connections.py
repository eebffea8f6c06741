"""Scenario `connections`: N idle authenticated WebSocket connections.

Per run: a fresh `parley` on the prepared data dir (so its memory starts from the same
point), a baseline sample, the generators open N connections (connect + upgrade + hello),
everything idles for --idle seconds, then the server is sampled again. Memory per idle
connection = (VmRSS idle - VmRSS baseline) / connections alive."""

import math
import time

from . import procstat
from .loadgen import start_generators
from .report import add_counts, fmt, median_of, merge_histograms
from .server import ParleyServer
from .users import prepare_users

# A process may hold at most 20,000 descriptors; leave room for everything else.
MAX_PER_GENERATOR = 16000


def prepare(ctx) -> None:
    """Creates the users once; every run restarts the server on the same data dir."""
    with ParleyServer(ctx.parley, ctx.data_dir, 1000, ctx.server_env, log_name="prepare.log").start() as srv:
        t = time.monotonic()
        prepare_users(srv.base_url, ctx.data_dir, ctx.args.users, ctx.credentials)
        ctx.log(f"prepared {ctx.args.users} users in {time.monotonic() - t:.1f} s")


def one_run(ctx, n: int, index: int) -> dict:
    a = ctx.args
    procs = a.procs or max(1, math.ceil(n / MAX_PER_GENERATOR))
    srv = ParleyServer(ctx.parley, ctx.data_dir, n + 1000, ctx.server_env, log_name=f"server-{n}-{index}.log")
    srv.start()
    gens = []
    try:
        time.sleep(1)  # let start-up allocations settle
        before = procstat.sample(srv.pid)
        gens = start_generators(ctx.loadgen, "connections", srv.ws_url, ctx.credentials, n, procs, a.threads,
                                a.concurrency, a.rate, a.timeout_ms)
        ramp_limit = 60 + n / 50  # even at 50 connections/s
        for g in gens:
            g.wait_event("ready", ramp_limit)
        ready_at = time.monotonic()
        ramp = procstat.sample(srv.pid)
        time.sleep(a.idle)
        if srv.proc.poll() is not None:
            raise RuntimeError(f"parley died during the run; see {srv.log_path}")
        idle = procstat.sample(srv.pid)
        gen_samples = [procstat.sample(g.pid) for g in gens]
        time.sleep(0.6)  # a status line written after the samples
        alive_at_sample = sum(g.status.get("established", 0) - g.status.get("dropped", 0) for g in gens)
        # Soak: hold on past a keep-alive ping cycle, counting what the server drops.
        time.sleep(max(0.0, ready_at + a.soak - time.monotonic()))
        if srv.proc.poll() is not None:
            raise RuntimeError(f"parley died during the run; see {srv.log_path}")
        soaked = procstat.sample(srv.pid)
        for g in gens:
            g.stop()
        reports = [g.wait_event("report", 60) for g in gens]
        for g in gens:
            g.proc.wait(30)
        time.sleep(2)
        after = procstat.sample(srv.pid)
    finally:
        for g in gens:
            g.kill()
        srv.stop()

    established = sum(r["established"] for r in reports)
    alive = sum(r["alive_at_end"] for r in reports)
    started = min((r["open_started_ns"] for r in reports if r["open_started_ns"]), default=0)
    finished = max((r["open_finished_ns"] for r in reports), default=0)
    window = (finished - started) / 1e9 if finished > started else 0.0
    per_conn = (lambda kib: kib / alive_at_sample if alive_at_sample else None)
    rss_delta = idle["vmrss_kib"] - before["vmrss_kib"]
    return {
        "connections": n,
        "run": index + 1,
        "established": established,
        "failed": sum(r["failed"] for r in reports),
        "dropped": sum(r["dropped"] for r in reports),
        "alive_at_sample": alive_at_sample,
        "alive": alive,
        "failures": add_counts([r["failures"] for r in reports]),
        "drops": add_counts([r["drops"] for r in reports]),
        "pings": sum(r["pings"] for r in reports),
        "open_seconds": window,
        "connect_rate_per_s": established / window if window else None,
        "open_latency_ms": merge_histograms([r["open_latency_ms"] for r in reports]),
        "dropped_after_ms": merge_histograms([r["dropped_after_ms"] for r in reports]),
        "server": {
            "before": before, "after_ramp": ramp, "idle": idle, "after_soak": soaked, "after_close": after,
            "rss_delta_kib": rss_delta,
            "kib_per_connection": per_conn(rss_delta),
            "anon_kib_per_connection": per_conn(idle["rssanon_kib"] - before["rssanon_kib"]),
            "fds_per_connection": (idle["fds"] - before["fds"]) / alive_at_sample if alive_at_sample else None,
            "peak_rss_kib": idle["vmhwm_kib"],
            "ramp_cpu_s": ramp["cpu_s"] - before["cpu_s"],
            "idle_cpu_s": soaked["cpu_s"] - ramp["cpu_s"],
        },
        "generators": {
            "procs": len(gens), "threads": a.threads,
            "rss_kib": sum(s["vmrss_kib"] for s in gen_samples),
            "kib_per_connection": per_conn(sum(s["vmrss_kib"] for s in gen_samples)),
            "cpu_s": sum(s["cpu_s"] for s in gen_samples),
            "reports": reports,
        },
    }


SUMMARY_FIELDS = [
    "established", "failed", "dropped", "alive_at_sample", "alive", "pings", "connect_rate_per_s", "open_seconds",
    "open_latency_ms.p50", "open_latency_ms.p90", "open_latency_ms.p99", "open_latency_ms.max",
    "server.kib_per_connection", "server.anon_kib_per_connection", "server.fds_per_connection",
    "server.rss_delta_kib", "server.idle.vmrss_kib", "server.before.vmrss_kib", "server.peak_rss_kib",
    "server.after_close.vmrss_kib", "server.ramp_cpu_s", "server.idle_cpu_s", "generators.rss_kib",
    "generators.kib_per_connection", "generators.cpu_s",
]


def summarize(runs: list[dict]) -> list[dict]:
    out = []
    for n in sorted({r["connections"] for r in runs}):
        mine = [r for r in runs if r["connections"] == n]
        row = {"connections": n, "runs": len(mine)}
        for f in SUMMARY_FIELDS:
            row[f] = median_of(mine, f)
        row["failures"] = add_counts([r["failures"] for r in mine])
        row["drops"] = add_counts([r["drops"] for r in mine])
        out.append(row)
    return out


def markdown(summary: list[dict], runs: list[dict], env: dict, settings: dict, args) -> str:
    mib = lambda kib: None if kib is None else kib / 1024  # noqa: E731
    lines = [
        "# Parley benchmark: connections", "",
        f"{env['date']} · commit {env['commit']}{' (dirty)' if env['dirty'] else ''} · {env['cpu']} · "
        f"{env['cores']} cores · {env['memory_gib']} GiB · Linux {env['kernel']}", "",
        f"Idle authenticated WebSocket connections (connect + upgrade + `hello`); server memory measured "
        f"{args.idle:g} s after the last one opened, connections held {max(args.soak, args.idle):g} s in all "
        "(the server pings idle connections after 15 s). "
        f"{args.users} users, up to {args.concurrency} attempts in flight"
        f"{f', {args.rate:g} attempts/s' if args.rate else ''}; server and generators share the machine.", "",
        f"## Summary (median of {args.repeat} run{'s' if args.repeat > 1 else ''})", "",
        "| N | established | failed | alive after soak | connect rate (/s) | open p50 / p90 / p99 / max (ms) "
        "| server KiB/conn | server RSS before → idle (MiB) | server peak RSS (MiB) | server fds/conn "
        "| generator RSS (MiB) |",
        "|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|",
    ]
    for s in summary:
        lines.append(
            f"| {s['connections']:,} | {fmt(s['established'])} | {fmt(s['failed'])} | {fmt(s['alive'])} "
            f"| {fmt(s['connect_rate_per_s'], 0)} "
            f"| {fmt(s['open_latency_ms.p50'])} / {fmt(s['open_latency_ms.p90'])} / {fmt(s['open_latency_ms.p99'])}"
            f" / {fmt(s['open_latency_ms.max'])} "
            f"| **{fmt(s['server.kib_per_connection'], 2)}** "
            f"| {fmt(mib(s['server.before.vmrss_kib']))} → {fmt(mib(s['server.idle.vmrss_kib']))} "
            f"| {fmt(mib(s['server.peak_rss_kib']))} | {fmt(s['server.fds_per_connection'], 3)} "
            f"| {fmt(mib(s['generators.rss_kib']))} |")
    lines += ["", "## Runs", "",
              "| N | run | established | failed | dropped | pings | rate (/s) | p99 (ms) | server KiB/conn (anon) "
              "| server RSS after close (MiB) | server CPU s (ramp) | generators × threads, CPU s |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for r in runs:
        s = r["server"]
        lines.append(
            f"| {r['connections']:,} | {r['run']} | {r['established']:,} | {r['failed']:,} | {r['dropped']:,} "
            f"| {r['pings']:,} | {fmt(r['connect_rate_per_s'], 0)} | {fmt(r['open_latency_ms']['p99'])} "
            f"| {fmt(s['kib_per_connection'], 2)} ({fmt(s['anon_kib_per_connection'], 2)}) "
            f"| {fmt(mib(s['after_close']['vmrss_kib']))} | {fmt(s['ramp_cpu_s'], 2)} "
            f"| {r['generators']['procs']} × {r['generators']['threads']}, {fmt(r['generators']['cpu_s'], 2)} |")
    errors = [(r, k, v) for r in runs for kind in ("failures", "drops") for k, v in r[kind].items()]
    if errors:
        lines += ["", "## Errors", "", "| N | run | what | count |", "|---:|---:|---|---:|"]
        lines += [f"| {r['connections']:,} | {r['run']} | {k} | {v:,} |" for r, k, v in errors]
        lived = [f"N={r['connections']:,} run {r['run']}: {fmt(d['min'])}–{fmt(d['max'])}"
                 for r in runs if (d := r["dropped_after_ms"])["count"]]
        if lived:
            lines += ["", "Dropped connections lived (established → dropped, ms, min–max): " + "; ".join(lived)]
    lines += ["", "## Server settings", "", "```"]
    lines += [f"{k}={v}" for k, v in sorted(settings.items()) if "PASSWORD" not in k]
    lines += ["```", "",
              "KiB/conn = (server VmRSS when idle − VmRSS before connecting) / connections alive then; "
              "anon = the same for RssAnon (heap). Peak RSS = VmHWM of the fresh server process. "
              "Open latency = TCP connect start → `hello` received, per connection, while the ramp runs.", ""]
    return "\n".join(lines)


def run(ctx) -> dict:
    prepare(ctx)
    runs = []
    for n in ctx.args.connections:
        for i in range(ctx.args.repeat):
            ctx.log(f"connections: N={n:,} run {i + 1}/{ctx.args.repeat}")
            r = one_run(ctx, n, i)
            s = r["server"]
            ctx.log(f"  {r['established']:,} established, {r['failed']:,} failed, {r['dropped']:,} dropped by the server, "
                    f"{fmt(r['connect_rate_per_s'], 0)}/s, p99 {fmt(r['open_latency_ms']['p99'])} ms; server "
                    f"{fmt(s['kib_per_connection'], 2)} KiB/conn, peak {s['peak_rss_kib'] / 1024:.1f} MiB")
            runs.append(r)
    summary = summarize(runs)
    return {"summary": summary, "runs": runs, "markdown": markdown(summary, runs, ctx.env, ctx.settings, ctx.args)}
