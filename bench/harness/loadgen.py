"""Runs parley-loadgen processes side by side and collects their JSON-line events.

Each process is limited by its descriptors (at most 20,000 here), so a large run is split
over several; they share the machine's cores with the server, which is part of what the
numbers mean (see bench/README.md)."""

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path


class Generator:
    """One parley-loadgen process; stdout events are queued, stderr passes through."""

    def __init__(self, argv: list[str]):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.events: queue.Queue = queue.Queue()
        self.status: dict = {}  # the latest {"event":"status",...}: counts while holding
        threading.Thread(target=self._pump, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _pump(self):
        assert self.proc.stdout
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event.get("event") == "status":
                self.status = event
            else:
                self.events.put(event)
        self.events.put(None)  # end of output

    def wait_event(self, name: str, timeout_s: float) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"loadgen {self.pid}: no '{name}' within {timeout_s:.0f} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event is None:
                raise RuntimeError(f"loadgen {self.pid} exited ({self.proc.wait()}) before '{name}'")
            if event.get("event") == name:
                return event

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# Connections per loopback source address: each address has ~14,000 even ephemeral ports
# per destination, and connect() gets slow as they fill up (see ws_session.hpp).
PER_SOURCE_IP = 4000


def source_ips(generator: int, connections: int) -> list[str]:
    """Loopback addresses for one generator, disjoint from the other generators'."""
    count = max(1, -(-connections // PER_SOURCE_IP))
    return [f"127.0.{generator + 1}.{i + 1}" for i in range(count)]


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def start_generators(binary: Path, scenario: str, url: str, credentials: Path, connections: int, procs: int,
                     threads: int, concurrency: int, rate: float, timeout_ms: int, extra: list[str] | None = None
                     ) -> list[Generator]:
    """Starts `procs` generators that together open `connections`, each holding until stopped."""
    gens = []
    first = 0
    for i, n in enumerate(split(connections, procs)):
        if n == 0:
            continue
        argv = [str(binary), scenario, "--url", url, "--credentials", str(credentials),
                "--first-credential", str(first), "--connections", str(n), "--threads", str(threads),
                "--concurrency", str(max(1, concurrency // procs)), "--rate", str(rate / procs),
                "--timeout-ms", str(timeout_ms), "--hold", "0", "--source-ips", ",".join(source_ips(i, n)),
                *(extra or [])]
        gens.append(Generator(argv))
        first += n
    return gens
