"""The nianbao Dagster code location: one Definitions with assets, checks, the main job, schedule and sensor."""

from dagster import (AssetSelection, DefaultScheduleStatus, DefaultSensorStatus, Definitions, RunRequest,
                     SensorEvaluationContext, SkipReason, define_asset_job, multi_or_in_process_executor, schedule,
                     sensor)

from warehouse.paths import Paths

from . import inbox
from .assets import ALL_ASSETS, FETCH_ASSETS, FETCHED_DOCUMENTS, NianbaoSettings
from .checks import ALL_CHECKS
from .settings import resources_for

main_job = define_asset_job("main_job", selection=AssetSelection.all() - AssetSelection.assets(FETCHED_DOCUMENTS),
                            description="Ingest, parse, check, build marts, publish (never waits on the network).")
fetch_job = define_asset_job("fetch_job", selection=AssetSelection.assets(FETCHED_DOCUMENTS),
                             description="Download reports from the registered 年报 columns into the inbox.")


@schedule(job=main_job, cron_schedule="0 6 * * *", execution_timezone="Asia/Shanghai",
          default_status=DefaultScheduleStatus.RUNNING)
def daily_refresh():
    """Every morning at 06:00 Beijing time."""
    return RunRequest()


@schedule(job=fetch_job, cron_schedule="0 2 * * 1", execution_timezone="Asia/Shanghai",
          default_status=DefaultScheduleStatus.STOPPED)
def weekly_fetch():
    """Mondays at 02:00 Beijing time; off until an office has filled its registry (the inbox sensor then runs
    the main job on what arrived)."""
    return RunRequest()


@sensor(job=main_job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def inbox_sensor(context: SensorEvaluationContext, settings: NianbaoSettings):
    """Starts a run when the inbox changes (new, replaced or removed entries), reading the folders of the
    `settings` resource; nothing is read or followed, only names, sizes and times."""
    fingerprint = inbox.fingerprint(settings.inbox_dirs)
    if fingerprint == context.cursor:
        return SkipReason("inbox unchanged")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)


defs = Definitions(
    assets=[*FETCH_ASSETS, *ALL_ASSETS],
    asset_checks=ALL_CHECKS,
    jobs=[main_job, fetch_job],
    schedules=[daily_refresh, weekly_fetch],
    sensors=[inbox_sensor],
    resources=resources_for(Paths.resolve()),
    executor=multi_or_in_process_executor,  # `nianbao run` picks in-process or N worker processes by run config
)


def main_job_for_workers():
    """The main job as worker processes rebuild it (dagster.reconstructable needs a module-level target)."""
    return defs.resolve_job_def("main_job")
