"""`nianbao run`: materialize every asset in-process for an inbox and publish the warehouse."""
from __future__ import annotations

import os
import time
from pathlib import Path

from .settings import VAR, default_paths, demo_settings


def ensure_demo(folder: Path, count: int | None = None) -> None:
    """Generate the bundled demo set once (deterministic: same seed, same documents)."""
    settings = demo_settings()["demo"]
    count = count if count is not None else settings["count"]
    truth = folder / "truth.jsonl"
    if truth.exists() and sum(1 for _ in truth.open(encoding="utf-8")) == count:
        return
    from .demo.generate import generate

    print(f"generating {count} synthetic demo documents (示例数据) in {folder} …", flush=True)
    generate(folder, seed=settings["seed"], count=count, formats=settings["formats"])


def run_main_job(inbox: str | None = None, warehouse: str | None = None, demo_count: int | None = None) -> int:
    from dagster import DagsterInstance, materialize

    from .assets import ALL_ASSETS, NianbaoSettings
    from .checks import ALL_CHECKS

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(VAR / "dagster_home"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    paths = default_paths()
    if inbox:
        paths["inbox_dirs"] = [str(Path(inbox).resolve())]
    elif demo_count != 0:
        ensure_demo(Path(paths["inbox_dirs"][1]), demo_count)
    if warehouse:
        paths["warehouse_path"] = str(Path(warehouse).resolve())
    settings = NianbaoSettings(**paths, province=demo_settings().get("province_context", ""))
    started = time.perf_counter()
    result = materialize([*ALL_ASSETS, *ALL_CHECKS], resources={"settings": settings},
                         instance=DagsterInstance.get(), raise_on_error=False)
    elapsed = time.perf_counter() - started
    ok = result.success
    print(f"main job {'succeeded' if ok else 'FAILED'} in {elapsed:.1f} s; published {paths['published_path']}", flush=True)
    return 0 if ok else 1
