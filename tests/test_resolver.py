"""Issuer text → division: every county-level unit of 内蒙古, leagues, departments, 苏木/镇, branches,
abbreviations, cross-province duplicates and names from before a change."""

import csv
import time

import pytest

from pipelines.report.resolver import DATA, resolve

NM = [
    r
    for r in csv.DictReader((DATA / "cn_divisions_2024.csv").read_text(encoding="utf-8").splitlines())
    if r["province_code"] == "150000"
]
COUNTIES = [r for r in NM if r["level"] == "county"]
LEAGUES = [r for r in NM if r["level"] == "prefecture"]

SPECIAL = [
    # text, province, expected code, kind, extra
    ("鄂托克前旗 2022 年政府信息公开工作报告", None, "150623", "government", None),
    ("鄂尔多斯市东胜区人民政府", None, "150602", "government", None),
    ("阿拉善盟阿拉善右旗人民政府办公室", None, "152922", "government_office", None),
    ("乌拉特中旗巴音乌兰苏木", None, "150824", "township", "巴音乌兰苏木"),
    ("兴安盟生态环境局", None, "152200", "department", "生态环境局"),
    ("鄂尔多斯市生态环境局鄂托克前旗分局", None, "150623", "branch", None),
    ("国家税务总局鄂托克前旗税务局", None, "150623", "vertical", None),
    ("鄂前旗", None, "150623", "government", None),
    ("达茂旗人民政府", None, "150223", "government", None),
    ("科右前旗人民政府", None, "152221", "government", None),
    ("莫旗", None, "150722", "government", None),
    ("呼和浩特市新城区人民政府", None, "150102", "government", None),
    ("新城区人民政府", "内蒙古自治区", "150102", "government", None),
    ("青山区", "内蒙古", "150204", "government", None),
    ("兴安盟行政公署", None, "152200", "government", None),
    ("鄂尔多斯市人民政府办公室", None, "150600", "government_office", None),
    ("准格尔旗薛家湾镇人民政府", None, "150622", "township", "薛家湾镇"),
    ("呼和浩特经济技术开发区管理委员会", None, "150100", "development_zone", None),
    ("洪泽县人民政府", None, "320829", "government", None),
    ("淮安市洪泽区人民政府", None, "320813", "government", None),
    ("莆田市林业局", None, "350300", "department", "林业局"),
    ("平潭综合实验区", None, "350128", "government", None),
]


def _usual_spelling(row: dict, i: int) -> str:
    variants = [
        f"{row['name']}人民政府",
        f"{row['parent_name']}{row['name']}人民政府",
        f"{row['name']}人民政府办公室",
        f"{row['name']}2023年政府信息公开工作年度报告",
    ]
    return variants[i % len(variants)]


@pytest.mark.parametrize("index", range(len(COUNTIES)))
def test_every_county_of_inner_mongolia(index):
    row = COUNTIES[index]
    result = resolve(_usual_spelling(row, index), province="内蒙古自治区")
    assert result.status == "resolved" and result.code == row["code"], (row["name"], result)
    assert result.parent_code == row["parent_code"]


@pytest.mark.parametrize("row", LEAGUES, ids=[r["name"] for r in LEAGUES])
def test_every_league(row):
    result = resolve(f"{row['name']}人民政府")
    assert result.code == row["code"] and result.level == "prefecture"


@pytest.mark.parametrize("text,province,code,kind,extra", SPECIAL, ids=[s[0] for s in SPECIAL])
def test_special_spellings(text, province, code, kind, extra):
    result = resolve(text, province)
    assert result.status == "resolved" and result.code == code, result
    assert result.issuer_kind == kind
    if extra:
        assert extra in (result.township or "") + (result.department or "")


@pytest.mark.parametrize("text", ["新城区人民政府", "青山区", "朝阳区人民政府"])
def test_cross_province_names_are_ambiguous_without_context(text):
    result = resolve(text)
    assert result.status == "ambiguous" and len(result.candidates) >= 2 and result.code is None


def test_unknown_never_guesses():
    assert resolve("某某单位").status == "unknown"


def test_renamed_unit_resolves_by_year():
    old = resolve("洪泽县人民政府", year=2015)
    assert old.code == "320829" and old.current_code == "320813"


def test_table_has_at_least_80_strings():
    assert len(COUNTIES) + len(LEAGUES) + len(SPECIAL) >= 80


def test_resolving_is_fast():
    texts = [_usual_spelling(r, i) for i, r in enumerate(COUNTIES)] * 20
    started = time.perf_counter()
    for t in texts:
        resolve(t, province="内蒙古自治区")
    assert time.perf_counter() - started < 2.0  # 2,060 strings; the benchmark measures 10,000
