#!/usr/bin/env python3
"""Parley's benchmark driver (normally started by bench/run.sh, which builds first).

    bench/bench.py connections -n 1000,15000 --repeat 3
    bench/bench.py connections -n 1000,15000 --repeat 3 --servers parley,centrifugo

Starts `parley` (and, with --servers, Centrifugo beside it) with a fresh temporary data
dir, prepares users, runs the scenario with parley-loadgen, prints a Markdown report and
writes it, with every raw figure as JSON, to bench/results/."""

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import chat, connections, fanout, peers, report, rest  # noqa: E402
from harness.server import BENCH_SETTINGS  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = {"connections": connections, "chat": chat, "fanout": fanout, "rest": rest}


@dataclass
class Context:
    args: argparse.Namespace
    repo: Path
    parley: Path
    loadgen: Path
    work_dir: Path
    data_dir: Path
    credentials: Path
    server_env: dict
    settings: dict
    env: dict

    def log(self, text: str):
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def counts(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        out.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    if any(n < 1 for n in out):
        raise argparse.ArgumentTypeError("connection counts must be positive")
    return out


def server_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in peers.NAMES]
    if not names or unknown or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(peers.NAMES)}")
    return names


def env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.startswith("PARLEY_"):
        raise argparse.ArgumentTypeError("expected PARLEY_NAME=VALUE")
    return key, value


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("-n", "--connections", type=counts, default=[1000],
                   help="connection counts, comma-separated, e.g. 1000,15000 or 15k (default 1000)")
    p.add_argument("--repeat", type=int, default=1, help="runs per count; the summary shows medians (default 1)")
    p.add_argument("--servers", type=server_names, default=["parley"],
                   help="servers to run, comma-separated, alternating per count and repeat (A B A B ...): "
                        "parley, centrifugo (default parley; centrifugo is built on first use by "
                        "bench/peers/centrifugo.sh)")
    p.add_argument("--users", type=int, default=200, help="users to create; connections share them (default 200)")
    p.add_argument("--procs", type=int, default=0,
                   help=f"generator processes (default: one per {connections.MAX_PER_GENERATOR:,} connections)")
    p.add_argument("--threads", type=int, default=1, help="threads per generator process (default 1)")
    p.add_argument("--concurrency", type=int, default=256, help="attempts in flight, all generators (default 256)")
    p.add_argument("--rate", type=float, default=0, help="attempts per second, all generators (default 0: no pacing)")
    p.add_argument("--timeout-ms", type=int, default=10000, help="per attempt (default 10000)")
    p.add_argument("--idle", type=float, default=5, help="seconds idle before the server is measured (default 5)")
    p.add_argument("--soak", type=float, default=35,
                   help="seconds after the last connection opened before closing them all, counting drops and "
                        "answered pings (default 35: past the first keep-alive ping at 15 s and the deadline for "
                        "its answer, 30 s for Parley, 15 + 8 s for Centrifugo)")
    p.add_argument("--server-env", type=env_pair, action="append", default=[], metavar="PARLEY_X=V",
                   help="extra server setting (repeatable), e.g. PARLEY_IO_THREADS=1")
    p.add_argument("--build-dir", type=Path, default=REPO / "build" / "bench")
    p.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    p.add_argument("--window", type=int, default=4, help="chat: unanswered sends per connection (default 4)")
    p.add_argument("--warmup", type=int, default=3, help="chat, rest: seconds of traffic before measuring (default 3)")
    p.add_argument("--duration", type=int, default=10, help="chat, rest: seconds measured per phase (default 10)")
    p.add_argument("--distributed", action="store_true",
                   help="chat, fanout: against the distributed stack of scripts/cluster.sh (Release), not embedded "
                        "(fanout: Parley only, the connections split over its two WebSocket nodes)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dir and server logs")
    fanout.add_arguments(p)
    rest.add_arguments(p)
    args = p.parse_args()

    parley = args.build_dir / "bin" / "parley"
    loadgen = args.build_dir / "bin" / "parley-loadgen"
    for binary in (parley, loadgen):
        if not binary.exists():
            p.error(f"{binary} is missing: run bench/run.sh (it builds)")

    work = Path(tempfile.mkdtemp(prefix="parley-bench."))
    server_env = dict(args.server_env)
    settings = {**BENCH_SETTINGS, **server_env, "PARLEY_MAX_CONNECTIONS": "N + 1000"}
    ctx = Context(args, REPO, parley, loadgen, work, work / "data", work / "credentials.txt", server_env, settings,
                  report.environment(REPO))
    ctx.log(f"work dir {work}")
    ok = False
    try:
        result = SCENARIOS[args.scenario].run(ctx)
        doc = {"scenario": args.scenario, "environment": ctx.env, "settings": settings,
               "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
               **{k: v for k, v in result.items() if k != "markdown"}}
        json_path, md_path = report.write(args.results, args.scenario, doc, result["markdown"])
        print(result["markdown"])
        ctx.log(f"wrote {json_path.relative_to(REPO) if json_path.is_relative_to(REPO) else json_path} "
                f"and {md_path.name}")
        ok = True
    finally:
        if args.keep or not ok:
            ctx.log(f"kept {work} (server logs, data)")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
