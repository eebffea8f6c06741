"""The `fanout` report: medians per server and group size, Parley against each other server
pair by pair (neighbouring runs of one size and repeat), the targets, every run. With
--distributed: medians per group size and where the stack's CPU time went."""

import statistics

from .report import add_counts, cpu_table, fmt, median_of

BASE = "parley"
# Reported, never asserted: Parley's deliveries/s at max rate at least TARGET_VS_CENTRIFUGO
# times Centrifugo's with a p99 delivery latency (fixed rate) no higher, and at least
# TARGET_VS_CEILING of the ceiling's.
TARGET_VS_CENTRIFUGO = 2.0
TARGET_VS_CEILING = 0.70

SUMMARY_FIELDS = [
    "failed", "dropped", "missing", "fixed.delivered_per_s", "fixed.latency_ms.p50", "fixed.latency_ms.p90",
    "fixed.latency_ms.p99", "fixed.latency_ms.max", "fixed.server_cpu_s", "fixed.server_cpu_us_per_delivery",
    "max.published_per_s", "max.delivered_per_s", "max.latency_ms.p50", "max.latency_ms.p90", "max.latency_ms.p99",
    "max.latency_ms.max", "max.server_cpu_s", "max.server_cpu_us_per_delivery", "max.generators_cpu_s",
    "max.bytes_per_delivery", "max.deliveries_per_frame", "server.peak_rss_kib",
]
DISTRIBUTED_FIELDS = [f for f in SUMMARY_FIELDS if f != "server.peak_rss_kib"] + ["max.latency_ms.p90"]
# (label, dotted field, digits, scale): compared pair by pair.
COMPARED = [
    ("deliveries/s at max", "max.delivered_per_s", 0, 1),
    ("p99 ms at fixed rate", "fixed.latency_ms.p99", 2, 1),
    ("p99 ms at max", "max.latency_ms.p99", 1, 1),
    ("CPU µs/delivery at max", "max.server_cpu_us_per_delivery", 2, 1),
    ("peak RSS MiB", "server.peak_rss_kib", 1, 1 / 1024),
]


def summarize(runs: list[dict], fields: list[str] = SUMMARY_FIELDS) -> list[dict]:
    """Medians per server and group size, in the order the servers were given."""
    out = []
    for name in dict.fromkeys(r["server_name"] for r in runs):
        for size in dict.fromkeys(r["size"] for r in runs):
            mine = [r for r in runs if r["server_name"] == name and r["size"] == size]
            if not mine:
                continue
            row = {"server_name": name, "size": size, "runs": len(mine), "groups": mine[0]["groups"],
                   "publishers": mine[0]["publishers"]}
            for f in fields:
                row[f] = median_of(mine, f)
            row["failures"] = add_counts([r["failures"] for r in mine])
            row["errors"] = add_counts([r["errors"] for r in mine])
            out.append(row)
    return out


def _ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


def pairs(runs: list[dict]) -> dict:
    """Parley / OTHER for each (size, repeat) both ran, and the median of those ratios."""
    others = [n for n in dict.fromkeys(r["server_name"] for r in runs) if n != BASE]
    by_key = {(r["server_name"], r["size"], r["run"]): r for r in runs}
    out, medians = [], []
    for other in others:
        for size in dict.fromkeys(r["size"] for r in runs):
            mine = []
            for i in sorted({r["run"] for r in runs if r["size"] == size}):
                a, b = by_key.get((BASE, size, i)), by_key.get((other, size, i))
                if not a or not b:
                    continue
                row = {"against": other, "size": size, "run": i}
                for _, path, _, _ in COMPARED:
                    va, vb = median_of([a], path), median_of([b], path)
                    row[path] = {BASE: va, other: vb, "ratio": _ratio(va, vb)}
                mine.append(row)
            if not mine:
                continue
            out += mine
            med = {"against": other, "size": size, "pairs": len(mine)}
            for _, path, _, _ in COMPARED:
                ratios = [r[path]["ratio"] for r in mine if r[path]["ratio"] is not None]
                med[path] = statistics.median(ratios) if ratios else None
            medians.append(med)
    return {"pairs": out, "medians": medians}


def _targets(comparison: dict) -> list[str]:
    lines = []
    for med in comparison["medians"]:
        rate, p99 = med["max.delivered_per_s"], med["fixed.latency_ms.p99"]
        if rate is None:
            continue
        if med["against"] == "centrifugo":
            ok = rate >= TARGET_VS_CENTRIFUGO and p99 is not None and p99 <= 1
            lines.append(f"- groups of {med['size']:,}: Parley / Centrifugo deliveries/s at max {rate:.2f} "
                         f"({'≥' if rate >= TARGET_VS_CENTRIFUGO else '<'} {TARGET_VS_CENTRIFUGO:g}), p99 at the "
                         f"fixed rate {fmt(p99, 2)} ({'≤' if p99 is not None and p99 <= 1 else '>'} 1) "
                         f"→ **{'met' if ok else 'not met'}**")
        elif med["against"] == "ceiling":
            ok = rate >= TARGET_VS_CEILING
            lines.append(f"- groups of {med['size']:,}: Parley / ceiling deliveries/s at max {rate:.2f} "
                         f"({'≥' if ok else '<'} {TARGET_VS_CEILING:.2f}) → **{'met' if ok else 'not met'}**")
    return lines


def _comparison(comparison: dict) -> list[str]:
    if not comparison["medians"]:
        return []
    lines = []
    for other in dict.fromkeys(m["against"] for m in comparison["medians"]):
        lines += ["", f"## Parley / {other}, pair by pair", "",
                  f"Each pair is one Parley run and the {other} run of the same group size and repeat. "
                  "Cells: Parley / other = ratio (above 1: Parley delivers more, or is slower, uses more CPU "
                  "or memory).", "",
                  "| group size | pair | " + " | ".join(label for label, _, _, _ in COMPARED) + " |",
                  "|---:|---:|" + "---|" * len(COMPARED)]
        for med in (m for m in comparison["medians"] if m["against"] == other):
            for p in comparison["pairs"]:
                if p["against"] != other or p["size"] != med["size"]:
                    continue
                cells = [f"{fmt(_scaled(p[path][BASE], k), d)} / {fmt(_scaled(p[path][other], k), d)} = "
                         f"{fmt(p[path]['ratio'], 2)}" for _, path, d, k in COMPARED]
                lines.append(f"| {p['size']:,} | {p['run']} | " + " | ".join(cells) + " |")
            lines.append(f"| {med['size']:,} | **median** | " +
                         " | ".join(f"**{fmt(med[path], 2)}**" for _, path, _, _ in COMPARED) + " |")
    lines += ["", f"Targets (medians of the pair ratios): Parley delivers at least {TARGET_VS_CENTRIFUGO:g}× "
              f"Centrifugo's messages/s at max rate with a p99 delivery latency at the fixed rate no higher "
              f"than Centrifugo's, and at least {TARGET_VS_CEILING:.0%} of the ceiling's:", ""]
    lines += _targets(comparison)
    return lines


def _scaled(v, k):
    return None if v is None else v * k


def _head(title: str, env: dict, servers: str, command: str, args) -> list[str]:
    """The title, the machine, what served (`servers`) and the command (`command`: its options
    but the fan-out's own) with every parameter of the runs."""
    return [
        f"# {title}", "",
        f"{env['date']} · commit {env['commit']}{' (dirty)' if env['dirty'] else ''} · {env['cpu']} · "
        f"{env['cores']} cores · {env['memory_gib']} GiB · Linux {env['kernel']}", "",
        servers, "",
        f"Command: `bench/run.sh fanout --groups {','.join(str(s) for s in args.groups)} {command}"
        f"--repeat {args.repeat}` (members {args.members}, publishers {args.publishers}, fixed rate "
        f"{args.fixed_rate:g} deliveries/s, window {args.fanout_window:,} deliveries, {args.fanout_warmup:g} s warm-up + "
        f"{args.fanout_duration:g} s measured per phase, body {args.body_bytes} bytes, generators "
        f"{args.procs or 2} × {args.threads} thread).", ""]


def _what_a_run_is(args) -> str:
    """The layout of a run and what a delivery, its latency and the two phases are."""
    return (
        f"{args.members:,} connections per run, one per user, all members of groups of the given size "
        f"({args.members:,} / size groups); the first members of each group publish. A delivery is one member "
        "receiving one publication (the publisher's own copy included); its latency is the member's receipt "
        "time minus the send time the publisher wrote into the body (CLOCK_MONOTONIC, one clock for every "
        "process on the host). Phase *fixed*: publications at the fixed delivery rate divided by the group "
        "size, spread over the publishers. Phase *max*: every publisher sends as fast as its share of the "
        "window allows: window ÷ group size publications without their final answer")


def markdown(summary: list[dict], runs: list[dict], comparison: dict, servers: list, env: dict, args) -> str:
    mib = lambda kib: None if kib is None else kib / 1024  # noqa: E731
    names = ", ".join(f"{p.name} ({p.version})" for p in servers)
    lines = [
        *_head("Benchmark: fanout", env, f"Servers: {names}.", f"--servers {','.join(p.name for p in servers)} ",
               args),
        _what_a_run_is(args) + " (Parley: its `stored` ack "
        "or an error; Centrifugo: the publish reply; the ceiling has no answer: the publisher's own copy). "
        "Each Parley run starts from a copy of the prepared data dir (users and groups, no messages). Servers and "
        "generators share the machine's cores. Servers run one after the other for each size and repeat "
        f"({', '.join(p.name for p in servers)}, ...).", "",
        f"## Summary (median of {args.repeat} run{'s' if args.repeat > 1 else ''})", "",
        "| server | group size × groups | publishers | fixed: deliveries/s | fixed: p50 / p90 / p99 / max (ms) "
        "| max: publications/s | max: **deliveries/s** | max: p50 / p99 / max (ms) | server CPU s (max) "
        "| CPU µs/delivery fixed / max | peak RSS (MiB) | bytes/delivery | deliveries/frame | failed / dropped |",
        "|---|---|---:|---:|---|---:|---:|---|---:|---|---:|---:|---:|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['server_name']} | {s['size']:,} × {s['groups']} | {s['publishers']} "
            f"| {fmt(s['fixed.delivered_per_s'], 0)} "
            f"| {fmt(s['fixed.latency_ms.p50'], 2)} / {fmt(s['fixed.latency_ms.p90'], 2)} / "
            f"{fmt(s['fixed.latency_ms.p99'], 2)} / {fmt(s['fixed.latency_ms.max'], 1)} "
            f"| {fmt(s['max.published_per_s'], 0)} | **{fmt(s['max.delivered_per_s'], 0)}** "
            f"| {fmt(s['max.latency_ms.p50'], 1)} / {fmt(s['max.latency_ms.p99'], 1)} / "
            f"{fmt(s['max.latency_ms.max'], 1)} | {fmt(s['max.server_cpu_s'], 2)} "
            f"| {fmt(s['fixed.server_cpu_us_per_delivery'], 2)} / {fmt(s['max.server_cpu_us_per_delivery'], 2)} "
            f"| {fmt(mib(s['server.peak_rss_kib']))} | {fmt(s['max.bytes_per_delivery'], 0)} "
            f"| {fmt(s['max.deliveries_per_frame'], 1)} | {fmt(s['failed'], 0)} / {fmt(s['dropped'], 0)} |")
    killed = [r for r in runs if r["server"].get("killed")]
    if killed:
        names = ", ".join(sorted({r["server_name"] for r in killed}))
        lines += ["", f"{len(killed)} of {len(runs)} runs ended with the server ({names}) killed: it had not exited "
                  "3 s after SIGTERM, still working through what the run queued at max rate (Parley: stored "
                  "sends' live events and the event-log consumer's backlog; which part holds the exit is not "
                  "measured). That work is not in the measured windows' CPU time."]
    lines += _comparison(comparison)
    return "\n".join(lines + _tail(
        runs, "server", servers,
        "Server CPU s = user + system time of the server "
        "process over the measured window (/proc); CPU µs/delivery = that ÷ deliveries. Peak RSS = VmHWM of "
        "the fresh server process at the end of the run. Bytes/delivery = WebSocket payload bytes received "
        "per delivery; deliveries/frame > 1 when the server batches several into one frame."))


def _tail(runs: list[dict], cpu_of: str, servers: list, cpu_note: str) -> list[str]:
    """The end of a report: every run, the settings, what the figures mean (`cpu_note`: what
    the server's CPU time is, and the figures particular to the report)."""
    return [*_runs(runs, cpu_of), *_settings(servers), "", f"{DELIVERIES_NOTE} {cpu_note} {MISSING_NOTE}", ""]


DELIVERIES_NOTE = ("Deliveries/s = deliveries received in the measured window ÷ its length, all generators. "
                   "Latency = receipt − send for those deliveries.")
MISSING_NOTE = (
    "Missing = publications sent × group size − deliveries received over the whole run (in flight at "
    "the end, or lost with a dropped connection). Others' CPU s = what the machine was busy with besides "
    "the server and the generators during the window (/proc/stat): other users of a shared machine, "
    "the run's noise.")


def _runs(runs: list[dict], cpu_of: str) -> list[str]:
    """Every run: rates, p99, CPU seconds (`cpu_of`: whose), counts; then the errors if any."""
    lines = ["", "## Runs", "",
             "| server | size | run | fixed: deliveries/s, p99 (ms) | max: deliveries/s, p99 (ms) "
             f"| {cpu_of} CPU s fixed / max | generators CPU s (max) | others' CPU s fixed / max | sent | delivered "
             "| missing | failed | dropped |",
             "|---|---:|---:|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in runs:
        f, m = r["fixed"], r["max"]
        lines.append(
            f"| {r['server_name']} | {r['size']:,} | {r['run']} "
            f"| {fmt(f['delivered_per_s'], 0)}, {fmt(f['latency_ms']['p99'], 2)} "
            f"| {fmt(m['delivered_per_s'], 0)}, {fmt(m['latency_ms']['p99'], 1)} "
            f"| {fmt(f['server_cpu_s'], 2)} / {fmt(m['server_cpu_s'], 2)} | {fmt(m['generators_cpu_s'], 2)} "
            f"| {fmt(f.get('other_cpu_s'), 2)} / {fmt(m.get('other_cpu_s'), 2)} "
            f"| {r['sent']:,} | {r['delivered']:,} | {r['missing']:,} | {r['failed']:,} | {r['dropped']:,} |")
    errors = [(r, kind, k, v) for r in runs for kind in ("failures", "errors") for k, v in r[kind].items()]
    if errors:
        lines += ["", "## Errors", "", "| server | size | run | what | count |", "|---|---:|---:|---|---:|"]
        lines += [f"| {r['server_name']} | {r['size']:,} | {r['run']} | {'publish error ' if kind == 'errors' else ''}"
                  f"{k} | {v:,} |" for r, kind, k, v in errors]
    return lines


def _settings(servers: list) -> list[str]:
    lines = []
    for p in servers:
        lines += ["", f"## {p.name} settings ({p.version})", "", "```", *p.settings, "```"]
    return lines


def _latency(s: dict, phase: str, digits: int) -> str:
    return " / ".join(fmt(s[f"{phase}.latency_ms.{q}"], digits) for q in ("p50", "p90", "p99", "max"))


def _nodes(runs: list[dict], size: int) -> str:
    """Members per WebSocket node and the groups with members on every node, for one size."""
    n = next(r["nodes"] for r in runs if r["size"] == size)
    return f"{' / '.join(f'{m:,}' for m in n['members'])} ({n['groups_on_every_node']} of {n['groups']})"


def _waits(runs: list[dict]) -> list[str]:
    """How long the runs waited for a quiet stack, and which ones started on a busy one."""
    def span(values):
        low, high = f"{min(values):.1f}", f"{max(values):.1f}"
        return f"{low} s" if low == high else f"{low}–{high} s"

    lines = ["", f"Waited for a quiet stack: before a run {span([r['seconds']['quiet'] for r in runs])}, after "
             f"the connections opened {span([r['settle_s'] for r in runs])} (Parley tells every contact of a "
             "user who comes online or goes offline)."]
    busy = [r for r in runs if r["busy"]]
    if busy:
        lines[-1] += (f" **{len(busy)} of {len(runs)} runs measured a busy stack**: the wait ran out ("
                      + "; ".join(f"groups of {r['size']:,} run {r['run']}: {', '.join(r['busy'])}" for r in busy)
                      + "), so their figures include work from before their phases.")
    return lines


def distributed_markdown(summary: list[dict], runs: list[dict], peer, env: dict, args) -> str:
    """`fanout --distributed`: medians per group size, where the stack's CPU time went at max
    rate per group size, every run."""
    processes = ", ".join(runs[0]["max"]["cpu_s"]) if runs else ""
    lines = [
        *_head("Benchmark: fanout, distributed", env,
               f"Server: Parley's distributed stack ({peer.version}; scripts/cluster.sh, Release build): "
               f"{processes}, each its own process on this machine.", "--distributed ", args),
        _what_a_run_is(args) + " (its `stored` ack or an error). Generator i connects to WebSocket node "
        "ws-(i mod 2 + 1) and the connections are dealt to the generators in turn, so every group has half its "
        "members on each node: a publication goes from the publisher's node through Kafka to a message "
        "instance, which stores it and publishes it on Redis, from which both nodes deliver it to the members "
        "they hold. The stack serves every run (users and groups made once, through the gateway); before each "
        "run the harness waits until the stack is quiet (the previous run's connections closed, what it queued "
        "done). Its processes and the generators share the machine's cores.", "",
        f"## Summary (median of {args.repeat} run{'s' if args.repeat > 1 else ''})", "",
        "| group size × groups | publishers | members ws-1 / ws-2 (groups on both) | fixed: deliveries/s "
        "| fixed: p50 / p90 / p99 / max (ms) | max: publications/s | max: **deliveries/s** "
        "| max: p50 / p90 / p99 / max (ms) | stack CPU s (max) | CPU µs/delivery fixed / max "
        "| failed / dropped / missing |",
        "|---|---:|---|---:|---|---:|---:|---|---:|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['size']:,} × {s['groups']} | {s['publishers']} | {_nodes(runs, s['size'])} "
            f"| {fmt(s['fixed.delivered_per_s'], 0)} | {_latency(s, 'fixed', 2)} "
            f"| {fmt(s['max.published_per_s'], 0)} | **{fmt(s['max.delivered_per_s'], 0)}** "
            f"| {_latency(s, 'max', 1)} | {fmt(s['max.server_cpu_s'], 2)} "
            f"| {fmt(s['fixed.server_cpu_us_per_delivery'], 2)} / {fmt(s['max.server_cpu_us_per_delivery'], 2)} "
            f"| {fmt(s['failed'], 0)} / {fmt(s['dropped'], 0)} / {fmt(s['missing'], 0)} |")
    lines += _waits(runs)
    for size in dict.fromkeys(r["size"] for r in runs):
        mine = [r for r in runs if r["size"] == size]
        deliveries = (median_of(mine, "max.delivered_per_s") or 0) * args.fanout_duration
        lines += cpu_table(mine, f"Where the CPU time went: groups of {size:,} (max phase, medians)", "max",
                           deliveries, ("CPU µs per delivery", 1e6, 2))
    return "\n".join(lines + _tail(
        runs, "stack", [peer],
        "Stack CPU s = user + system time of every process of the stack over the "
        "measured window (/proc, as harness/cluster.py reads it), summed; CPU µs/delivery = that ÷ deliveries. "
        "The tables per group size split the max phase's by process: CPU seconds, share of the stack's, "
        "and CPU µs per delivery of the window (medians over the runs)."))

