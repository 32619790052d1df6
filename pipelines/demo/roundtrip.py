"""Parse generated documents back and compare with their truth: every cell, jurisdiction, year, versions."""

from __future__ import annotations

import json
from pathlib import Path

from ..report.parse import parse_file

SCANNED = ("scan", "tiff")  # formats read by OCR: a cell no identity confirms is rightly marked uncertain


def compare(truth: dict, result: dict) -> list[str]:
    problems = []
    if result.get("status") == "error":
        return [f"error: {result['error']}"]
    if result.get("year") != truth["year"]:
        problems.append(f"year {result.get('year')} != {truth['year']}")
    if result.get("template") != truth["template"]:
        problems.append(f"template {result.get('template')} != {truth['template']}")
    code = (result.get("jurisdiction") or {}).get("code")
    if code != truth["jurisdiction_code"]:
        problems.append(f"jurisdiction {code} != {truth['jurisdiction_code']}")
    cells = result.get("cells", {})
    statuses = result.get("cell_status", {})
    for key, expected in truth["cells"].items():
        got = cells.get(key)
        if got is None or abs(float(got) - float(expected)) > 1e-6:
            problems.append(f"{key}: {got} != {expected}")
        elif statuses.get(key) == "uncertain" and truth["format"] not in SCANNED:  # a clean table leaves no doubt
            problems.append(f"{key}: {got} read right but marked uncertain")
    return problems


def roundtrip(folder: str | Path, province: str = "内蒙古自治区") -> dict:
    """Exact documents by format and by printing variant (a document counts under each of its variants)."""
    folder = Path(folder)
    by_format: dict[str, list[int]] = {}
    by_variant: dict[str, list[int]] = {}
    failures = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        truth = json.loads(line)
        result = parse_file(folder / truth["file"], province, ocr=truth["format"] in SCANNED)
        problems = compare(truth, result)
        for stats in [by_format.setdefault(truth["format"], [0, 0])] + [
            by_variant.setdefault(v, [0, 0]) for v in truth.get("variants", [])
        ]:
            stats[0] += 1
            stats[1] += not problems
        if problems:
            failures.append({"file": truth["file"], "problems": problems[:5]})
    return {
        "by_format": {k: {"documents": v[0], "exact": v[1]} for k, v in by_format.items()},
        "by_variant": {k: {"documents": v[0], "exact": v[1]} for k, v in sorted(by_variant.items())},
        "failures": failures,
    }
