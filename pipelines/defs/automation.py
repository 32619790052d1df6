"""Jobs, schedules and the inbox sensor."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from .. import inbox
from . import FETCHED_DOCUMENTS
from .resources import NianbaoSettings

main_job = define_asset_job(
    "main_job",
    selection=AssetSelection.all() - AssetSelection.assets(FETCHED_DOCUMENTS),
    description="Ingest, parse, check, build marts, publish (never waits on the network).",
)
fetch_job = define_asset_job(
    "fetch_job",
    selection=AssetSelection.assets(FETCHED_DOCUMENTS),
    description="Download reports from the registered 年报 columns into the inbox.",
)


@schedule(
    job=main_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.RUNNING,
)
def daily_refresh():
    """Every morning at 06:00 Beijing time."""
    return RunRequest()


@schedule(
    job=fetch_job,
    cron_schedule="0 2 * * 1",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.STOPPED,
)
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


JOBS = [main_job, fetch_job]
SCHEDULES = [daily_refresh, weekly_fetch]
SENSORS = [inbox_sensor]
