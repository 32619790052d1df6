"""Policy in one place: the bundled demo settings and the resources every run and the code location use.
Paths come from `warehouse.paths.Paths` (shared with the dashboard)."""

from __future__ import annotations

import yaml

from warehouse.paths import Paths, seeds_dir

DEFAULT_DEMO = {"demo": {"seed": 7, "count": 0, "formats": ["html", "txt", "docx", "pdf"]}, "province_context": ""}


def demo_settings() -> dict:
    """seeds/demo.yaml in a checkout; outside one (an installed wheel) no demo set and no province context."""
    seeds = seeds_dir()
    if seeds is None or not (seeds / "demo.yaml").is_file():
        return DEFAULT_DEMO
    return yaml.safe_load((seeds / "demo.yaml").read_text(encoding="utf-8"))


def province_context() -> str:
    return demo_settings().get("province_context", "")


def resources_for(paths: Paths, wait_seconds: float | None = None) -> dict:
    from .defs.resources import NianbaoSettings, WarehouseLock

    lock = {"warehouse_path": str(paths.warehouse)} | ({} if wait_seconds is None else {"wait_seconds": wait_seconds})
    return {"settings": NianbaoSettings.from_paths(paths, province_context()), "run_lock": WarehouseLock(**lock)}
