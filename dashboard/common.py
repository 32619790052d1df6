"""Shared page scaffolding: the cached connection, filters, labels from the catalogue, the empty state."""

from __future__ import annotations

import os

import polars as pl
import streamlit as st

from catalogue import load_catalogue
from dashboard import charts
from warehouse import queries

SYNTHETIC_BADGE = "示例数据"


@st.cache_resource(show_spinner=False)
def _connections() -> queries.PublishedConnections:
    return queries.PublishedConnections(keep=2)


def connection():
    """The published warehouse, reopened when the pipeline publishes a new copy; older copies are closed."""
    con = _connections().get(queries.published_path())
    if con is None:
        st.info("仓库尚未生成。请先运行主任务：`./run.sh`（或 `nianbao run`），完成后刷新本页。")
        st.stop()
    return con


def cached(query, *args, **kwargs):
    """`query(con, *args, **kwargs)` of warehouse.queries, run once per published copy and shared by every page and
    visitor (keyed by the file's identity: a new publication is a new key): the pickers and the mart rows each page
    opens with. Its result is the query's own, a copy per call."""
    path = queries.published_path()
    try:
        info = os.stat(path)
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = None
    return _cached_query(str(path), stamp, query.__name__, args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_query(path: str, stamp: tuple | None, name: str, args: tuple, kwargs: tuple):
    return getattr(queries, name)(connection(), *args, **dict(kwargs))


def label(key: str) -> str:
    return load_catalogue().label(key)


def help_text(key: str) -> str:
    return load_catalogue().glossary(key)


def _unit(key: str) -> str | None:
    return next((m.get("unit") for m in load_catalogue().metrics if m["key"] == key), None)


def is_share(key: str) -> bool:
    return _unit(key) == "share"


def format_value(key: str, value) -> str:
    """A value as every page and the briefing write it: shares as percentages, 万元 with decimals, counts whole."""
    if value is None:
        return "—"
    return f"{value:.1%}" if is_share(key) else f"{value:,.2f}" if _unit(key) == "万元" else f"{value:,.0f}"


def format_change(key: str, delta) -> str | None:
    """A change on last year: percentage points for shares."""
    if delta is None:
        return None
    return f"{delta * 100:+.1f} 个百分点" if is_share(key) else f"{delta:+,.0f}"


def value_format(key: str) -> str:
    """How a metric's values read on axes and tooltips: shares as percentages, 万元 with decimals, counts whole."""
    return {"share": ".1%", "万元": ",.2f"}.get(_unit(key), ",.0f")


EXPORT_EXTRA = {
    "synthetic": "示例数据",
    "certainty": "数据状态",
    "uncertain_metrics": "待核指标",
    "source_anomaly_metrics": "原表不平衡指标",
    "report_level": "报告层级",
    "sha256": "报告编号",
    "province_name": "省份",
    "province_code": "省份代码",
    "parent_code": "盟/市代码",
    "jurisdiction_level": "区划层级",
    "documents_for_year": "当年文件数",
    "template_changed": "模板变更",
    "published_at": "发布日期",
    "t4_version": "表四模板",
    "status": "解析状态",
}


def column_notes(columns: list[str]) -> pl.DataFrame:
    """The 数据说明 sheet: each exported column's Chinese name, meaning, unit, numerator and denominator."""
    cat = load_catalogue()
    metrics = {m["key"]: m for m in cat.metrics}
    units = {"share": "比例（0–1）"}
    rows = []
    for column in columns:
        metric = metrics.get(column.removesuffix("_change").split("_rank_")[0])
        rows.append(
            {
                "列": chinese_column(column),
                "含义": (metric["glossary"] if metric else "")
                + ("（与上年相比的变化）" if column.endswith("_change") else "")
                + (f"（在本{words()['league']}内的名次）" if column.endswith("_rank_parent") else "")
                + (f"（在{words()['whole']}的名次）" if column.endswith("_rank_province") else ""),
                "单位": units.get(metric.get("unit"), metric.get("unit", "")) if metric else "",
                "分子": label(metric["numerator"])
                if metric and "numerator" in metric
                else (metric.get("numerator_expr", "") if metric else ""),
                "分母": label(metric["denominator"]) if metric and "denominator" in metric else "",
            }
        )
    return pl.DataFrame(rows)


def chinese_column(column: str) -> str:
    cat = load_catalogue()
    keys = {m["key"] for m in cat.metrics}
    base = column.removesuffix("_change").split("_rank_")[0]
    if column in COLUMN_LABELS:
        return _in_local_words(COLUMN_LABELS[column])
    if column in EXPORT_EXTRA:
        return _in_local_words(EXPORT_EXTRA[column])
    if base in keys:
        suffix = (
            "（同比变化）"
            if column.endswith("_change")
            else f"（{words()['league']}内排名）"
            if column.endswith("_rank_parent")
            else f"（{words()['whole']}排名）"
            if column.endswith("_rank_province")
            else ""
        )
        return cat.label(base) + suffix
    return column


def export_frame(df):
    """Chinese headers, lists and booleans as words, dates as 2024年3月10日: what an office opens in Excel."""
    out = df
    for column, dtype in df.schema.items():
        if dtype == pl.Boolean:
            out = out.with_columns(pl.when(pl.col(column)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(column))
        elif isinstance(dtype, pl.List):
            names = pl.col(column).list.eval(
                pl.element().replace_strict(
                    {m["key"]: m["label"] for m in load_catalogue().metrics}, default=pl.element()
                )
            )
            out = out.with_columns(names.list.join("、").alias(column))
        elif dtype == pl.Date:
            out = out.with_columns(charts.chinese_date(column).alias(column))
    return out.rename({c: chinese_column(c) for c in df.columns})


def csv_bytes(df) -> bytes:
    return export_frame(df).write_csv().encode("utf-8-sig")


def excel_bytes(df) -> bytes:
    """Two sheets: 数据 with Chinese headers, 数据说明 with each column's meaning, unit, numerator and denominator."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        export_frame(df).write_excel(workbook=workbook, worksheet="数据")
        column_notes(df.columns).write_excel(workbook=workbook, worksheet="数据说明", column_widths={"含义": 400})
    return buffer.getvalue()


@st.cache_data(show_spinner=False, max_entries=4)
def bulk_export_csv(path: str, mtime: float) -> bytes:
    """All jurisdictions × all years, built once per published copy (not on every rerun)."""
    con = queries.open_published(path)
    try:
        return csv_bytes(queries.all_metrics(con))
    finally:
        con.close()


def bulk_export() -> bytes:
    path = queries.published_path()
    return bulk_export_csv(str(path), path.stat().st_mtime)


def _remembered(name: str, options: list, fallback):
    """The choice kept in the page address (?league=150600), else the one made on another page, else `fallback`:
    a 盟/市 chosen once follows the user across pages, survives Back and can be bookmarked or sent."""
    for value in (st.query_params.get(name), st.session_state.get(f"region_{name}")):
        if value is not None and str(value) in [str(o) for o in options]:
            return next(o for o in options if str(o) == str(value))
    return fallback


def _remember(name: str, value) -> None:
    st.session_state[f"region_{name}"] = value
    if value in (None, ""):
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = str(value)


def region_filters(con, key_prefix: str, with_year: bool = True, default_league: bool = False):
    """Province → 盟/市 → year pickers; returns (province_code, parent_code or None, year). The choices live in
    the address and carry across pages. `default_league` starts on the first 盟/市 instead of the whole province."""
    provinces = cached(queries.provinces)
    names = dict(zip(provinces["province_code"], provinces["province_name"], strict=False))
    cols = st.columns(3)
    codes = list(names)
    province = cols[0].selectbox(
        "省份",
        codes,
        format_func=names.get,
        key=f"{key_prefix}_province",
        index=codes.index(_remembered("province", codes, codes[0])),
    )
    leagues = cached(queries.leagues, province)
    league_word = region_words(province)["league"]
    league_names = {"": f"全部{league_word}", **dict(zip(leagues["parent_code"], leagues["parent_name"], strict=False))}
    league_codes = list(league_names)
    fallback = league_codes[1] if default_league and len(league_codes) > 1 else ""
    parent = cols[1].selectbox(
        league_word,
        league_codes,
        format_func=league_names.get,
        key=f"{key_prefix}_league",
        index=league_codes.index(_remembered("league", league_codes, fallback)),
    )
    _remember("province", province)
    _remember("league", parent)
    year = None
    if with_year:
        years = cached(queries.years)[::-1]
        year = cols[2].selectbox(
            "年度", years, key=f"{key_prefix}_year", index=years.index(_remembered("year", years, years[0]))
        )
        _remember("year", year)
    return province, parent or None, year


def body_filter(con, key_prefix: str, province: str, parent: str | None, townships: bool = True) -> str:
    """报告主体: the government's reports (default), one department type compared across units, or every 苏木/镇.
    Remembered in the address like the region (?body=dept:market_regulation)."""
    bodies = cached(queries.bodies, province, parent)
    if not townships:
        bodies = bodies.filter(pl.col("body") != queries.TOWNSHIPS)
    names = {row["body"]: _body_label(row) for row in bodies.to_dicts()} or {queries.GOVERNMENT: "人民政府"}
    codes = list(names)
    fallback = queries.GOVERNMENT if queries.GOVERNMENT in codes else codes[0]
    body = st.selectbox(
        "报告主体",
        codes,
        format_func=names.get,
        key=f"{key_prefix}_body",
        index=codes.index(_remembered("body", codes, fallback)),
        help="政府：各地人民政府（含政府办公室）的年度报告；部门：同一类部门在各地的报告（如各旗县区的"
        "市场监督管理局），部门改名前后视为同一部门；苏木/乡镇/街道：每个苏木镇各为一个单位。",
    )
    _remember("body", body)
    return body


def _body_label(row: dict) -> str:
    kind = load_catalogue().raw["body_kinds"].get(row["body_kind"], "")
    if row["body"] == queries.GOVERNMENT:
        return f"人民政府（{row['units']} 个地区）"
    if row["body"] == queries.TOWNSHIPS:
        return f"苏木/乡镇/街道（{row['units']} 个地区）"
    return f"{kind} · {row['body_name']}（{row['units']} 个地区）"


def body_title(body: str) -> str:
    """The body a chart shows, for its title: empty for governments (the default view)."""
    if body == queries.GOVERNMENT:
        return ""
    if body == queries.TOWNSHIPS:
        return "苏木/乡镇/街道"
    name = body.partition(":")[2]
    types = {d["key"]: d["label"] for d in load_catalogue().raw["department_types"]}
    return types.get(name, name)  # an untyped department or a zone is its own name


MUNICIPALITIES = ("110000", "120000", "310000", "500000")


def region_words(province_code: str | None) -> dict[str, str]:
    """How a province names its parts: 内蒙古 has 盟/市 and speaks of 全区; provinces have 市/州/地区 and 全省."""
    if province_code in ("150000", None):  # nothing chosen yet (an export outside a page): the bundled province
        return {"league": "盟/市", "whole": "全区", "units": "旗县区"}
    if province_code in MUNICIPALITIES:
        return {"league": "区/县", "whole": "全市", "units": "区县"}
    if province_code in ("450000", "540000", "640000", "650000"):  # the other autonomous regions
        return {"league": "市/州/地区", "whole": "全区", "units": "县市区"}
    return {"league": "市/州/地区", "whole": "全省", "units": "县市区"}


def words() -> dict[str, str]:
    """The wording of the province chosen on this page (set by `region_filters`)."""
    return region_words(st.session_state.get("region_province"))


def name_checks(df):
    """Check results read in Chinese from the catalogue: a 检查项 column beside `code`, kind, severity and status
    in words, and `reasons` (codes joined by 、) rewritten as names, each named once."""
    cat = load_catalogue()
    if "code" in df.columns:
        names = {code: cat.check_label(code) for code in df["code"].unique().to_list() if code}
        df = df.insert_column(df.columns.index("code"), df["code"].replace_strict(names, default=None).alias("check"))
    for column, words in (("kind", "check_kinds"), ("severity", "check_severities"), ("status", "check_statuses")):
        if column in df.columns and "code" in df.columns:
            df = df.with_columns(pl.col(column).replace(cat.raw[words]))
    if "reasons" in df.columns:
        names = {
            r: "、".join(dict.fromkeys(cat.check_label(c) for c in r.split("、")))
            for r in df["reasons"].unique().to_list()
            if r
        }
        df = df.with_columns(pl.col("reasons").replace_strict(names, default=None))
    return df


COLUMN_LABELS = {
    "jurisdiction_code": "区划代码",
    "crop": "原件截图",
    "jurisdiction_name": "地区",
    "parent_name": "盟/市",
    "year": "年度",
    "issuer": "发布机关",
    "file_name": "文件",
    "check": "检查项",
    "code": "代码",
    "kind": "类别",
    "severity": "级别",
    "detail": "说明",
    "status": "结果",
    "score": "评分",
    "certainty": "数据状态",
    "caution": "说明",
    "path": "路径",
    "reason_code": "原因代码",
    "reasons": "扣分原因",
    "synthetic": "示例数据",
    "t2_version": "表二模板",
    "t3_version": "表三模板",
    "error_code": "错误类型",
    "reason": "原因",
    "failed_at": "时间",
    "label": "单元格",
    "column_name": "栏目",
    "column_url": "栏目网址",
    "finished_at": "抓取时间",
    "pages": "列表页",
    "new_documents": "新文件",
    "revised": "已修改",
    "unchanged": "未变",
    "refused": "不属年报",
    "errors": "错误",
    "first_error": "首个错误",
    "body_name": "报告主体",
    "body_kind": "主体类别",
    "received_at": "收到时间",
    "in_mart": "计入统计",
    "value": "数值",
    "source": "出处",
    "raw": "原文",
    "note": "备注",
    "format": "格式",
    "sha256": "报告",
}


def _in_local_words(label: str) -> str:
    return label.replace("盟/市", words()["league"])


DETAIL_LINK = "./detail?report="  # relative: works wherever the app is served


def show_table(
    df, container=st, percent: tuple[str, ...] = (), empty: str = "没有记录。", images: tuple[str, ...] = ()
) -> None:
    """A dataframe with Chinese column names (metric names from the field catalogue); shares as percentages;
    `images`: columns of image URLs shown as pictures; a sentence instead of an empty grid."""
    if df.is_empty():
        container.caption(empty)
        return
    cat = load_catalogue()
    metric_keys = {m["key"] for m in cat.metrics}
    names = {c: _in_local_words(COLUMN_LABELS.get(c) or (cat.label(c) if c in metric_keys else c)) for c in df.columns}
    shares = [c for c in df.columns if c in percent or (c in metric_keys and is_share(c))]
    config = {names[c]: st.column_config.NumberColumn(names[c], format="percent") for c in shares}
    config |= {names[c]: st.column_config.ImageColumn(names[c], width="medium") for c in images if c in names}
    if "sha256" in df.columns:  # each row links to its report on 报告详情 (cells, sources, original file)
        df = df.with_columns(
            pl.when(pl.col("sha256").is_not_null()).then(DETAIL_LINK + pl.col("sha256")).alias("sha256")
        )
        config[names["sha256"]] = st.column_config.LinkColumn(names["sha256"], display_text="查看报告")
    tall = {"row_height": 48} if any(c in df.columns for c in images) else {}  # a cell's crop readable at a glance
    container.dataframe(df.rename(names), hide_index=True, width="stretch", column_config=config, **tall)


def stop_if_empty(df, message: str = "所选范围没有报告。") -> None:
    if df.is_empty():
        st.info(message)
        st.stop()


def synthetic_notice(df) -> None:
    if "synthetic" in df.columns and df["synthetic"].any():
        st.caption(f"含{SYNTHETIC_BADGE}：标注“{SYNTHETIC_BADGE}”的记录为合成演示数据，不是真实报告。")


def mark_synthetic(df, column: str = "jurisdiction_name"):
    if "synthetic" not in df.columns or column not in df.columns:
        return df
    return df.with_columns(
        pl.when(pl.col("synthetic"))
        .then(pl.col(column) + f"（{SYNTHETIC_BADGE}）")
        .otherwise(pl.col(column))
        .alias(column)
    )
