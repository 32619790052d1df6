"""Shared page scaffolding: the cached connection, filters, labels from the catalogue, the empty state."""
from __future__ import annotations

import streamlit as st

from warehouse import queries
from warehouse.catalogue import load_catalogue

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


def label(key: str) -> str:
    return load_catalogue().label(key)


def help_text(key: str) -> str:
    return load_catalogue().glossary(key)


def _unit(key: str) -> str | None:
    return next((m.get("unit") for m in load_catalogue().metrics if m["key"] == key), None)


def is_share(key: str) -> bool:
    return _unit(key) == "share"


def value_format(key: str) -> str:
    """How a metric's values read on axes and tooltips: shares as percentages, 万元 with decimals, counts whole."""
    return {"share": ".1%", "万元": ",.2f"}.get(_unit(key), ",.0f")


@st.cache_data(show_spinner=False, max_entries=4)
def bulk_export_csv(path: str, mtime: float) -> bytes:
    """All jurisdictions × all years, built once per published copy (not on every rerun)."""
    con = queries.open_published(path)
    try:
        return queries.all_metrics(con).write_csv().encode("utf-8-sig")
    finally:
        con.close()


def bulk_export() -> bytes:
    path = queries.published_path()
    return bulk_export_csv(str(path), path.stat().st_mtime)


def region_filters(con, key_prefix: str, with_year: bool = True, default_league: bool = False):
    """Province → 盟/市 → year pickers; returns (province_code, parent_code or None, year).
    `default_league` starts on the first 盟/市 instead of the whole province (pages that draw one mark per unit)."""
    provinces = queries.provinces(con)
    names = dict(zip(provinces["province_code"], provinces["province_name"]))
    cols = st.columns(3)
    province = cols[0].selectbox("省份", list(names), format_func=names.get, key=f"{key_prefix}_province")
    leagues = queries.leagues(con, province)
    league_names = {"": "全部盟/市", **dict(zip(leagues["parent_code"], leagues["parent_name"]))}
    parent = cols[1].selectbox("盟/市", list(league_names), format_func=league_names.get, key=f"{key_prefix}_league",
                               index=1 if default_league and len(league_names) > 1 else 0)
    year = None
    if with_year:
        years = queries.years(con)
        year = cols[2].selectbox("年度", years[::-1], key=f"{key_prefix}_year")
    return province, parent or None, year


def name_checks(df):
    """Check results read in Chinese from the catalogue: a 检查项 column beside `code`, kind, severity and status
    in words, and `reasons` (codes joined by 、) rewritten as names, each named once."""
    import polars as pl

    cat = load_catalogue()
    if "code" in df.columns:
        names = {code: cat.check_label(code) for code in df["code"].unique().to_list() if code}
        df = df.insert_column(df.columns.index("code"), df["code"].replace_strict(names, default=None).alias("check"))
    for column, words in (("kind", "check_kinds"), ("severity", "check_severities"), ("status", "check_statuses")):
        if column in df.columns and "code" in df.columns:
            df = df.with_columns(pl.col(column).replace(cat.raw[words]))
    if "reasons" in df.columns:
        names = {r: "、".join(dict.fromkeys(cat.check_label(c) for c in r.split("、")))
                 for r in df["reasons"].unique().to_list() if r}
        df = df.with_columns(pl.col("reasons").replace_strict(names, default=None))
    return df


COLUMN_LABELS = {
    "jurisdiction_code": "区划代码", "jurisdiction_name": "地区", "parent_name": "盟/市", "year": "年度",
    "issuer": "发布机关", "file_name": "文件", "check": "检查项", "code": "代码", "kind": "类别", "severity": "级别", "detail": "说明",
    "status": "结果", "score": "评分", "certainty": "数据状态", "path": "路径", "reason_code": "原因代码", "reasons": "扣分原因", "synthetic": "示例数据", "t2_version": "表二模板",
    "t3_version": "表三模板", "error_code": "错误类型", "reason": "原因", "failed_at": "时间", "label": "单元格",
    "value": "数值", "source": "出处", "raw": "原文", "note": "备注", "format": "格式", "sha256": "报告",
}
DETAIL_LINK = "./detail?report="  # relative: works wherever the app is served


def show_table(df, container=st, percent: tuple[str, ...] = (), empty: str = "没有记录。") -> None:
    """A dataframe with Chinese column names (metric names from the field catalogue); shares as percentages;
    a sentence instead of an empty grid."""
    if df.is_empty():
        container.caption(empty)
        return
    import polars as pl

    cat = load_catalogue()
    metric_keys = {m["key"] for m in cat.metrics}
    names = {c: COLUMN_LABELS.get(c) or (cat.label(c) if c in metric_keys else c) for c in df.columns}
    shares = [c for c in df.columns if c in percent or (c in metric_keys and is_share(c))]
    config = {names[c]: st.column_config.NumberColumn(names[c], format="percent") for c in shares}
    if "sha256" in df.columns:  # each row links to its report on 报告详情 (cells, sources, original file)
        df = df.with_columns(pl.when(pl.col("sha256").is_not_null()).then(DETAIL_LINK + pl.col("sha256")).alias("sha256"))
        config[names["sha256"]] = st.column_config.LinkColumn(names["sha256"], display_text="查看报告")
    container.dataframe(df.rename(names), hide_index=True, width="stretch", column_config=config)


def stop_if_empty(df, message: str = "所选范围没有报告。") -> None:
    if df.is_empty():
        st.info(message)
        st.stop()


def synthetic_notice(df) -> None:
    if "synthetic" in df.columns and df["synthetic"].any():
        st.caption(f"含{SYNTHETIC_BADGE}：标注“{SYNTHETIC_BADGE}”的记录为合成演示数据，不是真实报告。")


def mark_synthetic(df, column: str = "jurisdiction_name"):
    import polars as pl

    if "synthetic" not in df.columns or column not in df.columns:
        return df
    return df.with_columns(pl.when(pl.col("synthetic")).then(pl.col(column) + f"（{SYNTHETIC_BADGE}）")
                           .otherwise(pl.col(column)).alias(column))
