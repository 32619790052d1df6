"""Identity checks E1–E6 (spec §6). Each result carries the numbers that disagree.

A failing identity whose cells were all read as printed is a *source anomaly* (the report itself does not
add up): kept as printed, severity WARN. One that involves a recovered cell is an *extraction* failure: ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue import load_catalogue

from . import identities
from .tables import Tables

RECOVERED = {"imputed", "uncertain"}
SOURCE_ANOMALY = "原表即不平衡，按原表保留"  # the printed table does not add up
EXTRACTION = "涉及恢复的数值，读取可能有误"  # our own recovery of a damaged table is in doubt


def table_name(table: str) -> str:
    """t2 → 表二 (tables 2, 3 and 4 of the template)."""
    return "表" + "二三四"[int(table[1]) - 2]


@dataclass
class Check:
    code: str
    status: str  # pass | fail | skip
    detail: str
    severity: str = "info"  # info | warn | error
    kind: str = "identity"
    cells: tuple[str, ...] = ()  # the cell keys compared: a failure puts these cells (and their metrics) in doubt

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "status": self.status,
            "detail": self.detail,
            "severity": self.severity,
            "kind": self.kind,
            "cells": list(self.cells),
        }


def _check(code: str, cells: dict, left: list[str], right: list[str], text: str) -> Check:
    left_cells = [cells.get(k) for k in left]
    right_cells = [cells.get(k) for k in right]
    try:
        lv = [c.value for c in left_cells]  # pyright: ignore[reportOptionalMemberAccess] — a missing cell lands below
        rv = [c.value for c in right_cells]  # pyright: ignore[reportOptionalMemberAccess]
        ls, rs = sum(lv), sum(rv)
    except (AttributeError, TypeError):  # a cell not read, or read as blank
        return Check(code, "skip", f"{text}：有单元格未读到，无法检查", cells=tuple(left + right))
    if abs(ls - rs) < 1e-9:
        return Check(code, "pass", f"{text}：{ls} = {rs}", cells=tuple(left + right))
    recovered = any(c.status in RECOVERED for c in left_cells + right_cells)  # pyright: ignore[reportOptionalMemberAccess] — all read
    severity = "error" if recovered else "warn"
    origin = EXTRACTION if recovered else SOURCE_ANOMALY
    return Check(
        code,
        "fail",
        f"{text}：{'+'.join(map(str, lv))} = {ls} ≠ {rs} = {'+'.join(map(str, rv))}（{origin}）",
        severity,
        cells=tuple(left + right),
    )


AMOUNT_KEYS = ("t2_admin_fee_amount", "t2_procurement_amount")
IMPLAUSIBLE_WAN_YUAN = 1_000_000  # 100亿元: above this a county-level amount was almost surely typed in 元


def _amount_units(tables: Tables) -> list[Check]:
    """W8: an amount read in 万元 that is implausibly large or has more than four decimals (finer than 1 元)."""
    cat = load_catalogue()
    out = []
    for key in AMOUNT_KEYS:
        cell = tables.cells.get(key)
        if cell is None or cell.value is None:
            continue
        digits = cell.raw.split(".", 1)[1] if "." in cell.raw else ""
        decimals = len([d for d in digits if d.isdigit()])
        if cell.value > IMPLAUSIBLE_WAN_YUAN:
            out.append(
                Check(
                    f"W8.{key}",
                    "fail",
                    f"{cat.cells[key].label} {cell.value} 万元，超过 100 亿元，可能把元填进了万元栏",
                    "warn",
                    "quality",
                    (key,),
                )
            )
        elif decimals > 4 and "→" not in cell.note:
            out.append(
                Check(
                    f"W8.{key}",
                    "fail",
                    f"{cat.cells[key].label} 印作 {cell.raw}，小数超过四位（不足 1 元），单位可能有误",
                    "warn",
                    "quality",
                    (key,),
                )
            )
        else:
            out.append(
                Check(f"W8.{key}", "pass", f"{cat.cells[key].label} {cell.value} 万元，数量级合理", "info", "quality")
            )
    return out


def validate(tables: Tables) -> list[Check]:
    cat = load_catalogue()
    plan = identities.instances(tables.template.get("t3"), bool(tables.template.get("t4")))
    checks = [_check(i.code, tables.cells, list(i.left), list(i.right), i.text) for i in plan]
    for key, cell in tables.cells.items():
        if cell.value is not None and cell.value < 0 and not cat.cells[key].signed:
            checks.append(
                Check(f"E5.{key}", "fail", f"{cat.cells[key].label} 为负数 {cell.value}", "error", cells=(key,))
            )
    checks += _amount_units(tables)
    for table in ("t2", "t3", "t4"):
        present = tables.template.get(table) is not None
        checks.append(
            Check(
                f"TABLE.{table}",
                "pass" if present else "fail",
                f"{table_name(table)}{'已找到' if present else '未找到'}",
                "info" if present else "error",
                "completeness",
            )
        )
    return checks
