"""The `connections` report: medians per server and count, every run, Parley against each
other server pair by pair (neighbouring runs of one count and repeat), and the targets."""

import statistics

from .report import fmt, median_of

BASE = "parley"
# Parley's memory per idle connection: at most this share of the other server's, and under
# TARGET_KIB. Reported, not asserted.
TARGET_SHARE = 1 / 3
TARGET_KIB = 8.0
# (label, dotted field, digits, scale): the figures compared pair by pair.
COMPARED = [
    ("KiB/conn", "server.kib_per_connection", 2, 1),
    ("connect rate (/s)", "connect_rate_per_s", 0, 1),
    ("open p50 (ms)", "open_latency_ms.p50", 1, 1),
    ("open p99 (ms)", "open_latency_ms.p99", 1, 1),
    ("CPU s (ramp)", "server.ramp_cpu_s", 2, 1),
    ("peak RSS (MiB)", "server.peak_rss_kib", 1, 1 / 1024),
]


def _get(run: dict, path: str):
    return median_of([run], path)


def _ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


def pairs(runs: list[dict]) -> dict:
    """Parley / OTHER for each (count, repeat) both ran, and the median of those ratios."""
    others = [n for n in dict.fromkeys(r["server_name"] for r in runs) if n != BASE]
    by_key = {(r["server_name"], r["connections"], r["run"]): r for r in runs}
    out, medians = [], []
    for other in others:
        for n in sorted({r["connections"] for r in runs}):
            mine = []
            for i in sorted({r["run"] for r in runs if r["connections"] == n}):
                a, b = by_key.get((BASE, n, i)), by_key.get((other, n, i))
                if not a or not b:
                    continue
                row = {"against": other, "connections": n, "run": i}
                for _, path, _, _ in COMPARED:
                    mine_v, other_v = _get(a, path), _get(b, path)
                    row[path] = {BASE: mine_v, other: other_v, "ratio": _ratio(mine_v, other_v)}
                mine.append(row)
            if not mine:
                continue
            out += mine
            med = {"against": other, "connections": n, "pairs": len(mine)}
            for _, path, _, _ in COMPARED:
                ratios = [r[path]["ratio"] for r in mine if r[path]["ratio"] is not None]
                med[path] = statistics.median(ratios) if ratios else None
            medians.append(med)
    return {"pairs": out, "medians": medians}


def _target(summary: list[dict], med: dict) -> str:
    base = next((s for s in summary if s["server_name"] == BASE and s["connections"] == med["connections"]), {})
    kib, share = base.get("server.kib_per_connection"), med["server.kib_per_connection"]
    if kib is None or share is None:
        return f"N={med['connections']:,}: not measured"
    ok_share, ok_kib = share <= TARGET_SHARE, kib < TARGET_KIB
    return (f"N={med['connections']:,}: Parley/{med['against'].capitalize()} memory per connection "
            f"{share:.2f} ({'≤' if ok_share else '>'} {TARGET_SHARE:.2f}), Parley {kib:.2f} KiB/conn "
            f"({'<' if ok_kib else '≥'} {TARGET_KIB:g}) → **{'met' if ok_share and ok_kib else 'not met'}**")


def _comparison(summary: list[dict], comparison: dict) -> list[str]:
    if not comparison["medians"]:
        return []
    lines = ["", "## Parley / Centrifugo, pair by pair", "",
             "Each pair is one Parley run and the Centrifugo run right after it (same count, same repeat). "
             "Cells: Parley / other = ratio; below 1 means Parley is smaller (memory, CPU, latency) "
             "or slower (connect rate).", "",
             "| N | pair | " + " | ".join(label for label, _, _, _ in COMPARED) + " |",
             "|---:|---:|" + "---|" * len(COMPARED)]
    for med in comparison["medians"]:
        other = med["against"]
        for p in comparison["pairs"]:
            if p["against"] != other or p["connections"] != med["connections"]:
                continue
            cells = [f"{fmt(_scaled(p[path][BASE], k), d)} / {fmt(_scaled(p[path][other], k), d)} = "
                     f"{fmt(p[path]['ratio'], 2)}" for _, path, d, k in COMPARED]
            lines.append(f"| {p['connections']:,} | {p['run']} | " + " | ".join(cells) + " |")
        lines.append(f"| {med['connections']:,} | **median** | " +
                     " | ".join(f"**{fmt(med[path], 2)}**" for _, path, _, _ in COMPARED) + " |")
    lines += ["", f"Target: Parley's memory per idle connection at most {TARGET_SHARE:.2f} of Centrifugo's "
              f"(median of the pair ratios) and under {TARGET_KIB:g} KiB (median of Parley's runs):", ""]
    lines += [f"- {_target(summary, med)}" for med in comparison["medians"]]
    return lines


def _scaled(v, k):
    return None if v is None else v * k


def markdown(summary: list[dict], runs: list[dict], comparison: dict, servers: list, env: dict, args) -> str:
    mib = lambda kib: None if kib is None else kib / 1024  # noqa: E731
    names = ", ".join(f"{p.name} ({p.version})" for p in servers)
    lines = [
        "# Benchmark: connections", "",
        f"{env['date']} · commit {env['commit']}{' (dirty)' if env['dirty'] else ''} · {env['cpu']} · "
        f"{env['cores']} cores · {env['memory_gib']} GiB · Linux {env['kernel']}", "",
        f"Servers: {names}.", "",
        f"Idle authenticated WebSocket connections (connect + upgrade + established: Parley's `hello`, "
        f"Centrifugo's connect reply); server memory measured {args.idle:g} s after the last one opened, "
        f"connections held {max(args.soak, args.idle):g} s in all "
        f"({'both servers ping' if len(servers) > 1 else 'the server pings'} every connection after 15 s). "
        f"{args.users} users, up to {args.concurrency} attempts in flight"
        f"{f', {args.rate:g} attempts/s' if args.rate else ''}; server and generators share the machine. "
        f"Servers run one after the other for each count and repeat ({', '.join(p.name for p in servers)}, ...).", "",
        f"## Summary (median of {args.repeat} run{'s' if args.repeat > 1 else ''})", "",
        "| server | N | established | failed | alive after soak | connect rate (/s) "
        "| open p50 / p90 / p99 / max (ms) | server KiB/conn | server RSS before → idle (MiB) "
        "| server peak RSS (MiB) | server CPU s (ramp) | server fds/conn | generator RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    for s in summary:
        lines.append(
            f"| {s['server_name']} | {s['connections']:,} | {fmt(s['established'])} | {fmt(s['failed'])} "
            f"| {fmt(s['alive'])} | {fmt(s['connect_rate_per_s'], 0)} "
            f"| {fmt(s['open_latency_ms.p50'])} / {fmt(s['open_latency_ms.p90'])} / {fmt(s['open_latency_ms.p99'])}"
            f" / {fmt(s['open_latency_ms.max'])} "
            f"| **{fmt(s['server.kib_per_connection'], 2)}** "
            f"| {fmt(mib(s['server.before.vmrss_kib']))} → {fmt(mib(s['server.idle.vmrss_kib']))} "
            f"| {fmt(mib(s['server.peak_rss_kib']))} | {fmt(s['server.ramp_cpu_s'], 2)} "
            f"| {fmt(s['server.fds_per_connection'], 3)} | {fmt(mib(s['generators.rss_kib']))} |")
    lines += _comparison(summary, comparison)
    lines += ["", "## Runs", "",
              "| server | N | run | established | failed | dropped | pings | rate (/s) | p99 (ms) "
              "| server KiB/conn (anon) | server RSS after close (MiB) | server CPU s ramp / idle "
              "| generators × threads, CPU s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|"]
    for r in runs:
        s = r["server"]
        lines.append(
            f"| {r['server_name']} | {r['connections']:,} | {r['run']} | {r['established']:,} | {r['failed']:,} "
            f"| {r['dropped']:,} | {r['pings']:,} | {fmt(r['connect_rate_per_s'], 0)} "
            f"| {fmt(r['open_latency_ms']['p99'])} "
            f"| {fmt(s['kib_per_connection'], 2)} ({fmt(s['anon_kib_per_connection'], 2)}) "
            f"| {fmt(mib(s['after_close']['vmrss_kib']))} | {fmt(s['ramp_cpu_s'], 2)} / {fmt(s['idle_cpu_s'], 2)} "
            f"| {r['generators']['procs']} × {r['generators']['threads']}, {fmt(r['generators']['cpu_s'], 2)} |")
    errors = [(r, k, v) for r in runs for kind in ("failures", "drops") for k, v in r[kind].items()]
    if errors:
        lines += ["", "## Errors", "", "| server | N | run | what | count |", "|---|---:|---:|---|---:|"]
        lines += [f"| {r['server_name']} | {r['connections']:,} | {r['run']} | {k} | {v:,} |" for r, k, v in errors]
        lived = [f"{r['server_name']} N={r['connections']:,} run {r['run']}: {fmt(d['min'])}–{fmt(d['max'])}"
                 for r in runs if (d := r["dropped_after_ms"])["count"]]
        if lived:
            lines += ["", "Dropped connections lived (established → dropped, ms, min–max): " + "; ".join(lived)]
    for p in servers:
        lines += ["", f"## {p.name} settings ({p.version})", "", "```", *p.settings, "```"]
    lines += ["",
              "KiB/conn = (server VmRSS when idle − VmRSS before connecting) / connections alive then; "
              "anon = the same for RssAnon (heap). Peak RSS = VmHWM of the fresh server process. "
              "Open latency = TCP connect start → established, per connection, while the ramp runs. "
              "Pings = keep-alive pings the generators answered (Parley: WebSocket pings; Centrifugo: `{}` "
              "frames answered with `{}`).", ""]
    return "\n".join(lines)
