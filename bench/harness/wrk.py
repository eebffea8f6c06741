"""wrk, the HTTP load generator of the `rest` scenario: its binary (installed by
bench/tools/wrk.sh when missing) and one run of it with bench/wrk/requests.lua, which sends
the requests listed in a file, each with its own user's token."""

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path


def binary(repo: Path) -> Path:
    """The wrk binary, installed first when missing (Debian package `wrk`)."""
    out = subprocess.run([str(repo / "bench" / "tools" / "wrk.sh")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def version(path: Path) -> str:
    """`4.1.0-3+b2 [epoll]`: the first line of `wrk --version`, less the name and copyright."""
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10)
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    return first.removeprefix("wrk ").split(" Copyright")[0].removeprefix("debian/")


def run(wrk: Path, script: Path, base_url: str, requests_file: Path, threads: int, connections: int,
        duration_s: float, once: bool = False, timeout_s: float = 10) -> dict:
    """Runs wrk until `duration_s` (with `once`: until every thread sent its share of the lines
    once and had them answered, `duration_s` being the limit) and returns what done() printed,
    plus the CPU seconds wrk used (`cpu_s`) and its wall time (`wall_s`)."""
    argv = [str(wrk), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration_s))}s",
            "--timeout", f"{timeout_s:g}s", "-s", str(script), base_url, "--", str(requests_file), str(threads)]
    if once:
        argv.append("once")
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    result: dict = {}
    done_threads = set()
    stderr: list[str] = []

    def pump():
        assert proc.stdout
        for line in proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if "thread_done" in event:
                done_threads.add(event["thread_done"])
                if once and len(done_threads) == threads:
                    proc.send_signal(signal.SIGINT)  # wrk then stops every thread and calls done()
            elif "wrk" in event:
                result.update(event["wrk"])

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    err_reader = threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True)
    err_reader.start()
    # wait4 rather than wait: the child's rusage is its CPU time, gone from /proc once it exits.
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(5)
    err_reader.join(5)
    if proc.returncode != 0 or not result:
        raise RuntimeError(f"wrk exited with {proc.returncode}: {''.join(stderr)[-1000:]}")
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    result["wall_s"] = time.monotonic() - started
    result["threads"], result["connections"] = threads, connections
    return result
