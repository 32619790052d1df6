"""Dagster assets: thin wrappers over the report library and the warehouse module."""

import sys
from datetime import datetime

import polars as pl
from dagster import (AssetExecutionContext, AssetKey, ConfigurableResource, InitResourceContext, MaterializeResult,
                     asset)
from pydantic import PrivateAttr

from warehouse import db
from warehouse.lock import RunLock
from warehouse.paths import Paths
from warehouse.marts import build_marts

from . import inbox, ingest, progress
from .report import PARSER_VERSION
from .report.quality import carry_checks, copy_checks
from .report.resolver import divisions

SOURCE_DOCUMENTS = AssetKey("source_documents")
PARSED_REPORTS = AssetKey("parsed_reports")
JURISDICTIONS = AssetKey("jurisdictions")
CORPUS_QUALITY = AssetKey("corpus_quality")
MARTS = AssetKey("marts")
PUBLISHED = AssetKey("published_warehouse")


# One reporting body across years: a government's report may be signed 人民政府 one year and 人民政府办公室
# the next; departments and 苏木/镇 are told apart by their name.
# Synthetic (示例数据) and real reports are never compared with each other.
BODY = ("jurisdiction_code || '|' || report_level || '|' || "
        "CASE WHEN report_level = 'government' THEN '' ELSE issuer END || '|' || CAST(synthetic AS VARCHAR)")


class NianbaoSettings(ConfigurableResource):
    """Where documents come from and where the warehouse lives: built from `warehouse.paths.Paths`, the one
    paths object the CLI, the sensor and the dashboard share."""

    inbox_dirs: list[str]
    store_dir: str
    warehouse_path: str
    published_path: str
    province: str = ""

    @classmethod
    def from_paths(cls, paths: Paths, province: str = "") -> "NianbaoSettings":
        return cls(inbox_dirs=[str(d) for d in paths.inbox_dirs], store_dir=str(paths.store),
                   warehouse_path=str(paths.warehouse), published_path=str(paths.published), province=province)


class WarehouseLock(ConfigurableResource):
    """Held for the whole run (the in-process executor sets resources up once per run): a second run at the same
    time — schedule, sensor or CLI — waits up to `wait_seconds`, then refuses with a clear message."""

    warehouse_path: str
    wait_seconds: float = 900.0
    _lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        lock = RunLock(self.warehouse_path + ".lock")
        def waiting(holder: str) -> None:
            message = f"waiting up to {self.wait_seconds:.0f} s for another nianbao run to finish ({holder})"
            print(message, file=sys.stderr, flush=True)
            if context.log:
                context.log.warning(message)

        self._lock = lock.acquire(self.wait_seconds, on_wait=waiting)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._lock:
            self._lock.release()
            self._lock = None


INPUT_SCHEMAS = {
    "received_files": {"path_bytes": pl.Binary, "path": pl.Utf8, "sha256": pl.Utf8, "size_bytes": pl.Int64,
                       "seen_at": pl.Datetime},
    "skipped_inputs": {"path_bytes": pl.Binary, "path": pl.Utf8, "reason_code": pl.Utf8, "reason": pl.Utf8,
                       "seen_at": pl.Datetime},
}
DOCUMENT_SCHEMA = {"sha256": pl.Utf8, "file_name": pl.Utf8, "stored_path": pl.Utf8, "size_bytes": pl.Int64,
                   "first_seen_at": pl.Datetime, "synthetic": pl.Boolean}


@asset(group_name="ingest")
def source_documents(context: AssetExecutionContext, settings: NianbaoSettings, run_lock: WarehouseLock) -> MaterializeResult:
    """Every entry of the inbox folders ends in one place: a regular file is kept in the store by content hash (nothing
    received is lost or overwritten, whatever bytes its name is made of); anything else — pipe, device, symlink out
    of the inbox or in a loop, unreadable, too large — is listed in `skipped_inputs` with its reason."""
    received, skipped = inbox.scan(settings.inbox_dirs)
    now = datetime.now().replace(microsecond=0)
    documents, files = [], []
    for i, item in enumerate(received, start=1):
        try:
            row = inbox.store(item, settings.store_dir)
        except inbox.NotStored as exc:
            skipped.append(exc.record)
            continue
        documents.append(row)
        files.append({"path_bytes": item.path, "path": item.display, "sha256": row["sha256"],
                      "size_bytes": row["size_bytes"], "seen_at": now})
        if i % 200 == 0 or i == len(received):
            progress.report("收取文件 storing", i, len(received))
    skipped_rows = [{"path_bytes": s.path, "path": s.display, "reason_code": s.code, "reason": s.reason, "seen_at": now}
                    for s in skipped]
    frame = pl.DataFrame(documents, schema=DOCUMENT_SCHEMA).unique("sha256", keep="first", maintain_order=True)
    with db.connect(settings.warehouse_path) as con:
        new = con.execute("SELECT sha256 FROM frame ANTI JOIN documents USING (sha256)").pl()
        fresh = frame.join(new, on="sha256")  # noqa: F841 — used by name in SQL
        con.execute("BEGIN")
        con.execute("INSERT INTO documents SELECT * FROM fresh")
        for table, rows in (("received_files", files), ("skipped_inputs", skipped_rows)):
            latest = pl.DataFrame(rows, schema=INPUT_SCHEMAS[table])  # noqa: F841
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM latest")
        con.execute("COMMIT")
        total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    context.log.info(f"{len(files)} files received, {len(new)} new documents, {len(skipped)} inputs skipped, {total} kept")
    return MaterializeResult(metadata={"files_received": len(files), "new_documents": len(new),
                                       "skipped_inputs": len(skipped), "documents_kept": total})


@asset(group_name="ingest", deps=[SOURCE_DOCUMENTS])
def parsed_reports(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """Parses only documents whose content hash or parser version is new (incremental); one bad file never stops the rest."""
    with db.connect(settings.warehouse_path) as con:
        todo = con.execute("""
            SELECT d.sha256, d.file_name, d.stored_path, d.synthetic,
                   d.sha256 IN (SELECT sha256 FROM reports UNION ALL SELECT sha256 FROM ingest_errors) AS seen_before
            FROM documents d
            WHERE d.sha256 NOT IN (SELECT sha256 FROM reports WHERE parser_version = ?)
              AND d.sha256 NOT IN (SELECT sha256 FROM ingest_errors WHERE parser_version = ?)
            ORDER BY d.file_name""", [PARSER_VERSION, PARSER_VERSION]).pl().to_dicts()
    errors = 0
    for start in range(0, len(todo), PARSE_BATCH):  # batches keep memory flat and commit progress as it goes
        batch = todo[start:start + PARSE_BATCH]
        out = ingest.frames(ingest.parse_many(
            batch, settings.province or None,
            progress=lambda done, _total, start=start: progress.report("解析报告 parsing", start + done, len(todo))))
        with db.connect(settings.warehouse_path) as con:
            _replace_documents(con, [row["sha256"] for row in batch], out)
        errors += len(out["ingest_errors"])
        progress.report("解析报告 parsing", start + len(batch), len(todo))
        context.log.info(f"parsed {start + len(batch)}/{len(todo)}")
    reparsed = sum(row["seen_before"] for row in todo)
    context.log.info(f"parsed {len(todo)} documents ({reparsed} re-parsed by a new parser version): "
                     f"{len(todo) - errors} reports, {errors} could not be read")
    return MaterializeResult(metadata={"parsed": len(todo), "new": len(todo) - reparsed, "reparsed": reparsed,
                                       "reports": len(todo) - errors, "ingest_errors": errors})


PARSE_BATCH = 400


def _replace_documents(con, shas: list[str], out: dict[str, pl.DataFrame]) -> None:
    """Delete-then-insert every row of these documents in one transaction."""
    keys = pl.DataFrame({"sha256": shas}, schema={"sha256": pl.Utf8})  # noqa: F841 — read by name in SQL
    con.execute("BEGIN")
    for table in ("reports", "cells", "checks", "ingest_errors"):
        con.execute(f"DELETE FROM {table} WHERE sha256 IN (SELECT sha256 FROM keys)")
        frame = out[table]  # noqa: F841
        if not out[table].is_empty():
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
    con.execute("COMMIT")


@asset(group_name="reference")
def jurisdictions(settings: NianbaoSettings) -> MaterializeResult:
    """Official division codes (2024 national table, CC0) that reports resolve to."""
    frame = pl.DataFrame([{"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code,
                           "parent_name": d.parent_name, "province_code": d.province_code, "province_name": d.province}
                          for d in divisions()])
    with db.connect(settings.warehouse_path) as con:
        con.execute("BEGIN; DELETE FROM jurisdictions; INSERT INTO jurisdictions SELECT * FROM frame; COMMIT")
    return MaterializeResult(metadata={"divisions": len(frame)})


@asset(group_name="quality", deps=[PARSED_REPORTS])
def corpus_quality(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """Checks that need the whole corpus: copying (内容雷同) and carry-over between years."""
    with db.connect(settings.warehouse_path) as con:
        reports = con.execute(f"""SELECT sha256, issuer, jurisdiction_code, year, narrative, synthetic, {BODY} AS body
                                  FROM reports WHERE jurisdiction_status = 'resolved'""").pl().to_dicts()
        carry = con.execute(f"""
            SELECT r.sha256, r.issuer, r.jurisdiction_code, r.year, {BODY} AS body,
                   max(value) FILTER (WHERE key = 't3_carried_over__total') AS carried_over,
                   max(value) FILTER (WHERE key = 't3_carried_forward__total') AS carried_forward,
                   max(value) FILTER (WHERE key = 't2_normative_doc_in_force') AS in_force,
                   max(value) FILTER (WHERE key = 't2_normative_doc_issued') AS issued,
                   max(value) FILTER (WHERE key = 't2_normative_doc_repealed') AS repealed,
                   string_agg(CAST(value AS VARCHAR), ',' ORDER BY key) FILTER (WHERE key LIKE 't3_%' OR key LIKE 't2_%') AS numbers
            FROM reports r JOIN cells c USING (sha256) WHERE r.jurisdiction_status = 'resolved'
            GROUP BY ALL""").pl().to_dicts()
        found = carry_checks(carry)
        for step, synthetic in enumerate((False, True)):
            progress.report("内容雷同 copy detection", step, 2)
            found += copy_checks([r for r in reports if r["synthetic"] == synthetic])
        progress.report("内容雷同 copy detection", 2, 2)
        frame = pl.DataFrame([{"sha256": sha, **{k: f[k] for k in ("code", "status", "severity", "detail")},
                               "kind": "corpus"} for sha, f in found],
                             schema={"sha256": pl.Utf8, "code": pl.Utf8, "status": pl.Utf8, "severity": pl.Utf8,
                                     "detail": pl.Utf8, "kind": pl.Utf8})
        con.execute("BEGIN; DELETE FROM checks WHERE kind = 'corpus'")
        if not frame.is_empty():
            con.execute("INSERT INTO checks BY NAME SELECT * FROM frame")
        con.execute("COMMIT")
    context.log.info(f"{len(found)} corpus findings")
    return MaterializeResult(metadata={"findings": len(found)})


@asset(group_name="marts", deps=[PARSED_REPORTS, JURISDICTIONS, CORPUS_QUALITY])
def marts(settings: NianbaoSettings) -> MaterializeResult:
    """metrics_jurisdiction_year (one row per jurisdiction × year × report level, with YoY and ranks) and coverage."""
    with db.connect(settings.warehouse_path) as con:
        build_marts(con)
        rows = con.execute("SELECT count(*) FROM metrics_jurisdiction_year").fetchone()[0]
        con.execute("CHECKPOINT")
    return MaterializeResult(metadata={"mart_rows": rows})


@asset(group_name="publish", deps=[MARTS])
def published_warehouse(settings: NianbaoSettings) -> MaterializeResult:
    """The read-only copy the dashboard opens, replaced atomically only after every upstream asset succeeded."""
    target = db.publish(settings.warehouse_path, settings.published_path)
    return MaterializeResult(metadata={"path": str(target), "bytes": target.stat().st_size})


ALL_ASSETS = [source_documents, parsed_reports, jurisdictions, corpus_quality, marts, published_warehouse]
