"""The nianbao Dagster code location: one Definitions with assets, checks, the main job, schedule and sensor."""

import hashlib

from dagster import (DefaultScheduleStatus, DefaultSensorStatus, Definitions, RunRequest, SensorEvaluationContext,
                     SkipReason, define_asset_job, in_process_executor, schedule, sensor)

from . import ingest
from .assets import ALL_ASSETS, NianbaoSettings
from .checks import ALL_CHECKS
from .settings import default_paths, demo_settings

main_job = define_asset_job("main_job", selection="*", description="Ingest, parse, check, build marts, publish.")


def settings_resource() -> NianbaoSettings:
    return NianbaoSettings(**default_paths(), province=demo_settings().get("province_context", ""))


@schedule(job=main_job, cron_schedule="0 6 * * *", execution_timezone="Asia/Shanghai",
          default_status=DefaultScheduleStatus.RUNNING)
def daily_refresh():
    """Every morning at 06:00 Beijing time."""
    return RunRequest()


@sensor(job=main_job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def inbox_sensor(context: SensorEvaluationContext):
    """Starts a run when the set of files in the inbox changes (new, replaced or removed documents)."""
    files = ingest.scan_inbox(default_paths()["inbox_dirs"])
    fingerprint = hashlib.sha256("\n".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files).encode()).hexdigest()
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
    resources={"settings": settings_resource()},
    executor=in_process_executor,
)
