"""The shipped unit outlines (`data/boundaries/<province code>.geojson`, built by scripts/build_boundaries.py)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

FOLDER = Path(__file__).parent / "data" / "boundaries"


def boundary_rows() -> pl.DataFrame:
    """One row per unit: code, name, level, parent_code, geometry (GeoJSON text) and where it came from."""
    rows = []
    for path in sorted(FOLDER.glob("*.geojson")):
        collection = json.loads(path.read_text(encoding="utf-8"))
        meta = collection["source"]
        source = f"{meta['package']} {meta['version']}（简化容差 {meta['tolerance_degrees']}°）"
        for feature in collection["features"]:
            props = feature["properties"]
            rows.append(
                {
                    "code": props["code"],
                    "name": props["name"],
                    "level": props["level"],
                    "parent_code": props["parent_code"],
                    "geometry": json.dumps(feature["geometry"], separators=(",", ":")),
                    "source": source,
                }
            )
    schema = {c: pl.Utf8 for c in ("code", "name", "level", "parent_code", "geometry", "source")}
    return pl.DataFrame(rows, schema=schema)
