"""Every warehouse table declared once: its columns and types. The DDL, the Polars schema every writer builds its
frame with and the Arrow schema of the Parquet shards all come from here, so a new column is one line below.

Writes are delete-then-insert by document hash, so runs are idempotent. A warehouse is brought up to the declared
shape by `migrate` once per shape (the declarations' digest is recorded in `schema_migrations`): missing tables are
created, missing columns added at the end; nothing is dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa

_POLARS = {
    "VARCHAR": pl.Utf8,
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "DOUBLE": pl.Float64,
    "BOOLEAN": pl.Boolean,
    "DATE": pl.Date,
    "TIMESTAMP": pl.Datetime("us"),
    "BLOB": pl.Binary,
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type), in table order
    primary_key: str | None = None
    comment: str = ""

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def ddl(self) -> str:
        columns = ", ".join(
            f"{name} {kind}" + (" PRIMARY KEY" if name == self.primary_key else "") for name, kind in self.columns
        )
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({columns})"

    def polars_schema(self, text_dates: bool = False) -> dict:
        """The frame a writer builds; `text_dates` keeps DATE columns as ISO text until the writer parses them."""
        return {name: pl.Utf8 if text_dates and kind == "DATE" else _POLARS[kind] for name, kind in self.columns}

    def frame(self, rows: list[dict], text_dates: bool = False) -> pl.DataFrame:
        return pl.DataFrame(rows, schema=self.polars_schema(text_dates))

    def arrow_schema(self) -> pa.Schema:
        return pl.DataFrame(schema=self.polars_schema()).to_arrow().schema


def _t(name: str, columns: str, primary_key: str | None = None, comment: str = "") -> Table:
    """`columns`: "name TYPE, name TYPE, …" as in SQL."""
    pairs = tuple((column, kind) for column, kind in (part.split() for part in columns.split(",")))
    return Table(name, pairs, primary_key, comment)


JURISDICTIONS = _t(
    "jurisdictions",
    "code VARCHAR, name VARCHAR, level VARCHAR, parent_code VARCHAR, "
    "parent_name VARCHAR, province_code VARCHAR, province_name VARCHAR",
    "code",
)
BOUNDARIES = _t(
    "boundaries",
    "code VARCHAR, name VARCHAR, level VARCHAR, parent_code VARCHAR, geometry VARCHAR, source VARCHAR",
    "code",
    "simplified outlines of division-coded units (GeoJSON geometry as text)",
)
DOCUMENTS = _t(
    "documents",
    "sha256 VARCHAR, file_name VARCHAR, stored_path VARCHAR, size_bytes BIGINT, "
    "first_seen_at TIMESTAMP, synthetic BOOLEAN, source_url VARCHAR",
    "sha256",
)
REPORTS = _t(
    "reports",
    "sha256 VARCHAR, file_name VARCHAR, format VARCHAR, parser_version VARCHAR, status VARCHAR, "
    "issuer VARCHAR, title VARCHAR, year INTEGER, year_source VARCHAR, published_at DATE, "
    "published_at_source VARCHAR, deadline DATE, jurisdiction_status VARCHAR, jurisdiction_code VARCHAR, "
    "jurisdiction_name VARCHAR, parent_code VARCHAR, parent_name VARCHAR, province_code VARCHAR, "
    "province_name VARCHAR, issuer_kind VARCHAR, department VARCHAR, scope VARCHAR, report_level VARCHAR, "
    "t2_version VARCHAR, t3_version VARCHAR, t4_version VARCHAR, error VARCHAR, synthetic BOOLEAN, "
    "body_text VARCHAR, narrative VARCHAR, body_kind VARCHAR, body_key VARCHAR, body_name VARCHAR, "
    "registry_conflict VARCHAR",
    "sha256",
    "the reporting body (catalogue `department_types`): the mart has one row per jurisdiction × body × year",
)
CELLS = _t(
    "cells", "sha256 VARCHAR, key VARCHAR, value DOUBLE, status VARCHAR, source VARCHAR, raw VARCHAR, note VARCHAR"
)
CHECKS = _t(
    "checks",
    "sha256 VARCHAR, code VARCHAR, kind VARCHAR, status VARCHAR, severity VARCHAR, detail VARCHAR, cells VARCHAR",
    comment="cells: comma-separated cell keys the check compared",
)
INGEST_ERRORS = _t(
    "ingest_errors",
    "sha256 VARCHAR, file_name VARCHAR, parser_version VARCHAR, error_code VARCHAR, "
    "reason VARCHAR, failed_at TIMESTAMP, detail VARCHAR",
    "sha256",
)
RECEIVED_FILES = _t(
    "received_files",
    "path_bytes BLOB, path VARCHAR, sha256 VARCHAR, size_bytes BIGINT, seen_at TIMESTAMP, modified_ns BIGINT",
    comment="the latest inbox scan; path as bytes (names need not be UTF-8), decoded for display; modified_ns: "
    "the file's mtime, so an unchanged file is not read and hashed again",
)
SKIPPED_INPUTS = _t(
    "skipped_inputs", "path_bytes BLOB, path VARCHAR, reason_code VARCHAR, reason VARCHAR, seen_at TIMESTAMP"
)
DOCUMENT_SOURCES = _t(
    "document_sources",
    "url VARCHAR, sha256 VARCHAR, source VARCHAR, code VARCHAR, title VARCHAR, "
    "fetched_at TIMESTAMP, last_modified VARCHAR, etag VARCHAR, page_published_at DATE, "
    "previous_sha256 VARCHAR",
    comment="every fetch-log entry in the inbox",
)
REVISIONS = _t(
    "revisions",
    "url VARCHAR, old_sha256 VARCHAR, new_sha256 VARCHAR, detected_at TIMESTAMP, changed_cells VARCHAR",
    comment="reports changed after publication",
)
REPORT_DIGESTS = _t(
    "report_digests",
    "sha256 VARCHAR, carried_over DOUBLE, carried_forward DOUBLE, in_force DOUBLE, issued DOUBLE, repealed DOUBLE, "
    "numbers_md5 VARCHAR, fingerprints BIGINT[]",
    "sha256",
    "what the corpus checks compare, kept per document so a run computes it only for new ones: the carry-over cells, "
    "a digest of every table 2/3 number, the narrative's sentence fingerprints (removed when the rows are reloaded)",
)

FETCH_RUNS = _t(
    "fetch_runs",
    "source_key VARCHAR, source VARCHAR, code VARCHAR, column_url VARCHAR, finished_at TIMESTAMP, pages BIGINT, "
    "new_documents BIGINT, revised BIGINT, unchanged BIGINT, refused BIGINT, errors BIGINT, first_error VARCHAR",
    "source_key",
    "the latest fetch of every registered 年报 column: what it found (数据质量)",
)

TABLES = (
    JURISDICTIONS,
    BOUNDARIES,
    DOCUMENTS,
    REPORTS,
    CELLS,
    CHECKS,
    INGEST_ERRORS,
    RECEIVED_FILES,
    SKIPPED_INPUTS,
    DOCUMENT_SOURCES,
    REVISIONS,
    REPORT_DIGESTS,
    FETCH_RUNS,
)
BY_NAME = {t.name: t for t in TABLES}
# What a parse step writes per document (its Parquet shards, loaded delete-then-insert by hash).
PARSED = (REPORTS, CELLS, CHECKS, INGEST_ERRORS)

# Every inbox entry ends in exactly one of received_files and skipped_inputs; a received file's outcome is its
# document's report or ingest error.
INPUT_OUTCOMES = """CREATE OR REPLACE VIEW input_outcomes AS
    SELECT f.path_bytes, f.path, f.sha256,
           CASE WHEN r.sha256 IS NOT NULL THEN 'report' WHEN e.sha256 IS NOT NULL THEN 'ingest_error'
                ELSE 'not_parsed_yet' END AS outcome,
           coalesce(e.error_code, r.status) AS reason_code, coalesce(e.reason, r.error) AS reason
    FROM received_files f LEFT JOIN reports r USING (sha256) LEFT JOIN ingest_errors e USING (sha256)
    UNION ALL
    SELECT path_bytes, path, NULL, 'skipped', reason_code, reason FROM skipped_inputs"""


def schema_version() -> str:
    """The digest of the declarations: a new table or column is a new version."""
    text = "|".join(f"{t.name}:{t.columns}:{t.primary_key}" for t in TABLES) + INPUT_OUTCOMES
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def migrate(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring the warehouse to the declared shape, once per shape; True when something was applied."""
    version = schema_version()
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    if con.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [version]).fetchone():
        return False
    con.execute("BEGIN")
    for table in TABLES:
        con.execute(table.ddl())
        for name, kind in table.columns:  # a warehouse made before the column was declared
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {name} {kind}")
    con.execute(INPUT_OUTCOMES)
    con.execute("INSERT INTO schema_migrations VALUES (?, current_timestamp)", [version])
    con.execute("COMMIT")
    return True
