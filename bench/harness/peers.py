"""The servers a scenario can run against (--servers): how to prepare their users once, start
a fresh process per run, and which wire protocol parley-loadgen speaks to them."""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import ceiling, centrifugo
from .server import ParleyServer
from .users import prepare_users

NAMES = ("parley", "centrifugo", "ceiling")


@dataclass
class Peer:
    name: str
    protocol: str  # parley-loadgen --protocol
    credentials: Path  # `USER_ID TOKEN` lines
    # (connections to expect, log file name) -> a started server with pid, proc, ws_url, log_path, stop()
    start: Callable[[int, str], object]
    version: str = ""
    settings: list[str] = field(default_factory=list)  # for the report, secrets left out


def parley(ctx) -> Peer:
    """Registers --users users once on a Parley data dir; every run restarts on that dir."""
    with ParleyServer(ctx.parley, ctx.data_dir, 1000, ctx.server_env, log_name="prepare.log").start() as srv:
        t = time.monotonic()
        prepare_users(srv.base_url, ctx.data_dir, ctx.args.users, ctx.credentials)
        ctx.log(f"parley: prepared {ctx.args.users} users in {time.monotonic() - t:.1f} s")

    def start(n: int, log_name: str) -> ParleyServer:
        return ParleyServer(ctx.parley, ctx.data_dir, n + 1000, ctx.server_env, log_name=log_name).start()

    return Peer("parley", "parley", ctx.credentials, start, f"commit {ctx.env['commit']}", shown_settings(ctx.settings))


def shown_settings(settings: dict) -> list[str]:
    """Parley's settings as NAME=value lines for a report, secrets left out."""
    return [f"{k}={v}" for k, v in sorted(settings.items()) if "PASSWORD" not in k and "SECRET" not in k]


def centrifugo_peer(ctx) -> Peer:
    """Builds Centrifugo when missing and signs one connection JWT per user (same user count)."""
    binary = centrifugo.binary(ctx.repo)
    version = centrifugo.version(binary)
    secret = centrifugo.new_secret()
    creds = ctx.work_dir / "centrifugo-credentials.txt"
    centrifugo.write_credentials(creds, ctx.args.users, secret)
    ctx.log(f"centrifugo: {version} ({binary}), {ctx.args.users} connection tokens")

    def start(_n: int, log_name: str) -> centrifugo.CentrifugoServer:
        return centrifugo.CentrifugoServer(binary, ctx.work_dir, secret, log_name=log_name).start()

    shown = centrifugo.config(0, "<random per invocation>")
    shown["http_server"]["port"] = "<free port>"
    shown["client"]["allowed_origins"] = ["http://127.0.0.1:<port>"]
    return Peer("centrifugo", centrifugo.PROTOCOL, creds, start, version, json.dumps(shown, indent=2).splitlines())


def ceiling_peer(ctx) -> Peer:
    """parley-ceiling (built with the bench); every connection in one group unless a scenario
    writes its own credentials (see harness/ceiling.py)."""
    binary = ctx.loadgen.parent / "parley-ceiling"
    creds = ctx.work_dir / "ceiling-credentials.txt"
    ceiling.write_credentials(creds, ["g0"] * ctx.args.users)

    def start(_n: int, log_name: str) -> ceiling.CeilingServer:
        return ceiling.CeilingServer(binary, ctx.work_dir, log_name=log_name).start()

    return Peer("ceiling", ceiling.PROTOCOL, creds, start, f"commit {ctx.env['commit']}",
                ["parley-ceiling --listen 127.0.0.1:<free port>  (I/O threads: one per core)"])


def prepare(ctx, names: list[str]) -> list[Peer]:
    makers = {"parley": parley, "centrifugo": centrifugo_peer, "ceiling": ceiling_peer}
    return [makers[name](ctx) for name in names]
