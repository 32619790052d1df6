"""Identity checks E1–E6 (spec §6). Each result carries the numbers that disagree.

A failing identity whose cells were all read as printed is a *source anomaly* (the report itself does not
add up): kept as printed, severity WARN. One that involves a recovered cell is an *extraction* failure: ERROR.
"""
from __future__ import annotations

from dataclasses import dataclass

from warehouse.catalogue import load_catalogue, t3_key, t4_key

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
        return {"code": self.code, "status": self.status, "detail": self.detail, "severity": self.severity,
                "kind": self.kind, "cells": list(self.cells)}


def _check(code: str, cells: dict, left: list[str], right: list[str], text: str) -> Check:
    left_cells = [cells.get(k) for k in left]
    right_cells = [cells.get(k) for k in right]
    try:
        lv = [c.value for c in left_cells]
        rv = [c.value for c in right_cells]
        ls, rs = sum(lv), sum(rv)
    except (AttributeError, TypeError):  # a cell not read, or read as blank
        return Check(code, "skip", f"{text}：有单元格未读到，无法检查", cells=tuple(left + right))
    if abs(ls - rs) < 1e-9:
        return Check(code, "pass", f"{text}：{ls} = {rs}", cells=tuple(left + right))
    recovered = any(c.status in RECOVERED for c in left_cells + right_cells)
    severity = "error" if recovered else "warn"
    origin = EXTRACTION if recovered else SOURCE_ANOMALY
    return Check(code, "fail", f"{text}：{'+'.join(map(str, lv))} = {ls} ≠ {rs} = {'+'.join(map(str, rv))}（{origin}）", severity,
                 cells=tuple(left + right))


_PLANS: dict[tuple[str | None, bool], list[tuple[str, list[str], list[str], str]]] = {}


def _plan(t3_version: str | None, has_t4: bool) -> list[tuple[str, list[str], list[str], str]]:
    """Every identity to check for a report with these tables: (code, left keys, right keys, wording)."""
    if (t3_version, has_t4) in _PLANS:
        return _PLANS[(t3_version, has_t4)]
    cat = load_catalogue()
    plan = []
    if t3_version:
        outcome_rows = [r.row for r in cat.t3_data_rows(t3_version) if r.group]
        columns = {c["col"]: c["label"] for c in cat.raw["t3"]["columns"]}
        for col in cat.t3_columns:
            plan.append((f"E1.{col}", [t3_key("new_received", col), t3_key("carried_over", col)],
                         [t3_key("total_processed", col), t3_key("carried_forward", col)],
                         f"新收+上年结转 = 办理总计+结转下年（{columns[col]}列）"))
            plan.append((f"E3.{col}", [t3_key(r, col) for r in outcome_rows],
                         [t3_key("total_processed", col)], f"办理结果之和 = （七）总计（{columns[col]}列）"))
        for row in cat.t3_data_rows(t3_version):
            plan.append((f"E2.{row.row}", [t3_key(row.row, c) for c in cat.t3_columns[:6]],
                         [t3_key(row.row, "total")], f"各类申请人之和 = 总计（{row.label}）"))
    if has_t4:
        groups = {g["group"]: g["label"] for g in cat.raw["t4"]["groups"]}
        for group in cat.t4_groups:
            plan.append((f"E6.{group}", [t4_key(group, o) for o in cat.t4_outcomes[:4]],
                         [t4_key(group, "total")], f"维持+纠正+其他+未审结 = 总计（{groups[group]}）"))
    _PLANS[(t3_version, has_t4)] = plan
    return plan


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
            out.append(Check(f"W8.{key}", "fail", f"{cat.cells[key].label} {cell.value} 万元，超过 100 亿元，可能把元填进了万元栏",
                             "warn", "quality", (key,)))
        elif decimals > 4 and "→" not in cell.note:
            out.append(Check(f"W8.{key}", "fail", f"{cat.cells[key].label} 印作 {cell.raw}，小数超过四位（不足 1 元），单位可能有误",
                             "warn", "quality", (key,)))
        else:
            out.append(Check(f"W8.{key}", "pass", f"{cat.cells[key].label} {cell.value} 万元，数量级合理", "info", "quality"))
    return out


def validate(tables: Tables) -> list[Check]:
    cat = load_catalogue()
    plan = _plan(tables.template.get("t3"), bool(tables.template.get("t4")))
    checks = [_check(code, tables.cells, left, right, text) for code, left, right, text in plan]
    for key, cell in tables.cells.items():
        if cell.value is not None and cell.value < 0 and not cat.cells[key].signed:
            checks.append(Check(f"E5.{key}", "fail", f"{cat.cells[key].label} 为负数 {cell.value}", "error", cells=(key,)))
    checks += _amount_units(tables)
    for table in ("t2", "t3", "t4"):
        present = tables.template.get(table) is not None
        checks.append(Check(f"TABLE.{table}", "pass" if present else "fail",
                            f"{table_name(table)}{'已找到' if present else '未找到'}", "info" if present else "error",
                            "completeness"))
    return checks
