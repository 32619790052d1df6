"""The nianbao Dagster code location: one Definitions with assets, checks, the main job, schedules and sensor."""

from dagster import Definitions, multi_or_in_process_executor

from warehouse.paths import Paths

from .defs.automation import JOBS, SCHEDULES, SENSORS, main_job
from .defs.fetch import FETCH_ASSETS
from .defs.ingest import INGEST_ASSETS
from .defs.marts import MART_ASSETS
from .defs.quality import ALL_CHECKS, QUALITY_ASSETS
from .settings import resources_for

ASSETS = [*FETCH_ASSETS, *INGEST_ASSETS, *QUALITY_ASSETS, *MART_ASSETS]


def definitions_for(resources: dict) -> Definitions:
    """The code location with these resources (the CLI's in-process run builds its own from its paths)."""
    return Definitions(
        assets=ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=resources,
        executor=multi_or_in_process_executor,
    )  # `nianbao run`: in-process or N workers by run config


defs = definitions_for(resources_for(Paths.resolve()))


def main_job_for_workers():
    """The main job as worker processes rebuild it (dagster.reconstructable needs a module-level target)."""
    return defs.resolve_job_def(main_job.name)
