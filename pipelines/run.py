"""`nianbao run`: materialize every asset in-process for an inbox, publish the warehouse, say what happened."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from warehouse import storage
from warehouse.lock import HELD_BY_PARENT, RunLock, WarehouseBusy
from warehouse.paths import Paths

from . import inbox as inbox_entries
from . import progress
from .settings import demo_settings, resources_for

INSTANCE_YAML = Path(__file__).with_name("dagster.yaml")


def ensure_demo(folder: Path, count: int | None = None) -> None:
    """Generate the bundled demo set once (deterministic: same seed, same documents)."""
    settings = demo_settings()["demo"]
    count = count if count is not None else settings["count"]
    if not count:
        return
    scans = settings.get("scans", 0)
    truth = folder / "truth.jsonl"
    if truth.exists():
        lines = truth.read_text(encoding="utf-8").splitlines()
        scanned = sum(json.loads(line)["format"] in ("scan", "tiff") for line in lines)
        if len(lines) == count and scanned == scans:
            return
    from .demo.generate import generate

    print(f"generating {count} synthetic demo documents (示例数据) in {folder} …", flush=True)
    generate(folder, seed=settings["seed"], count=count, formats=settings["formats"], scans=scans)


# Fewer documents to parse than this: one process. Measured here: 1,000 documents took 27–29 s in-process and
# 25 s on two workers (the worker server takes ~5 s to start, partly hidden behind this process's own start-up).
SMALL_INBOX = 1000


def default_workers(paths: Paths) -> int:
    """The machine's cores when many documents wait to be parsed; in-process otherwise.
    Waiting = files in the inbox − documents already parsed."""
    files = sum(len(inbox_entries.scan([d])[0]) for d in paths.inbox_dirs if d.is_dir())
    return (os.cpu_count() or 1) if files - _parsed_documents(paths) >= SMALL_INBOX else 1


def _parsed_documents(paths: Paths) -> int:
    import duckdb

    from .report import PARSER_VERSION

    if not paths.warehouse.exists():
        return 0
    try:
        con = duckdb.connect(str(paths.warehouse), read_only=True)
    except duckdb.Error:
        return 0  # another run holds it: it will be waited for anyway
    try:
        return storage.parsed_documents(con, PARSER_VERSION)
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _install_instance_settings(home: Path) -> None:
    """Storage under DAGSTER_HOME, telemetry off, one run at a time, quiet step processes: our dagster.yaml, copied
    when the home has none and refreshed when it holds an older copy of ours (a user's own file is left alone)."""
    target = home / "dagster.yaml"
    ours = INSTANCE_YAML.read_text(encoding="utf-8")
    theirs = target.read_text(encoding="utf-8") if target.exists() else None
    if theirs is None or (theirs != ours and theirs.startswith(ours.splitlines()[0])):
        shutil.copyfile(INSTANCE_YAML, target)


def run_main_job(
    inbox: str | None = None,
    warehouse: str | None = None,
    demo_count: int | None = None,
    published: str | None = None,
    verbose: bool = False,
    wait_seconds: float | None = None,
    workers: int | None = None,
) -> int:
    paths = Paths.resolve(warehouse=warehouse, published=published, inbox=inbox)
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    _install_instance_settings(home)
    if not inbox and demo_count != 0:
        ensure_demo(paths.demo_inbox, demo_count)
    workers = workers or default_workers(paths)
    # Dagster's per-event lines stay in the run's event log (DAGSTER_HOME); the terminal gets them with -v only
    run_config = {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "ERROR"}}}}
    started = time.perf_counter()
    progress.listen(progress.TerminalBar())
    try:
        if workers <= 1:
            ok, result = _in_process(paths, run_config, wait_seconds)
        else:
            ok, result = _with_workers(paths, run_config, wait_seconds, workers)
    finally:
        progress.listen(None)
    elapsed = time.perf_counter() - started
    if not ok:
        print(f"main job FAILED after {elapsed:.1f} s: {_failure(result)}", file=sys.stderr, flush=True)
        print(
            f"nothing was published; the dashboard keeps the last good copy ({paths.published})",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print(_summary(result, paths, elapsed) + (f" ({workers} worker processes)" if workers > 1 else ""), flush=True)
    return 0


def _in_process(paths: Paths, run_config: dict, wait_seconds: float | None):
    """The main job with every step in this process (Dagster's in-process executor): no start-up cost per step."""
    from dagster import DagsterInstance

    from .definitions import definitions_for

    job = definitions_for(resources_for(paths, wait_seconds)).resolve_job_def("main_job")
    result = job.execute_in_process(run_config=run_config, instance=DagsterInstance.get(), raise_on_error=False)
    return result.success, result


WORKER_PRELOAD = ["pipelines.worker_preload"]


def start_worker_server() -> None:
    """Start the forkserver the multiprocess executor will use, with the step's libraries preloaded, before this
    process imports Dagster and builds the run: the two start-ups (~5 s each) then overlap on two cores. Dagster's
    executor finds the server running and forks every step process from it — with the server's environment, so
    this must come after every variable the steps read is set."""
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_PRELOAD)
    forkserver.ensure_running()


def stop_worker_server() -> None:
    """The server keeps the environment it started with, so a second run in this process (paths, lock holder)
    must get a new one."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # CPython's own clean shutdown (3.8+); there is no public one


def _with_workers(paths: Paths, run_config: dict, wait_seconds: float | None, workers: int):
    """Dagster's multiprocess executor: each step — one per partition of the parse — in its own process, at most
    `workers` at a time. The worker processes rebuild the code location from the environment set here; this
    process holds the run lock for them all."""
    os.environ.update(
        {
            "NIANBAO_VAR": str(paths.var),
            "NIANBAO_WAREHOUSE": str(paths.warehouse),
            "NIANBAO_PUBLISHED": str(paths.published),
            "NIANBAO_INBOX": os.pathsep.join(str(d) for d in paths.inbox_dirs),
        }
    )
    lock = RunLock(paths.lock)
    try:
        lock.acquire(
            RunLock.DEFAULT_WAIT_SECONDS if wait_seconds is None else wait_seconds,
            on_wait=lambda holder: print(f"waiting for another nianbao run to finish ({holder})", file=sys.stderr),
        )
    except WarehouseBusy as exc:
        return False, exc
    os.environ[HELD_BY_PARENT] = lock.holder()
    verbose = run_config["loggers"]["console"]["config"]["log_level"] == "DEBUG"
    try:
        stop_worker_server()  # one left by an earlier run in this process has that run's environment
        start_worker_server()  # after the environment is set: step processes inherit the server's environment
        from dagster import DagsterInstance, execute_job, reconstructable

        from .definitions import main_job_for_workers

        if not verbose:
            logging.getLogger("dagster").setLevel(logging.ERROR)  # the executor's own step-process lines
        # forkserver with the code location and the libraries every step needs (pipelines/worker_preload.py)
        config = {
            **run_config,
            "execution": {
                "config": {
                    "multiprocess": {
                        "max_concurrent": workers,
                        "start_method": {"forkserver": {"preload_modules": WORKER_PRELOAD}},
                    }
                }
            },
        }
        with execute_job(
            reconstructable(main_job_for_workers),
            instance=DagsterInstance.get(),
            run_config=config,
            raise_on_error=False,
        ) as result:
            return result.success, _Finished(result)
    finally:
        stop_worker_server()
        os.environ.pop(HELD_BY_PARENT, None)
        lock.release()


class _Finished:
    """What the summary needs of a run, read while its result was still open."""

    def __init__(self, result):
        self.all_events = list(result.all_events)
        self._materializations = result.get_asset_materialization_events()

    def get_asset_materialization_events(self):
        return self._materializations


def _metadata(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    return {}


def _summary(result, paths: Paths, elapsed: float) -> str:
    docs, parsed = _metadata(result, "source_documents"), _metadata(result, "parsed_reports")
    scans = f"{parsed['read_by_ocr']} scans read by OCR, " if parsed.get("read_by_ocr") else ""
    return (
        f"main job succeeded in {elapsed:.1f} s: {docs.get('files_received', 0)} files received, "
        f"{docs.get('new_documents', 0)} new documents, {parsed.get('reparsed', 0)} re-parsed, {scans}"
        f"{parsed.get('ingest_errors', 0)} could not be read, {docs.get('skipped_inputs', 0)} inputs skipped\n"
        f"published {paths.published}"
    )


def _failure(result) -> str:
    """The first error of the run, its innermost cause (a WarehouseBusy or the asset's own exception), one line."""
    if isinstance(result, Exception):
        return str(result)
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None) if event.is_failure else None
        if error is None:
            continue
        while error.cause is not None:
            error = error.cause
        return f"{event.step_key or 'run'}: {error.message.strip().splitlines()[0]}"
    return "see the run's event log in DAGSTER_HOME"
