"""The marts and the published copy the dashboard reads."""

from dagster import MaterializeResult, asset

from warehouse import db, storage
from warehouse.marts import build_marts

from . import CORPUS_QUALITY, JURISDICTIONS, MARTS, PARSED_REPORTS
from .resources import NianbaoSettings


@asset(group_name="marts", deps=[PARSED_REPORTS, JURISDICTIONS, CORPUS_QUALITY])
def marts(settings: NianbaoSettings) -> MaterializeResult:
    """metrics_jurisdiction_year (one row per jurisdiction × reporting body × year, with YoY and ranks) and coverage."""
    with db.connect(settings.warehouse_path) as con:
        build_marts(con)
        rows = storage.count(con, "metrics_jurisdiction_year")
        con.execute("CHECKPOINT")
    return MaterializeResult(metadata={"mart_rows": rows})


@asset(group_name="publish", deps=[MARTS])
def published_warehouse(settings: NianbaoSettings) -> MaterializeResult:
    """The read-only copy the dashboard opens, replaced atomically only after every upstream asset succeeded."""
    target = db.publish(settings.warehouse_path, settings.published_path)
    return MaterializeResult(metadata={"path": str(target), "bytes": target.stat().st_size})


MART_ASSETS = [marts, published_warehouse]
