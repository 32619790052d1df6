"""Helpers shared by the benchmark scripts: results go to benchmarks/results/<name>.json."""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))


def machine_speed() -> float:
    """CPU seconds for a fixed pure-Python loop: the state of this shared VM when a figure was taken."""
    started = time.process_time()
    total = 0
    for i in range(5_000_000):
        total += i
    return round(time.process_time() - started, 3)


_SPEED_AT_START = machine_speed()


def save(name: str, figures: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = {
        "benchmark": name,
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()} · {__import__('os').cpu_count()} cores · Python {platform.python_version()}",
        "loop_5m_cpu_seconds": f"{_SPEED_AT_START}–{machine_speed()}",
        **figures,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(figures, ensure_ascii=False, indent=2))


def peak_rss_mb_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (MB) of a child process."""
    started = time.perf_counter()
    before = peak_rss_mb_children()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    return wall, max(peak_rss_mb_children(), before), proc
