"""Quality: the checks that need the whole corpus, and the asset checks on the parse and the marts."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check

from warehouse import db, storage

from .. import progress
from ..report.quality import carry_checks, copy_checks, fingerprints
from . import MARTS, PARSED_REPORTS
from .resources import NianbaoSettings


@asset(group_name="quality", deps=[PARSED_REPORTS])
def corpus_quality(context: AssetExecutionContext, settings: NianbaoSettings) -> MaterializeResult:
    """Checks that need the whole corpus: copying (内容雷同), carry-over between years and revisions after
    publication (a 本地区汇总 report below its departments' sum is checked on the mart, see `marts`)."""
    with db.connect(settings.warehouse_path) as con:
        digested = sum(
            storage.save_digests(
                con, [{"sha256": r["sha256"], "fingerprints": fingerprints(r["narrative"] or "")} for r in chunk]
            )
            for chunk in storage.undigested(con)
        )
        found = carry_checks(storage.carry_rows(con))
        reports = storage.copy_inputs(con)
        for step, synthetic in enumerate((False, True)):
            progress.report("内容雷同 copy detection", step, 2)
            found += copy_checks(
                [r for r in reports if r["synthetic"] == synthetic],
                narrative_of=lambda sha: storage.narrative(con, sha),
            )
        progress.report("内容雷同 copy detection", 2, 2)
        found += storage.revisions(con)
        storage.replace_corpus_findings(con, found)
    context.log.info(f"{len(found)} corpus findings ({digested} reports digested)")
    return MaterializeResult(metadata={"findings": len(found), "reports_digested": digested})


QUALITY_ASSETS = [corpus_quality]


@asset_check(
    asset=PARSED_REPORTS, description="Identity failures: WARN for source anomalies, ERROR for extraction failures."
)
def identity_failures(settings: NianbaoSettings) -> AssetCheckResult:
    with db.connect(settings.warehouse_path) as con:
        source, extraction = storage.identity_failure_counts(con)
    return AssetCheckResult(
        passed=extraction == 0,
        severity=AssetCheckSeverity.ERROR if extraction else AssetCheckSeverity.WARN,
        metadata={"source_anomalies": source, "extraction_failures": extraction},
    )


@asset_check(
    asset=MARTS,
    description="Coverage: county-level units without a government report for a year, and "
    "bodies (departments, 苏木/镇) missing in a year after they first reported.",
)
def coverage(settings: NianbaoSettings) -> AssetCheckResult:
    with db.connect(settings.warehouse_path) as con:
        counts = storage.coverage_counts(con)
    return AssetCheckResult(
        passed=counts["missing"] == 0 and counts["other_bodies_missing"] == 0,
        severity=AssetCheckSeverity.WARN,
        metadata=counts,
    )


@asset_check(
    asset=MARTS,
    description="Duplicates: two documents for one jurisdiction-body-year (both kept; the newest is the mart's).",
)
def duplicates(settings: NianbaoSettings) -> AssetCheckResult:
    with db.connect(settings.warehouse_path) as con:
        count = storage.duplicate_body_years(con)
    return AssetCheckResult(
        passed=count == 0, severity=AssetCheckSeverity.WARN, metadata={"body_years_with_duplicates": count}
    )


ALL_CHECKS = [identity_failures, coverage, duplicates]
