"""Scale-out: 10,000 generated documents through the main job with the in-process executor (1 worker) and with
Dagster's multiprocess executor (2 workers), in one run of this script; wall time, speed-up and peak memory.

Runs alternate (1, 2, 1, 2, …; PAIRS pairs, each run on a fresh warehouse) and the figures are medians: single runs
on this shared VM vary by ±8%. Each run also says where its time went (parse steps vs the single steps)."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import save

from pipelines.demo.generate import generate

COUNT = 10_000
PAIRS = 3


def timed_run(corpus: Path, workdir: Path, workers: int) -> dict:
    env = {**os.environ, "NIANBAO_VAR": str(workdir / "var"), "DAGSTER_HOME": str(workdir / "home")}
    (workdir / "home").mkdir(parents=True)
    command = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(corpus), "--workers", str(workers)]
    started = time.perf_counter()
    # peak memory of the largest process comes from GNU time when present
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    done = subprocess.run(timer + command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    peak = next(
        (int(line.split(":")[1]) / 1024 for line in done.stderr.splitlines() if "Maximum resident set size" in line),
        None,
    )
    steps, phases = read_event_log(workdir / "home")
    phases["outside_the_run"] = round(seconds - sum(phases.values()), 1)
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb_largest_process": round(peak) if peak else None,
        "parse_step_peak_rss_mb": {"max": max(steps), "median": statistics.median(steps)} if steps else None,
        "phases_seconds": phases,
    }


def read_event_log(home: Path) -> tuple[list[float], dict]:
    """Each parse step's reported peak memory (with workers: its own process's) and the run's phases: the steps
    before parsing, the parse steps (first start to last end), loading the shards, and the steps after."""
    from dagster import DagsterEventType, DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    os.environ["DAGSTER_HOME"] = str(home)  # our dagster.yaml puts the storage under it
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        run = instance.get_runs(limit=1)[0]
        peaks, times = [], {}
        for record in instance.get_records_for_run(run.run_id).records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:
                continue
            times.setdefault(event.event_type, {}).setdefault(event.step_key, entry.timestamp)
            if event.event_type == DagsterEventType.STEP_SUCCESS:
                times.setdefault("end", {})[event.step_key] = entry.timestamp
            if event.event_type == DagsterEventType.STEP_OUTPUT and "parse_partition" in (event.step_key or ""):
                metadata = event.event_specific_data.metadata
                if "peak_rss_mb" in metadata:
                    peaks.append(metadata["peak_rss_mb"].value)
    begun = times[DagsterEventType.RUN_START][None]
    finished = times[DagsterEventType.RUN_SUCCESS][None]
    parse_starts = [t for key, t in times[DagsterEventType.STEP_START].items() if "parse_partition" in key]
    parse_ends = [t for key, t in times["end"].items() if "parse_partition" in key]
    load_end = times["end"]["parsed_reports.load_shards"]
    phases = {
        "before_parsing": min(parse_starts) - begun,
        "parse_steps": max(parse_ends) - min(parse_starts),
        "load_shards": load_end - max(parse_ends),
        "after_loading": finished - load_end,
    }
    return peaks, {name: round(value, 1) for name, value in phases.items()}


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's time beside it."""
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    return {**middle, "all_runs_seconds": [run["seconds"] for run in runs]}


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-scale-"))
    corpus = workdir / "corpus"
    generate(corpus, seed=17, count=COUNT)
    (corpus / "truth.jsonl").unlink()
    runs = {1: [], 2: []}
    for pair in range(PAIRS):
        for workers in (1, 2):
            run = timed_run(corpus, workdir / f"run{pair}-{workers}", workers)
            runs[workers].append(run)
            print(
                f"pair {pair + 1}/{PAIRS}, {workers} worker(s): {run['seconds']} s {run['phases_seconds']}", flush=True
            )
            shutil.rmtree(workdir / f"run{pair}-{workers}")
    shutil.rmtree(workdir)
    one, two = median_run(runs[1]), median_run(runs[2])
    save(
        "scale",
        {
            "documents": COUNT,
            "pairs": PAIRS,
            "one_worker": one,
            "two_workers": two,
            "speedup": round(one["seconds"] / two["seconds"], 2),
            "speedup_per_pair": [round(a["seconds"] / b["seconds"], 2) for a, b in zip(runs[1], runs[2], strict=False)],
        },
    )


if __name__ == "__main__":
    main()
