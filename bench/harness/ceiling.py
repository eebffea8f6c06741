"""The ceiling server (bench/ceiling/, `parley-ceiling`): a broadcast WebSocket server built
from Parley's libraries with nothing but fan-out (no authentication, no storage). Same
interface as ParleyServer: start, stop, pid, ws_url, log_path.

It has no users: a connection's group rides in the upgrade target (`/ws?group=G`), and
parley-loadgen's `ceiling` protocol takes G from the credential's token, so a credentials
file for it is `NAME GROUP` per line."""

import signal
import subprocess
import time
from pathlib import Path

import requests

from .server import free_port

PROTOCOL = "ceiling"  # parley-loadgen --protocol


def write_credentials(out: Path, groups: list[str], prefix: str = "bench") -> None:
    """One line per connection: `NAME GROUP`, connection i in groups[i]."""
    out.write_text("".join(f"{prefix}{i:05d} {g}\n" for i, g in enumerate(groups)))


class CeilingServer:
    """One parley-ceiling process; `with` stops it. Its I/O threads default to one per core,
    the same rule as Parley's PARLEY_IO_THREADS=0."""

    def __init__(self, binary: Path, work_dir: Path, log_name: str = "ceiling.log"):
        self.binary = binary
        self.port = free_port()
        self.log_path = work_dir / log_name
        self.argv = [str(binary), "--listen", f"127.0.0.1:{self.port}"]
        self.proc: subprocess.Popen | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def start(self, timeout_s: float = 10) -> "CeilingServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"parley-ceiling exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"parley-ceiling not ready within {timeout_s} s; see {self.log_path}")

    def stop(self, grace_s: float = 10) -> int | None:
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
