"""Runs the `parley` binary for a benchmark: a free port, a given data dir, bench settings."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

# Settings that make preparation fast and the run about connections, not about auth:
# cheap password hashing, no rate limits on the auth routes or on sends, long-lived access tokens.
BENCH_SETTINGS = {
    "PARLEY_ARGON2_OPSLIMIT": "1",
    "PARLEY_ARGON2_MEMLIMIT_KIB": "8192",
    "PARLEY_RATE_IP_PER_MIN": "1000000",
    "PARLEY_RATE_ACCOUNT_PER_MIN": "1000000",
    "PARLEY_SEND_PER_MIN": "1000000",
    "PARLEY_SEND_BURST": "1000000",
    "PARLEY_OTP_RESEND_COOLDOWN_S": "0",
    "PARLEY_ACCESS_TTL_S": "86400",
    "PARLEY_LOG_LEVEL": "warn",
    "PARLEY_SMTP_URL": "",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A benchmarked server process on 127.0.0.1:`port`, its output in `log_path`: spawn()
    starts it and waits until `health_path` answers 200; `with` (or stop()) stops it with
    SIGTERM, then SIGKILL after `grace_s`."""

    name = "server"
    health_path = "/readyz"
    grace_s = 20.0

    def __init__(self, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def spawn(self, argv: list[str], timeout_s: float, env: dict | None = None, cwd: Path | None = None):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=cwd)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if requests.get(self.base_url + self.health_path, timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} not ready within {timeout_s} s; see {self.log_path}")

    def stop(self, grace_s: float | None = None) -> int | None:
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(self.grace_s if grace_s is None else grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class ParleyServer(ServerProcess):
    """One `parley` process on a free port and the given data dir, with the bench settings."""

    name = "parley"

    def __init__(self, binary: Path, data_dir: Path, max_connections: int, extra_env: dict | None = None,
                 port: int | None = None, log_name: str = "server.log"):
        super().__init__(port or free_port(), data_dir / log_name)
        self.binary = binary
        self.data_dir = data_dir
        self.env = dict(os.environ)
        self.env.update(BENCH_SETTINGS)
        self.env.update({
            "PARLEY_LISTEN": f"127.0.0.1:{self.port}",
            "PARLEY_DATA_DIR": str(data_dir),
            "PARLEY_WEB_DIR": str(data_dir / "no-web"),
            "PARLEY_MAX_CONNECTIONS": str(max_connections),
        })
        self.env.update(extra_env or {})
        self.settings = {k: v for k, v in self.env.items() if k.startswith("PARLEY_")}

    def start(self, timeout_s: float = 30) -> "ParleyServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.spawn([str(self.binary)], timeout_s, env=self.env, cwd=self.data_dir)
