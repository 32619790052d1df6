"""The nianbao Dagster code location: one Definitions with assets, checks, the main job, schedule and sensor."""

from dagster import (DefaultScheduleStatus, DefaultSensorStatus, Definitions, RunRequest, SensorEvaluationContext,
                     SkipReason, define_asset_job, in_process_executor, schedule, sensor)

from warehouse.paths import Paths

from . import inbox
from .assets import ALL_ASSETS, NianbaoSettings
from .checks import ALL_CHECKS
from .settings import resources_for

main_job = define_asset_job("main_job", selection="*", description="Ingest, parse, check, build marts, publish.")


@schedule(job=main_job, cron_schedule="0 6 * * *", execution_timezone="Asia/Shanghai",
          default_status=DefaultScheduleStatus.RUNNING)
def daily_refresh():
    """Every morning at 06:00 Beijing time."""
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
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[main_job],
    schedules=[daily_refresh],
    sensors=[inbox_sensor],
    resources=resources_for(Paths.resolve()),
    executor=in_process_executor,
)
