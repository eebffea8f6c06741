"""Centrifugo as the bench's reference server: its binary (built by bench/peers/centrifugo.sh),
a configuration equivalent to the Parley bench server's, connection JWTs for its users, and
the process itself (same interface as ParleyServer: start, stop, pid, ws_url, log_path).

Equivalent means: one process on the same host and loopback, every connection
authenticated by a JWT, nothing kept per connection beyond what a connected client costs
(memory engine, no history, presence or join/leave, no channels subscribed), the same
keep-alive cadence as Parley's idle connections (a ping after 15 s), logs at warn. Every
other option stays at Centrifugo's default."""

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import time
from pathlib import Path


from .server import ServerProcess, free_port

VERSION = "v6.9.1"
PROTOCOL = "centrifugo"  # parley-loadgen --protocol
# Parley pings a connection after 15 s of silence (PARLEY_WS_IDLE_TIMEOUT_S=30 / 2);
# Centrifugo pings every ping_interval (default 25 s) and closes when no pong came within
# pong_timeout (default 8 s).
PING_INTERVAL = "15s"


# Channels `fanout:…` for the fanout scenario: a connected client may subscribe, and publish
# once subscribed (as only a member sends to a Parley group); no history, presence or
# join/leave, so a publication is only fanned out. Unused channels cost nothing.
FANOUT_NAMESPACE = {"name": "fanout", "history_size": 0, "presence": False, "join_leave": False,
                    "allow_subscribe_for_client": True, "allow_publish_for_subscriber": True}


def binary(repo: Path) -> Path:
    """The Centrifugo binary, built first when missing (Go module proxy; minutes the first time)."""
    out = subprocess.run([str(repo / "bench" / "peers" / "centrifugo.sh")], check=True, capture_output=True,
                         text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def version(path: Path) -> str:
    """`v6.9.1 (Go version: go1.x)`: what `centrifugo version` says, less the name."""
    out = subprocess.run([str(path), "version"], capture_output=True, text=True, timeout=10).stdout.strip()
    return out.removeprefix("Centrifugo ")


def config(port: int, secret: str) -> dict:
    """The v6 configuration file (nested keys, as `centrifugo defaultconfig` writes them)."""
    return {
        "http_server": {"address": "127.0.0.1", "port": port},
        "log": {"level": "warn"},
        "engine": {"type": "memory"},
        "client": {
            "token": {"hmac_secret_key": secret},
            "allowed_origins": [f"http://127.0.0.1:{port}"],
            "ping_interval": PING_INTERVAL,
        },
        "channel": {"without_namespace": {"history_size": 0, "presence": False, "join_leave": False},
                    "namespaces": [FANOUT_NAMESPACE]},
        "health": {"enabled": True},       # /health: the readiness check below
        "usage_stats": {"disabled": True},  # it would report to the internet once a day
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def connection_token(user_id: str, secret: str, ttl_s: int = 10 * 365 * 86400) -> str:
    """An HS256 connection JWT: `sub` is the user, `exp` far ahead."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = _b64url(json.dumps({"sub": user_id, "exp": int(time.time()) + ttl_s}, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64url(signature)}"


def write_credentials(out: Path, users: int, secret: str, prefix: str = "bench") -> None:
    """`USER_ID TOKEN` per line, the format parley-loadgen reads; users like Parley's bench users."""
    out.write_text("".join(f"{prefix}{i:05d} {connection_token(f'{prefix}{i:05d}', secret)}\n"
                           for i in range(users)))


def new_secret() -> str:
    return secrets.token_hex(32)


class CentrifugoServer(ServerProcess):
    """One Centrifugo process with a fresh config file in `work_dir`; `with` stops it."""

    name = "centrifugo"
    health_path = "/health"

    def __init__(self, binary_path: Path, work_dir: Path, secret: str, log_name: str = "centrifugo.log"):
        super().__init__(free_port(), work_dir / log_name)
        self.binary = binary_path
        self.work_dir = work_dir
        self.config = config(self.port, secret)
        self.config_path = work_dir / f"{Path(log_name).stem}.json"
        # Only our settings: a CENTRIFUGO_* variable in the caller's environment would override the file.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRIFUGO_")}

    def start(self, timeout_s: float = 30) -> "CentrifugoServer":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config, indent=2) + "\n")
        return self.spawn([str(self.binary), "--config", str(self.config_path)], timeout_s, env=self.env,
                          cwd=self.work_dir)
