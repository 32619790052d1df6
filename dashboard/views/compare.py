import polars as pl
import streamlit as st

from catalogue import load_catalogue
from dashboard import charts, common, transform
from warehouse import queries

st.title("对比")
con = common.connection()
province, parent, _ = common.region_filters(con, "compare", with_year=False, default_league=True)
body = common.body_filter(con, "compare", province, parent)
pool = common.cached(queries.metrics, province, parent, body=body)
common.stop_if_empty(pool, "所选范围没有报告。")
if body != queries.GOVERNMENT:
    st.caption(
        f"比较 {pool['jurisdiction_code'].n_unique()} 个地区的{common.body_title(body)}报告"
        "（同一类部门改名前后视为同一部门，原署名见报告详情）。"
    )
units = pool.select("jurisdiction_code", "jurisdiction_name").unique().sort("jurisdiction_code")
names = dict(zip(units["jurisdiction_code"], units["jurisdiction_name"], strict=False))
mode = st.radio("选择方式", ["全部", "同类（旗/县/市辖区/县级市）", "手动选择"], horizontal=True, key="compare_mode")
if mode == "手动选择":
    codes = st.multiselect(
        "地区",
        list(names),
        default=list(names)[:4],
        format_func=names.get,
        key="compare_units",
        select_all=False,
        placeholder="选择地区",
    )  # Streamlit writes its "Select all" in English
elif mode.startswith("同类"):
    kinds = {"旗": "旗", "县": "县", "区": "市辖区", "市": "县级市"}
    kind = st.selectbox("类型", list(kinds), format_func=kinds.get, key="compare_kind")
    codes = [c for c, n in names.items() if n.endswith(kind)]
else:
    codes = list(names)
metric = st.selectbox(
    "指标", load_catalogue().with_role("compare"), format_func=common.label, key="compare_metric", help="口径见指标说明"
)
st.caption(common.help_text(metric))
all_years = sorted(pool["year"].unique().to_list())
chosen_years = st.multiselect(
    "年度", all_years, default=all_years[-3:], key="compare_years", select_all=False, placeholder="选择年度"
)
share = common.is_share(metric)
minimum = st.number_input(
    f"仅显示某一年 {common.label(metric)} ≥" + ("（%）" if share else ""),
    value=0.0,
    step=1.0,
    format="%.1f" if share else "%.0f",
    key="compare_min",
    help="按地区筛选：所选年度中任一年达到该值的地区，显示其全部年度。"
    + ("占比按百分数输入，例如 10 表示 10%。" if share else ""),
)
data = pool.filter(pl.col("jurisdiction_code").is_in(codes) & pl.col("year").is_in(chosen_years))
if minimum:
    data = transform.units_reaching(data, metric, minimum / 100 if share else minimum)
across_leagues = parent is None
data = transform.with_certainty(transform.series_names(data, with_league=across_leagues), metric)
common.synthetic_notice(data)
if (data["certainty"] == transform.UNCERTAIN_MARK).any():
    st.caption("空心柱为“待核”数值：原文表格受损，数值无法唯一确定，比较时请核对原文（查看报告）。")
common.stop_if_empty(data, "没有满足条件的地区。")
fmt = common.value_format(metric)
colors = charts.stable_colors(
    transform.series_names(pool, with_league=across_leagues)["series"].unique().sort().to_list()
)
drawn = transform.top_units(data, metric, charts.MAX_SERIES)
if drawn["jurisdiction_code"].n_unique() < data["jurisdiction_code"].n_unique():
    st.caption(
        f"共 {data['jurisdiction_code'].n_unique()} 个地区；图中只画出最新年度{common.label(metric)}最高的 "
        f"{charts.MAX_SERIES} 个，下表列出全部。"
    )
st.altair_chart(charts.grouped_bars(drawn, metric, common.label(metric), fmt, colors), width="stretch")
st.altair_chart(charts.trend(drawn, metric, common.label(metric), fmt, colors=colors), width="stretch")
table = (
    common.mark_synthetic(data)
    .select(
        "jurisdiction_code",
        "jurisdiction_name",
        "parent_name",
        "year",
        "t3_version",
        metric,
        "certainty",
        "synthetic",
        "sha256",
    )
    .sort("jurisdiction_code", "year")
)
common.show_table(table)


c1, c2, c3 = st.columns(3)
# Files are built only when a button is clicked (callables), so they never slow the page down.
export = data.select(
    "jurisdiction_code",
    "jurisdiction_name",
    "parent_name",
    "year",
    "t3_version",
    metric,
    *[c for c in (f"{metric}_change",) if c in data.columns],
    "certainty",
    "synthetic",
    "sha256",
)
c1.download_button("下载 CSV", lambda: common.csv_bytes(export), "nianbao-compare.csv", "text/csv")
c2.download_button("下载 Excel（含数据说明）", lambda: common.excel_bytes(export), "nianbao-compare.xlsx")
c3.download_button("导出全部地区×全部年度", common.bulk_export, "nianbao-all.csv", "text/csv")
