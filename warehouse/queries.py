"""The query API the dashboard uses: parameterized SQL over the published, read-only warehouse copy."""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import duckdb
import polars as pl

from .catalogue import load_catalogue
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


def provinces(con) -> pl.DataFrame:
    return frame(con, "SELECT DISTINCT province_code, province_name FROM metrics_jurisdiction_year ORDER BY 1")


def leagues(con, province_code: str) -> pl.DataFrame:
    return frame(con, """SELECT DISTINCT parent_code, parent_name FROM metrics_jurisdiction_year
                         WHERE province_code = ? AND report_level = 'government' ORDER BY 1""", [province_code])


def years(con) -> list[int]:
    return frame(con, "SELECT DISTINCT year FROM metrics_jurisdiction_year ORDER BY year")["year"].to_list()


def metrics(con, province_code: str | None = None, parent_code: str | None = None, year: int | None = None,
            codes: list[str] | None = None, level: str = "government") -> pl.DataFrame:
    sql, params = _filtered("SELECT * FROM metrics_jurisdiction_year WHERE report_level = ?", [level],
                            {"province_code": province_code, "parent_code": parent_code, "year": year,
                             "jurisdiction_code": codes})
    return frame(con, sql + " ORDER BY jurisdiction_code, year", params)


def all_metrics(con) -> pl.DataFrame:
    return frame(con, "SELECT * FROM metrics_jurisdiction_year ORDER BY province_code, jurisdiction_code, year, report_level")


def outcome_mix(con, province_code: str, parent_code: str | None, year: int) -> pl.DataFrame:
    sql = """SELECT jurisdiction_name, synthetic, granted, partial, denied, unable, not_processed, other_handling, requests_processed,
                    duplicate, duplicate_share, mass_repeat, mass_repeat_share, requests_new, sha256
             FROM metrics_jurisdiction_year WHERE report_level = 'government' AND province_code = ? AND year = ?"""
    sql, params = _filtered(sql, [province_code, year], {"parent_code": parent_code})
    return frame(con, sql + " ORDER BY jurisdiction_name", params)


def applicant_mix(con, province_code: str, parent_code: str | None, year: int) -> pl.DataFrame:
    cat = load_catalogue()
    keys = [f"t3_new_received__{c}" for c in cat.t3_columns[:6]]
    sql = """SELECT c.key, sum(c.value) AS requests FROM metrics_jurisdiction_year m JOIN cells c USING (sha256)
             WHERE m.report_level = 'government' AND m.province_code = ? AND m.year = ? AND list_contains(?, c.key)"""
    sql, params = _filtered(sql, [province_code, year, keys], {"m.parent_code": parent_code})
    return frame(con, sql + " GROUP BY c.key ORDER BY c.key", params)


def _in_region(sql: str, params: list, province_code: str | None, parent_code: str | None) -> tuple[str, list]:
    """Reports (alias r) of a 盟/市 (its own and its units'), or of a province; a province's view also lists the
    reports whose issuer could not be placed in any jurisdiction, since they belong to no province yet."""
    if parent_code:
        return sql + " AND (r.parent_code = ? OR r.jurisdiction_code = ?)", params + [parent_code, parent_code]
    if province_code:
        return sql + " AND (r.province_code = ? OR r.province_code IS NULL)", params + [province_code]
    return sql, params


def failing_checks(con, kind: str | None = None, province_code: str | None = None,
                   parent_code: str | None = None) -> pl.DataFrame:
    sql, params = _filtered("""SELECT r.jurisdiction_name, r.issuer, r.year, r.file_name, k.code, k.kind, k.severity,
                                      k.detail, r.sha256, r.synthetic
                               FROM checks k JOIN reports r USING (sha256) WHERE k.status = 'fail'""", [], {"k.kind": kind})
    sql, params = _in_region(sql, params, province_code, parent_code)
    return frame(con, sql + " ORDER BY r.year DESC, r.jurisdiction_name, k.code", params)


def quality_scores(con, province_code: str | None = None, parent_code: str | None = None) -> pl.DataFrame:
    sql, params = _in_region("""SELECT r.sha256, r.issuer, r.jurisdiction_name, r.year, r.synthetic,
            100 - least(100, 25 * count(*) FILTER (WHERE k.status = 'fail' AND k.severity = 'error')
                            + 10 * count(*) FILTER (WHERE k.status = 'fail' AND k.severity = 'warn')) AS score,
            string_agg(k.code, '、') FILTER (WHERE k.status = 'fail') AS reasons
        FROM reports r LEFT JOIN checks k USING (sha256) WHERE TRUE""", [], province_code, parent_code)
    return frame(con, sql + " GROUP BY ALL ORDER BY score, r.year DESC", params)


def coverage(con, province_code: str, parent_code: str | None = None) -> pl.DataFrame:
    sql, params = _filtered("SELECT * FROM coverage WHERE province_code = ?", [province_code], {"parent_code": parent_code})
    return frame(con, sql + " ORDER BY jurisdiction_code, year", params)


def outlines(con, province_code: str, parent_code: str | None = None) -> pl.DataFrame:
    """Unit outlines for the map: a 盟/市's counties, or a province's counties and its 盟/市 (for their borders)."""
    if parent_code:
        return frame(con, "SELECT * FROM boundaries WHERE parent_code = ? AND level = 'county' ORDER BY code",
                     [parent_code])
    return frame(con, "SELECT * FROM boundaries WHERE left(code, 2) = left(?, 2) ORDER BY level, code", [province_code])


def ingest_errors(con) -> pl.DataFrame:
    return frame(con, "SELECT file_name, error_code, reason, detail, failed_at FROM ingest_errors ORDER BY failed_at DESC")


def skipped_inputs(con) -> pl.DataFrame:
    """Inbox entries of the latest run that were not read (pipes, symlinks out of the inbox, too large …)."""
    return frame(con, "SELECT path, reason_code, reason FROM skipped_inputs WHERE reason_code <> 'auxiliary' ORDER BY path")


def report_list(con, search: str = "") -> pl.DataFrame:
    return frame(con, """SELECT sha256, issuer, jurisdiction_name, year, format, status, synthetic FROM reports
                         WHERE issuer ILIKE ? OR coalesce(jurisdiction_name, '') ILIKE ?
                         ORDER BY year DESC, jurisdiction_name LIMIT 500""", [f"%{search}%", f"%{search}%"])


def report(con, sha: str) -> dict | None:
    rows = frame(con, "SELECT * FROM reports WHERE sha256 = ?", [sha]).to_dicts()
    return rows[0] if rows else None


def report_cells(con, sha: str) -> pl.DataFrame:
    return frame(con, "SELECT key, value, status, source, raw, note FROM cells WHERE sha256 = ?", [sha])


def report_checks(con, sha: str) -> pl.DataFrame:
    return frame(con, "SELECT code, kind, status, severity, detail FROM checks WHERE sha256 = ? ORDER BY status, code", [sha])


def stored_document(con, sha: str) -> dict | None:
    rows = frame(con, "SELECT file_name, stored_path, source_url FROM documents WHERE sha256 = ?", [sha]).to_dicts()
    return rows[0] if rows else None


def revisions_of(con, sha: str) -> pl.DataFrame:
    """Changes found after publication that involve this report (as the newer or the older version)."""
    return frame(con, """SELECT url, detected_at, changed_cells, old_sha256 = ? AS is_older FROM revisions
                         WHERE new_sha256 = ? OR old_sha256 = ? ORDER BY detected_at""", [sha, sha, sha])
