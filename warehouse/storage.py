"""The pipeline's writes and corpus reads: the SQL behind the assets, each function one transaction or one query.
Frames come in shaped by `warehouse.tables`; nothing here parses a document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

import duckdb
import polars as pl
import pyarrow as pa

from catalogue import load_catalogue

from . import db
from .tables import DOCUMENT_SOURCES, DOCUMENTS, FETCH_RUNS, JURISDICTIONS, PARSED, RECEIVED_FILES, SKIPPED_INPUTS

# One reporting body across years (reports.body_key: 人民政府 and 人民政府办公室 are one body, a department type
# keeps its renames together). Synthetic (示例数据) and real reports are never compared with each other.
BODY = "jurisdiction_code || '|' || body_key || '|' || CAST(synthetic AS VARCHAR)"
BYTES_PER_INSERT = 16 * 2**20  # a few large inserts are ~2× faster than one per partition; this bounds the memory


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The one row of an aggregate query."""
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, "an aggregate query returns one row"
    return row


def record_inbox(
    con: duckdb.DuckDBPyConnection,
    documents: list[dict],
    files: list[dict],
    skipped: list[dict],
    fetch_log: list[dict],
    fetch_runs: list[dict] | None = None,
) -> int:
    """New documents by hash (a document is never replaced), the latest scan's received and skipped entries, where
    fetched documents came from and the latest fetch of every registered column; the number of new documents."""
    frame = DOCUMENTS.frame(documents).unique("sha256", keep="first", maintain_order=True)  # noqa: F841 — read by name in SQL
    fresh = con.execute("SELECT * FROM frame ANTI JOIN documents USING (sha256)").pl()
    received, left_out = RECEIVED_FILES.frame(files), SKIPPED_INPUTS.frame(skipped)  # noqa: F841 — read by name in SQL
    con.execute("BEGIN")
    con.execute("INSERT INTO documents BY NAME SELECT * FROM fresh")
    con.execute("DELETE FROM received_files")
    con.execute("INSERT INTO received_files BY NAME SELECT * FROM received")
    con.execute("DELETE FROM skipped_inputs")
    con.execute("INSERT INTO skipped_inputs BY NAME SELECT * FROM left_out")
    _record_sources(con, fetch_log)
    runs = FETCH_RUNS.frame(  # noqa: F841 — read by name in SQL
        [
            {**r, "column_url": r.get("column"), "finished_at": _parsed(r.get("finished_at"), datetime.fromisoformat)}
            for r in fetch_runs or []
        ]
    )
    con.execute("DELETE FROM fetch_runs")
    con.execute("INSERT INTO fetch_runs BY NAME SELECT * FROM runs")
    con.execute("COMMIT")
    return len(fresh)


def seen_files(con: duckdb.DuckDBPyConnection) -> dict[bytes, tuple[int, int, str, str]]:
    """The last inbox scan's files: path → size, mtime in ns, sha256 and where the document is stored."""
    rows = con.execute("""SELECT f.path_bytes, f.size_bytes, f.modified_ns, f.sha256, d.stored_path
                          FROM received_files f JOIN documents d USING (sha256)
                          WHERE f.modified_ns IS NOT NULL""").fetchall()
    return {bytes(path): (size, modified, sha, stored) for path, size, modified, sha, stored in rows}


def _record_sources(con: duckdb.DuckDBPyConnection, entries: list[dict]) -> None:
    """Every fetch-log entry as a document_sources row, and documents.source_url from the latest fetch."""
    log = DOCUMENT_SOURCES.frame([_source_row(e) for e in entries])  # noqa: F841 — read by name in SQL
    con.execute("DELETE FROM document_sources")
    con.execute("INSERT INTO document_sources BY NAME SELECT * FROM log")
    con.execute("""UPDATE documents SET source_url = s.url FROM (
        SELECT sha256, arg_max(url, fetched_at) AS url FROM document_sources GROUP BY sha256) s
        WHERE documents.sha256 = s.sha256""")


def _source_row(entry: dict) -> dict:
    """A fetch-log entry (pipelines.fetch writes `published_at`: the page's own 发布时间) in the table's shape."""
    return {
        **{k: entry.get(k) for k in DOCUMENT_SOURCES.column_names},
        "fetched_at": _parsed(entry.get("fetched_at"), datetime.fromisoformat),
        "page_published_at": _parsed(entry.get("published_at"), date.fromisoformat),
    }


def _parsed(text, parse):
    try:
        return parse(str(text)) if text else None
    except ValueError:
        return None


def documents_to_parse(con: duckdb.DuckDBPyConnection, parser_version: str) -> list[dict]:
    """Documents whose hash or parser version is new, with what parsing needs from their sources."""
    return (
        con.execute(
            """
        SELECT d.sha256, d.file_name, d.stored_path, d.synthetic,
               d.sha256 IN (SELECT sha256 FROM reports UNION ALL SELECT sha256 FROM ingest_errors) AS seen_before,
               (SELECT min(page_published_at) FROM document_sources s WHERE s.sha256 = d.sha256) AS page_published_at,
               (SELECT arg_max(code, fetched_at) FROM document_sources s WHERE s.sha256 = d.sha256) AS source_code
        FROM documents d
        WHERE d.sha256 NOT IN (SELECT sha256 FROM reports WHERE parser_version = ?)
          AND d.sha256 NOT IN (SELECT sha256 FROM ingest_errors WHERE parser_version = ?)
        ORDER BY d.file_name""",
            [parser_version, parser_version],
        )
        .pl()
        .to_dicts()
    )


def documents_needing_ocr(con: duckdb.DuckDBPyConnection, parser_version: str) -> list[dict]:
    """Documents the text step refused as scans (needs_ocr) at this parser version: what the OCR step reads."""
    return (
        con.execute(
            """
        SELECT d.sha256, d.file_name, d.stored_path, d.synthetic, false AS seen_before,
               (SELECT min(page_published_at) FROM document_sources s WHERE s.sha256 = d.sha256) AS page_published_at,
               (SELECT arg_max(code, fetched_at) FROM document_sources s WHERE s.sha256 = d.sha256) AS source_code
        FROM documents d
        WHERE d.sha256 IN (SELECT sha256 FROM ingest_errors WHERE parser_version = ? AND error_code = 'needs_ocr')
        ORDER BY d.file_name""",
            [parser_version],
        )
        .pl()
        .to_dicts()
    )


def count_needing_ocr(con: duckdb.DuckDBPyConnection, shas: list[str]) -> int:
    return _row(
        con, "SELECT count(*) FROM ingest_errors WHERE error_code = 'needs_ocr' AND list_contains(?, sha256)", [shas]
    )[0]


def parsed_documents(con: duckdb.DuckDBPyConnection, parser_version: str) -> int:
    """How many documents are parsed at this parser version (reports and ingest errors)."""
    return _row(
        con,
        """SELECT count(*) FROM (SELECT sha256 FROM reports WHERE parser_version = ?
                          UNION SELECT sha256 FROM ingest_errors WHERE parser_version = ?)""",
        [parser_version, parser_version],
    )[0]


def load_parsed(con: duckdb.DuckDBPyConnection, shas: list[str], frames_of) -> dict[str, int]:
    """Delete-then-insert these documents' rows of every parsed table, all in one transaction (the warehouse has
    all or none); `frames_of(table)` yields Arrow tables. Rows inserted per table."""
    keys = pl.DataFrame({"sha256": shas}, schema={"sha256": pl.Utf8})  # noqa: F841 — read by name in SQL
    inserted = {}
    with db.memory_limit(con, db.LOAD_MEMORY_LIMIT):
        con.execute("BEGIN")
        con.execute("DELETE FROM report_digests WHERE sha256 IN (SELECT sha256 FROM keys)")  # their cells change
        for table in PARSED:
            con.execute(f"DELETE FROM {table.name} WHERE sha256 IN (SELECT sha256 FROM keys)")
            inserted[table.name] = _insert_in_batches(con, table.name, frames_of(table.name))
        con.execute("COMMIT")
    return inserted


def _insert_in_batches(con: duckdb.DuckDBPyConnection, table: str, frames: Iterable[pa.Table]) -> int:
    """Insert the Arrow tables, concatenated into inserts of about BYTES_PER_INSERT; the row count."""
    pending: list[pa.Table] = []
    pending_bytes = total = 0

    def flush():
        batch = pa.concat_tables(pending, promote_options="permissive")  # noqa: F841 — read by name in SQL
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch")
        pending.clear()

    for frame in frames:
        if frame is None or not frame.num_rows:
            continue
        pending.append(frame)
        pending_bytes += frame.nbytes
        total += frame.num_rows
        if pending_bytes >= BYTES_PER_INSERT:
            flush()
            pending_bytes = 0
    if pending:
        flush()
    return total


def replace_reference(con: duckdb.DuckDBPyConnection, divisions: list[dict], outlines: pl.DataFrame) -> int:
    """The division table and the unit outlines, replaced together; the number of divisions."""
    frame = JURISDICTIONS.frame(divisions)  # noqa: F841 — read by name in SQL
    con.execute(
        "BEGIN; DELETE FROM jurisdictions; INSERT INTO jurisdictions SELECT * FROM frame; "
        "DELETE FROM boundaries; INSERT INTO boundaries BY NAME SELECT * FROM outlines; COMMIT"
    )
    return len(divisions)


DIGEST_CHUNK = 2000  # documents digested per query: the ordered string_agg holds their cells, not a province's


def undigested(con: duckdb.DuckDBPyConnection) -> Iterator[list[dict]]:
    """Placed reports without a digest yet (new, or reloaded since), DIGEST_CHUNK at a time: sha256 and the
    narrative to fingerprint (a province's narratives are never all in memory at once)."""
    shas = [
        sha
        for (sha,) in con.execute("""SELECT sha256 FROM reports WHERE jurisdiction_status = 'resolved'
                                     AND sha256 NOT IN (SELECT sha256 FROM report_digests) ORDER BY sha256""").fetchall()
    ]
    for start in range(0, len(shas), DIGEST_CHUNK):
        yield (
            con.execute(
                "SELECT sha256, narrative FROM reports WHERE list_contains(?, sha256) ORDER BY sha256",
                [shas[start : start + DIGEST_CHUNK]],
            )
            .pl()
            .to_dicts()
        )


def save_digests(con: duckdb.DuckDBPyConnection, prints: list[dict]) -> int:
    """Digest these reports (`prints`: sha256 and fingerprints, one chunk of `undigested`) with their carry-over
    cells and numbers."""
    chunk = pl.DataFrame(  # noqa: F841 — read by name in SQL
        prints, schema={"sha256": pl.Utf8, "fingerprints": pl.List(pl.Int64)}
    )
    con.execute("""
        INSERT INTO report_digests BY NAME
        SELECT p.sha256, p.fingerprints, n.* EXCLUDE (sha256) FROM chunk p LEFT JOIN (
            SELECT sha256,
                   max(value) FILTER (WHERE key = 't3_carried_over__total') AS carried_over,
                   max(value) FILTER (WHERE key = 't3_carried_forward__total') AS carried_forward,
                   max(value) FILTER (WHERE key = 't2_normative_doc_in_force') AS in_force,
                   max(value) FILTER (WHERE key = 't2_normative_doc_issued') AS issued,
                   max(value) FILTER (WHERE key = 't2_normative_doc_repealed') AS repealed,
                   md5(string_agg(CAST(value AS VARCHAR), ',' ORDER BY key)
                       FILTER (WHERE key LIKE 't3_%' OR key LIKE 't2_%')) AS numbers_md5
            FROM cells WHERE sha256 IN (SELECT sha256 FROM chunk) GROUP BY sha256) n USING (sha256)""")
    return len(prints)


def copy_inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """What copy detection compares: each placed report's body and kept sentence fingerprints."""
    return (
        con.execute(f"""SELECT r.sha256, r.issuer, r.jurisdiction_code, r.year, r.synthetic, {BODY} AS body,
                               d.fingerprints
                        FROM reports r JOIN report_digests d USING (sha256) WHERE r.jurisdiction_status = 'resolved'""")
        .pl()
        .to_dicts()
    )


def narrative(con: duckdb.DuckDBPyConnection, sha: str) -> str:
    found = con.execute("SELECT narrative FROM reports WHERE sha256 = ?", [sha]).fetchone()
    return (found[0] if found else None) or ""


def carry_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """What the carry-over checks compare year to year per body: carried cells, stock of documents, all numbers."""
    return (
        con.execute(f"""
        SELECT r.sha256, r.issuer, r.jurisdiction_code, r.year, {BODY} AS body, d.carried_over, d.carried_forward,
               d.in_force, d.issued, d.repealed, d.numbers_md5 AS numbers
        FROM reports r JOIN report_digests d USING (sha256) WHERE r.jurisdiction_status = 'resolved'""")
        .pl()
        .to_dicts()
    )


def replace_corpus_findings(
    con: duckdb.DuckDBPyConnection, found: list[tuple[str, dict]], code: str | None = None
) -> None:
    """The corpus findings (`code`: only those of one check, the others left as they are)."""
    from .tables import CHECKS

    rows = [
        {"sha256": sha, **{k: f[k] for k in ("code", "status", "severity", "detail")}, "kind": "corpus"}
        for sha, f in found
    ]
    frame = CHECKS.frame(rows)  # noqa: F841 — read by name in SQL
    con.execute("BEGIN")
    con.execute("DELETE FROM checks WHERE kind = 'corpus' AND (? IS NULL OR code = ?)", [code, code])
    con.execute("INSERT INTO checks BY NAME SELECT * FROM frame")
    con.execute("COMMIT")


def revisions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dict]]:
    """Reports changed after publication: a URL fetched again with other bytes. Both versions are kept; `revisions`
    records which cells changed from what to what, and the newer report gets the finding 发布后被修改."""
    label = load_catalogue().label
    pairs = con.execute("""SELECT url, previous_sha256, sha256, fetched_at FROM document_sources
                           WHERE previous_sha256 IS NOT NULL AND previous_sha256 <> sha256 ORDER BY fetched_at""").fetchall()
    rows, found = [], []
    for url, old, new, detected in pairs:
        cells = {
            sha: dict(con.execute("SELECT key, value FROM cells WHERE sha256 = ?", [sha]).fetchall())
            for sha in (old, new)
        }
        changed = [
            f"{label(k)}：{_number(cells[old].get(k))} → {_number(cells[new].get(k))}"
            for k in sorted(set(cells[old]) | set(cells[new]))
            if cells[old].get(k) != cells[new].get(k)
        ]
        text = "；".join(changed) if changed else "表格数字未变（正文或格式有改动）"
        rows.append((url, old, new, detected, text))
        found.append(
            (
                new,
                {
                    "code": "QC_REVISED",
                    "status": "fail",
                    "severity": "warn",
                    "detail": f"{url} 在 {detected:%Y年%-m月%-d日} 发现内容与先前下载的版本不同：{text}",
                },
            )
        )
    con.execute("DELETE FROM revisions")
    if rows:
        con.executemany("INSERT INTO revisions VALUES (?, ?, ?, ?, ?)", rows)
    return found


def _number(value) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    from .tables import BY_NAME

    if table not in BY_NAME and table not in ("metrics_jurisdiction_year",):
        raise ValueError(f"unknown table {table}")
    return _row(con, f"SELECT count(*) FROM {table}")[0]


def identity_failure_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Failing identity checks: (source anomalies — the printed table does not add up, our extraction failures)."""
    source, extraction = _row(
        con,
        """SELECT count(*) FILTER (WHERE severity = 'warn'),
        count(*) FILTER (WHERE severity = 'error')
        FROM checks WHERE kind = 'identity' AND status = 'fail' AND code NOT LIKE 'TABLE.%'""",
    )
    return source, extraction


def coverage_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Government unit-years missing and late, and other bodies missing in a year after they first reported."""
    missing, late, total, bodies_missing = _row(
        con,
        """SELECT
        count(*) FILTER (WHERE state = 'missing' AND body_key = 'government'),
        count(*) FILTER (WHERE state = 'late'), count(*) FILTER (WHERE body_key = 'government'),
        count(*) FILTER (WHERE state = 'missing' AND body_key <> 'government') FROM coverage""",
    )
    return {"missing": missing, "late": late, "jurisdiction_years": total, "other_bodies_missing": bodies_missing}


def duplicate_body_years(con: duckdb.DuckDBPyConnection) -> int:
    """Body-years with more than one document (all kept; the mart counts one)."""
    return _row(con, "SELECT count(*) FROM metrics_jurisdiction_year WHERE documents_for_year > 1")[0]
