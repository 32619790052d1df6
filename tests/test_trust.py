"""Numbers a provincial office can trust: units, signs, wording variants, fixed-width text, re-shaped tables and an
honest report status. Inputs are the real seed report with one thing changed, or a few lines written here."""

import pytest

from pipelines.report.parse import parse_bytes
from pipelines.report.tokens import classify_cell, value_text, value_unit

from .conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def parse_text(text: str) -> dict:
    return parse_bytes(text.encode("utf-8"), "report.txt")


def seed_with(old: str, new: str, count: int = 1) -> dict:
    assert old in SEED_TEXT
    return parse_text(SEED_TEXT.replace(old, new, count))


# ---------------------------------------------------------------- units
def test_fee_header_in_yuan_is_converted_with_provenance():
    result = seed_with(
        "本年收费金额(单位: 万元)\n行政事业性收费\t4614.94", "本年收费金额(单位: 元)\n行政事业性收费\t46149400"
    )
    assert result["cells"]["t2_admin_fee_amount"] == pytest.approx(4614.94)
    assert result["cell_status"]["t2_admin_fee_amount"] == "ok"
    provenance = result["provenance"]["t2_admin_fee_amount"]
    assert provenance["raw"] == "46149400" and "元" in provenance["note"] and "0.0001" in provenance["note"]


@pytest.mark.parametrize("cell", ["46149400元", "46149400（元）", "46149400 (元)"])
def test_unit_in_the_cell_wins(cell):
    result = seed_with("行政事业性收费\t4614.94", f"行政事业性收费\t{cell}")
    assert result["cells"]["t2_admin_fee_amount"] == pytest.approx(4614.94)


def test_unit_on_its_own_line_joins_its_number():
    result = seed_with(
        "本年收费金额(单位: 万元)\n行政事业性收费\t4614.94", "本年收费金额\n行政事业性收费\n46149400\n元"
    )
    assert result["cells"]["t2_admin_fee_amount"] == pytest.approx(4614.94)


def test_header_unit_split_over_lines():
    result = seed_with(
        "本年收费金额(单位: 万元)\n行政事业性收费\t4614.94", "本年收费金额\n(\n单位：元\n)\n行政事业性收费\n46149400"
    )
    assert result["cells"]["t2_admin_fee_amount"] == pytest.approx(4614.94)


def test_implausible_amount_is_flagged_w8():
    result = seed_with(
        "本年收费金额(单位: 万元)\n行政事业性收费\t4614.94", "本年收费金额(单位: 万元)\n行政事业性收费\t46149400"
    )
    w8 = [c for c in result["checks"] if c["code"] == "W8.t2_admin_fee_amount"]
    assert w8 and w8[0]["status"] == "fail"


# ---------------------------------------------------------------- tokens
@pytest.mark.parametrize(
    "text,value,unit",
    [
        ("+ 14", "+14", None),
        ("增 7", "+7", None),
        ("增加7", "+7", None),
        ("减 3", "-3", None),
        ("减少3", "-3", None),
        ("- 5", "-5", None),
        ("3批", "3", "批"),
        ("12件", "12", "件"),
        ("5120（元）", "5120", "元"),
        ("1,708", "1708", None),
    ],
)
def test_signs_words_units_and_measure_words_attach_to_their_number(text, value, unit):
    assert classify_cell(text) == "num"
    assert value_text(text) == value and value_unit(text) == unit


V2019_T2 = """第二十条第（五）项
信息内容
上一年项目数量
本年增/减
处理决定数量
行政许可
{license}
第二十条第（八）项
信息内容
上一年项目数量
本年增/减
行政事业性收费
{fee}
"""


def _v2019_t2(license_row: str, fee_row: str) -> dict:
    return parse_text(
        V2019_T2.format(license=license_row, fee=fee_row) + SEED_TEXT[SEED_TEXT.index("三、收到和处理") :]
    )


def test_sign_on_its_own_line_is_the_sign_of_the_next_number():
    result = _v2019_t2("12\n+\n3\n40", "5\n增\n2")
    cells, status = result["cells"], result["cell_status"]
    assert (cells["t2_license_prev_items"], cells["t2_license_change"], cells["t2_license_decisions"]) == (12, 3, 40)
    assert cells["t2_admin_fee_change"] == 2
    assert all(status[k] == "ok" for k in ("t2_license_change", "t2_admin_fee_change"))


def test_a_dash_between_digits_is_never_a_confident_negative():
    result = _v2019_t2("12\n3\n40", "41-7")
    assert result["cell_status"]["t2_admin_fee_change"] == "uncertain"  # −7 or a separator: nobody can tell
    assert result["cell_status"]["t2_admin_fee_prev_items"] == "uncertain"
    assert result["status"] == "partial"


def test_a_dash_between_digits_separates_values_in_unsigned_tables():
    flattened = SEED_TEXT.replace(
        "一、本年新收政府信息公开申请数量\t\t6\t0\t0\t0\t0\t0\t6\t", "一、本年新收政府信息公开申请数量6-00000-6"
    )
    result = parse_text(flattened)
    assert result["cells"]["t3_new_received__total"] == 6
    assert result["cells"]["t3_new_received__natural_person"] == 6


# ---------------------------------------------------------------- labels and re-shaped tables
def test_table_3_rows_with_year_word_labels():
    result = parse_text(SEED_TEXT.replace("一、本年新收", "一、本年度新收").replace("二、上年结转", "二、上年度结转"))
    assert result["status"] == "ok" and result["cells"]["t3_new_received__total"] == 6


def test_table_4_as_three_sub_tables_in_any_order():
    start = SEED_TEXT.index("四、政府信息公开行政复议")
    end = SEED_TEXT.index("五、", start)
    header = "结果维持\t结果纠正\t其他结果\t尚未审结\t总计"
    parts = [
        "行政诉讼（复议后起诉）",
        header,
        "0\t0\t1\t0\t1",
        "行政复议",
        header,
        "2\t1\t0\t0\t3",
        "行政诉讼（未经复议直接起诉）",
        header,
        "0\t1\t0\t1\t2",
    ]
    result = parse_text(
        SEED_TEXT[:start] + "四、政府信息公开行政复议、行政诉讼情况\n" + "\n".join(parts) + "\n" + SEED_TEXT[end:]
    )
    cells = result["cells"]
    assert (cells["t4_review_upheld"], cells["t4_review_corrected"], cells["t4_review_total"]) == (2, 1, 3)
    assert (cells["t4_lit_direct_corrected"], cells["t4_lit_direct_total"]) == (1, 2)
    assert (cells["t4_lit_after_review_other"], cells["t4_lit_after_review_total"]) == (1, 1)
    assert result["status"] == "ok"


def test_fixed_width_text_with_page_numbers_and_side_labels():
    """What `pdftotext -layout` writes: columns by position, a page number line inside table 3, the group label
    printed beside the rows on lines of its own."""
    lines = []
    for line in SEED_TEXT.splitlines():
        cells = [c for c in line.split("\t")]
        lines.append("    ".join(c if c else "  " for c in cells) if "\t" in line else line)
    text = "\n".join(lines)
    text = text.replace("        2.重复申请", "三、本\n        2.重复申请", 1).replace(
        "3.要求提供公开出版物", "3.要求提供公开出版物", 1
    )
    text = text.replace("\n四、结转下年度继续办理", "\n                    -2-\n四、结转下年度继续办理", 1)
    result = parse_text(text)
    assert result["cells"]["t3_nohandle_repeat__total"] == 1
    assert result["cells"]["t3_carried_forward__total"] == 0
    assert result["cells"]["t2_license_decisions"] == 1708
    assert result["status"] == "ok", result.get("error")


# ---------------------------------------------------------------- honest status
def test_recovered_table_2_row_is_uncertain_and_the_report_partial():
    result = seed_with("规范性文件\t2\t6\t41", "规范性文件\t2\t41")  # a crawler dropped one cell
    assert {
        result["cell_status"][k]
        for k in ("t2_normative_doc_issued", "t2_normative_doc_repealed", "t2_normative_doc_in_force")
    } == {"uncertain"}
    assert result["status"] == "partial" and "uncertain" in result["error"]
    assert result["summary"]["uncertain"] == 3


def test_summary_counts_every_cell():
    result = parse_text(SEED_TEXT)
    assert result["status"] == "ok"
    assert sum(result["summary"].values()) == len(result["cells"])
