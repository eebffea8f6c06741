"""Scenario `connections`: N idle authenticated WebSocket connections.

Per run: a fresh server process (Parley on the prepared data dir, so its memory starts
from the same point; or Centrifugo on a fresh config), a baseline sample, the generators
open N connections (connect + upgrade + established), everything idles for --idle
seconds, then the server is sampled again. Memory per idle connection =
(VmRSS idle - VmRSS baseline) / connections alive. With several --servers, each count
and repeat runs them one after the other (A B A B ...), so neighbouring runs form a pair."""

import math
import time

from . import connections_report, peers, procstat
from .loadgen import start_generators
from .report import add_counts, fmt, median_of, merge_histograms

# A process may hold at most 20,000 descriptors; leave room for everything else.
MAX_PER_GENERATOR = 16000


def one_run(ctx, peer: peers.Peer, n: int, index: int) -> dict:
    a = ctx.args
    procs = a.procs or max(1, math.ceil(n / MAX_PER_GENERATOR))
    srv = peer.start(n, f"{peer.name}-{n}-{index}.log")
    gens = []
    try:
        time.sleep(1)  # let start-up allocations settle
        before = procstat.sample(srv.pid)
        gens = start_generators(ctx.loadgen, "connections", srv.ws_url, peer.credentials, n, procs, a.threads,
                                a.concurrency, a.rate, a.timeout_ms, ["--protocol", peer.protocol])
        ramp_limit = 60 + n / 50  # even at 50 connections/s
        for g in gens:
            g.wait_event("ready", ramp_limit)
        ready_at = time.monotonic()
        ramp = procstat.sample(srv.pid)
        time.sleep(a.idle)
        if srv.proc.poll() is not None:
            raise RuntimeError(f"{peer.name} died during the run; see {srv.log_path}")
        idle = procstat.sample(srv.pid)
        gen_samples = [procstat.sample(g.pid) for g in gens]
        time.sleep(0.6)  # a status line written after the samples
        alive_at_sample = sum(g.status.get("established", 0) - g.status.get("dropped", 0) for g in gens)
        # Soak: hold on past a keep-alive ping cycle, counting what the server drops.
        time.sleep(max(0.0, ready_at + a.soak - time.monotonic()))
        if srv.proc.poll() is not None:
            raise RuntimeError(f"{peer.name} died during the run; see {srv.log_path}")
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
        "server_name": peer.name,
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
    """Medians per server and count, in the order the servers were given."""
    out = []
    names = list(dict.fromkeys(r["server_name"] for r in runs))
    for name in names:
        for n in sorted({r["connections"] for r in runs}):
            mine = [r for r in runs if r["server_name"] == name and r["connections"] == n]
            if not mine:
                continue
            row = {"server_name": name, "connections": n, "runs": len(mine)}
            for f in SUMMARY_FIELDS:
                row[f] = median_of(mine, f)
            row["failures"] = add_counts([r["failures"] for r in mine])
            row["drops"] = add_counts([r["drops"] for r in mine])
            out.append(row)
    return out


def run(ctx) -> dict:
    servers = peers.prepare(ctx, ctx.args.servers)
    runs = []
    for n in ctx.args.connections:
        for i in range(ctx.args.repeat):
            for peer in servers:  # A B A B: neighbours share the machine's state as closely as can be
                ctx.log(f"connections: {peer.name} N={n:,} run {i + 1}/{ctx.args.repeat}")
                r = one_run(ctx, peer, n, i)
                s = r["server"]
                ctx.log(f"  {r['established']:,} established, {r['failed']:,} failed, {r['dropped']:,} dropped by "
                        f"the server, {fmt(r['connect_rate_per_s'], 0)}/s, p99 {fmt(r['open_latency_ms']['p99'])} ms; "
                        f"server {fmt(s['kib_per_connection'], 2)} KiB/conn, peak {s['peak_rss_kib'] / 1024:.1f} MiB")
                runs.append(r)
    summary = summarize(runs)
    pairs = connections_report.pairs(runs)
    versions = {p.name: p.version for p in servers}
    return {"summary": summary, "runs": runs, "comparison": pairs, "versions": versions,
            "markdown": connections_report.markdown(summary, runs, pairs, servers, ctx.env, ctx.args)}
