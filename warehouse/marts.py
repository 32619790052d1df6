"""Build the marts from the field catalogue: one row per jurisdiction × reporting body × year.

A reporting body is `reports.body_key` (人民政府, a department type, a 苏木/镇 by name): a banner's 市场监管局 and
交通运输局 of one year are two rows, never duplicates of each other. Ranks compare the same body across units
(every 旗's 市场监管局), year-on-year changes follow one body.
Rule for two documents of the same jurisdiction-body-year (all are kept in `reports`; the mart picks one): a real
report before a synthetic one, then the version received or fetched last (a revised page replaces the old one),
then parse status ok, then fewer failing identity checks, then the later publication date, then the hash.
"""

from __future__ import annotations

import re

import duckdb

from catalogue import load_catalogue

_KEY = re.compile(r"\b(t[234]_[a-z_]+)\b")


def _metric_sql(metric: dict, defined: dict[str, str]) -> str:
    if metric.get("unit") == "share":
        numerator = defined[metric["numerator"]] if "numerator" in metric else _expr(metric["numerator_expr"])
        denominator = defined[metric["denominator"]]
        return f"CASE WHEN ({denominator}) > 0 THEN ({numerator}) / ({denominator}) END"
    return _expr(metric["expr"])


def _expr(expr: str) -> str:
    cat = load_catalogue()
    for key in _KEY.findall(expr):
        if key not in cat.cells:
            raise ValueError(f"catalogue metric uses unknown cell {key}")
    return _KEY.sub(lambda m: f"w.{m.group(1)}", expr)


def metric_inputs() -> dict[str, set[str]]:
    """Every cell each metric reads, through its numerator and denominator metrics too."""
    inputs: dict[str, set[str]] = {}
    for metric in load_catalogue().metrics:
        keys = {k for field in ("expr", "numerator_expr") for k in _KEY.findall(metric.get(field, ""))}
        for ref in ("numerator", "denominator"):
            keys |= inputs.get(metric.get(ref, ""), set())
        inputs[metric["key"]] = keys
    return inputs


def _build_certainty(con: duckdb.DuckDBPyConnection) -> None:
    """Per report, the metrics nobody can be sure of (an input cell uncertain or not read, or in an identity that
    our own recovery breaks) and the metrics whose inputs the printed table itself does not add up."""
    pairs = [(metric, key) for metric, keys in metric_inputs().items() for key in sorted(keys)]
    con.execute("CREATE OR REPLACE TABLE metric_inputs (metric VARCHAR, key VARCHAR)")
    con.executemany("INSERT INTO metric_inputs VALUES (?, ?)", pairs)
    con.execute("""CREATE OR REPLACE TABLE report_certainty AS
        WITH failed AS (
            SELECT sha256, severity, unnest(string_split(cells, ',')) AS key FROM checks
            WHERE kind = 'identity' AND status = 'fail' AND coalesce(cells, '') <> ''),
        doubtful AS (
            SELECT sha256, key FROM cells WHERE status IN ('uncertain', 'missing')
            UNION SELECT sha256, key FROM failed WHERE severity = 'error'),
        uncertain AS (
            SELECT d.sha256, list(DISTINCT i.metric ORDER BY i.metric) AS uncertain_metrics
            FROM doubtful d JOIN metric_inputs i USING (key) GROUP BY d.sha256),
        anomalous AS (
            SELECT f.sha256, list(DISTINCT i.metric ORDER BY i.metric) AS source_anomaly_metrics
            FROM failed f JOIN metric_inputs i USING (key) WHERE f.severity = 'warn' GROUP BY f.sha256)
        SELECT r.sha256, coalesce(u.uncertain_metrics, []::VARCHAR[]) AS uncertain_metrics,
               coalesce(a.source_anomaly_metrics, []::VARCHAR[]) AS source_anomaly_metrics
        FROM reports r LEFT JOIN uncertain u USING (sha256) LEFT JOIN anomalous a USING (sha256)""")


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    cat = load_catalogue()
    _build_certainty(con)
    keys = sorted(
        {k for m in cat.metrics for field in ("expr", "numerator_expr") if field in m for k in _KEY.findall(m[field])}
    )
    pivot = ",\n".join(f"max(value) FILTER (WHERE key = '{k}') AS {k}" for k in keys)
    con.execute(f"""CREATE OR REPLACE TABLE report_wide AS
        SELECT sha256, {pivot} FROM cells GROUP BY sha256""")
    defined: dict[str, str] = {}
    selects = []
    for metric in cat.metrics:
        sql = _metric_sql(metric, defined)
        for table, version in metric.get("only", {}).items():
            if table not in ("t2", "t3", "t4") or version not in ("v2019", "v2021"):
                raise ValueError(f"catalogue metric {metric['key']}: bad 'only' {table}={version}")
            sql = f"CASE WHEN r.{table}_version = '{version}' THEN {sql} END"
        defined[metric["key"]] = f"({sql})"
        selects.append(f"{sql} AS {metric['key']}")
    con.execute(f"""CREATE OR REPLACE TABLE report_metrics AS
        SELECT r.sha256, r.jurisdiction_code, r.year, r.report_level, r.body_kind, r.body_key, r.body_name, r.issuer,
               r.synthetic AS is_synthetic,
               greatest(d.first_seen_at, (SELECT max(s.fetched_at) FROM document_sources s WHERE s.sha256 = r.sha256)) AS received_at, r.t2_version, r.t3_version, r.status, r.published_at,
               (SELECT count(*) FROM checks c WHERE c.sha256 = r.sha256 AND c.kind = 'identity' AND c.status = 'fail') AS failing_identities,
               {", ".join(selects)}, q.uncertain_metrics, q.source_anomaly_metrics
        FROM reports r JOIN report_wide w USING (sha256) JOIN report_certainty q USING (sha256)
        JOIN documents d USING (sha256)
        WHERE r.jurisdiction_status = 'resolved' AND r.year IS NOT NULL""")
    yoy = ",\n".join(
        f"{m} - lag({m}) OVER (PARTITION BY jurisdiction_code, body_key ORDER BY year) AS {m}_change"
        for m in cat.with_role("yoy")
    )
    ranks = ",\n".join(
        f"CASE WHEN {m} IS NOT NULL THEN rank() OVER (PARTITION BY parent_code, year, body_key, {m} IS NULL ORDER BY {m} DESC) END AS {m}_rank_parent,\n"
        f"CASE WHEN {m} IS NOT NULL THEN rank() OVER (PARTITION BY province_code, year, body_key, {m} IS NULL ORDER BY {m} DESC) END AS {m}_rank_province"
        for m in cat.with_role("rank")
    )
    con.execute(f"""CREATE OR REPLACE TABLE metrics_jurisdiction_year AS
        WITH chosen AS (
            SELECT *, count(*) OVER (PARTITION BY jurisdiction_code, body_key, year) AS documents_for_year
            FROM report_metrics
            QUALIFY row_number() OVER (PARTITION BY jurisdiction_code, body_key, year
                ORDER BY is_synthetic, received_at DESC NULLS LAST, (status = 'ok') DESC, failing_identities,
                         published_at DESC NULLS LAST, sha256) = 1)
        SELECT j.name AS jurisdiction_name, j.parent_code, j.parent_name, j.province_code, j.province_name,
               j.level AS jurisdiction_level, d.synthetic, c.*,
               c.t3_version IS DISTINCT FROM lag(c.t3_version) OVER (PARTITION BY c.jurisdiction_code, c.body_key ORDER BY c.year) AND lag(c.t3_version) OVER (PARTITION BY c.jurisdiction_code, c.body_key ORDER BY c.year) IS NOT NULL AS template_changed,
               {yoy},
               {ranks}
        FROM chosen c
        JOIN jurisdictions j ON j.code = c.jurisdiction_code
        JOIN documents d ON d.sha256 = c.sha256
        ORDER BY c.jurisdiction_code, c.body_key, c.year""")
    # Coverage: every county-level unit's government report for every year, and every other body (department type,
    # 苏木/镇) in each year from the first one it reported in — a body seen before and missing now is 未见报告.
    con.execute("""CREATE OR REPLACE TABLE coverage AS
        WITH years AS (SELECT DISTINCT year FROM reports WHERE year IS NOT NULL),
             units AS (SELECT code, name, parent_code, parent_name, province_code FROM jurisdictions
                       WHERE level = 'county' AND province_code IN (SELECT DISTINCT province_code FROM reports
                                                                    WHERE jurisdiction_status = 'resolved')),
             expected AS (
                SELECT u.code AS jurisdiction_code, u.name AS jurisdiction_name, u.parent_code, u.parent_name,
                       u.province_code, 'government' AS body_kind, 'government' AS body_key, '人民政府' AS body_name, y.year
                FROM units u CROSS JOIN years y
                UNION ALL
                SELECT b.jurisdiction_code, b.jurisdiction_name, b.parent_code, b.parent_name, b.province_code,
                       b.body_kind, b.body_key, b.body_name, y.year
                FROM (SELECT jurisdiction_code, body_kind, body_key, any_value(jurisdiction_name) AS jurisdiction_name,
                             any_value(parent_code) AS parent_code, any_value(parent_name) AS parent_name,
                             any_value(province_code) AS province_code, arg_max(body_name, year) AS body_name,
                             min(year) AS first_year
                      FROM metrics_jurisdiction_year WHERE body_key <> 'government' GROUP BY ALL) b
                JOIN years y ON y.year >= b.first_year)
        SELECT e.*, CASE WHEN m.sha256 IS NULL THEN 'missing' WHEN m.published_at IS NULL THEN 'unknown_date'
                    WHEN m.published_at > r.deadline THEN 'late' ELSE 'reported' END AS state,
               m.sha256, m.published_at, r.deadline
        FROM expected e
        LEFT JOIN metrics_jurisdiction_year m ON m.jurisdiction_code = e.jurisdiction_code AND m.year = e.year
                                              AND m.body_key = e.body_key
        LEFT JOIN reports r ON r.sha256 = m.sha256
        ORDER BY e.jurisdiction_code, e.body_key, e.year""")
