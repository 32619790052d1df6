"""Reporting bodies: every report carries its body, the mart keeps one row per jurisdiction × body × year, the
newest version of a body-year wins, the province context breaks ties and never filters."""

import copy
import shutil
import time

import duckdb
import pytest

from catalogue import body_of, department_type
from pipelines.demo import render
from pipelines.demo.generate import build_reports
from pipelines.demo.model import inner_mongolia_units
from pipelines.report.resolver import resolve, resolve_with_hint

from .conftest import SEED, detail_page, shared_or_skip
from .test_assets import run, settings_for


@pytest.mark.parametrize(
    "text,expected",
    [
        ("市场监管局", "market_regulation"),
        ("市场监督管理局", "market_regulation"),
        ("政务服务局", "approval_services"),
        ("行政审批和政务服务局", "approval_services"),
        ("科技局", "science"),
        ("科学技术局", "science"),
        ("卫生健康委员会", "health"),
        ("鄂尔多斯市生态环境局鄂托克前旗分局", "ecology"),
        ("住房和城乡建设局", "housing"),
    ],
)
def test_department_types_keep_synonyms_and_renames_together(text, expected):
    assert department_type(text)["key"] == expected


def test_bodies_of_each_kind():
    assert body_of("government", "government_office", None, None, "鄂托克前旗人民政府办公室").key == "government"
    assert body_of("department", "department", "市场监管局", None, "x").key == "dept:market_regulation"
    assert body_of("department", "department", "档案馆", None, "x").key == "dept:档案馆"  # untyped: its own name
    assert body_of("township", "township", None, "交通街道办事处", "x").key == "township:交通街道"


def test_province_context_breaks_ties_and_never_filters():
    unique = resolve("莆田市林业局", "内蒙古自治区")  # exists once nationally: resolves wherever it is
    assert (unique.status, unique.code, unique.issuer_kind, unique.department) == (
        "resolved",
        "350300",
        "department",
        "林业局",
    )
    assert (
        resolve("新城区人民政府", "内蒙古自治区").code == "150102"
    )  # a name of several provinces: the context decides
    assert resolve("新城区人民政府").status == "ambiguous"
    kind = resolve("鄂托克前旗住房和城乡建设局", "内蒙古自治区")
    assert (kind.issuer_kind, kind.department) == ("department", "住房和城乡建设局")  # 城乡 is no 乡


def test_registry_code_is_the_strongest_hint():
    assert resolve_with_hint("新城区人民政府", None, 2023, "150100").code == "150102"  # ambiguous, decided
    placed = resolve_with_hint("年度报告", None, 2023, "150623")  # the text names no place
    assert (placed.status, placed.code) == ("resolved", "150623")
    conflict = resolve_with_hint("鄂托克旗人民政府", None, 2023, "350300")
    assert conflict.code == "350300" and "鄂托克旗" in conflict.conflict  # kept, and said


def _department_report(issuer: str, licenses_added: int = 0):
    unit = next(u for u in inner_mongolia_units()[0] if u.code == "150623")
    report = copy.deepcopy(next(r for r in build_reports(5, 30) if r.year == 2023 and r.versions["t3"] == "v2021"))
    report.unit, report.issuer, report.issuer_kind, report.scope = unit, issuer, "department", "department"
    report.cells["t2_license_decisions"] += licenses_added
    return render.render_text(report), report.cells["t2_license_decisions"]


def test_departments_of_one_banner_year_are_two_rows_and_a_revision_wins(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    market, _ = _department_report("鄂托克前旗市场监督管理局")
    transport, _ = _department_report("鄂托克前旗交通运输局")
    (inbox / "market.txt").write_bytes(market)
    (inbox / "transport.txt").write_bytes(transport)
    shutil.copy(SEED, inbox / SEED.name)
    settings = settings_for(tmp_path, inbox)
    assert run(settings).success
    time.sleep(1.1)  # documents are stamped to the second
    revised, licenses = _department_report("鄂托克前旗市场监管局", licenses_added=5)  # its new name, a new number
    (inbox / "market-revised.txt").write_bytes(revised)
    assert run(settings).success
    con = duckdb.connect(settings.published_path, read_only=True)
    rows = con.execute("""SELECT body_key, body_name, permits, issuer FROM metrics_jurisdiction_year
                          WHERE jurisdiction_code = '150623' AND year = 2023 ORDER BY body_key""").fetchall()
    assert [r[0] for r in rows] == ["dept:market_regulation", "dept:transport"]
    assert rows[0][1:] == ("市场监督管理局", licenses, "鄂托克前旗市场监管局")  # the version received last
    assert con.execute("SELECT count(*) FROM reports WHERE body_key = 'dept:market_regulation'").fetchone()[0] == 2
    con.close()
    # 报告详情 lists the version the mart did not choose, with the changed cell
    con = duckdb.connect(settings.published_path, read_only=True)
    chosen = con.execute(
        "SELECT sha256 FROM metrics_jurisdiction_year WHERE body_key = 'dept:market_regulation'"
    ).fetchone()[0]
    con.close()
    detail = detail_page(settings.published_path, chosen)
    assert not detail.exception
    versions = [m.value for m in detail.markdown if "market.txt" in m.value]
    assert versions and f"→ {licenses}" in versions[0]


def test_every_dev_report_reaches_the_mart_once_per_body_year(tmp_path):
    """The real dev corpus and the seed with the shipped province context (内蒙古): 福建 and 江苏 bodies resolve,
    and each body × year is exactly one mart row (莆田's departments of one year are not duplicates)."""
    shared = shared_or_skip()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in sorted((shared / "corpus" / "dev").iterdir()):
        if path.suffix != ".jsonl":
            shutil.copy(path, inbox / path.name)
    shutil.copy(SEED, inbox / SEED.name)
    settings = settings_for(tmp_path, inbox)
    assert run(settings).success
    con = duckdb.connect(settings.published_path, read_only=True)
    with_year, resolved = con.execute("""SELECT count(*), count(*) FILTER (WHERE jurisdiction_status = 'resolved')
                                         FROM reports WHERE year IS NOT NULL""").fetchone()
    assert with_year == len(list(inbox.iterdir())) and resolved / with_year >= 0.95
    bodies = con.execute("""SELECT count(DISTINCT (jurisdiction_code, body_key, year)) FROM reports
                            WHERE jurisdiction_status = 'resolved' AND year IS NOT NULL""").fetchone()[0]
    assert con.execute("SELECT count(*) FROM metrics_jurisdiction_year").fetchone()[0] == bodies
    putian_2022 = {
        r[0]
        for r in con.execute("""SELECT body_name FROM metrics_jurisdiction_year
                                                WHERE jurisdiction_code = '350300' AND year = 2022""").fetchall()
    }
    assert {"林业局", "科学技术局", "水利局"} <= putian_2022
    provinces = {r[0] for r in con.execute("SELECT DISTINCT province_name FROM metrics_jurisdiction_year").fetchall()}
    assert {"福建省", "江苏省", "内蒙古自治区"} <= provinces
    con.close()


def test_metric_roles_come_from_the_catalogue_and_guard_comparability():
    from catalogue import _check_roles, load_catalogue

    cat = load_catalogue()
    assert cat.with_role("kpi") == [
        "permits",
        "penalties",
        "requests_new",
        "duplicate_share",
        "disclosure_rate",
        "review_correction_rate",
    ]
    assert cat.kpi_parts("disclosure_rate") == (["granted", "partial"], "requests_processed")
    assert cat.kpi_parts("permits") == (["permits"], None)
    with pytest.raises(ValueError, match="not comparable"):
        _check_roles([{"key": "admin_fees_wan", "roles": ["yoy"], "comparable": False}])
    with pytest.raises(ValueError, match="unknown roles"):
        _check_roles([{"key": "permits", "roles": ["pie"], "comparable": True}])


def test_a_declared_column_reaches_an_older_warehouse_once(tmp_path):
    """The migration adds what the declarations have and an older warehouse lacks, and runs once per shape."""
    from warehouse import tables

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute(
        "CREATE TABLE checks (sha256 VARCHAR, code VARCHAR, kind VARCHAR, status VARCHAR, severity VARCHAR, "
        "detail VARCHAR)"
    )
    assert tables.migrate(con) is True and tables.migrate(con) is False
    columns = [r[0] for r in con.execute("DESCRIBE checks").fetchall()]
    assert columns == tables.CHECKS.column_names
    assert tables.REPORTS.arrow_schema().field("year").type == "int32"
    con.close()
