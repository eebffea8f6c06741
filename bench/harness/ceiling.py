"""The ceiling server (bench/ceiling/, `parley-ceiling`): a broadcast WebSocket server built
from Parley's libraries with nothing but fan-out (no authentication, no storage). Same
interface as ParleyServer: start, stop, pid, ws_url, log_path.

It has no users: a connection's group rides in the upgrade target (`/ws?group=G`), and
parley-loadgen's `ceiling` protocol takes G from the credential's token, so a credentials
file for it is `NAME GROUP` per line."""

from pathlib import Path

from .server import ServerProcess, free_port

PROTOCOL = "ceiling"  # parley-loadgen --protocol


def write_credentials(out: Path, groups: list[str], prefix: str = "bench") -> None:
    """One line per connection: `NAME GROUP`, connection i in groups[i]."""
    out.write_text("".join(f"{prefix}{i:05d} {g}\n" for i, g in enumerate(groups)))


class CeilingServer(ServerProcess):
    """One parley-ceiling process; `with` stops it. Its I/O threads default to one per core,
    the same rule as Parley's PARLEY_IO_THREADS=0."""

    name = "parley-ceiling"
    health_path = "/health"
    grace_s = 10.0

    def __init__(self, binary: Path, work_dir: Path, log_name: str = "ceiling.log"):
        super().__init__(free_port(), work_dir / log_name)
        self.argv = [str(binary), "--listen", f"127.0.0.1:{self.port}"]

    def start(self, timeout_s: float = 10) -> "CeilingServer":
        return self.spawn(self.argv, timeout_s)
