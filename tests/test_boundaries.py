"""The shipped outlines join the division codes, form closed rings, and the build script simplifies honestly."""

import csv
import importlib.util
import json

from pipelines.report.boundaries import FOLDER, boundary_rows

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("build_boundaries", ROOT / "scripts" / "build_boundaries.py")
build_boundaries = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_boundaries)


def test_every_inner_mongolia_unit_has_one_outline_under_its_division_code():
    with open(ROOT / "pipelines" / "report" / "data" / "cn_divisions_2024.csv", encoding="utf-8") as f:
        official = {
            r["code"]: r["name"]
            for r in csv.DictReader(f)
            if r["province_code"] == "150000" and r["level"] != "province"
        }
    rows = boundary_rows()
    shipped = dict(zip(rows["code"], rows["name"], strict=False))
    assert shipped == official and len(shipped) == 115
    counties = rows.filter(rows["level"] == "county")
    assert set(counties["parent_code"]) <= set(official) and len(counties) == 103


def test_rings_are_closed_and_inside_the_province():
    for feature in json.loads((FOLDER / "150000.geojson").read_text(encoding="utf-8"))["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1], feature["properties"]["code"]
                assert all(97 < x < 127 and 37 < y < 54 for x, y in ring)


def test_simplify_keeps_corners_and_drops_points_on_a_straight_line():
    line = [[0, 0], [1, 0.0001], [2, 0], [2, 1], [2, 2]]
    assert build_boundaries.simplify(line, 0.01) == [[0, 0], [2, 0], [2, 2]]
    square = [[0, 0], [0.5, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert build_boundaries.simplified_ring(square, 0.01, 3) == [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
