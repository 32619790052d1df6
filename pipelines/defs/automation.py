"""Jobs, schedules and the inbox sensor."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from .. import inbox
from . import FETCHED_DOCUMENTS
from .fetch import SOURCES, SOURCES_NAME, registered
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
def weekly_fetch(context: ScheduleEvaluationContext, settings: NianbaoSettings):
    """Mondays at 02:00 Beijing time, one run per registered column (its partition; `registry_sensor` registers
    new ones); off until an office has filled its registry (the inbox sensor then runs the main job on what
    arrived)."""
    known = set(context.instance.get_dynamic_partitions(SOURCES_NAME))
    day = f"{context.scheduled_execution_time:%Y%m%d}"  # one run per column per scheduled day
    requests = [
        RunRequest(partition_key=s.key, run_key=f"{s.key}-{day}") for s in registered(settings) if s.key in known
    ]
    return requests or SkipReason("no registered column: fill the source registry (see README, Fetching)")


@sensor(job=fetch_job, minimum_interval_seconds=300, default_status=DefaultSensorStatus.RUNNING)
def registry_sensor(context: SensorEvaluationContext, settings: NianbaoSettings):
    """Keeps one fetch partition per registry entry: adds the new ones, removes the ones taken out of the registry
    (their documents stay in the warehouse)."""
    keys = {s.key for s in registered(settings)}
    known = set(context.instance.get_dynamic_partitions(SOURCES_NAME))
    if keys == known:
        return SkipReason("source registry unchanged")
    return SensorResult(
        dynamic_partitions_requests=[
            SOURCES.build_add_request(sorted(keys - known)),
            SOURCES.build_delete_request(sorted(known - keys)),
        ]
    )


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
SENSORS = [inbox_sensor, registry_sensor]
