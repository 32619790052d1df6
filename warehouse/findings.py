"""Findings that compare the reports of different bodies of one unit, read from the mart (so they compare the very
versions the charts show)."""

from __future__ import annotations

import duckdb

from catalogue import load_catalogue

CODE = "QC_SUM_PARTS"
# What a 本地区汇总 report adds up over its region's bodies (mart metrics, catalogue keys).
SUMMED = ("permits", "penalties", "requests_new")


def sum_of_parts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dict]]:
    """A unit's 本地区汇总 government report against the sum of its own departments' reports of the same year
    (real against real, 示例数据 against 示例数据): a 汇总 below the sum of its parts is a finding on the government
    report, with both numbers and the departments' reports."""
    sums = ", ".join(f"sum({m}) AS {m}" for m in SUMMED)
    ours = ", ".join(f"g.{m}" for m in SUMMED)
    theirs = ", ".join(f"p.{m}" for m in SUMMED)
    rows = con.execute(f"""
        WITH parts AS (
            SELECT jurisdiction_code, year, is_synthetic, {sums}, count(*) AS reports,
                   string_agg(body_name || '（' || left(sha256, 8) || '）', '、' ORDER BY body_name) AS bodies
            FROM metrics_jurisdiction_year WHERE body_kind = 'department' GROUP BY ALL)
        SELECT g.sha256, {ours}, {theirs}, p.reports, p.bodies
        FROM metrics_jurisdiction_year g
        JOIN parts p ON p.jurisdiction_code = g.jurisdiction_code AND p.year = g.year
                    AND p.is_synthetic = g.is_synthetic
        WHERE g.body_key = 'government'
          AND g.sha256 IN (SELECT sha256 FROM reports WHERE scope = 'gov_aggregate')
        ORDER BY g.sha256""").fetchall()
    label, found = load_catalogue().label, []
    for sha, *values, reports, bodies in rows:
        for metric, own, parts in zip(SUMMED, values[: len(SUMMED)], values[len(SUMMED) :], strict=True):
            if own is not None and parts is not None and own < parts:
                found.append(
                    (
                        sha,
                        {
                            "code": CODE,
                            "status": "fail",
                            "severity": "warn",
                            "detail": f"本地区汇总报告{label(metric)} {own:g} 件，少于本地区 {reports} 个部门"
                            f"报告之和 {parts:g} 件（{bodies}）",
                        },
                    )
                )
    return found
