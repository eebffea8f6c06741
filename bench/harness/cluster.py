"""The distributed stack for a benchmark: scripts/cluster.sh (Release build) on free ports
with its own state dir; every process's pid, so a run can say where the CPU time went.

FerretDB runs on its PostgreSQL backend here (scripts/infra/ferretdb.sh): its SQLite backend
evaluates every filter but `_id` equality in Go over the whole collection, so a send would
cost O(documents stored) and the store would be all the run measured."""

import os
import socket
import subprocess
from pathlib import Path

from . import procstat

INSTANCES = ("auth", "user", "chat", "message-1", "message-2", "notification", "ws-1", "ws-2", "gateway")
INFRA = ("redis", "kafka", "ferretdb")


def _free_range(n: int) -> int:
    base = 24000
    while base < 32000:
        ok = True
        for i in range(n):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", base + i)) == 0:
                    ok = False
                    break
        if ok:
            return base
        base += n
    raise RuntimeError(f"no {n} free consecutive ports")


class Cluster:
    """`with Cluster(...) as c:` starts the whole stack and stops it at the end."""

    def __init__(self, repo: Path, state: Path, service_env: dict, keep: bool = False):
        self.repo, self.state, self.keep = repo, state, keep
        self.port = _free_range(13)  # gateway + 8 services, then Redis, Kafka (+controller), FerretDB
        self.infra_ports = {"redis": self.port + 9, "kafka": self.port + 10, "ferretdb": self.port + 12}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        self.env.update({
            "PARLEY_CLUSTER_DIR": str(state), "PARLEY_INFRA_DIR": str(state / "infra"),
            "PARLEY_CLUSTER_PORT": str(self.port), "PARLEY_CLUSTER_REDIS_PORT": str(self.infra_ports["redis"]),
            "PARLEY_CLUSTER_KAFKA_PORT": str(self.infra_ports["kafka"]),
            "PARLEY_CLUSTER_MONGO_PORT": str(self.infra_ports["ferretdb"]),
            "PARLEY_CLUSTER_SERVICE_ENV": " ".join(f"{k}={v}" for k, v in service_env.items()),
            "PARLEY_CLUSTER_GATEWAY_ENV": "PARLEY_RATE_IP_PER_MIN=1000000",
            "PARLEY_FERRETDB_BACKEND": "postgresql",
        })

    def _script(self, command: str):
        subprocess.run([str(self.repo / "scripts" / "cluster.sh"), command], env=self.env, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=1800)

    def __enter__(self):
        try:
            self._script("start")
        except BaseException:
            self._script("stop")  # whatever did start
            raise
        return self

    def __exit__(self, *exc):
        self._script("stop")
        if self.keep:
            return
        # PostgreSQL's data may live outside the state dir (ferretdb.sh): removed with it
        subprocess.run([str(self.repo / "scripts" / "infra" / "ferretdb.sh"), "clean", str(self.infra_ports["ferretdb"])],
                       env=self.env, check=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=120)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_data_dir(self) -> Path:
        """Where the auth service writes its development mail (users.py reads <dir>/mail)."""
        return self.state / "data" / "auth"

    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{self.port + 1 + INSTANCES.index(n)}" for n in ("ws-1", "ws-2")]

    def pids(self) -> dict[str, int]:
        out = {n: int((self.state / "pids" / f"{n}.pid").read_text()) for n in INSTANCES}
        for name in INFRA:
            out[name] = int((self.state / "infra" / f"{name}-{self.infra_ports[name]}" / f"{name}.pid").read_text())
        postgres = self.state / "infra" / f"ferretdb-{self.infra_ports['ferretdb']}" / "postgresql.pid"
        out["postgresql"] = int(postgres.read_text())
        return out

    def wait_quiet(self, limit_s: float) -> tuple[float, bool]:
        """procstat.settle_on for the whole stack, whose idle processes (Kafka's JVM above all)
        use a little CPU of their own: quiet is under 0.3 of a core for all of them."""
        return procstat.settle_on(lambda: sum(self.cpu().values()), limit_s, quiet_cores=0.3)

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of every process of the stack (PostgreSQL: with its backends)."""
        return {name: (procstat.tree_cpu_seconds if name == "postgresql" else procstat.cpu_seconds)(pid)
                for name, pid in self.pids().items()}
