"""Fetching from the registered 年报 columns, one partition per registered column (Dagster dynamic partitions): one
failing host is one failed partition, retried on its own. Its own job and schedule; the main job never waits on the
network."""

from dagster import AssetExecutionContext, DynamicPartitionsDefinition, MaterializeResult, asset

from .. import fetch
from .resources import NianbaoSettings

SOURCES_NAME = "sources"
SOURCES = DynamicPartitionsDefinition(name=SOURCES_NAME)  # keys: fetch.Source.key of every registry entry


@asset(group_name="fetch", partitions_def=SOURCES)
def fetched_documents(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """One registered column's reports downloaded into the inbox, with their URL, title, page date, Last-Modified and
    ETag in fetch_log.jsonl and what the fetch found in fetch_runs.jsonl. A column whose host fails fails."""
    sources = [s for s in registered(settings) if s.key == context.partition_key]
    if not sources:
        context.log.warning(f"{context.partition_key} is no longer in the source registry: nothing to fetch")
        return MaterializeResult(metadata={"sources": 0})
    result = fetch.fetch_all(sources, settings.fetched_inbox)
    for error in result.errors:
        context.log.warning(error)
    metadata = {
        "source": sources[0].name,
        "column": sources[0].column,
        "list_pages": result.pages,
        "new_documents": result.new_documents,
        "unchanged": result.unchanged,
        "revised": result.revised,
        "errors": len(result.errors),
        "refused": len(result.refused),
    }
    if result.errors and not (result.new_documents or result.unchanged or result.revised):
        raise RuntimeError(f"{sources[0].name}: {result.errors[0]}")  # the partition fails; the others stand
    return MaterializeResult(metadata=metadata)


def registered(settings: NianbaoSettings) -> list[fetch.Source]:
    return fetch.load_sources(settings.sources_file) if settings.sources_file else []


FETCH_ASSETS = [fetched_documents]
