"""What Linux says about a process: memory, descriptors, threads and CPU time (/proc)."""

import os

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
