"""发布前体检: a draft report checked as an office would check it before publishing — the identities, text against the
tables, the year and template, the six sections, and copying against the warehouse's earlier reports of the same
body and this year's reports of other bodies — each finding with where it is and how to fix it. Nothing is stored.

`nianbao check FILE --json` runs it; the dashboard's 体检 page runs that command in its own process (the page never
imports the parser, and a hostile file can only take that process down, under a time limit)."""

from __future__ import annotations

from catalogue import load_catalogue

from .report.parse import parse_bytes
from .report.quality import copy_checks, report_checks, split_sections
from .report.validate import SOURCE_ANOMALY

SEVERITY_ORDER = {"error": 0, "warn": 1, "info": 2}
# In a published report a table that does not add up as printed is a source anomaly (warn); in a draft it is the
# first thing to fix.
MUST_FIX = ("E1", "E2", "E3", "E5", "E6", "TABLE")


def check_draft(data: bytes, name: str, province: str | None = None, published: str | None = None) -> dict:
    """{"status", "issuer", "year", "template", "findings": [{code, label, severity, detail, fix}], "error"}."""
    result = parse_bytes(data, name, province)
    if result["status"] == "error":
        return {"status": "error", "error": result["error"], "error_code": result["error_code"], "findings": []}
    sections = split_sections(result.get("text", ""))
    findings = [c for c in result["checks"] if c["status"] == "fail"]
    findings += [f for f in report_checks(result, sections) if f["status"] == "fail" and f["code"] != "QC_LATE"]
    if published:
        findings += _copied(result, sections, published)
    cat = load_catalogue()
    out = [
        {
            "code": f["code"],
            "label": cat.check_label(f["code"]),
            "severity": "error" if f["code"].split(".")[0] in MUST_FIX else f.get("severity", "warn"),
            "detail": f["detail"].replace(f"（{SOURCE_ANOMALY}）", ""),  # in a draft there is no "as printed"
            "fix": cat.check(f["code"]).get("fix", ""),
        }
        for f in findings
    ]
    out.sort(key=lambda f: (SEVERITY_ORDER.get(f["severity"], 3), f["code"]))
    jurisdiction = result["jurisdiction"]
    return {
        "status": result["status"],
        "issuer": result["issuer"],
        "year": result["year"],
        "jurisdiction": jurisdiction.get("name"),
        "body": result["body"]["name"],
        "template": result["template"],
        "cells_read": sum(1 for v in result["cells"].values() if v is not None),
        "findings": out,
    }


def _copied(result: dict, sections: dict, published: str) -> list[dict]:
    """Copying against the same body's earlier reports and this year's other bodies, from the published warehouse."""
    import duckdb

    from warehouse import queries

    jurisdiction = result["jurisdiction"]
    if jurisdiction.get("status") != "resolved" or not result.get("year"):
        return []
    try:
        con = duckdb.connect(published, read_only=True)
    except duckdb.Error:
        return []  # no warehouse yet: nothing to compare with
    try:
        others = queries.narratives_to_compare(con, jurisdiction["code"], result["body"]["key"], result["year"])
    finally:
        con.close()
    draft = {
        "sha256": "draft",
        "issuer": result["issuer"],
        "jurisdiction_code": jurisdiction["code"],
        "year": result["year"],
        "synthetic": False,
        "narrative": sections.get("一", "") + "\n" + sections.get("五", ""),
        "body": f"{jurisdiction['code']}|{result['body']['key']}",
    }
    return [f for sha, f in copy_checks([draft, *others]) if sha == "draft"]
