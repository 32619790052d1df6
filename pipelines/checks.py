"""Asset checks: identity failures, coverage and duplicate documents (policy in one place)."""

from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from warehouse import db

from .assets import MARTS, PARSED_REPORTS, NianbaoSettings


@asset_check(asset=PARSED_REPORTS, description="Identity failures: WARN for source anomalies, ERROR for extraction failures.")
def identity_failures(settings: NianbaoSettings) -> AssetCheckResult:
    with db.connect(settings.warehouse_path) as con:
        source, extraction = con.execute("""SELECT count(*) FILTER (WHERE severity = 'warn'), count(*) FILTER (WHERE severity = 'error')
            FROM checks WHERE kind = 'identity' AND status = 'fail' AND code NOT LIKE 'TABLE.%'""").fetchone()
    return AssetCheckResult(passed=extraction == 0,
                            severity=AssetCheckSeverity.ERROR if extraction else AssetCheckSeverity.WARN,
                            metadata={"source_anomalies": source, "extraction_failures": extraction})


@asset_check(asset=MARTS, description="Coverage: county-level units without a government report for a year, and "
                                      "bodies (departments, 苏木/镇) missing in a year after they first reported.")
def coverage(settings: NianbaoSettings) -> AssetCheckResult:
    with db.connect(settings.warehouse_path) as con:
        missing, late, total, bodies_missing = con.execute("""SELECT
            count(*) FILTER (WHERE state = 'missing' AND body_key = 'government'),
            count(*) FILTER (WHERE state = 'late'), count(*) FILTER (WHERE body_key = 'government'),
            count(*) FILTER (WHERE state = 'missing' AND body_key <> 'government') FROM coverage""").fetchone()
    return AssetCheckResult(passed=missing == 0 and bodies_missing == 0, severity=AssetCheckSeverity.WARN,
                            metadata={"missing": missing, "late": late, "jurisdiction_years": total,
                                      "other_bodies_missing": bodies_missing})


@asset_check(asset=MARTS, description="Duplicates: two documents for one jurisdiction-body-year (both kept; the newest is the mart's).")
def duplicates(settings: NianbaoSettings) -> AssetCheckResult:
    with db.connect(settings.warehouse_path) as con:
        count = con.execute("SELECT count(*) FROM metrics_jurisdiction_year WHERE documents_for_year > 1").fetchone()[0]
    return AssetCheckResult(passed=count == 0, severity=AssetCheckSeverity.WARN, metadata={"body_years_with_duplicates": count})


ALL_CHECKS = [identity_failures, coverage, duplicates]
