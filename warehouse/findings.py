"""Findings that compare reports of different bodies of one unit (SQL over the warehouse, no parsing)."""

from __future__ import annotations

import duckdb

from catalogue import load_catalogue

# Numbers a 本地区汇总 report adds up over its region's bodies: permits, penalties, new requests.
SUMMED_CELLS = ("t2_license_decisions", "t2_penalty_decisions", "t3_new_received__total")


def sum_of_parts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dict]]:
    """A unit's 本地区汇总 government report against the sum of its own departments' reports of the same year:
    a 汇总 below the sum of its parts is a finding on the government report, with both numbers and the reports."""
    rows = con.execute(
        """
        WITH latest AS (
            SELECT r.sha256, r.jurisdiction_code, r.year, r.synthetic, r.scope, r.body_key, r.body_name, r.report_level
            FROM reports r JOIN documents d USING (sha256)
            WHERE r.jurisdiction_status = 'resolved' AND r.year IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY r.jurisdiction_code, r.body_key, r.year, r.synthetic
                                       ORDER BY d.first_seen_at DESC, r.sha256) = 1),
        parts AS (
            SELECT l.jurisdiction_code, l.year, l.synthetic, c.key, sum(c.value) AS total, count(*) AS reports,
                   string_agg(l.body_name || '（' || left(l.sha256, 8) || '）', '、' ORDER BY l.body_name) AS bodies
            FROM latest l JOIN cells c USING (sha256)
            WHERE l.report_level = 'department' AND list_contains(?, c.key) AND c.value IS NOT NULL
            GROUP BY ALL)
        SELECT g.sha256, c.key, c.value, p.total, p.reports, p.bodies
        FROM latest g JOIN cells c USING (sha256)
        JOIN parts p ON p.jurisdiction_code = g.jurisdiction_code AND p.year = g.year AND p.synthetic = g.synthetic
                    AND p.key = c.key
        WHERE g.body_key = 'government' AND g.scope = 'gov_aggregate' AND c.value IS NOT NULL AND c.value < p.total
        ORDER BY g.sha256, c.key""",
        [list(SUMMED_CELLS)],
    ).fetchall()
    label = load_catalogue().label
    return [
        (
            sha,
            {
                "code": "QC_SUM_PARTS",
                "status": "fail",
                "severity": "warn",
                "detail": f"本地区汇总报告{label(key)} {value:g} 件，少于本地区 {reports} 个部门报告之和 {total:g} 件"
                f"（{bodies}）",
            },
        )
        for sha, key, value, total, reports, bodies in rows
    ]
