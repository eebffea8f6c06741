"""The distributed stack for the cluster tests: `scripts/cluster.sh` starts Redis, Kafka,
FerretDB, the gateway and every service (two `message` instances, two `ws` nodes) on free
ports, with the ASan+UBSan build, state under a temporary directory.

`Stack` knows each instance's address and pid, kills one (SIGKILL), brings stopped ones back
(`cluster.sh start` starts only what is not running), and restarts Redis or Kafka. At
teardown everything is stopped and the logs are checked for sanitizer reports.

`Member` is a client the way a real one behaves: one WebSocket connection to a node it picks,
sends retried with the same client_id until stored, reconnection with `sync` from the last
seq it holds, and a record of every message it saw.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from harness import FAST_ARGON2, REPO_ROOT, parallel
from ws_client import WsClient, cid

CLUSTER = REPO_ROOT / "scripts" / "cluster.sh"
INFRA = REPO_ROOT / "scripts" / "infra"
SERVICES = ("auth", "user", "chat", "message-1", "message-2", "notification", "ws-1", "ws-2")
PARTITIONS = 4
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_range(n: int, start: int) -> int:
    """A port P with P..P+n-1 free, searched upward from `start`."""
    base = start
    while base < 32000:
        if all(port_free(base + i) for i in range(n)):
            return base
        base += n
    raise AssertionError(f"no {n} consecutive free ports")


def partition_of(key: str, partitions: int = PARTITIONS) -> int:
    """The partition Kafka's producer (librdkafka's default partitioner) puts a key in."""
    return zlib.crc32(key.encode()) % partitions


@dataclass
class Node:
    """What ws_client needs to connect to an instance."""
    name: str
    host: str
    port: int

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


class Stack:
    def __init__(self, root: Path, smtp_url: str):
        self.root = root
        self.gateway_port = free_range(9, 21000 + os.getpid() % 4000)
        infra = free_range(4, self.gateway_port + 9)
        self.redis_port, self.kafka_port, self.mongo_port = infra, infra + 1, infra + 3
        service_env = {
            "PARLEY_SMTP_URL": smtp_url, "PARLEY_MAIL_FROM": "parley-test@example.com",
            "PARLEY_RATE_IP_PER_MIN": "100000", "PARLEY_RATE_ACCOUNT_PER_MIN": "100000",
            "PARLEY_SEND_PER_MIN": "1000000", "PARLEY_SEND_BURST": "100000",
            "PARLEY_OTP_RESEND_COOLDOWN_S": "0", "PARLEY_KAFKA_PARTITIONS": str(PARTITIONS),
            "PARLEY_KAFKA_SESSION_TIMEOUT_MS": "6000", **FAST_ARGON2,
        }
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")},
            "PARLEY_CLUSTER_BUILD": "asan", "PARLEY_CLUSTER_DIR": str(root),
            "PARLEY_INFRA_DIR": str(root / "infra"),
            "PARLEY_CLUSTER_PORT": str(self.gateway_port), "PARLEY_CLUSTER_REDIS_PORT": str(self.redis_port),
            "PARLEY_CLUSTER_KAFKA_PORT": str(self.kafka_port), "PARLEY_CLUSTER_MONGO_PORT": str(self.mongo_port),
            "PARLEY_CLUSTER_SERVICE_ENV": " ".join(f"{k}={v}" for k, v in service_env.items()),
            "PARLEY_CLUSTER_GATEWAY_ENV": "PARLEY_RATE_IP_PER_MIN=100000",
        }
        self.gateway = Node("gateway", "127.0.0.1", self.gateway_port)
        self.nodes = {name: Node(name, "127.0.0.1", self.gateway_port + 1 + i) for i, name in enumerate(SERVICES)}

    # ------------------------------------------------------------------ the script

    def script(self, *args: str, timeout: float = 900) -> str:
        r = subprocess.run([str(CLUSTER), *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"cluster.sh {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r.stdout

    def start(self) -> None:
        """Starts whatever is not running and waits until it is ready."""
        self.script("start")

    def stop(self) -> None:
        self.script("stop")

    def infra(self, server: str, command: str) -> None:
        port = {"redis": self.redis_port, "kafka": self.kafka_port}[server]
        r = subprocess.run([str(INFRA / f"{server}.sh"), command, str(port)], env=self.env, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, f"{server}.sh {command} exited {r.returncode}\n{r.stderr}"

    # ------------------------------------------------------------------ instances

    def pid(self, name: str) -> int:
        return int((self.root / "pids" / f"{name}.pid").read_text())

    def kill9(self, name: str) -> None:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                return
            if state in ("Z", "X"):
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} (pid {pid}) still alive after SIGKILL")

    def restart(self, name: str, settings: dict[str, str] | None = None, timeout: float = 15) -> None:
        """Stops one instance with SIGTERM (it must be gone within `timeout`) and starts it again,
        with `settings` added to its environment (later starts get the stack's own again)."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    break
            except OSError:
                break
            assert time.monotonic() < deadline, f"{name} (pid {pid}) still running {timeout} s after SIGTERM"
            time.sleep(0.05)
        base = self.env["PARLEY_CLUSTER_SERVICE_ENV"]
        self.env["PARLEY_CLUSTER_SERVICE_ENV"] = " ".join([base, *(f"{k}={v}" for k, v in (settings or {}).items())])
        try:
            self.start()
        finally:
            self.env["PARLEY_CLUSTER_SERVICE_ENV"] = base

    def partitions_of(self, name: str, group: str = "message-commands") -> set[int]:
        """The partitions the instance's consumer in `group` holds, from its last assignment log."""
        held: set[int] = set()
        for line in self.log(name).splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("mod") == "kafka" and entry.get("group") == group:
                parts = {int(p) for p in entry["partitions"].split(",") if p}
                held = parts if entry["msg"] == "partitions assigned" else held - parts
        return held

    def settled_partitions(self, names: tuple[str, ...], timeout: float = 60) -> dict[str, set[int]]:
        """Waits until the instances hold every partition between them, each some."""
        deadline = time.monotonic() + timeout
        while True:
            held = {n: self.partitions_of(n) for n in names}
            if all(held.values()) and set().union(*held.values()) == set(range(PARTITIONS)) and \
                    sum(map(len, held.values())) == PARTITIONS:
                return held
            assert time.monotonic() < deadline, f"partitions not settled: {held}"
            time.sleep(0.2)

    def log(self, name: str) -> str:
        path = self.root / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sanitizer_reports(self) -> list[str]:
        out = []
        for path in sorted((self.root / "logs").glob("*.log*")):
            text = path.read_text(errors="replace")
            out += [f"{path.name}: {m}" for m in SANITIZER_MARKS if m in text]
        return out

    def log_tails(self, lines: int = 25) -> str:
        parts = []
        for path in sorted((self.root / "logs").glob("*.log")):
            tail = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            parts.append(f"--- {path.name}\n{tail}")
        return "\n".join(parts)


# --------------------------------------------------------------------------- clients

RETRYABLE_CLOSE = (1006, 1011, 1012, 1013, None)


class Member:
    """A member of one chat, connected to one node at a time; `nodes()` says which are up."""

    def __init__(self, acct, chat: str, nodes, name: str, first: int = 0):
        self.acct = acct
        self.chat = chat
        self.nodes = nodes
        self.name = name
        self.conn: WsClient | None = None
        self.connections: list[WsClient] = []
        self.seen: dict[int, str] = {}  # seq -> message id, from every connection
        self.acks: dict[str, list[dict]] = {}  # client_id -> stored acks received
        self.errors: list[dict] = []  # retryable errors met on the way
        self._turn = first  # which of nodes() to try first

    # ------------------------------------------------------------------ connection

    def absorb(self, conn: WsClient) -> None:
        for f in conn.snapshot():
            if f.get("type") == "message.new" and f["data"]["chat_id"] == self.chat:
                seq, mid = f["data"]["seq"], f["data"]["id"]
                assert self.seen.setdefault(seq, mid) == mid, f"{self.name}: seq {seq} is two messages"

    def contiguous(self) -> int:
        seq = 0
        while seq + 1 in self.seen:
            seq += 1
        return seq

    def connect(self, deadline: float) -> None:
        """(Re)connects to a node that is up and catches up with sync."""
        if self.conn is not None:
            self.absorb(self.conn)
            self.conn.abort()
        last = None
        while time.monotonic() < deadline:
            up = self.nodes()
            node = up[self._turn % len(up)] if up else None
            self._turn += 1
            if node is None:
                time.sleep(0.2)
                continue
            try:
                conn = WsClient(node, self.acct.access, name=f"{self.name}@{node.name}")
                hello = conn.wait_for(lambda f: True, what="hello")
                if hello.get("type") != "hello":
                    raise AssertionError(f"first frame {hello}")
                ack = conn.request({"type": "sync", "chats": [{"chat_id": self.chat, "after_seq": self.contiguous()}]},
                                   timeout=20)
                if ack.get("status") != "synced":
                    raise AssertionError(f"sync answered {ack}")
                self.conn = conn
                self.connections.append(conn)
                return
            except Exception as e:  # noqa: BLE001 - a node going down while we connect: try again
                last = repr(e)
                time.sleep(0.2)
        raise AssertionError(f"{self.name}: could not connect before the deadline ({last})")

    # ------------------------------------------------------------------ sending

    def send_until_stored(self, client_id: str, body: str, deadline: float, attempt_timeout: float = 20) -> dict:
        """Sends, and on an error, a lost connection or a missing answer resends with the same
        client_id (reconnecting first when needed), until stored; returns the stored ack."""
        while time.monotonic() < deadline:
            conn = self.conn
            if conn is None or conn.ended.is_set():
                self.connect(deadline)
                continue
            try:
                _, final = conn.send_message(self.chat, client_id, body, timeout=attempt_timeout)
            except Exception:  # noqa: BLE001 - closed under us or no answer in time: retry
                if conn.ended.is_set():
                    assert conn.close_code in RETRYABLE_CLOSE, f"{self.name}: closed with {conn.close_code}"
                continue
            if final.get("type") == "ack" and final.get("status") == "stored":
                self.acks.setdefault(client_id, []).append(final)
                return final
            assert final.get("type") == "error" and final.get("code") in ("log_unavailable", "storage_unavailable",
                                                                            "unavailable", "upstream_unavailable"), (
                f"{self.name}: a send was refused for good: {final}")
            self.errors.append(final)
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: {client_id} not stored before the deadline")

    def catch_up(self, deadline: float) -> None:
        """A last sync on the current connection (after a reconnect if it is gone)."""
        while self.conn is None or self.conn.ended.is_set():
            self.connect(deadline)
        self.absorb(self.conn)
        ack = self.conn.request({"type": "sync", "chats": [{"chat_id": self.chat, "after_seq": self.contiguous()}]},
                                timeout=20)
        assert ack.get("status") == "synced", ack
        self.absorb(self.conn)

    def close(self) -> None:
        for c in self.connections:
            c.abort()


def send_load(members: list[Member], per_member: int, deadline: float, pace_s: float = 0.02) -> dict[str, dict]:
    """Every member sends `per_member` messages (one at a time, each until stored), all in
    parallel; returns client_id -> its (first) stored ack."""
    stored: dict[str, dict] = {}
    lock = threading.Lock()

    def run(m: Member):
        for i in range(per_member):
            key = f"{m.name}-{i}-{cid()[:8]}"
            ack = m.send_until_stored(key, f"body of {key}", deadline)
            with lock:
                stored[key] = ack
            time.sleep(pace_s)

    parallel(run, members, timeout=max(1.0, deadline - time.monotonic() + 5))
    assert len(stored) == len(members) * per_member
    return stored


def started_sends(members: list[Member]) -> int:
    return sum(len(m.acks) for m in members)
