"""Scale-out: 10,000 generated documents through the main job with the in-process executor (1 worker) and with
Dagster's multiprocess executor (2 workers), in one run of this script; wall time, speed-up and peak memory."""
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


def timed_run(corpus: Path, workdir: Path, workers: int) -> dict:
    env = {**os.environ, "NIANBAO_VAR": str(workdir / "var"), "DAGSTER_HOME": str(workdir / "home")}
    (workdir / "home").mkdir(parents=True)
    command = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(corpus), "--workers", str(workers)]
    started = time.perf_counter()
    # GNU time's report is not needed: peak memory per process comes from /usr/bin/time -v when present
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    done = subprocess.run(timer + command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    peak = next((int(line.split(":")[1]) / 1024 for line in done.stderr.splitlines()
                 if "Maximum resident set size" in line), None)
    steps = parse_step_peaks(workdir / "home")
    return {"seconds": round(seconds, 1), "peak_rss_mb_largest_process": round(peak) if peak else None,
            "parse_step_peak_rss_mb": {"max": max(steps), "median": statistics.median(steps)} if steps else None}


def parse_step_peaks(home: Path) -> list[float]:
    """Peak memory each parse step reported (its own process's, with workers), from the run's event log."""
    from dagster import DagsterEventType, DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    os.environ["DAGSTER_HOME"] = str(home)  # our dagster.yaml puts the storage under it
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        run = instance.get_runs(limit=1)[0]
        peaks = []
        for record in instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_OUTPUT).records:
            event = record.event_log_entry.dagster_event
            metadata = event.event_specific_data.metadata
            if "parse_partition" in (event.step_key or "") and "peak_rss_mb" in metadata:
                peaks.append(metadata["peak_rss_mb"].value)
        return peaks


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-scale-"))
    corpus = workdir / "corpus"
    generate(corpus, seed=17, count=COUNT)
    (corpus / "truth.jsonl").unlink()
    one = timed_run(corpus, workdir / "one", 1)
    two = timed_run(corpus, workdir / "two", 2)
    shutil.rmtree(workdir)
    save("scale", {"documents": COUNT, "one_worker": one, "two_workers": two,
                   "speedup": round(one["seconds"] / two["seconds"], 2)})


if __name__ == "__main__":
    main()
