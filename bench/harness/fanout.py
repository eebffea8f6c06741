"""Scenario `fanout`: groups whose members are all connected, publishers among them, every
publication timed from its publisher to each member.

For each group size S (--groups), --members connections (default 1,000), one per user, form
--members / S groups of S; the first members of each group publish (--publishers in all, at
least one per group). Parley: the users are registered and the groups created through its
REST API (once per invocation); a publication is a `message.send`, a delivery a
`message.new`. Centrifugo: one channel per group (namespace `fanout`), joined with
`subscribe`, published to with the client `publish` command, delivered as a publication push.
The ceiling: parley-ceiling, the group in the upgrade target, a publication any frame.

Per run: a fresh server, the generators open and join every connection, then two phases
from a common start: `fixed` (--fixed-rate deliveries/s in all, i.e. --fixed-rate / S
publications/s) and `max` (as fast as a window of unanswered publications allows: --fanout-window
deliveries, i.e. --fanout-window / S publications, shared by the publishers), each
--fanout-warmup seconds unmeasured and --fanout-duration measured, with a second of silence
after each. The server's CPU time is sampled at the edges of each measured window, its peak
RSS (VmHWM) at the end. With several --servers, each size and repeat runs them one after
the other (A B C A B C ...), so neighbouring runs form pairs.

With --distributed: Parley only, on the stack of scripts/cluster.sh (harness/cluster.py),
started once for every run: users and groups through its gateway, then per size and repeat
the same open-and-join and the same phases, the connections dealt in turn to the two
WebSocket nodes so that every group has half its members on each and a publication reaches
the other node through the bus (Kafka to the message service, Redis back to both nodes).
Before each run the harness waits until the stack is quiet; the CPU time of every process
of the stack is sampled at the edges of each measured window."""

import dataclasses
import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from . import ceiling, fanout_report, peers, procstat
from .cluster import Cluster
from .loadgen import Generator, source_ips
from .report import add_counts, fmt, merge_histograms
from .server import ParleyServer
from .users import prepare_users

# Parley's per-connection frame limit (20/s by default) is lifted: a publisher here stands
# for many people sending into a group, and the scenario measures fan-out, not the limiter.
SERVER_ENV = {"PARLEY_WS_FRAMES_PER_SEC": "1000000", "PARLEY_WS_FRAME_BURST": "1000000"}
PHASE_GAP_S = 1.0
STOP_GRACE_S = 3
# --distributed: how long to wait at most, before a run, for the stack to be quiet.
QUIET_LIMIT_S = 60


def add_arguments(p) -> None:
    def sizes(text: str) -> list[int]:
        out = [int(x.replace("_", "").replace(",", "")) for x in text.split(",") if x.strip()]
        if not out or any(s < 2 for s in out):
            raise ValueError("group sizes must be at least 2")
        return out

    g = p.add_argument_group("fanout")
    g.add_argument("--groups", type=sizes, default=[100, 1000], help="fanout: group sizes (default 100,1000)")
    g.add_argument("--members", type=int, default=1000,
                   help="fanout: connections per run, one user each, split into groups (default 1000)")
    g.add_argument("--publishers", type=int, default=10,
                   help="fanout: publishing members per run, spread over the groups, at least one each (default 10)")
    g.add_argument("--fixed-rate", type=float, default=20000,
                   help="fanout: deliveries/s in the fixed phase, all groups (default 20000)")
    g.add_argument("--fanout-window", type=int, default=50000,
                   help="fanout: deliveries in flight at max rate, all publishers: at most window / group size "
                        "publications without their final answer (default 50000)")
    g.add_argument("--fanout-warmup", type=float, default=2, help="fanout: seconds per phase before measuring (default 2)")
    g.add_argument("--fanout-duration", type=float, default=5, help="fanout: seconds measured per phase (default 5)")
    g.add_argument("--body-bytes", type=int, default=48, help="fanout: published body length (default 48)")


@dataclass
class Target:
    """A server as the fan-out sees it: group names and credentials per group size."""
    peer: peers.Peer
    groups: dict = field(default_factory=dict)       # size -> [group name per group]
    credentials: dict = field(default_factory=dict)  # size -> Path


def layout(members: int, size: int, publishers: int) -> tuple[int, int]:
    """(groups, publishers per group) for `members` connections in groups of `size`."""
    groups = members // size
    return groups, max(1, math.ceil(publishers / groups))


def create_groups(base_url: str, creds: list, sizes: list[int], members: int) -> dict:
    """Creates the groups through the REST API at `base_url`: group k of size S is users
    k*S .. (k+1)*S-1 of `creds` ((user id, token) pairs), the first one its owner.
    Returns size -> [chat id]."""
    session = requests.Session()
    out = {}
    for size in sizes:
        ids = []
        for k in range(members // size):
            owner, token = creds[k * size]
            body = {"name": f"fanout {size} #{k}", "member_ids": [u for u, _ in creds[k * size + 1:(k + 1) * size]]}
            r = session.post(base_url + "/api/v1/chats/groups", json=body,
                             headers={"Authorization": f"Bearer {token.strip()}"}, timeout=60)
            if r.status_code != 201:
                raise RuntimeError(f"creating a group of {size}: {r.status_code} {r.text[:300]}")
            ids.append(r.json()["id"])
        out[size] = ids
    return out


def create_parley_groups(ctx, sizes: list[int], members: int) -> dict:
    """The groups on the prepared data dir, through a Parley started for that."""
    creds = [line.split(" ", 1) for line in ctx.credentials.read_text().splitlines() if line]
    with ParleyServer(ctx.parley, ctx.data_dir, 1000, ctx.server_env, log_name="prepare-groups.log").start() as srv:
        return create_groups(srv.base_url, creds, sizes, members)


def fresh_parley(ctx):
    """Starts each Parley run on a copy of the prepared data dir (users and groups, no messages):
    a run's messages leave work behind (per recipient, a notification check due 15 s later) that
    must not land in the next run."""
    def start(n: int, log_name: str) -> ParleyServer:
        run_dir = ctx.work_dir / "run-data"
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.copytree(ctx.data_dir, run_dir, ignore=shutil.ignore_patterns("mail", "*.log"))
        return ParleyServer(ctx.parley, run_dir, n + 1000, ctx.server_env, log_name=log_name).start()
    return start


def check_layout(a) -> None:
    """Every group size must divide --members; there are at least as many users as members."""
    a.users = max(a.users, a.members)
    for size in a.groups:
        if size > a.members or a.members % size:
            raise SystemExit(f"fanout: --members {a.members} is not a multiple of the group size {size}")


def prepare(ctx) -> list[Target]:
    a = ctx.args
    check_layout(a)
    ctx.server_env.update(SERVER_ENV)
    ctx.settings.update(SERVER_ENV)
    ctx.settings["PARLEY_MAX_CONNECTIONS"] = "members + 1000"
    targets = []
    for peer in peers.prepare(ctx, a.servers):
        t = Target(peer)
        for size in a.groups:
            count = a.members // size
            if peer.name == "parley":
                continue  # below, through the API
            if peer.name == "centrifugo":
                t.groups[size] = [f"fanout:s{size}g{k}" for k in range(count)]
                t.credentials[size] = peer.credentials
            else:
                t.groups[size] = [f"s{size}g{k}" for k in range(count)]
                t.credentials[size] = ctx.work_dir / f"ceiling-{size}.txt"
                ceiling.write_credentials(t.credentials[size], [g for g in t.groups[size] for _ in range(size)])
        if peer.name == "parley":
            started = time.monotonic()
            t.groups = create_parley_groups(ctx, a.groups, a.members)
            t.credentials = {size: peer.credentials for size in a.groups}
            t.peer = dataclasses.replace(peer, start=fresh_parley(ctx))
            ctx.log(f"parley: created {sum(len(v) for v in t.groups.values())} groups "
                    f"in {time.monotonic() - started:.1f} s")
        targets.append(t)
    return targets


def plans(ctx, target: Target, size: int, procs: int, go_file: Path) -> list[dict]:
    """One plan per generator: its connections (publishers dealt round robin first, so that
    every generator gets its share of them), its share of the rate and of the window."""
    a = ctx.args
    groups, per_group = layout(a.members, size, a.publishers)
    conns = []
    tag = 0
    for i in range(a.members):
        k, position = divmod(i, size)
        c = {"credential": i, "group": target.groups[size][k]}
        if position < per_group:
            c["tag"] = tag
            tag += 1
        conns.append(c)
    publishers = [c for c in conns if "tag" in c]
    others = [c for c in conns if "tag" not in c]
    mine = [[] for _ in range(procs)]
    for j, c in enumerate(publishers + others):
        mine[j % procs].append(c)
    window = max(len(publishers), a.fanout_window // size)
    out = []
    for conns_p in mine:
        share = sum(1 for c in conns_p if "tag" in c) / len(publishers)
        phases = [{"name": "fixed", "rate": a.fixed_rate / size * share, "warmup_s": a.fanout_warmup,
                   "duration_s": a.fanout_duration},
                  {"name": "max", "rate": 0, "warmup_s": a.fanout_warmup, "duration_s": a.fanout_duration}]
        out.append({"connections": conns_p, "phases": phases, "gap_s": PHASE_GAP_S,
                    "window": max(1, round(window * share)), "body_bytes": a.body_bytes,
                    "go_file": str(go_file)})
    return out


def sleep_until_ns(t_ns: int) -> None:
    left = (t_ns - time.monotonic_ns()) / 1e9
    if left > 0:
        time.sleep(left)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat: everything but idle
    and iowait); what neither the server nor the generators used was someone else's."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, limit_s: float = 20) -> float:
    """Waits until the server is quiet (under a tenth of a core for 0.25 s) after the connections
    opened; Parley tells every contact of a user who comes online, up to 999 frames per connection
    here. Returns the seconds waited."""
    return procstat.settle_on(lambda: procstat.cpu_seconds(pid), limit_s)[0]


def start_generators(ctx, target: Target, size: int, tag: str, plan_list: list[dict], urls: list[str],
                     gens: list) -> None:
    """One parley-loadgen per plan, generator i on urls[i % len(urls)]; each is appended to
    `gens` as it starts, for the caller to kill whatever happens."""
    a = ctx.args
    for i, plan in enumerate(plan_list):
        plan_path = ctx.work_dir / f"plan-{tag}-{i}.json"
        plan_path.write_text(json.dumps(plan))
        gens.append(Generator([
            str(ctx.loadgen), "fanout", "--url", urls[i % len(urls)], "--protocol", target.peer.protocol,
            "--credentials", str(target.credentials[size]), "--plan", str(plan_path),
            "--threads", str(a.threads), "--concurrency", str(max(1, a.concurrency // len(plan_list))),
            "--timeout-ms", str(a.timeout_ms), "--source-ips", ",".join(source_ips(i, len(plan["connections"]))),
            "--quiet"]))


def measure(ctx, gens: list, go_file: Path, cpu, check) -> tuple[list, dict]:
    """Writes the common start time and samples, at the edges of each measured window, the
    server's CPU seconds per process (`cpu()`: name -> seconds), the generators' and the
    machine's; `check()` raises when the server died. Returns the windows (name, begin ns,
    end ns) and the samples by window name."""
    a = ctx.args
    start_ns = time.monotonic_ns() + 300_000_000
    go_file.write_text(str(start_ns))
    # The same timeline as the generators': sample the server at the edges of each window.
    windows, t = [], start_ns
    for name in ("fixed", "max"):
        begin = t + int(a.fanout_warmup * 1e9)
        end = begin + int(a.fanout_duration * 1e9)
        windows.append((name, begin, end))
        t = end + int(PHASE_GAP_S * 1e9)
    samples = {}
    for name, begin, end in windows:
        sleep_until_ns(begin)
        samples[name] = {"from": cpu(), "gens_from": [procstat.sample(g.pid) for g in gens],
                         "machine_from": machine_busy_s()}
        sleep_until_ns(end)
        samples[name]["to"] = cpu()
        samples[name]["gens_to"] = [procstat.sample(g.pid) for g in gens]
        samples[name]["machine_to"] = machine_busy_s()
        check()
    return windows, samples


def drive(ctx, target: Target, size: int, tag: str, urls: list[str], cpu, check, gens: list,
          settle=lambda cpu: procstat.settle_on(lambda: sum(cpu().values()))) -> dict:
    """The traffic of one run against a started server: the generators (appended to `gens`)
    open and join every connection, the server settles (`settle(cpu)`: seconds waited, and
    whether it got quiet), both phases run (see measure()). Returns what the run's record is
    made of."""
    a = ctx.args
    go_file = ctx.work_dir / f"go-{tag}"
    go_file.unlink(missing_ok=True)
    plan_list = plans(ctx, target, size, a.procs or 2, go_file)
    start_generators(ctx, target, size, tag, plan_list, urls, gens)
    ready = [g.wait_event("ready", 60 + a.timeout_ms / 1000) for g in gens]
    t_ready = time.monotonic()
    settle_s, settled = settle(cpu)
    windows, samples = measure(ctx, gens, go_file, cpu, check)
    reports = [g.wait_event("report", 60) for g in gens]
    return {"plans": plan_list, "ready": ready, "t_ready": t_ready, "settle_s": settle_s, "settled": settled,
            "windows": windows, "samples": samples, "reports": reports}


def record(ctx, server_name: str, size: int, index: int, traffic: dict, seconds: dict, server: dict,
           by_process: bool) -> dict:
    """A run's figures from drive()'s material: counts over the run and, per measured window,
    rates, latency, bytes and CPU seconds (the server's: the sum over its processes, with
    `by_process` each process's too, as `cpu_s`)."""
    a = ctx.args
    ready, reports, windows, samples = traffic["ready"], traffic["reports"], traffic["windows"], traffic["samples"]
    procs = a.procs or 2
    groups, per_group = layout(a.members, size, a.publishers)
    run = {
        "server_name": server_name, "size": size, "run": index + 1, "groups": groups,
        "publishers": groups * per_group, "procs": procs,
        "joined": sum(r["joined"] for r in ready), "failed": sum(r["failed"] for r in ready),
        "dropped": sum(r["dropped"] for r in reports),
        "sent": sum(r["sent"] for r in reports), "delivered": sum(r["delivered"] for r in reports),
        "late_s": max(r["late_s"] for r in reports), "settle_s": traffic["settle_s"],
        "seconds": seconds,
        "failures": add_counts([r["failures"] for r in reports]),
        "errors": add_counts([r["errors"] for r in reports]),
        "server": server,
        "generators": {"procs": procs, "threads": a.threads, "reports": reports},
    }
    # Everything sent reaches every member of its group (the sender too) unless lost.
    run["missing"] = run["sent"] * size - run["delivered"]
    for i, (name, _, _) in enumerate(windows):
        parts = [r["phases"][i] for r in reports]
        seconds = parts[0]["seconds"]
        deliveries = sum(p["deliveries"] for p in parts)
        s = samples[name]
        cpu_by_process = {k: s["to"][k] - s["from"][k] for k in s["to"]}
        cpu = sum(cpu_by_process.values())
        gen_cpu = sum(t["cpu_s"] - f["cpu_s"] for f, t in zip(s["gens_from"], s["gens_to"]))
        run[name] = {
            "rate_asked_per_s": sum(p["rate"] for p in parts) * size if name == "fixed" else None,
            "published_per_s": sum(p["published"] for p in parts) / seconds,
            "delivered_per_s": deliveries / seconds,
            "latency_ms": merge_histograms([p["latency_ms"] for p in parts]),
            "bytes_per_delivery": sum(p["bytes"] for p in parts) / deliveries if deliveries else None,
            "deliveries_per_frame": deliveries / sum(p["frames"] for p in parts) if deliveries else None,
            "server_cpu_s": cpu,
            "server_cpu_us_per_delivery": cpu * 1e6 / deliveries if deliveries else None,
            "generators_cpu_s": gen_cpu,
            # Everyone else on the machine (other users' processes, the harness): the run's noise.
            "other_cpu_s": s["machine_to"] - s["machine_from"] - cpu - gen_cpu,
        }
        if by_process:
            run[name]["cpu_s"] = cpu_by_process
    return run


def one_run(ctx, target: Target, size: int, index: int) -> dict:
    a = ctx.args
    peer = target.peer
    tag = f"{peer.name}-{size}-{index}"
    t_start = time.monotonic()
    srv = peer.start(a.members, f"{tag}.log")
    t_started = time.monotonic()

    def check():
        if srv.proc.poll() is not None:
            raise RuntimeError(f"{peer.name} died during the run; see {srv.log_path}")

    gens = []
    try:
        time.sleep(0.5)  # start-up settles
        before = procstat.sample(srv.pid)
        traffic = drive(ctx, target, size, tag, [srv.ws_url], lambda: {peer.name: procstat.cpu_seconds(srv.pid)},
                        check, gens)
        after = procstat.sample(srv.pid)
        t_reported = time.monotonic()
    finally:
        for g in gens:
            g.kill()
        # Parley keeps working through what the run queued (live events, the event-log
        # consumer's backlog) and may take a while to exit; its copy of the data dir is thrown away.
        exit_code = srv.stop(STOP_GRACE_S)
    t_stopped = time.monotonic()
    t_ready = traffic["t_ready"]
    seconds = {"start": t_started - t_start, "open": t_ready - t_started, "traffic": t_reported - t_ready,
               "stop": t_stopped - t_reported}
    server = {"before": before, "after": after, "peak_rss_kib": after["vmhwm_kib"], "exit_code": exit_code,
              "killed": exit_code == -9}
    return record(ctx, peer.name, size, index, traffic, seconds, server, by_process=False)


def node_split(plan_list: list[dict], nodes: int) -> dict:
    """Members per WebSocket node (generator i on node i % nodes), and how many groups have
    members on every node."""
    members = [0] * nodes
    where: dict[str, set] = {}
    for i, plan in enumerate(plan_list):
        members[i % nodes] += len(plan["connections"])
        for c in plan["connections"]:
            where.setdefault(c["group"], set()).add(i % nodes)
    return {"members": members, "groups": len(where),
            "groups_on_every_node": sum(1 for n in where.values() if len(n) == nodes)}


def cluster_check(cluster: Cluster) -> None:
    """Raises when a process of the stack has exited."""
    dead = [name for name, pid in cluster.pids().items() if not Path(f"/proc/{pid}").exists()]
    if dead:
        raise RuntimeError(f"{', '.join(dead)} exited during the run; see {cluster.state / 'logs'}")


def distributed_run(ctx, cluster: Cluster, target: Target, size: int, index: int) -> dict:
    """One run against the stack, which serves every run: waits until it is quiet (the previous
    run's connections closed, what that run queued worked off), then the same traffic as
    one_run, generator i on WebSocket node i % 2. Both waits for quiet (before, and after the
    connections opened: presence through the store is slow here) may take QUIET_LIMIT_S."""
    tag = f"distributed-{size}-{index}"
    urls = cluster.ws_urls()
    t_start = time.monotonic()
    _, quiet = cluster.wait_quiet(QUIET_LIMIT_S)
    t_quiet = time.monotonic()
    gens = []
    try:
        traffic = drive(ctx, target, size, tag, urls, cluster.cpu, lambda: cluster_check(cluster), gens,
                        lambda _: cluster.wait_quiet(QUIET_LIMIT_S))
        t_reported = time.monotonic()
    finally:
        for g in gens:
            g.kill()
    t_ready = traffic["t_ready"]
    seconds = {"quiet": t_quiet - t_start, "open": t_ready - t_quiet, "traffic": t_reported - t_ready}
    run = record(ctx, target.peer.name, size, index, traffic, seconds, {}, by_process=True)
    run["nodes"] = node_split(traffic["plans"], len(urls))
    # A wait that ran out: the run's phases shared the stack with work from before them.
    run["busy"] = [w for w, ok in (("before the run", quiet), ("after opening", traffic["settled"])) if not ok]
    return run


def log_run(ctx, r: dict) -> dict:
    """One line on the run's figures; returns the run."""
    f, m = r["fixed"], r["max"]
    ctx.log(f"  fixed: {fmt(f['delivered_per_s'], 0)} deliveries/s, p50 {fmt(f['latency_ms']['p50'], 2)} "
            f"p99 {fmt(f['latency_ms']['p99'], 2)} ms; max: {fmt(m['delivered_per_s'], 0)} deliveries/s, "
            f"p99 {fmt(m['latency_ms']['p99'], 1)} ms, server CPU {fmt(m['server_cpu_s'], 2)} s; "
            f"{r['failed']} failed, {r['dropped']} dropped, errors {r['errors'] or 'none'}")
    return r


def run_distributed(ctx) -> dict:
    """Parley's stack of scripts/cluster.sh, started once: users and groups through its gateway,
    then every size and repeat (see distributed_run)."""
    a = ctx.args
    if a.servers != ["parley"]:
        raise SystemExit("fanout --distributed runs Parley's distributed stack only: leave out --servers "
                         f"(asked for {','.join(a.servers)})")
    if (a.procs or 2) % 2:
        raise SystemExit("fanout --distributed: --procs must be even (generator i connects to WebSocket node i % 2)")
    check_layout(a)
    ctx.settings.update(SERVER_ENV)
    ctx.settings.pop("PARLEY_MAX_CONNECTIONS", None)  # the services' default (18,000)
    runs = []
    with Cluster(ctx.repo, ctx.work_dir / "cluster", dict(ctx.settings), a.keep) as cluster:
        started = time.monotonic()
        creds = prepare_users(cluster.base_url, cluster.mail_data_dir, a.users, ctx.credentials)
        groups = create_groups(cluster.base_url, creds, a.groups, a.members)
        ctx.log(f"fanout (distributed): {a.users} users and {sum(len(v) for v in groups.values())} groups "
                f"in {time.monotonic() - started:.1f} s")
        settings = [*peers.shown_settings(ctx.settings),
                    f"gateway: {cluster.env.get('PARLEY_CLUSTER_GATEWAY_ENV', '')}",
                    f"FerretDB backend: {cluster.env.get('PARLEY_FERRETDB_BACKEND', 'its default')}"]
        peer = peers.Peer("parley", "parley", ctx.credentials, None, f"commit {ctx.env['commit']}, distributed",
                          settings)  # no start(): the stack serves every run
        target = Target(peer, groups, {size: ctx.credentials for size in a.groups})
        for size in a.groups:
            for i in range(a.repeat):
                ctx.log(f"fanout (distributed): groups of {size:,} run {i + 1}/{a.repeat}")
                runs.append(log_run(ctx, distributed_run(ctx, cluster, target, size, i)))
    summary = fanout_report.summarize(runs, fanout_report.DISTRIBUTED_FIELDS)
    return {"summary": summary, "runs": runs, "versions": {peer.name: peer.version},
            "markdown": fanout_report.distributed_markdown(summary, runs, peer, ctx.env, a)}


def run(ctx) -> dict:
    a = ctx.args
    if a.distributed:
        return run_distributed(ctx)
    targets = prepare(ctx)
    runs = []
    for size in a.groups:
        for i in range(a.repeat):
            for t in targets:  # A B C A B C: neighbours share the machine's state as closely as can be
                ctx.log(f"fanout: {t.peer.name} groups of {size:,} run {i + 1}/{a.repeat}")
                runs.append(log_run(ctx, one_run(ctx, t, size, i)))
    summary = fanout_report.summarize(runs)
    pairs = fanout_report.pairs(runs)
    versions = {t.peer.name: t.peer.version for t in targets}
    return {"summary": summary, "runs": runs, "comparison": pairs, "versions": versions,
            "markdown": fanout_report.markdown(summary, runs, pairs, [t.peer for t in targets], ctx.env, a)}
