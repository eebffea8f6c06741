"""What Linux says about a process: memory, descriptors, threads and CPU time (/proc)."""

import os
import time

_TICKS = os.sysconf("SC_CLK_TCK")


def sample(pid: int) -> dict:
    """VmRSS/VmHWM/RssAnon in KiB, open descriptors, threads and CPU seconds of `pid`."""
    out = {"pid": pid}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key.lower() + "_kib"] = int(value.split()[0])
            elif key == "Threads":
                out["threads"] = int(value)
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    out["cpu_s"] = cpu_seconds(pid)
    return out


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time consumed so far by `pid` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "(comm)": state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid`, of its children that it has reaped, and of every live descendant:
    a server made of processes, such as PostgreSQL's postmaster and its backends."""
    parent_of, stat_of = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        parent_of[int(entry)], stat_of[int(entry)] = int(fields[1]), fields
    if pid not in stat_of:
        return 0.0
    root = stat_of[pid]
    ticks = sum(int(x) for x in root[11:15])  # utime, stime, cutime, cstime
    tree = {pid}
    grew = True
    while grew:
        grew = False
        for p, parent in parent_of.items():
            if parent in tree and p not in tree:
                tree.add(p)
                ticks += int(stat_of[p][11]) + int(stat_of[p][12])
                grew = True
    return ticks / _TICKS


def settle_on(cpu_seconds, limit_s: float = 20, quiet_cores: float = 0.1) -> tuple[float, bool]:
    """Waits until a server is quiet: `cpu_seconds()` (its CPU time so far, over all its
    processes) grows by less than `quiet_cores` of a core for 0.25 s. Returns the seconds waited
    and whether it got quiet (False: `limit_s` ran out)."""
    started = time.monotonic()
    last = cpu_seconds()
    while time.monotonic() - started < limit_s:
        time.sleep(0.25)
        now = cpu_seconds()
        if now - last < 0.25 * quiet_cores:
            return time.monotonic() - started, True
        last = now
    return time.monotonic() - started, False
