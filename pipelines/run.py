"""`nianbao run`: materialize every asset in-process for an inbox, publish the warehouse, say what happened."""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from warehouse.paths import Paths

from . import progress
from .settings import demo_settings, resources_for

INSTANCE_YAML = Path(__file__).with_name("dagster.yaml")


def ensure_demo(folder: Path, count: int | None = None) -> None:
    """Generate the bundled demo set once (deterministic: same seed, same documents)."""
    settings = demo_settings()["demo"]
    count = count if count is not None else settings["count"]
    if not count:
        return
    truth = folder / "truth.jsonl"
    if truth.exists() and sum(1 for _ in truth.open(encoding="utf-8")) == count:
        return
    from .demo.generate import generate

    print(f"generating {count} synthetic demo documents (示例数据) in {folder} …", flush=True)
    generate(folder, seed=settings["seed"], count=count, formats=settings["formats"])


def run_main_job(inbox: str | None = None, warehouse: str | None = None, demo_count: int | None = None,
                 published: str | None = None, verbose: bool = False, wait_seconds: float | None = None) -> int:
    from dagster import DagsterInstance, materialize

    from .assets import ALL_ASSETS
    from .checks import ALL_CHECKS

    paths = Paths.resolve(warehouse=warehouse, published=published, inbox=inbox)
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    if not (home / "dagster.yaml").exists():  # storage under DAGSTER_HOME, telemetry off, one run at a time
        shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    if not inbox and demo_count != 0:
        ensure_demo(paths.demo_inbox, demo_count)
    resources = resources_for(paths, wait_seconds)
    # Dagster's per-event lines stay in the run's event log (DAGSTER_HOME); the terminal gets them with -v only
    run_config = {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "ERROR"}}}}
    started = time.perf_counter()
    progress.listen(progress.TerminalBar())
    try:
        result = materialize([*ALL_ASSETS, *ALL_CHECKS], resources=resources, run_config=run_config,
                             instance=DagsterInstance.get(), raise_on_error=False)
    finally:
        progress.listen(None)
    elapsed = time.perf_counter() - started
    if not result.success:
        print(f"main job FAILED after {elapsed:.1f} s: {_failure(result)}", file=sys.stderr, flush=True)
        print(f"nothing was published; the dashboard keeps the last good copy ({paths.published})", file=sys.stderr, flush=True)
        return 1
    print(_summary(result, paths, elapsed), flush=True)
    return 0


def _metadata(result, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    return {}


def _summary(result, paths: Paths, elapsed: float) -> str:
    docs, parsed = _metadata(result, "source_documents"), _metadata(result, "parsed_reports")
    return (f"main job succeeded in {elapsed:.1f} s: {docs.get('files_received', 0)} files received, "
            f"{docs.get('new_documents', 0)} new documents, {parsed.get('reparsed', 0)} re-parsed, "
            f"{parsed.get('ingest_errors', 0)} could not be read, {docs.get('skipped_inputs', 0)} inputs skipped\n"
            f"published {paths.published}")


def _failure(result) -> str:
    """The first error of the run, its innermost cause (a WarehouseBusy or the asset's own exception), one line."""
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None) if event.is_failure else None
        if error is None:
            continue
        while error.cause is not None:
            error = error.cause
        return f"{event.step_key or 'run'}: {error.message.strip().splitlines()[0]}"
    return "see the run's event log in DAGSTER_HOME"
