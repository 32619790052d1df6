"""A value nobody can be sure of stays marked from the cell to the chart: cell status → mart → page."""

import json
import shutil

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT, SEED
from .test_assets import run, settings_for


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("certainty")
    inbox = tmp / "inbox"
    inbox.mkdir()
    text = SEED.read_text(encoding="utf-8")
    # 鄂托克前旗 as printed; 鄂托克旗 with its 行政许可 cell damaged (two numbers for one cell: nobody can tell
    # which), and three table-3 rows crawled with equal neighbours collapsed so that two readings fit every identity
    shutil.copy(SEED, inbox / "etkqq.txt")
    damaged = (
        text.replace("鄂托克前旗", "鄂托克旗")
        .replace("行政许可\t1708", "行政许可\t17\t08")
        .replace("申请数量\t\t6\t0\t0\t0\t0\t0\t6", "申请数量\t\t4\t1\t0\t1\t0\t6", 1)
        .replace("予以公开\t5\t0\t0\t0\t0\t0\t5", "予以公开\t3\t1\t0\t1\t0\t5")
        .replace("(七) 总计\t\t6\t0\t0\t0\t0\t0\t6", "(七) 总计\t\t4\t1\t0\t1\t0\t6")
    )
    (inbox / "etkq-damaged.txt").write_text(damaged, encoding="utf-8")
    # 杭锦旗: its table 3 does not add up as printed (a source anomaly, kept as printed)
    anomaly = text.replace("鄂托克前旗", "杭锦旗").replace(
        "(七) 总计\t\t6\t0\t0\t0\t0\t0\t6", "(七) 总计\t\t7\t0\t0\t0\t0\t0\t7"
    )
    (inbox / "hjq-anomaly.txt").write_text(anomaly, encoding="utf-8")
    settings = settings_for(tmp, inbox)
    assert run(settings).success
    return settings


def _row(settings, code: str) -> dict:
    con = duckdb.connect(settings.published_path, read_only=True)
    df = con.execute("SELECT * FROM metrics_jurisdiction_year WHERE jurisdiction_code = ? AND year = 2022", [code]).pl()
    return df.to_dicts()[0]


def test_uncertain_input_cell_marks_its_metric(warehouse):
    damaged = _row(warehouse, "150624")
    assert "permits" in damaged["uncertain_metrics"] and damaged["permits"] is None  # not read at all
    assert "requests_new" in damaged["uncertain_metrics"] and damaged["requests_new"] == 6  # read, two readings fit
    assert "penalties" not in damaged["uncertain_metrics"]
    assert _row(warehouse, "150623")["uncertain_metrics"] == []


def test_source_anomaly_marks_its_metrics(warehouse):
    anomaly = _row(warehouse, "150625")
    assert "requests_processed" in anomaly["source_anomaly_metrics"]
    assert "permits" not in anomaly["source_anomaly_metrics"]
    assert anomaly["uncertain_metrics"] == []


def test_overview_marks_and_can_leave_out_uncertain_values(warehouse, monkeypatch):
    monkeypatch.setenv("NIANBAO_PUBLISHED", warehouse.published_path)
    at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "overview.py"), default_timeout=60).run()
    assert not at.exception
    at.selectbox(key="overview_league").set_value("150600").run()
    at.selectbox(key="overview_year").set_value(2022).run()
    assert any("1 个地区的部分数值待核" in c.value for c in at.caption)
    at.selectbox(key="overview_metric").set_value("requests_new").run()
    marks = _chart_rows(at.get("vega_lite_chart")[0])
    assert marks == {"鄂托克旗": "待核", "鄂托克前旗": "可靠", "杭锦旗": "原表不平衡"}
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert '"value": "white"' in spec and '"field": "certainty"' in spec  # a hollow bar and the written mark
    requests = next(m for m in at.metric if m.label == "新收申请").value
    at.toggle(key="overview_exclude_uncertain").set_value(True).run()
    assert next(m for m in at.metric if m.label == "新收申请").value != requests
    assert "鄂托克旗" not in _chart_rows(at.get("vega_lite_chart")[0])


def _chart_rows(chart) -> dict[str, str]:
    """jurisdiction → certainty of the rows a chart was given (Streamlit sends them as Arrow datasets)."""
    import pyarrow as pa

    rows = {}
    for dataset in chart.proto.datasets:
        table = pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
        rows.update({r["jurisdiction_name"]: r["certainty"] for r in table if "certainty" in r})
    return rows


def _map_units(chart) -> dict[str, dict]:
    """name → properties of every unit shape in the map's spec (GeoJSON features inlined by the page)."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Feature" and "code" in node.get("properties", {}):
                found[node["properties"]["name"]] = node["properties"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(chart.proto.spec))
    return found


def test_map_marks_uncertain_units_and_tells_no_data_from_zero(warehouse, monkeypatch):
    monkeypatch.setenv("NIANBAO_PUBLISHED", warehouse.published_path)
    at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "map.py"), default_timeout=60)
    at.query_params.update({"league": "150600", "year": "2022"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="map_metric").set_value("requests_new").run()
    units = _map_units(at.get("vega_lite_chart")[0])
    assert len(units) == 9  # every banner/district of 鄂尔多斯市, with or without a report
    assert units["鄂托克旗"]["certainty"] == "待核" and units["鄂托克旗"]["value"] == 6
    assert units["鄂托克前旗"]["certainty"] == "可靠" and units["杭锦旗"]["certainty"] == "原表不平衡"
    assert units["乌审旗"]["certainty"] == "无数据" and units["乌审旗"]["value"] is None
    spec = json.dumps(json.loads(at.get("vega_lite_chart")[0].proto.spec), ensure_ascii=False)
    assert "datum.properties.certainty == '待核'" in spec and '"strokeDash"' in spec  # hollow, dashed, and marked
    assert any("待核（空心、红色虚线）1 个" in c.value and "无数据（灰色）6 个" in c.value for c in at.caption)
