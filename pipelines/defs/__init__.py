"""The Dagster layer by concern: resources, fetching, ingest, quality (with the asset checks), marts and
publication, automation (jobs, schedules, sensor). Each asset is call → write → MaterializeResult over the report
library (`pipelines.report`) and the warehouse module (`warehouse.storage`, `warehouse.marts`)."""

from dagster import AssetKey

FETCHED_DOCUMENTS = AssetKey("fetched_documents")
SOURCE_DOCUMENTS = AssetKey("source_documents")
PARSED_REPORTS = AssetKey("parsed_reports")
JURISDICTIONS = AssetKey("jurisdictions")
CORPUS_QUALITY = AssetKey("corpus_quality")
MARTS = AssetKey("marts")
PUBLISHED = AssetKey("published_warehouse")
