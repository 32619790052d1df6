"""`nianbao demo generate`: a deterministic synthetic corpus with a truth file (truth.jsonl).

Government reports for every county-level unit of Inner Mongolia for 2019–2025, plus department and
苏木/镇 reports, in HTML (UTF-8 and GBK), text, DOCX and PDF, with planted anomalies recorded in the truth.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from catalogue import t3_key

from ..report import identities
from . import narrative, render
from .model import YEARS, Report, inner_mongolia_units, table_cells, unit_profile

FORMAT_WEIGHTS = {"html": 45, "txt": 20, "docx": 15, "pdf": 20}
# Printing variants seen in real reports (README, "Demo data"): each drawn for about one report in twelve.
VARIANTS = (
    "amount_in_yuan",
    "unit_in_cell",
    "sign_apart",
    "measure_words",
    "year_word_labels",
    "t4_three_tables",
    "cell_per_line",
    "t3_org_subtotal",
    "markdown_pipes",
)
VARIANT_RATE = 0.08
LAYOUT_SHARE = 0.3  # with the "layout" format asked for: this share of PDF reports is delivered as pdftotext -layout
DEPARTMENTS = [
    "教育局",
    "生态环境局",
    "自然资源局",
    "市场监督管理局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "交通运输局",
    "民政局",
]
TOWNSHIP_WORDS = ["城关镇", "新华镇", "乌兰镇", "巴彦镇", "宝日苏木", "查干苏木", "阿日善苏木", "白音镇"]
ANOMALY_RATES = {
    "late": 0.03,
    "source_table": 0.01,
    "copied_prev": 0.02,
    "copied_peer": 0.01,
    "contradiction_six": 0.02,
    "carry_break": 0.01,
}
REPEAT_CLIMBER = "150623"  # 鄂托克前旗: its 重复申请 share climbs year after year (a planted trend)
REVIEW_LEAGUE = "152200"  # 兴安盟: review corrections rise across the league


def build_reports(seed: int, count: int) -> list[Report]:
    rng = random.Random(seed)
    counties, leagues = inner_mongolia_units()
    profiles = {u.code: unit_profile(rng, u) for u in counties}
    profiles[REPEAT_CLIMBER]["repeat_trend"] = 0.9
    for u in counties:
        if u.parent_code == REVIEW_LEAGUE:
            profiles[u.code]["review_trend"] = 0.09
    missing = {(counties[i].code, 2023) for i in rng.sample(range(len(counties)), 2)}
    missing.add(("150623", 2022))  # the real seed report (鄂托克前旗 2022) stands for this jurisdiction-year
    reports: list[Report] = []
    previous: dict[str, Report] = {}
    carried: dict[str, list[int]] = {}
    for year in YEARS:
        for unit in counties:
            if (unit.code, year) in missing:
                continue
            report = _government_report(rng, unit, year, profiles[unit.code], carried.get(unit.code, [0] * 6))
            carried[unit.code] = _carried_forward(report)
            _plant(rng, report, previous.get(unit.code), reports)
            previous[unit.code] = report
            reports.append(report)
    reports += _sub_reports(rng, counties, profiles, max(0, count - len(reports)))
    if count < len(reports):
        step = len(reports) / count
        reports = [reports[int(i * step)] for i in range(count)]
    _mark_sums_of_parts(reports)
    return _named(reports, rng, seed)


def _named(reports: list[Report], rng: random.Random, seed: int) -> list[Report]:
    """Document ids, formats and printing variants (the variants from their own stream: adding one changes no
    number of any report)."""
    variant_rng = random.Random(seed + 3)
    for i, report in enumerate(reports):
        report.doc_id = f"demo-{i:05d}-{report.unit.code}-{report.year}"
        report.fmt = rng.choices(list(FORMAT_WEIGHTS), list(FORMAT_WEIGHTS.values()))[0]
        report.variants = [v for v in VARIANTS if variant_rng.random() < VARIANT_RATE]
        if "amount_in_yuan" in report.variants and "unit_in_cell" in report.variants:
            report.variants.remove("unit_in_cell")
    return reports


def build_province(seed: int, departments: int = 20, townships: int = 3) -> list[Report]:
    """Full coverage of 内蒙古 for 2019–2025, as a province really publishes: every unit's government report, and
    the reports of `departments` department types (the catalogue's first) and `townships` 苏木/镇 every year."""
    from catalogue import load_catalogue

    rng = random.Random(seed)
    counties, _ = inner_mongolia_units()
    profiles = {u.code: unit_profile(rng, u) for u in counties}
    types = [d["label"] for d in load_catalogue().raw["department_types"]][:departments]
    reports: list[Report] = []
    for unit in counties:
        carried = [0] * 6
        for year in YEARS:
            report = _government_report(rng, unit, year, profiles[unit.code], carried)
            carried = _carried_forward(report)
            reports.append(report)
        names = [*types, *TOWNSHIP_WORDS[:townships]]
        for index, name in enumerate(names):
            kind = "department" if index < len(types) else "township"
            reports += _body_reports(rng, unit, profiles[unit.code], lambda year, n=name, u=unit: f"{u.name}{n}", kind)
    _mark_sums_of_parts(reports)
    return _named(reports, rng, seed)


APPLICANT_COLUMNS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "public_interest_org",
    "legal_service_org",
    "other_org",
)


def _carried_forward(report: Report) -> list[int]:
    """What a body carries into next year's table 3, per applicant column."""
    return [report.cells[t3_key("carried_forward", col)] for col in APPLICANT_COLUMNS]


def _versions(rng: random.Random, year: int) -> dict:
    if year <= 2020:
        return {"t2": "v2019", "t3": "v2019", "t4": "v2019"}
    roll = rng.random()
    if roll < 0.03:
        return {"t2": "v2019", "t3": "v2019", "t4": "v2019"}
    if roll < 0.08:
        return {"t2": "v2021", "t3": "v2019", "t4": "v2021"}
    return {"t2": "v2021", "t3": "v2021", "t4": "v2021"}


def _publish_date(rng: random.Random, year: int, scope: str) -> str:
    start = date(year + 1, 1, 8)
    last = date(year + 1, 1, 30) if scope == "department" else date(year + 1, 3, 28)
    return (start + timedelta(days=rng.randint(0, (last - start).days))).isoformat()


def _government_report(rng, unit, year, profile, carried_in) -> Report:
    versions = _versions(rng, year)
    cells, _ = table_cells(rng, profile, year, versions, carried_in)
    new = cells[t3_key("new_received", "total")]
    issuer = rng.choice(
        [f"{unit.name}人民政府", f"{unit.parent_name}{unit.name}人民政府", f"{unit.name}人民政府办公室"]
    )
    scope = "gov_aggregate" if rng.random() < 0.5 else "gov_own"
    kind = "government_office" if issuer.endswith("办公室") else "government"
    return Report(
        "",
        unit,
        year,
        issuer,
        kind,
        scope,
        versions,
        cells,
        narrative.sections(rng, unit.name, unit.parent_name, year, new),
        _publish_date(rng, year, scope),
    )


# Every unit of one 盟/市 reports with the same department types every year (so the dashboard can compare one
# department type across the 盟/市's units), under the names real bodies used as they were renamed.
DEPARTMENT_LEAGUE = "150600"  # 鄂尔多斯市
LEAGUE_DEPARTMENTS = [
    lambda year: "市场监督管理局" if year % 2 else "市场监管局",
    lambda year: "政务服务局" if year <= 2020 else "行政审批和政务服务局",
    lambda year: "交通运输局",
]
DEPARTMENT_SCALE = 0.08  # a department's share of its unit's volume: three of them stay below the 本地区汇总 report


def _sub_reports(rng, counties, profiles, wanted: int) -> list[Report]:
    """Department and 苏木/镇 reports: each body reports every year, its carry-over and stock consistent. First the
    department types and one 苏木/镇 of every unit of DEPARTMENT_LEAGUE (type by type, so any prefix compares one type
    across the units; the 苏木/镇 second), then bodies of random units."""
    league = [u for u in counties if u.parent_code == DEPARTMENT_LEAGUE]
    names = [rng.choice(TOWNSHIP_WORDS) for _ in league]
    townships = [(unit, lambda year, t=name: t, "township") for unit, name in zip(league, names, strict=True)]
    planned = [(unit, name, "department") for name in LEAGUE_DEPARTMENTS for unit in league]
    planned = planned[: len(league)] + townships + planned[len(league) :]  # a short demo still has 苏木/镇
    out: list[Report] = []
    for unit, name, kind in planned:
        out += _body_reports(rng, unit, profiles[unit.code], lambda year, n=name, u=unit: f"{u.name}{n(year)}", kind)
    used: set[str] = set()
    others = [u for u in counties if u.parent_code != DEPARTMENT_LEAGUE]
    bodies = len(others) * (len(DEPARTMENTS) + len(TOWNSHIP_WORDS))
    while len(out) < wanted and len(used) < bodies:  # a count beyond every body stops at every body
        unit = rng.choice(counties)
        if unit.parent_code == DEPARTMENT_LEAGUE:
            continue
        if rng.random() < 0.6:
            issuer, kind = f"{unit.name}{rng.choice(DEPARTMENTS)}", "department"
        else:
            issuer, kind = f"{unit.name}{rng.choice(TOWNSHIP_WORDS)}", "township"
        if issuer in used:
            continue
        used.add(issuer)
        out += _body_reports(rng, unit, profiles[unit.code], lambda year, i=issuer: i, kind)
    return out[:wanted]


def _body_reports(rng, unit, unit_profile_, issuer_of, kind: str) -> list[Report]:
    profile = {k: v for k, v in unit_profile_.items() if k != "in_force"}
    profile["scale"] *= DEPARTMENT_SCALE
    carried = [0] * 6
    out = []
    for year in YEARS:
        versions = _versions(rng, year)
        cells, carried = table_cells(rng, profile, year, versions, carried)
        new = cells[t3_key("new_received", "total")]
        issuer = issuer_of(year)
        out.append(
            Report(
                "",
                unit,
                year,
                issuer,
                kind,
                kind,
                versions,
                cells,
                narrative.sections(rng, issuer, unit.parent_name, year, new),
                _publish_date(rng, year, kind),
            )
        )
    return out


SUMMED = ("t2_license_decisions", "t2_penalty_decisions", t3_key("new_received", "total"))


def _mark_sums_of_parts(reports: list[Report]) -> None:
    """A 本地区汇总 government report whose numbers fall below the sum of its unit's departments of that year is
    recorded as the anomaly `sum_parts` (the generator keeps departments small, so this is rare and always said)."""
    parts: dict[tuple, dict] = {}
    for r in reports:
        if r.issuer_kind == "department":
            sums = parts.setdefault((r.unit.code, r.year), dict.fromkeys(SUMMED, 0))
            for key in SUMMED:
                sums[key] += r.cells.get(key) or 0
    for r in reports:
        sums = parts.get((r.unit.code, r.year))
        if r.scope == "gov_aggregate" and sums and any((r.cells.get(k) or 0) < sums[k] for k in SUMMED):
            r.anomalies.append("sum_parts")


def _plant(rng: random.Random, report: Report, previous: Report | None, done: list[Report]) -> None:
    for anomaly, rate in ANOMALY_RATES.items():
        if rng.random() >= rate:
            continue
        if anomaly == "late":
            report.published_at = date(report.year + 1, rng.choice([4, 5]), rng.randint(1, 28)).isoformat()
        elif anomaly == "source_table":
            report.cells[t3_key("total_processed", "total")] += 1
        elif anomaly == "copied_prev" and previous:
            report.sections["一"] = list(previous.sections["一"])
            report.sections["五"] = list(previous.sections["五"])
        elif anomaly == "copied_peer":
            peers = [r for r in done if r.year == report.year and r.unit.code != report.unit.code]
            if not peers:
                continue
            source = rng.choice(peers)
            report.sections["一"] = list(source.sections["一"])
            if "copy_source" not in source.anomalies:
                source.anomalies.append("copy_source")  # a same-year pair: either could be the copy
        elif anomaly == "contradiction_six":
            if report.cells[t3_key("new_received", "total")] == 0:
                continue
            report.sections["六"] = [narrative.CONTRADICTION_SIX.format(year=report.year)]
        elif anomaly == "carry_break" and previous:
            report.cells[t3_key("carried_over", "natural_person")] += 2
            report.cells[t3_key("carried_over", "total")] += 2
            report.cells[t3_key("total_processed", "natural_person")] += 2
            report.cells[t3_key("total_processed", "total")] += 2
            report.cells[t3_key("granted", "natural_person")] += 2
            report.cells[t3_key("granted", "total")] += 2
        else:
            continue
        report.anomalies.append(anomaly)


def truth_of(report: Report, file_name: str) -> dict:
    cells = dict(report.cells)
    if report.versions["t3"] == "v2021":
        for col in (*APPLICANT_COLUMNS, "total"):
            cells[t3_key("other_total", col)] = sum(
                cells[t3_key(r, col)] for r in ("other_no_correction", "other_fee_unpaid", "other_other")
            )
    broken = identities.broken(cells, report.versions["t3"], True)  # the same evaluator the parser validates with
    if bool(broken) != ("source_table" in report.anomalies):
        raise AssertionError(
            f"{report.doc_id}: generated tables break {broken or 'nothing'} "
            f"but the planted anomalies are {report.anomalies}"
        )
    return {
        "id": report.doc_id,
        "file": file_name,
        "format": report.fmt,
        "variants": report.variants,
        "synthetic": True,
        "issuer": report.issuer,
        "issuer_kind": report.issuer_kind,
        "scope": report.scope,
        "jurisdiction_code": report.unit.code,
        "year": report.year,
        "template": report.versions,
        "published_at": report.published_at,
        "anomalies": report.anomalies,
        "broken_identities": broken,
        "cells": cells,
    }


def _render_one(job: tuple[Report, str, bool, str]) -> str:
    report, encoding, declare, out = job
    if report.fmt == "html":
        data = render.render_html(report, encoding, declare_charset=declare)
    else:
        data = render.RENDERERS[report.fmt](report)
    name = report.doc_id + render.EXTENSIONS[report.fmt]
    (Path(out) / name).write_bytes(data)
    return name


def _scan_some(reports: list[Report], scans: int, rng: random.Random) -> None:
    """`scans` of the PDF reports become scans, the image-only PDF and the TIFF alternately."""
    pdfs = [report for report in reports if report.fmt == "pdf"]
    for i, report in enumerate(rng.sample(pdfs, min(scans, len(pdfs)))):
        report.fmt = "scan" if i % 2 == 0 else "tiff"


def generate(
    out: str | Path,
    seed: int = 7,
    count: int = 800,
    formats: list[str] | None = None,
    workers: int | None = None,
    reports: list[Report] | None = None,
    scans: int = 0,
) -> dict:
    """Render the demo set (`reports`: a set built already, e.g. `build_province`) with its truth file; `scans` of
    its PDF reports printed and scanned instead (image-only PDF and multi-page TIFF, alternately)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    reports = reports if reports is not None else build_reports(seed, count)
    allowed = [f for f in (formats or list(FORMAT_WEIGHTS)) if f in render.RENDERERS]
    format_rng = random.Random(seed + 2)
    gbk_rng = random.Random(seed + 1)
    layout_rng = random.Random(seed + 4)
    jobs = []
    for report in reports:
        if report.fmt not in allowed:
            report.fmt = format_rng.choice(allowed)
        if "layout" in allowed and report.fmt == "pdf" and ("pdf" not in allowed or layout_rng.random() < LAYOUT_SHARE):
            report.fmt = "layout"
        gbk = report.fmt == "html" and gbk_rng.random() < 0.3
        declare = not gbk or gbk_rng.random() < 0.7
        jobs.append((report, "gbk" if gbk else "utf-8", declare, str(out)))
    _scan_some([job[0] for job in jobs], scans, random.Random(seed + 5))
    workers = workers or min(2, os.cpu_count() or 1)
    if len(jobs) >= 100 and workers > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            names = list(pool.map(_render_one, jobs, chunksize=16))
    else:
        names = [_render_one(job) for job in jobs]
    counts: dict[str, int] = {}
    with open(out / "truth.jsonl", "w", encoding="utf-8") as truth:
        for report, name in zip(reports, names, strict=False):
            truth.write(json.dumps(truth_of(report, name), ensure_ascii=False) + "\n")
            counts[report.fmt] = counts.get(report.fmt, 0) + 1
    return {"out": str(out), "documents": len(reports), "formats": counts}
