"""The marts and the published copy the dashboard reads."""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, asset

from warehouse import db, findings, storage
from warehouse.marts import build_marts

from . import CORPUS_QUALITY, JURISDICTIONS, MARTS, PARSED_REPORTS, PUBLISHED
from .resources import NianbaoSettings


@asset(group_name="marts", deps=[PARSED_REPORTS, JURISDICTIONS, CORPUS_QUALITY])
def marts(settings: NianbaoSettings) -> MaterializeResult:
    """metrics_jurisdiction_year (one row per jurisdiction × reporting body × year, with YoY and ranks), coverage,
    and on them the 本地区汇总 report against its own departments' sum (a corpus finding)."""
    with db.connect(settings.warehouse_path) as con:
        build_marts(con)
        storage.replace_corpus_findings(con, findings.sum_of_parts(con), code=findings.CODE)
        rows = storage.count(con, "metrics_jurisdiction_year")
        con.execute("CHECKPOINT")
    return MaterializeResult(metadata={"mart_rows": rows})


@asset(group_name="publish", deps=[MARTS])
def published_warehouse(settings: NianbaoSettings) -> MaterializeResult:
    """The read-only copy the dashboard opens, replaced atomically only after every upstream asset succeeded."""
    target = db.publish(settings.warehouse_path, settings.published_path)
    return MaterializeResult(metadata={"path": str(target), "bytes": target.stat().st_size})


@asset(group_name="publish", deps=[PUBLISHED])
def briefings(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """The 情况通报 of every 盟/市 for the latest year, as PDF and Word, beside the published copy
    (`published/briefings/CODE-YEAR.pdf|docx`, linked from 总览). A 盟/市 whose figures did not change since its files
    were written keeps them."""
    from dashboard import briefing
    from warehouse import queries

    folder = Path(settings.published_path).with_name("briefings")
    folder.mkdir(parents=True, exist_ok=True)
    con = queries.open_published(settings.published_path)
    if con is None:
        return MaterializeResult(metadata={"written": 0, "kept": 0})
    written = kept = 0
    try:
        for league in queries.briefing_leagues(con):
            stem = folder / f"{league['parent_code']}-{league['year']}"
            stamp = stem.with_suffix(".digest")
            if stamp.exists() and stamp.read_text() == league["digest"]:
                kept += 1
                continue
            where = (league["province_code"], league["parent_code"], league["year"])
            prepared = briefing.prepare(con, *where)
            for fmt in ("pdf", "docx"):
                briefing.write(con, *where, fmt, stem.with_suffix(f".{fmt}"), prepared=prepared)
            stamp.write_text(league["digest"])
            written += 1
    finally:
        con.close()
    context.log.info(f"briefings: {written} written, {kept} unchanged, in {folder}")
    return MaterializeResult(metadata={"written": written, "kept": kept, "folder": str(folder)})


MART_ASSETS = [marts, published_warehouse, briefings]
