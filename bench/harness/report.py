"""Combining generator reports, medians over repeats, and the JSON + Markdown report."""

import json
import math
import os
import platform
import statistics
import subprocess
from datetime import datetime, timezone
from pathlib import Path


def merge_histograms(hists: list[dict]) -> dict:
    """Adds the raw [low, high, count] buckets (microseconds) of several generators and
    recomputes the summary the way parley-loadgen does (a bucket's high bound, capped at max)."""
    buckets: dict[tuple[int, int], int] = {}
    count, total, lo, hi = 0, 0.0, math.inf, 0.0
    for h in hists:
        if not h or not h.get("count"):
            continue
        for low, high, n in h["buckets"]:
            buckets[(low, high)] = buckets.get((low, high), 0) + n
        count += h["count"]
        total += h["mean"] * h["count"]
        lo = min(lo, h["min"])
        hi = max(hi, h["max"])
    if count == 0:
        return {"count": 0, "min": 0, "mean": 0, "p50": 0, "p90": 0, "p99": 0, "p999": 0, "max": 0}
    ordered = sorted(buckets.items())

    def pct(q: float) -> float:
        rank = max(1, math.ceil(q * count))
        seen = 0
        for (_, high), n in ordered:
            seen += n
            if seen >= rank:
                return min(high / 1000.0, hi)
        return hi

    return {"count": count, "min": lo, "mean": total / count, "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99),
            "p999": pct(0.999), "max": hi}


def add_counts(dicts: list[dict]) -> dict:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in (d or {}).items():
            out[k] = out.get(k, 0) + v
    return out


def median_of(runs: list[dict], path: str):
    """The median of a numeric field (dotted path) over runs; None when absent."""
    values = []
    for r in runs:
        v = r
        for part in path.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            values.append(v)
    return statistics.median(values) if values else None


def cpu_table(runs: list[dict], title: str, phase: str, work: float, per: tuple[str, float, int]) -> list[str]:
    """Where the CPU time of a distributed stack went in one phase: each process's CPU seconds
    (runs[i][phase]["cpu_s"]), medians over the runs, as a share of the stack's and per unit of
    work: `work` units were done, per = (column label, scale, digits), e.g. ("CPU ms per stored
    message", 1000, 3). Markdown lines, a blank one first."""
    names = list(runs[0][phase]["cpu_s"])
    total = median_of([{"t": sum(r[phase]["cpu_s"].values())} for r in runs], "t") or 1
    label, scale, digits = per
    out = ["", f"## {title}", "", f"| process | CPU s | share | {label} |", "|---|---|---|---|"]
    work = work or 1
    for name in sorted(names, key=lambda n: -(median_of(runs, f"{phase}.cpu_s.{n}") or 0)):
        cpu = median_of(runs, f"{phase}.cpu_s.{name}") or 0
        out.append(f"| {name} | {fmt(cpu, 2)} | {fmt(100 * cpu / total, 0)}% | {fmt(scale * cpu / work, digits)} |")
    return out


def environment(repo: Path) -> dict:
    def run(*cmd):
        try:
            return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem_kib / 1048576, 1),
        "commit": run("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(run("git", "status", "--porcelain", "--untracked-files=no")),
        "compiler": run("c++", "--version").splitlines()[0] if run("c++", "--version") else "",
    }


def write(results_dir: Path, name: str, doc: dict, markdown: str) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    # Dated first so reports sort by time; the Markdown may be committed, the JSON stays local.
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M%S")
    json_path = results_dir / f"{stamp}-{name}.json"
    md_path = results_dir / f"{stamp}-{name}.md"
    json_path.write_text(json.dumps(doc, indent=2) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def fmt(v, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"
