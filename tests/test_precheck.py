"""发布前体检 on drafts: the problems an office would raise, each with how to fix it; copying against the
warehouse; hostile files refused with their reason; nothing stored."""

import copy

import pytest

from catalogue import t3_key
from pipelines.demo import render
from pipelines.demo.generate import build_reports
from pipelines.precheck import check_draft

from .test_bad_input import CASES
from .test_dashboard import published  # noqa: F401 — the small warehouse of the page tests


def _draft(year: int = 2024, seed: int = 5):
    reports = build_reports(seed, 60)
    return copy.deepcopy(next(r for r in reports if r.year == year and r.versions["t3"] == "v2021" and not r.variants))


def test_a_broken_table_and_a_stale_year_are_found_with_how_to_fix_them():
    draft = _draft()
    draft.cells[t3_key("total_processed", "natural_person")] += 3
    draft.sections["一"] = [
        *draft.sections["一"][:1],
        "2022年，本机关持续推进政务公开工作。",
        *draft.sections["一"][1:],
    ]
    report = check_draft(render.render_docx(draft), "草稿.docx", "内蒙古自治区")
    codes = {f["code"].split(".")[0]: f for f in report["findings"]}
    assert {"E1", "QC_STALE_YEAR"} <= set(codes)
    assert codes["E1"]["severity"] == "error" and "结转下年度" in codes["E1"]["fix"]
    assert "2022" in codes["QC_STALE_YEAR"]["detail"] and codes["QC_STALE_YEAR"]["fix"]
    assert report["findings"][0]["severity"] == "error"  # what must be fixed comes first


def test_a_clean_draft_has_no_findings():
    report = check_draft(render.render_docx(_draft()), "草稿.docx", "内蒙古自治区")
    assert report["status"] == "ok" and report["findings"] == []


def test_copying_is_checked_against_the_same_bodys_earlier_report(published):  # noqa: F811
    earlier = next(
        r
        for r in build_reports(7, 800)
        if r.year == 2023 and r.issuer_kind == "government" and not r.variants and r.unit.code != "150623"
    )
    draft = copy.deepcopy(earlier)
    draft.year, draft.published_at = 2024, "2025-01-20"
    report = check_draft(render.render_text(draft), "草稿.txt", "内蒙古自治区", str(published))
    assert "QC_COPY_PREV" in {f["code"] for f in report["findings"]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_file_gets_its_reason(name):
    data, code = CASES[name]
    report = check_draft(data, name)
    assert report["status"] == "error" and report["error_code"] == code
