"""Paths and policy in one place. Everything the pipeline writes lives under var/ (never in the repository)."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("NIANBAO_VAR", ROOT / "var")).resolve()
SEED_INBOX = ROOT / "seeds" / "inbox"
DEMO_SETTINGS = ROOT / "seeds" / "demo.yaml"


def demo_settings() -> dict:
    return yaml.safe_load(DEMO_SETTINGS.read_text(encoding="utf-8"))


def default_paths() -> dict[str, str]:
    return {
        "inbox_dirs": [str(SEED_INBOX), str(VAR / "demo"), str(VAR / "inbox")],
        "store_dir": str(VAR / "store"),
        "warehouse_path": str(VAR / "warehouse.duckdb"),
        "published_path": str(Path(os.environ.get("NIANBAO_PUBLISHED", VAR / "published" / "nianbao.duckdb"))),
    }
