"""Hand-checked real reports (shared/corpus/dev): accuracy, zero silently wrong cells, holdout never crashes."""

import json

import pytest

from pipelines.report.evaluate import evaluate
from pipelines.report.parse import parse_file
from pipelines.report.validate import SOURCE_ANOMALY

from .conftest import shared_or_skip


@pytest.fixture(scope="module")
def report():
    return evaluate(shared_or_skip() / "corpus" / "dev" / "labels.jsonl")


def test_overall_accuracy_and_no_silent_errors(report):
    total = report["total"]
    assert total["exact"] / total["cells"] >= 0.99
    assert total["silent"] == 0, [f for f in report["files"] if f["silent"]]


def test_clean_sources_exact(report):
    """Seed, original web pages, 三明 texts and 洪泽 PDFs: every labelled cell exact."""
    for f in report["files"]:
        if f["format"] in ("html", "pdf") or "sanming" in f["id"] or f["id"] == "nm-etkqq-2022":
            assert f["exact"] == f["cells"], (f["id"], f["wrong"])
            assert f["template_ok"] and f["year_ok"], f["id"]


def test_source_anomaly_kept_and_reported():
    shared = shared_or_skip()
    result = parse_file(shared / "corpus" / "dev" / "js-huaian-hongze-2023.pdf")
    assert result["cells"]["t4_review_total"] == 0 and result["cells"]["t4_review_upheld"] == 10
    failed = {c["code"]: c for c in result["checks"] if c["status"] == "fail"}
    assert failed["E6.review"]["severity"] == "warn" and SOURCE_ANOMALY in failed["E6.review"]["detail"]
    assert "E6.lit_after_review" in failed
    assert result["template"] == {"t2": "v2021", "t3": "v2019", "t4": "v2021"}
    assert "VERSION_MISMATCH" in failed


def test_split_number_repaired_with_identities():
    shared = shared_or_skip()
    result = parse_file(shared / "corpus" / "dev" / "fj-sanming-2021.txt")
    assert result["cells"]["t3_new_received__total"] == 162
    assert result["cell_status"]["t3_new_received__total"] == "imputed"


def test_holdout_parses_without_crash():
    shared = shared_or_skip()
    for path in sorted((shared / "corpus" / "holdout").iterdir()):
        result = parse_file(path)
        assert result["status"] in ("ok", "partial", "error"), path
        json.dumps(result, ensure_ascii=False)
        if result["status"] == "ok":
            assert all(result["template"].values())


EXPECTED_WHO = {  # id: (division code, issuer kind, scope) — from the labels' jurisdiction descriptions
    "nm-etkqq-2022": ("150623", "government", "gov_own"),
    "js-huaian-hongze-2023": ("320813", "government", "gov_own"),
    "js-huaian-hongze-2024": ("320813", "government", "gov_own"),
    "fj-pingtan-2022": ("350128", "government", "gov_aggregate"),
    "fj-pingtan-2023-html": ("350128", "government", "gov_aggregate"),
    "fj-sanming-2019": ("350400", "government", "gov_aggregate"),
    "fj-sanming-2021": ("350400", "government", "gov_aggregate"),
    "fj-sanming-2023": ("350400", "government", "gov_aggregate"),
}


def test_every_dev_report_resolves():
    shared = shared_or_skip()
    for line in (shared / "corpus" / "dev" / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        result = parse_file(shared / label["file"])
        code, kind, scope = EXPECTED_WHO.get(label["id"], ("350300", "department", "department"))  # 莆田 市直部门
        assert result["year"] == label["year"], label["id"]
        assert result["jurisdiction"]["code"] == code, label["id"]
        assert (result["issuer_kind"], result["scope"]) == (kind, scope), label["id"]
