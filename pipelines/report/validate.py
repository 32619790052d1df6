"""Identity checks E1–E6 (spec §6). Each result carries the numbers that disagree.

A failing identity whose cells were all read as printed is a *source anomaly* (the report itself does not
add up): kept as printed, severity WARN. One that involves a recovered cell is an *extraction* failure: ERROR.
"""
from __future__ import annotations

from dataclasses import dataclass

from warehouse.catalogue import load_catalogue, t3_key, t4_key

from .tables import CellValue, Tables

RECOVERED = {"imputed", "uncertain"}


@dataclass
class Check:
    code: str
    status: str  # pass | fail | skip
    detail: str
    severity: str = "info"  # info | warn | error
    kind: str = "identity"

    def as_dict(self) -> dict:
        return {"code": self.code, "status": self.status, "detail": self.detail, "severity": self.severity,
                "kind": self.kind}


def _values(tables: Tables, keys: list[str]) -> tuple[list, list[CellValue]]:
    cells = [tables.cells.get(k) for k in keys]
    return [c.value if c else None for c in cells], [c for c in cells if c]


def _check(code: str, tables: Tables, left: list[str], right: list[str], text: str) -> Check:
    lv, lc = _values(tables, left)
    rv, rc = _values(tables, right)
    if any(v is None for v in lv + rv):
        return Check(code, "skip", f"{text}: a cell is missing")
    ls, rs = sum(lv), sum(rv)
    if abs(ls - rs) < 1e-9:
        return Check(code, "pass", f"{text}: {ls} = {rs}")
    recovered = any(c.status in RECOVERED for c in lc + rc)
    severity = "error" if recovered else "warn"
    origin = "extraction" if recovered else "source anomaly"
    return Check(code, "fail", f"{text}: {'+'.join(map(str, lv))} = {ls} ≠ {rs} = {'+'.join(map(str, rv))} ({origin})", severity)


def validate(tables: Tables) -> list[Check]:
    cat = load_catalogue()
    checks: list[Check] = []
    version = tables.template.get("t3")
    if version:
        outcome_rows = [r.row for r in cat.t3_data_rows(version) if r.group]
        for col in cat.t3_columns:
            checks.append(_check(f"E1.{col}", tables,
                                 [t3_key("new_received", col), t3_key("carried_over", col)],
                                 [t3_key("total_processed", col), t3_key("carried_forward", col)],
                                 f"新收+上年结转 = 办理总计+结转下年 ({col})"))
            checks.append(_check(f"E3.{col}", tables, [t3_key(r, col) for r in outcome_rows],
                                 [t3_key("total_processed", col)], f"办理结果之和 = （七）总计 ({col})"))
        for row in cat.t3_data_rows(version):
            checks.append(_check(f"E2.{row.row}", tables, [t3_key(row.row, c) for c in cat.t3_columns[:6]],
                                 [t3_key(row.row, "total")], f"申请人各列之和 = 总计 ({row.row})"))
    if tables.template.get("t4"):
        for group in cat.t4_groups:
            checks.append(_check(f"E6.{group}", tables, [t4_key(group, o) for o in cat.t4_outcomes[:4]],
                                 [t4_key(group, "total")], f"维持+纠正+其他+未审结 = 总计 ({group})"))
    for key, cell in tables.cells.items():
        if cell.value is not None and cell.value < 0 and not cat.cells[key].signed:
            checks.append(Check(f"E5.{key}", "fail", f"negative value {cell.value} in {key}", "error"))
    for table in ("t2", "t3", "t4"):
        present = tables.template.get(table) is not None
        checks.append(Check(f"TABLE.{table}", "pass" if present else "fail",
                            f"table {table[1]} {'found' if present else 'not found'}", "info" if present else "error", "completeness"))
    return checks
