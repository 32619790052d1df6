"""Fetching from the registered 年报 columns: its own job and schedule; the main job never waits on the network."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from .. import fetch
from .resources import NianbaoSettings


@asset(group_name="fetch")
def fetched_documents(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """Reports downloaded from the official 年报 columns of the source registry into the inbox, with their URL,
    title, page date, Last-Modified and ETag in fetch_log.jsonl. A host that fails is reported; the rest proceed."""
    if not settings.sources_file:
        context.log.info("no source registry: nothing to fetch")
        return MaterializeResult(metadata={"sources": 0})
    sources = fetch.load_sources(settings.sources_file)
    result = fetch.fetch_all(sources, settings.fetched_inbox)
    for error in result.errors:
        context.log.warning(error)
    return MaterializeResult(
        metadata={
            "sources": len(sources),
            "list_pages": result.pages,
            "new_documents": result.new_documents,
            "unchanged": result.unchanged,
            "revised": result.revised,
            "errors": len(result.errors),
            "refused": len(result.refused),
        }
    )


FETCH_ASSETS = [fetched_documents]
