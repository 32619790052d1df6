"""The query API the dashboard uses: parameterized SQL over the published, read-only warehouse copy."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import duckdb
import polars as pl

from catalogue import load_catalogue

from .paths import Paths


def published_path() -> Path:
    """The copy the pipeline publishes, from the same paths object the pipeline uses (NIANBAO_VAR moves both)."""
    return Paths.resolve().published


class PublishedConnections:
    """Read-only connections to the published copy, one per published version (file identity and mtime).
    At most `keep` stay open: each publish replaces the file, and the oldest connection — and with it the
    deleted file — is closed, so a dashboard running for months holds at most `keep` warehouse files."""

    def __init__(self, keep: int = 2):
        self.keep = keep
        self._open: OrderedDict[tuple, duckdb.DuckDBPyConnection] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str | Path | None = None) -> duckdb.DuckDBPyConnection | None:
        path = Path(path or published_path())
        try:
            info = path.stat()
        except OSError:
            return None
        version = (str(path), info.st_ino, info.st_mtime_ns)
        with self._lock:
            con = self._open.get(version)
            if con is not None:
                self._open.move_to_end(version)
                return con
            con = open_published(path)
            if con is None:
                return None
            self._open[version] = con
            while len(self._open) > self.keep:  # the previous version stays for queries still running on it
                _, oldest = self._open.popitem(last=False)
                oldest.close()
            return con

    def close(self) -> None:
        with self._lock:
            while self._open:
                self._open.popitem()[1].close()


def open_published(path: str | Path | None = None) -> duckdb.DuckDBPyConnection | None:
    path = Path(path or published_path())
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SELECT 1 FROM metrics_jurisdiction_year LIMIT 1")
        return con
    except duckdb.Error:
        return None


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    cursor = con.cursor()
    return cursor.execute(sql, params or []).pl()


def _filtered(sql: str, params: list, filters: dict[str, object]) -> tuple[str, list]:
    """Append `AND column = ?` (or list membership) for every filter that is set; values stay parameters."""
    for column, value in filters.items():
        if value is None or value == "" or value == []:
            continue
        sql += f" AND list_contains(?, {column})" if isinstance(value, list) else f" AND {column} = ?"
        params.append(value)
    return sql, params


GOVERNMENT = "government"
TOWNSHIPS = "township"  # every 苏木/乡镇/街道 of the region, each a unit of its own on the charts


def _body(sql: str, params: list, body: str, alias: str = "") -> tuple[str, list]:
    """Rows of one reporting body: `government`, a department type or body (`dept:…`), or all 苏木/镇 (`township`)."""
    if body == TOWNSHIPS:
        return sql + f" AND {alias}body_kind = ?", params + [TOWNSHIPS]
    return sql + f" AND {alias}body_key = ?", params + [body]


def _league(sql: str, params: list, parent_code: str | None, alias: str = "") -> tuple[str, list]:
    """A 盟/市's own bodies (a 市's 林业局 reports at the 市's level) and those of its units."""
    if not parent_code:
        return sql, params
    return sql + f" AND ({alias}parent_code = ? OR {alias}jurisdiction_code = ?)", params + [parent_code, parent_code]


# A 苏木/镇 is drawn under its unit's name: 鄂托克前旗·城川镇.
_TOWNSHIP_AS_UNIT = (
    "* REPLACE (jurisdiction_name || '·' || body_name AS jurisdiction_name, "
    "jurisdiction_code || '·' || body_name AS jurisdiction_code)"
)


def provinces(con) -> pl.DataFrame:
    """Every province with resolved reports, real or 示例数据."""
    return frame(con, "SELECT DISTINCT province_code, province_name FROM metrics_jurisdiction_year ORDER BY 1")


def leagues(con, province_code: str) -> pl.DataFrame:
    """The 盟/市 (市/州/地区) of the province that have reports: the parent of county-level units, or the
    prefecture-level body itself."""
    return frame(
        con,
        """SELECT DISTINCT
                             CASE WHEN jurisdiction_level = 'prefecture' THEN jurisdiction_code ELSE parent_code END AS parent_code,
                             CASE WHEN jurisdiction_level = 'prefecture' THEN jurisdiction_name ELSE parent_name END AS parent_name
                         FROM metrics_jurisdiction_year
                         WHERE province_code = ? AND jurisdiction_level IN ('prefecture', 'county') ORDER BY 1""",
        [province_code],
    )


def bodies(con, province_code: str, parent_code: str | None = None) -> pl.DataFrame:
    """The reporting bodies of a region, government first, then department types by how many units report with
    them, then 苏木/镇 as one choice: `body` (what `metrics` takes), `body_name`, `units`."""
    sql, params = _league(
        "SELECT * FROM metrics_jurisdiction_year WHERE province_code = ?", [province_code], parent_code
    )
    return frame(
        con,
        f"""
        WITH grouped AS (
            SELECT CASE WHEN body_kind = 'township' THEN 'township' ELSE body_key END AS body, body_kind, body_name,
                   year, jurisdiction_code FROM ({sql}))
        SELECT body, CASE WHEN any_value(body_kind) = 'township' THEN '苏木/乡镇/街道' ELSE arg_max(body_name, year) END
                     AS body_name,
               any_value(body_kind) AS body_kind, count(DISTINCT jurisdiction_code) AS units
        FROM grouped GROUP BY body
        ORDER BY CASE any_value(body_kind) WHEN 'government' THEN 0 WHEN 'department' THEN 1
                      WHEN 'development_zone' THEN 2 ELSE 3 END, units DESC, body_name""",
        params,
    )


def years(con) -> list[int]:
    return frame(con, "SELECT DISTINCT year FROM metrics_jurisdiction_year ORDER BY year")["year"].to_list()


def metrics(
    con,
    province_code: str | None = None,
    parent_code: str | None = None,
    year: int | None = None,
    codes: list[str] | None = None,
    body: str = GOVERNMENT,
) -> pl.DataFrame:
    columns = _TOWNSHIP_AS_UNIT if body == TOWNSHIPS else "*"
    sql, params = _body(f"SELECT {columns} FROM metrics_jurisdiction_year WHERE TRUE", [], body)
    sql, params = _league(sql, params, parent_code)
    sql, params = _filtered(sql, params, {"province_code": province_code, "year": year, "jurisdiction_code": codes})
    return frame(con, sql + " ORDER BY jurisdiction_code, year", params)


def all_metrics(con) -> pl.DataFrame:
    return frame(
        con, "SELECT * FROM metrics_jurisdiction_year ORDER BY province_code, jurisdiction_code, body_key, year"
    )


def outcome_mix(con, province_code: str, parent_code: str | None, year: int, body: str = GOVERNMENT) -> pl.DataFrame:
    columns = "jurisdiction_name || '·' || body_name" if body == TOWNSHIPS else "jurisdiction_name"
    sql = f"""SELECT {columns} AS jurisdiction_name, synthetic, granted, partial, denied, unable, not_processed,
                     other_handling, requests_processed, duplicate, duplicate_share, mass_repeat, mass_repeat_share,
                     requests_new, sha256
              FROM metrics_jurisdiction_year WHERE province_code = ? AND year = ?"""
    sql, params = _league(*_body(sql, [province_code, year], body), parent_code)
    return frame(con, sql + " ORDER BY jurisdiction_name", params)


def applicant_mix(con, province_code: str, parent_code: str | None, year: int, body: str = GOVERNMENT) -> pl.DataFrame:
    cat = load_catalogue()
    keys = [f"t3_new_received__{c}" for c in cat.t3_columns[:6]]
    sql = """SELECT c.key, sum(c.value) AS requests FROM metrics_jurisdiction_year m JOIN cells c USING (sha256)
             WHERE m.province_code = ? AND m.year = ? AND list_contains(?, c.key)"""
    sql, params = _league(*_body(sql, [province_code, year, keys], body, "m."), parent_code, "m.")
    return frame(con, sql + " GROUP BY c.key ORDER BY c.key", params)


def versions_of(con, sha: str) -> pl.DataFrame:
    """The documents of this report's body and year, newest first; `in_mart` marks the one the mart shows."""
    return frame(
        con,
        """
        SELECT r.sha256, r.issuer, r.file_name, r.format, r.status, d.first_seen_at AS received_at,
               r.sha256 IN (SELECT sha256 FROM metrics_jurisdiction_year) AS in_mart
        FROM reports r JOIN documents d USING (sha256)
        WHERE (r.jurisdiction_code, r.body_key, r.year) = (SELECT (jurisdiction_code, body_key, year) FROM reports
                                                           WHERE sha256 = ?)
        ORDER BY d.first_seen_at DESC, r.sha256""",
        [sha],
    )


def cell_differences(con, older: str, newer: str) -> pl.DataFrame:
    """The cells two documents print differently: key, older value, newer value."""
    return frame(
        con,
        """
        SELECT coalesce(o.key, n.key) AS key, o.value AS older, n.value AS newer
        FROM (SELECT key, value FROM cells WHERE sha256 = ?) o FULL JOIN (SELECT key, value FROM cells WHERE sha256 = ?) n
             USING (key)
        WHERE o.value IS DISTINCT FROM n.value ORDER BY 1""",
        [older, newer],
    )


def not_in_mart(con) -> pl.DataFrame:
    """Every report the charts do not count, with why: its place could not be decided, it has no year, or another
    document of the same body-year is the one counted (a newer version, or a real report over 示例数据)."""
    return frame(
        con,
        """
        SELECT r.file_name, r.issuer, r.year, r.jurisdiction_name, r.body_name,
               CASE WHEN r.jurisdiction_status = 'ambiguous' THEN '地名对应多个地区，无法确定（可在设置中指定省份）'
                    WHEN r.jurisdiction_status <> 'resolved' THEN '未能识别所属地区'
                    WHEN r.year IS NULL THEN '未能识别报告年度'
                    WHEN m.is_synthetic = false AND r.synthetic THEN '同一主体同一年度已有真实报告（示例数据不计）'
                    ELSE '同一主体同一年度另有较新的版本' END AS reason,
               m.sha256 AS counted_sha256, r.sha256, r.synthetic
        FROM reports r
        LEFT JOIN metrics_jurisdiction_year m ON m.jurisdiction_code = r.jurisdiction_code AND m.body_key = r.body_key
                                              AND m.year = r.year
        WHERE r.sha256 NOT IN (SELECT sha256 FROM metrics_jurisdiction_year)
        ORDER BY reason, r.year DESC, r.file_name""",
    )


def same_unit_year(con, sha: str) -> pl.DataFrame:
    """Every report of the unit and year of this one: each body's, and the versions the mart did not choose."""
    return frame(
        con,
        """
        SELECT r.sha256, r.body_name, r.issuer, r.file_name, r.format, r.status, d.first_seen_at AS received_at,
               r.sha256 IN (SELECT sha256 FROM metrics_jurisdiction_year) AS in_mart, r.synthetic
        FROM reports r JOIN documents d USING (sha256)
        WHERE (r.jurisdiction_code, r.year) = (SELECT (jurisdiction_code, year) FROM reports WHERE sha256 = ?)
        ORDER BY r.body_kind <> 'government', r.body_name, d.first_seen_at DESC""",
        [sha],
    )


def _in_region(sql: str, params: list, province_code: str | None, parent_code: str | None) -> tuple[str, list]:
    """Reports (alias r) of a 盟/市 (its own and its units'), or of a province; a province's view also lists the
    reports whose issuer could not be placed in any jurisdiction, since they belong to no province yet."""
    if parent_code:
        return sql + " AND (r.parent_code = ? OR r.jurisdiction_code = ?)", params + [parent_code, parent_code]
    if province_code:
        return sql + " AND (r.province_code = ? OR r.province_code IS NULL)", params + [province_code]
    return sql, params


def failing_checks(
    con, kind: str | None = None, province_code: str | None = None, parent_code: str | None = None
) -> pl.DataFrame:
    sql, params = _filtered(
        """SELECT r.jurisdiction_name, r.issuer, r.year, r.file_name, k.code, k.kind, k.severity,
                                      k.detail, r.sha256, r.synthetic
                               FROM checks k JOIN reports r USING (sha256) WHERE k.status = 'fail'""",
        [],
        {"k.kind": kind},
    )
    sql, params = _in_region(sql, params, province_code, parent_code)
    return frame(con, sql + " ORDER BY r.year DESC, r.jurisdiction_name, k.code", params)


def quality_scores(con, province_code: str | None = None, parent_code: str | None = None) -> pl.DataFrame:
    sql, params = _in_region(
        """SELECT r.sha256, r.issuer, r.jurisdiction_name, r.year, r.synthetic,
            100 - least(100, 25 * count(*) FILTER (WHERE k.status = 'fail' AND k.severity = 'error')
                            + 10 * count(*) FILTER (WHERE k.status = 'fail' AND k.severity = 'warn')) AS score,
            string_agg(k.code, '、') FILTER (WHERE k.status = 'fail') AS reasons
        FROM reports r LEFT JOIN checks k USING (sha256) WHERE TRUE""",
        [],
        province_code,
        parent_code,
    )
    return frame(con, sql + " GROUP BY ALL ORDER BY score, r.year DESC", params)


def coverage(con, province_code: str, parent_code: str | None = None, body: str = GOVERNMENT) -> pl.DataFrame:
    """Reported / late / missing per unit and year for one reporting body (a body seen before and missing now is
    missing); for 苏木/镇 every township under its unit's name."""
    columns = _TOWNSHIP_AS_UNIT if body == TOWNSHIPS else "*"
    sql, params = _body(f"SELECT {columns} FROM coverage WHERE province_code = ?", [province_code], body)
    sql, params = _league(sql, params, parent_code)
    return frame(con, sql + " ORDER BY jurisdiction_code, year", params)


def outlines(con, province_code: str, parent_code: str | None = None) -> pl.DataFrame:
    """Unit outlines for the map: a 盟/市's counties, or a province's counties and its 盟/市 (for their borders)."""
    if parent_code:
        return frame(
            con, "SELECT * FROM boundaries WHERE parent_code = ? AND level = 'county' ORDER BY code", [parent_code]
        )
    return frame(con, "SELECT * FROM boundaries WHERE left(code, 2) = left(?, 2) ORDER BY level, code", [province_code])


def ingest_errors(con) -> pl.DataFrame:
    return frame(
        con, "SELECT file_name, error_code, reason, detail, failed_at FROM ingest_errors ORDER BY failed_at DESC"
    )


def skipped_inputs(con) -> pl.DataFrame:
    """Inbox entries of the latest run that were not read (pipes, symlinks out of the inbox, too large …)."""
    return frame(
        con, "SELECT path, reason_code, reason FROM skipped_inputs WHERE reason_code <> 'auxiliary' ORDER BY path"
    )


def report_list(con, search: str = "") -> pl.DataFrame:
    return frame(
        con,
        """SELECT sha256, issuer, jurisdiction_name, year, format, status, synthetic FROM reports
                         WHERE issuer ILIKE ? OR coalesce(jurisdiction_name, '') ILIKE ?
                         ORDER BY year DESC, jurisdiction_name LIMIT 500""",
        [f"%{search}%", f"%{search}%"],
    )


def report(con, sha: str) -> dict | None:
    rows = frame(con, "SELECT * FROM reports WHERE sha256 = ?", [sha]).to_dicts()
    return rows[0] if rows else None


def report_cells(con, sha: str) -> pl.DataFrame:
    return frame(con, "SELECT key, value, status, source, raw, note FROM cells WHERE sha256 = ?", [sha])


def report_checks(con, sha: str) -> pl.DataFrame:
    return frame(
        con, "SELECT code, kind, status, severity, detail FROM checks WHERE sha256 = ? ORDER BY status, code", [sha]
    )


def stored_document(con, sha: str) -> dict | None:
    rows = frame(con, "SELECT file_name, stored_path, source_url FROM documents WHERE sha256 = ?", [sha]).to_dicts()
    return rows[0] if rows else None


def revisions_of(con, sha: str) -> pl.DataFrame:
    """Changes found after publication that involve this report (as the newer or the older version)."""
    return frame(
        con,
        """SELECT url, detected_at, changed_cells, old_sha256 = ? AS is_older FROM revisions
                         WHERE new_sha256 = ? OR old_sha256 = ? ORDER BY detected_at""",
        [sha, sha, sha],
    )


def narratives_to_compare(con, jurisdiction_code: str, body_key: str, year: int) -> list[dict]:
    """What a draft's copying is checked against: the same body's earlier reports, and this year's reports of the
    other bodies of its province (sections 一 and 五, as the pipeline's copy detection compares them)."""
    return frame(
        con,
        """SELECT sha256, issuer, jurisdiction_code, year, narrative, synthetic,
                  jurisdiction_code || '|' || body_key AS body
           FROM reports
           WHERE jurisdiction_status = 'resolved' AND narrative IS NOT NULL
             AND ((jurisdiction_code = ? AND body_key = ? AND year < ?)
                  OR (year = ? AND province_code = (SELECT province_code FROM jurisdictions WHERE code = ?)
                      AND NOT (jurisdiction_code = ? AND body_key = ?)))""",
        [jurisdiction_code, body_key, year, year, jurisdiction_code, jurisdiction_code, body_key],
    ).to_dicts()


def briefing_leagues(con) -> list[dict]:
    """Every 盟/市 with government reports in the latest year, and a digest of what its briefing would print."""
    return frame(
        con,
        """WITH latest AS (SELECT * FROM metrics_jurisdiction_year m
                           WHERE body_key = 'government' AND jurisdiction_level = 'county'
                             AND year = (SELECT max(year) FROM metrics_jurisdiction_year))
           SELECT l.province_code, l.parent_code, l.year,
                  md5(string_agg(CAST(l AS VARCHAR), '|' ORDER BY l.sha256)
                      || coalesce(any_value((SELECT string_agg(k.code || k.detail, '|' ORDER BY k.sha256, k.code, k.detail)
                                             FROM checks k JOIN reports r USING (sha256)
                                             WHERE k.status = 'fail' AND r.parent_code = l.parent_code
                                               AND r.year = l.year)), '')) AS digest
           FROM latest l GROUP BY ALL ORDER BY l.parent_code""",
    ).to_dicts()


def briefing_file(published: str, parent_code: str, year: int, fmt: str) -> str | None:
    """The briefing the pipeline wrote for this 盟/市 and year, if there is one."""
    from pathlib import Path

    path = Path(published).with_name("briefings") / f"{parent_code}-{year}.{fmt}"
    return str(path) if path.exists() else None


def fetch_runs(con) -> pl.DataFrame:
    """Per registered 年报 column, its latest fetch: when, list pages read, new, revised, refused, errors."""
    return frame(
        con,
        """SELECT source AS column_name, column_url, finished_at, pages, new_documents, revised, unchanged, refused, errors,
                                first_error FROM fetch_runs ORDER BY errors DESC, source""",
    )
