"""Generated demo documents parse back to their truth; planted anomalies are detected."""

import json
import shutil

import pytest

from pipelines.demo.generate import build_reports
from pipelines.demo.roundtrip import roundtrip
from pipelines.report.parse import parse_file
from pipelines.report.quality import report_checks


def test_roundtrip_every_format(demo_folder):
    report = roundtrip(demo_folder)
    assert set(report["by_format"]) == {"html", "txt", "docx", "pdf"}
    assert report["failures"] == []


def test_generator_is_deterministic():
    a = [(r.unit.code, r.year, r.cells["t2_license_decisions"]) for r in build_reports(3, 100)]
    b = [(r.unit.code, r.year, r.cells["t2_license_decisions"]) for r in build_reports(3, 100)]
    assert a == b


def test_every_unit_every_year_but_planted_gaps():
    reports = build_reports(7, 800)
    gov = {(r.unit.code, r.year) for r in reports if r.issuer_kind.startswith("government")}
    assert len({c for c, _ in gov}) == 103
    assert 103 * 7 - len(gov) == 3  # two planted missing reports + the seed's own jurisdiction-year


def test_planted_per_report_anomalies_are_found(demo_folder):
    for line in (demo_folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        truth = json.loads(line)
        result = parse_file(demo_folder / truth["file"], "内蒙古自治区")
        failed = {c["code"] for c in result["checks"] + report_checks(result) if c["status"] == "fail"}
        if "late" in truth["anomalies"]:
            assert "QC_LATE" in failed, truth["file"]
        if "contradiction_six" in truth["anomalies"]:
            assert "QC_CONTRADICTION" in failed, truth["file"]
        if "source_table" in truth["anomalies"]:
            assert any(code.startswith(("E1", "E2", "E3")) for code in failed), truth["file"]
        if not truth["anomalies"]:
            assert not failed - {"VERSION_MISMATCH"}, (truth["file"], failed)


def _variant_cases():
    from pipelines.demo.generate import VARIANTS

    combined = {
        "cell_per_line": ["cell_per_line", "sign_apart", "unit_in_cell", "measure_words"],
        "markdown_pipes": ["markdown_pipes", "t4_three_tables"],
    }  # as 沭阳 2025 (spec §8.4)
    formats = ["html", "txt", "docx", "pdf", "ofd", "xlsx"] + (["layout"] if shutil.which("pdftotext") else [])
    text_only = ("cell_per_line", "markdown_pipes")  # how a text copy of a page is written
    return [(variant, fmt) for variant in VARIANTS for fmt in (["txt"] if variant in text_only else formats)], combined


CASES, COMBINED = _variant_cases()


@pytest.mark.parametrize("variant,fmt", CASES)
def test_every_printing_variant_round_trips(tmp_path, variant, fmt):
    """Each variant the generator prints (amounts in 元, units and signs set apart, measure words, 本年度 labels,
    table 4 as three tables, one cell per line, pdftotext -layout) reads back exactly, with no cell in doubt,
    for a 2019-format and a 2021-format report, in every format (OFD included)."""
    from pipelines.demo import render
    from pipelines.demo.generate import truth_of
    from pipelines.demo.roundtrip import compare

    reports = build_reports(5, 60)
    chosen = [next(r for r in reports if r.versions["t2"] == v and r.versions["t3"] == v) for v in ("v2019", "v2021")]
    for report in chosen:
        report.variants = COMBINED.get(variant, [variant])
        report.fmt = fmt
        path = tmp_path / (report.doc_id + render.EXTENSIONS[fmt])
        path.write_bytes(render.RENDERERS[fmt](report))
        result = parse_file(path, "内蒙古自治区")
        assert compare(truth_of(report, path.name), result) == [], (variant, fmt, report.versions["t2"])
        assert result["status"] == "ok", result.get("error")


def test_generator_checks_its_tables_with_the_parsers_identities(demo_folder):
    """Clean generated tables satisfy every identity of the catalogue; a planted source anomaly breaks one —
    checked by the one evaluator validation and recovery use, and written into the truth file."""
    truths = [json.loads(line) for line in (demo_folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(bool(t["broken_identities"]) == ("source_table" in t["anomalies"]) for t in truths)


def _subtotal_report_text(swap_last_two: bool = False, tamper: tuple[str, ...] = ()) -> tuple[object, str]:
    """A generated 2021-format text report printing 法人或其他组织小计, with 法人 requests in table 3; the 8th
    column of rows whose label holds one of the `tamper` words is raised by 3 ("" matches every row)."""
    from pipelines.demo import render

    report = next(
        r
        for r in build_reports(5, 200)
        if r.versions["t3"] == "v2021"
        and r.versions["t2"] == "v2021"
        and r.cells["t3_new_received__commercial_enterprise"] > 0
    )
    report.variants, report.fmt = ["t3_org_subtotal"], "txt"
    lines = render.RENDERERS["txt"](report).decode("utf-8").split("\n")
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) >= 9 and all(c.isdigit() for c in cells[-8:]) and not cells[-9].isdigit():  # table 3: 8 values
            if swap_last_two:
                cells[-2], cells[-1] = cells[-1], cells[-2]
            if any(word in cells[0] or word in cells[-9] for word in tamper):
                cells[-2] = str(int(cells[-2]) + 3)
            lines[i] = "\t".join(cells)
    return report, "\n".join(lines)


@pytest.mark.parametrize("swap", [False, True], ids=["before-total", "after-total"])
def test_an_organisation_subtotal_column_is_read_and_dropped_only_when_it_is_one(tmp_path, swap):
    from pipelines.demo.generate import truth_of
    from pipelines.demo.roundtrip import compare

    report, text = _subtotal_report_text(swap_last_two=swap)
    path = tmp_path / "subtotal.txt"
    path.write_text(text, encoding="utf-8")
    result = parse_file(path, "内蒙古自治区")
    assert compare(truth_of(report, path.name), result) == [] and result["status"] == "ok"
    assert any("法人或其他组织小计" in note for note in result["notes"])


def test_one_misprinted_subtotal_does_not_stop_the_column_being_dropped(tmp_path):
    from pipelines.demo.generate import truth_of
    from pipelines.demo.roundtrip import compare

    report, text = _subtotal_report_text(tamper=("新收",))
    path = tmp_path / "one-misprint.txt"
    path.write_text(text, encoding="utf-8")
    result = parse_file(path, "内蒙古自治区")
    assert compare(truth_of(report, path.name), result) == []
    assert any("法人或其他组织小计" in note and "24 of the 25 rows" in note for note in result["notes"])


@pytest.mark.parametrize(
    "tamper", [("",), ("新收", "上年结转", "予以公开", "部分公开", "总计", "结转下年度")], ids=["every-row", "six-rows"]
)
def test_an_eighth_column_that_is_not_a_subtotal_is_kept_and_nothing_is_confidently_wrong(tmp_path, tamper):
    """Not dropped, the 8-value rows go to recovery; a reading only its row sum supports (two of eight values
    merged) stays uncertain — with six rows off, 重复申请 has exactly one such reading, and it is wrong."""
    from pipelines.demo.generate import truth_of

    report, text = _subtotal_report_text(tamper=tamper)
    path = tmp_path / "not-a-subtotal.txt"
    path.write_text(text, encoding="utf-8")
    result = parse_file(path, "内蒙古自治区")
    truth = truth_of(report, path.name)["cells"]
    assert not any("小计" in note for note in result["notes"])
    wrong = {k for k, v in result["cells"].items() if k.startswith("t3_") and k in truth and v != truth[k]}
    assert wrong and all(result["cell_status"][k] in ("uncertain", "missing") for k in wrong)
    assert result["status"] != "ok"


def test_a_trailing_empty_cell_on_every_row_is_no_subtotal_column(tmp_path):
    """Rows carrying an extra empty cell (spec §8.4: the seed's （七）总计 and 四 rows) keep their seven values."""
    from pipelines.demo import render
    from pipelines.demo.generate import truth_of
    from pipelines.demo.roundtrip import compare

    report = next(r for r in build_reports(5, 200) if r.versions["t3"] == "v2021" and r.versions["t2"] == "v2021")
    report.variants, report.fmt = [], "txt"
    lines = render.RENDERERS["txt"](report).decode("utf-8").split("\n")
    widened = [
        line + "\t"
        if len(line.split("\t")) >= 8
        and all(c.isdigit() for c in line.split("\t")[-7:])
        and not line.split("\t")[-8].isdigit()
        else line
        for line in lines
    ]
    assert widened != lines
    path = tmp_path / "trailing.txt"
    path.write_text("\n".join(widened), encoding="utf-8")
    result = parse_file(path, "内蒙古自治区")
    assert compare(truth_of(report, path.name), result) == [] and result["status"] == "ok"
    assert not any("小计" in note for note in result["notes"])
