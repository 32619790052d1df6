"""Score the parser against hand-checked labels (shared/corpus/dev/labels.jsonl).

A labelled cell is *exact* when the parsed value equals the label. It is *silently wrong* when it differs
(or is absent) while its status claims certainty (ok/derived/imputed) and the report has no failing check
and no `incomplete` flag — the one kind of error an analyst could not see.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .parse import parse_file

CERTAIN = {"ok", "derived", "imputed"}


def evaluate(labels_path: str | Path) -> dict:
    labels_path = Path(labels_path)
    root = labels_path.parent.parent.parent if labels_path.parent.name == "dev" else labels_path.parent
    per_format: dict[str, dict] = defaultdict(lambda: {"files": 0, "cells": 0, "exact": 0, "silent": 0, "flagged": 0})
    files = []
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        result = parse_file(root / label["file"])
        fmt = Path(label["file"]).suffix.lstrip(".") or "txt"
        score = score_one(label, result)
        score["id"], score["format"] = label["id"], fmt
        files.append(score)
        agg = per_format[fmt]
        agg["files"] += 1
        for k in ("cells", "exact", "silent", "flagged"):
            agg[k] += score[k]
    total = {k: sum(a[k] for a in per_format.values()) for k in ("files", "cells", "exact", "silent", "flagged")}
    return {"per_format": dict(per_format), "total": total, "files": files}


def score_one(label: dict, result: dict) -> dict:
    cells = result.get("cells", {})
    status = result.get("cell_status", {})
    has_failing_check = any(c["status"] == "fail" and c.get("kind") == "identity" for c in result.get("checks", []))
    flagged_report = has_failing_check or result.get("status") != "ok"
    exact = silent = flagged = 0
    wrong = []
    for key, expected in label["cells"].items():
        got = cells.get(key)
        if _same(got, expected):
            exact += 1
            continue
        cell_status = status.get(key, "missing")
        if cell_status in CERTAIN and not flagged_report and (got is not None or expected is not None):
            silent += 1
            wrong.append(f"{key}: got {got} want {expected} [{cell_status}] SILENT")
        else:
            flagged += 1
            wrong.append(f"{key}: got {got} want {expected} [{cell_status}]")
    template_ok = all(result.get("template", {}).get(t) == v for t, v in label.get("template", {}).items())
    return {
        "cells": len(label["cells"]),
        "exact": exact,
        "silent": silent,
        "flagged": flagged,
        "template_ok": template_ok,
        "year_ok": result.get("year") == label.get("year"),
        "wrong": wrong,
        "error": result.get("error"),
    }


def _same(got, expected) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    return abs(float(got) - float(expected)) < 1e-6


def format_report(report: dict) -> str:
    lines = [f"{'format':8} {'files':>5} {'cells':>6} {'exact':>6} {'exact%':>7} {'silent':>6} {'flagged':>7}"]
    for fmt, a in sorted(report["per_format"].items()) + [("TOTAL", report["total"])]:
        pct = 100 * a["exact"] / a["cells"] if a["cells"] else 0
        lines.append(
            f"{fmt:8} {a['files']:>5} {a['cells']:>6} {a['exact']:>6} {pct:>6.2f}% {a['silent']:>6} {a['flagged']:>7}"
        )
    return "\n".join(lines)
