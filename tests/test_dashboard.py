"""Every page renders with AppTest on a small warehouse; filters change the charts; hostile text stays text."""

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.demo.generate import generate
from warehouse import queries

from .conftest import ROOT, SEED
from .test_assets import run, settings_for

PAGES = sorted((ROOT / "dashboard" / "views").glob("*.py"))
HOSTILE = "<script>alert('x')</script>鄂托克旗人民政府"


@pytest.fixture(scope="module")
def published(tmp_path_factory, small_inbox):
    tmp = tmp_path_factory.mktemp("dash")
    inbox = tmp / "inbox"
    shutil.copytree(small_inbox, inbox)
    text = SEED.read_text(encoding="utf-8").replace(
        "鄂托克前旗 2022 年政府信息公开工作报告", f"{HOSTILE}2022年政府信息公开工作年度报告", 1
    )
    (inbox / "hostile.txt").write_text(text, encoding="utf-8")
    # a whole province, so pages and screenshots show what a user sees (fast formats keep the fixture quick)
    generate(inbox / "province", seed=7, count=800, formats=["html", "txt"])
    settings = settings_for(tmp, inbox)
    assert run(settings).success
    old = os.environ.get("NIANBAO_PUBLISHED")
    os.environ["NIANBAO_PUBLISHED"] = settings.published_path
    yield Path(settings.published_path)
    if old is None:
        os.environ.pop("NIANBAO_PUBLISHED")
    else:
        os.environ["NIANBAO_PUBLISHED"] = old


def app(page: Path) -> AppTest:
    return AppTest.from_file(str(page), default_timeout=60)


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_renders(published, page):
    at = app(page).run()
    assert not at.exception, [e.value for e in at.exception]
    if page.stem not in ("detail", "precheck"):
        assert len(at.get("vega_lite_chart")) >= 1
    _assert_valid_vega_lite(at)


def _assert_valid_vega_lite(at) -> None:
    """Pages draw Altair charts without its schema validation (dashboard/charts.unvalidated): it is done here."""
    import json

    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    schema = core.load_schema()
    for chart in at.get("vega_lite_chart"):
        validate_jsonschema(json.loads(chart.proto.spec), schema)


def _chart_specs(at) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart")]


def test_overview_metric_filter_changes_chart(published):
    at = app(ROOT / "dashboard" / "views" / "overview.py").run()
    before = _chart_specs(at)
    at.selectbox(key="overview_metric").set_value("penalties").run()
    assert _chart_specs(at) != before
    assert not at.exception


def test_overview_year_filter_changes_kpis(published):
    at = app(ROOT / "dashboard" / "views" / "overview.py").run()
    years = at.selectbox(key="overview_year").options
    assert len(years) > 1
    before = [m.value for m in at.metric]
    at.selectbox(key="overview_year").set_value(years[-1]).run()
    assert [m.value for m in at.metric] != before


def test_compare_threshold_filter(published):
    at = app(ROOT / "dashboard" / "views" / "compare.py").run()
    before = _chart_specs(at)
    at.selectbox(key="compare_metric").set_value("permits").run()
    at.number_input(key="compare_min").set_value(1000.0).run()
    assert not at.exception
    assert _chart_specs(at) != before or at.info


def test_shares_read_as_percentages(published):
    """Rates and shares are drawn as percentages, counts as whole numbers, on every page that plots them."""
    import json

    def encoding(spec: str) -> dict:  # a layered chart (line + points, bars + labels) keeps it in its first layer
        chart = json.loads(spec)
        return chart["encoding"] if "encoding" in chart else chart["layer"][0]["encoding"]

    review = app(ROOT / "dashboard" / "views" / "review.py").run()
    counts, rates = (encoding(spec) for spec in _chart_specs(review)[:2])
    assert rates["y"]["axis"]["format"] == ".1%" and counts["y"]["axis"]["format"] == ",.0f"
    assert rates["color"]["title"] == "类别"
    compare = app(ROOT / "dashboard" / "views" / "compare.py").run()
    compare.selectbox(key="compare_metric").set_value("duplicate_share").run()
    assert all(encoding(spec)["y"]["axis"]["format"] == ".1%" for spec in _chart_specs(compare))


def test_quality_tables_follow_the_league_filter(published):
    """The scores and findings on 数据质量 are those of the chosen 盟/市, not of the whole warehouse."""
    con = queries.open_published(published)
    province = queries.provinces(con)["province_code"][0]
    leagues = queries.leagues(con, province)["parent_code"].to_list()[:2]
    in_league = {
        league: set(
            queries.frame(
                con,
                """SELECT jurisdiction_name FROM reports
                                                    WHERE parent_code = ? OR jurisdiction_code = ?""",
                [league, league],
            )["jurisdiction_name"]
        )
        for league in leagues
    }
    con.close()
    at = app(ROOT / "dashboard" / "views" / "quality.py").run()
    shown = {}
    for league in leagues:
        at.selectbox(key="quality_league").set_value(league).run()
        assert not at.exception
        shown[league] = set(at.dataframe[0].value["地区"].dropna())
        assert shown[league] and shown[league] <= in_league[league]
    assert shown[leagues[0]] != shown[leagues[1]]


def test_check_results_read_in_chinese(published):
    """Scores' reasons and findings name each check in Chinese (from the catalogue); the code stays beside it."""
    at = app(ROOT / "dashboard" / "views" / "quality.py").run()
    scores = at.dataframe[0].value
    reasons = " ".join(scores["扣分原因"].dropna())
    assert reasons and "QC_" not in reasons and "E1." not in reasons
    findings = [df.value for df in at.dataframe if "检查项" in df.value.columns]
    assert findings and all(not any(str(v).startswith(("QC_", "E1")) for v in df["检查项"]) for df in findings)
    assert all(set(df["级别"]) <= {"错误（读取有误）", "警告", "提示"} for df in findings)
    assert len(findings) == 1 and len(set(findings[0]["类别"])) >= 2  # one list of every kind of problem


def test_tables_link_each_row_to_its_report(published):
    """An odd number on any page leads to its report: rows carry a 查看报告 link, and 报告详情 opens on that report."""
    con = queries.open_published(published)
    first_listed = queries.report_list(con, "")["sha256"][0]  # what 报告详情 shows when opened without a link
    con.close()
    at = app(ROOT / "dashboard" / "views" / "quality.py").run()
    links = at.dataframe[0].value["报告"]
    assert all(link.startswith("./detail?report=") for link in links)
    sha = next(link.split("=", 1)[1] for link in links if not link.endswith(first_listed))
    detail = app(ROOT / "dashboard" / "views" / "detail.py")
    detail.query_params["report"] = sha
    detail.run()
    assert not detail.exception
    assert detail.selectbox(key="detail_report").value == sha


def test_hostile_issuer_is_shown_as_text(published):
    at = app(ROOT / "dashboard" / "views" / "detail.py").run()
    at.text_input(key="detail_search").set_value("鄂托克旗").run()
    assert not at.exception
    hostile_sha = hashlib.sha256((published.parent.parent / "inbox" / "hostile.txt").read_bytes()).hexdigest()
    at.selectbox(key="detail_report").set_value(hostile_sha).run()
    assert not at.exception
    assert all("<script>" not in m.value for m in at.markdown)
    assert any(HOSTILE in t.value for t in at.text)


def test_empty_warehouse_explains_how_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_PUBLISHED", str(tmp_path / "nothing.duckdb"))
    at = app(ROOT / "dashboard" / "views" / "overview.py").run()
    assert not at.exception
    assert any("nianbao run" in i.value for i in at.info)


# ---------------------------------------------------------------- defects found by trying the dashboard as a user
def test_detail_opens_any_linked_report_however_old(published):
    """报告详情 lists 500 reports; a link to any other one still opens that one, not the first of the list."""
    con = queries.open_published(published)
    listed = set(queries.report_list(con, "")["sha256"])
    everything = queries.frame(con, "SELECT sha256 FROM reports")["sha256"].to_list()
    con.close()
    beyond = next(sha for sha in everything if sha not in listed)
    detail = app(ROOT / "dashboard" / "views" / "detail.py")
    detail.query_params["report"] = beyond
    detail.run()
    assert not detail.exception and not detail.error
    assert detail.selectbox(key="detail_report").value == beyond


@pytest.mark.parametrize("link", ["0" * 64, "<script>alert(1)</script>", "' OR 1=1 --"])
def test_detail_says_when_a_linked_report_does_not_exist(published, link):
    detail = app(ROOT / "dashboard" / "views" / "detail.py")
    detail.query_params["report"] = link
    detail.run()
    assert not detail.exception
    assert any("未找到该报告" in e.value for e in detail.error)


def _datasets(chart) -> list[dict]:
    import pyarrow as pa

    return [
        row for dataset in chart.proto.datasets for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
    ]


def test_compare_one_series_per_unit_and_stable_colours(published):
    import json

    at = app(ROOT / "dashboard" / "views" / "compare.py").run()
    at.selectbox(key="compare_league").set_value("150600").run()  # 鄂尔多斯: holds the real seed report too
    at.multiselect(key="compare_years").set_value([2021, 2022, 2023]).run()
    trend = at.get("vega_lite_chart")[1]
    series = {row["series"] for row in _datasets(trend)}
    assert "鄂托克前旗" in series and not any("示例数据" in s for s in series)  # real and synthetic: one line
    domain = json.loads(trend.proto.spec)["layer"][0]["encoding"]["color"]["scale"]["domain"]
    at.radio(key="compare_mode").set_value("手动选择").run()
    at.multiselect(key="compare_units").set_value(["150623", "150627"]).run()
    narrowed = json.loads(at.get("vega_lite_chart")[1].proto.spec)["layer"][0]["encoding"]["color"]["scale"]
    assert narrowed["domain"] == domain  # the same unit keeps its colour when the filter changes
    assert len(set(narrowed["range"][:9])) == 9  # nine units, nine colours


def test_compare_minimum_filters_units_and_reads_percent(published):
    at = app(ROOT / "dashboard" / "views" / "compare.py").run()
    at.selectbox(key="compare_metric").set_value("duplicate_share").run()
    at.number_input(key="compare_min").set_value(10.0).run()  # 10 means 10%
    assert not at.exception and not at.info
    rows = _datasets(at.get("vega_lite_chart")[1])
    by_unit: dict[str, list] = {}
    for row in rows:
        by_unit.setdefault(row["series"], []).append(row["duplicate_share"])
    assert by_unit and all(max(v for v in values if v is not None) >= 0.1 for values in by_unit.values())
    assert any(min(v for v in values if v is not None) < 0.1 for values in by_unit.values())  # years below stay


def test_coverage_says_when_the_publication_date_is_unknown(published):
    con = queries.open_published(published)
    states = set(
        queries.frame(con, "SELECT state FROM coverage WHERE published_at IS NULL AND sha256 IS NOT NULL")["state"]
    )
    con.close()
    assert states == {"unknown_date"}
    from dashboard import charts

    assert charts.COVERAGE_STATES["unknown_date"] == "发布日期未知"


def test_exports_speak_chinese_and_explain_their_columns(published):
    import io
    import zipfile

    import polars as pl

    from dashboard import common

    con = queries.open_published(published)
    frame = (
        queries.metrics(con)
        .head(20)
        .select(
            "jurisdiction_name",
            "parent_name",
            "year",
            "duplicate_share",
            "duplicate_share_change",
            "published_at",
            "synthetic",
            "uncertain_metrics",
            "sha256",
        )
    )
    con.close()
    csv = common.csv_bytes(frame).decode("utf-8-sig")
    header = csv.splitlines()[0].split(",")
    assert header == [
        "地区",
        "盟/市",
        "年度",
        "重复申请占比",
        "重复申请占比（同比变化）",
        "发布日期",
        "示例数据",
        "待核指标",
        "报告",
    ]
    assert "None" not in csv and "true" not in csv.lower() and "年" in csv.splitlines()[1]
    with zipfile.ZipFile(io.BytesIO(common.excel_bytes(frame))) as xlsx:  # read the workbook's own XML
        workbook = xlsx.read("xl/workbook.xml").decode()
        strings = xlsx.read("xl/sharedStrings.xml").decode()
    assert workbook.index('name="数据"') < workbook.index('name="数据说明"')
    assert all(word in strings for word in ("重复申请 ÷ 本年新收申请数", "新收申请", "比例（0–1）"))
    notes = common.column_notes(frame.columns)
    share = notes.filter(pl.col("列") == "重复申请占比").to_dicts()[0]
    assert share["分子"] == "重复申请" and share["分母"] == "新收申请"


def test_league_is_kept_in_the_address(published):
    at = app(ROOT / "dashboard" / "views" / "requests.py")
    at.query_params["league"] = "152200"
    at.run()
    assert not at.exception
    assert at.selectbox(key="requests_league").value == "152200"
    at.selectbox(key="requests_league").set_value("150600").run()
    assert at.query_params["league"] == ["150600"] or at.query_params["league"] == "150600"


def test_review_warns_on_small_numbers_and_ranks_units(published):
    con = queries.open_published(published)
    yearly = queries.frame(
        con,
        """SELECT year, sum(review_total) AS cases FROM metrics_jurisdiction_year
                                   WHERE parent_code = '152900' AND report_level = 'government' GROUP BY year""",
    )
    con.close()
    at = app(ROOT / "dashboard" / "views" / "review.py")
    at.query_params["league"] = "152900"  # 阿拉善盟: three units, few cases
    at.run()
    assert not at.exception
    assert any("少于 10 件" in w.value for w in at.warning) == bool((yearly["cases"] < 10).any())
    assert len(at.get("vega_lite_chart")) == 3  # counts, rates, the ranking by unit
    table = at.dataframe[0].value
    assert {"行政复议", "说明"} <= set(table.columns)
    assert all(note == "少于10件，仅供参考" for note in table[table["行政复议"] < 10]["说明"])


def test_refusals_are_not_green_and_bars_say_their_count(published):
    import json

    at = app(ROOT / "dashboard" / "views" / "requests.py").run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=False))
    assert colours["不予公开"] == "#c23b3b" and colours["予以公开"] != colours["不予公开"]
    assert spec["layer"][1]["mark"]["type"] == "text"


def test_briefing_pdf_says_what_the_page_says(published):
    """The printable 盟/市 briefing: 2–4 pages, and the text read back from the PDF holds the page's KPI figures,
    every unit of the league and the date."""
    import pypdfium2 as pdfium

    from dashboard import briefing

    at = app(ROOT / "dashboard" / "views" / "overview.py")
    at.query_params["league"] = "150600"
    at.query_params["year"] = "2023"
    at.run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    con = queries.open_published(published)
    pdf_bytes = briefing.build(con, "150000", "150600", 2023)
    units = set(queries.metrics(con, "150000", "150600", 2023)["jurisdiction_name"])
    con.close()
    document = pdfium.PdfDocument(pdf_bytes)
    pages = len(document)
    text = (
        "".join(document[i].get_textpage().get_text_range() for i in range(pages)).replace("\r", "").replace("\n", "")
    )
    assert pages <= 2
    assert "鄂尔多斯市" in text and "2023年度" in text and "示例数据" in text
    for label in ("行政许可", "新收申请", "重复申请占比"):
        assert shown[label] in text, (label, shown[label])
    assert all(unit in text for unit in units)


def test_ranking_is_drawn_in_order(published):
    """Every layer of the ranking (bars, values, 待核 marks) shares one order: highest first."""
    import json

    at = app(ROOT / "dashboard" / "views" / "overview.py")
    at.query_params["league"] = "150600"
    at.run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    order = spec["layer"][0]["encoding"]["y"]["sort"]
    values = {row["jurisdiction_name"]: row["permits"] for row in _datasets(at.get("vega_lite_chart")[0])}
    assert order == sorted(values, key=lambda name: -values[name])


def test_no_english_select_all_in_the_pickers(published):
    """Streamlit adds an English "Select all" to multiselects unless told not to."""
    at = app(ROOT / "dashboard" / "views" / "compare.py").run()
    at.radio(key="compare_mode").set_value("手动选择").run()
    pickers = [at.multiselect(key="compare_units"), at.multiselect(key="compare_years")]
    assert all(p.proto.select_all == 0 for p in pickers)
    assert all(p.proto.placeholder.startswith("选择") for p in pickers)


def test_compare_one_department_type_across_the_units_of_a_league(published):
    """报告主体 = 市场监督管理局 on 对比: the 市场监管局 of every unit of 鄂尔多斯, renamed or not, one series each."""
    at = app(ROOT / "dashboard" / "views" / "compare.py").run()
    at.selectbox(key="compare_league").set_value("150600").run()
    bodies = at.selectbox(key="compare_body").options
    assert bodies[0].startswith("人民政府") and any("市场监督管理局" in b for b in bodies)
    at.selectbox(key="compare_body").set_value("dept:market_regulation").run()
    at.selectbox(key="compare_metric").set_value("permits").run()
    assert not at.exception
    rows = _datasets(at.get("vega_lite_chart")[1])
    con = queries.open_published(published)
    expected = set(
        queries.frame(
            con,
            """SELECT jurisdiction_name FROM metrics_jurisdiction_year
                                         WHERE body_key = 'dept:market_regulation' AND parent_code = '150600'
                                           AND year >= 2023""",
        )["jurisdiction_name"]
    )
    government = queries.metrics(con, "150000", "150600", 2023).filter(
        __import__("polars").col("jurisdiction_code") == "150623"
    )["permits"][0]
    con.close()
    assert len(expected) == 9 and {row["series"] for row in rows} == expected
    assert all(row["permits"] != government for row in rows if row["series"] == "鄂托克前旗" and row["year"] == 2023)


def test_townships_are_units_of_their_own_and_the_map_offers_departments(published):
    at = app(ROOT / "dashboard" / "views" / "overview.py").run()
    at.selectbox(key="overview_league").set_value("150600").run()
    at.selectbox(key="overview_body").set_value("township").run()
    assert not at.exception
    names = {row["jurisdiction_name"] for row in _datasets(at.get("vega_lite_chart")[0])}
    assert names and all("·" in name for name in names)  # 鄂托克前旗·阿日善苏木
    shown = app(ROOT / "dashboard" / "views" / "map.py")
    shown.query_params["league"] = "150600"
    shown.run()
    options = shown.selectbox(key="map_body").options
    assert not any("苏木" in o for o in options) and any("市场监督管理局" in o for o in options)
    shown.selectbox(key="map_body").set_value("dept:market_regulation").run()
    assert not shown.exception and "市场监督管理局" in shown.subheader[0].value


def test_briefing_page_one_is_mostly_content_and_its_sentences_come_from_the_mart(published):
    """鄂尔多斯市 2025: at most two pages, page 1 mostly ink (KPIs, sentences, the ranking and the map), every
    sentence's numbers checked against the mart; the Word file opens with its tables and chart pictures."""
    import io

    import docx
    import polars as pl
    import pypdfium2 as pdfium

    from dashboard import briefing

    con = queries.open_published(published)
    data = briefing.content(con, "150000", "150600", 2025)
    units = queries.metrics(con, "150000", "150600", 2025)
    pdf_bytes = briefing.build(con, "150000", "150600", 2025)
    word = docx.Document(io.BytesIO(briefing.build_docx(con, "150000", "150600", 2025)))
    con.close()
    assert 3 <= len(data["sentences"]) <= 5
    changed = units.filter(pl.col("permits_change").is_not_null()).sort("permits_change")
    rise = changed.row(-1, named=True)
    assert f"增加最多的是{rise['jurisdiction_name']}（{rise['permits_change']:+,.0f} 件）" in data["sentences"][0]
    top = units.sort("duplicate_share", descending=True, nulls_last=True).row(0, named=True)
    assert f"{top['jurisdiction_name']}（{top['duplicate_share']:.1%}）" in data["sentences"][1]
    document = pdfium.PdfDocument(pdf_bytes)
    assert len(document) <= 2
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    document[0].render(scale=1.4).to_pil().save(artifacts / "briefing-page1.png")  # the README's picture
    page = document[0].render(scale=0.5).to_pil().convert("L")
    width, height = page.size
    pixels = page.load()
    inked = sum(any(pixels[x, y] < 200 for x in range(0, width, 2)) for y in range(height))
    assert inked / height > 0.5, inked / height  # the old briefing's page 1 had ink on 23% of its rows
    text = document[0].get_textpage().get_text_range()
    assert "一、总体情况" in text and data["sentences"][0][:12] in text.replace("\r\n", "")
    assert len(word.tables) >= 2 and len(word.inline_shapes) >= 1
    assert any("情况通报" in p.text for p in word.paragraphs[:2])
