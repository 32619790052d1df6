import polars as pl
import streamlit as st

from dashboard import charts, common
from warehouse import queries

SMALL_NUMBER = 10  # below this many cases a correction rate says little

st.title("复议诉讼")
con = common.connection()
province, parent, _ = common.region_filters(con, "review", with_year=False)
body = common.body_filter(con, "review", province, parent)
data = common.cached(queries.metrics, province, parent, body=body)
common.stop_if_empty(data, "所选范围没有报告。")
yearly = (
    data.group_by("year")
    .agg(
        pl.col("review_total").sum(),
        pl.col("review_corrected").sum(),
        pl.col("litigation_total").sum(),
        pl.col("litigation_corrected").sum(),
    )
    .sort("year")
    .with_columns(
        (pl.col("review_corrected") / pl.col("review_total")).alias("review_correction_rate"),
        (pl.col("litigation_corrected") / pl.col("litigation_total")).alias("litigation_correction_rate"),
        pl.lit("合计").alias("jurisdiction_name"),
    )
)
counts = yearly.unpivot(
    index=["year"], on=["review_total", "litigation_total"], variable_name="kind", value_name="cases"
).with_columns(
    pl.col("kind")
    .replace_strict({"review_total": "行政复议", "litigation_total": "行政诉讼"})
    .alias("jurisdiction_name")
)
left, right = st.columns(2)
left.subheader("案件数")
left.altair_chart(charts.trend(counts, "cases", "件数", series="类别"), width="stretch")
rates = yearly.unpivot(
    index=["year"], on=["review_correction_rate", "litigation_correction_rate"], variable_name="kind", value_name="rate"
).with_columns(
    pl.col("kind")
    .replace_strict({"review_correction_rate": "复议纠错率", "litigation_correction_rate": "诉讼纠错率"})
    .alias("jurisdiction_name")
)
right.subheader("纠错率")
right.altair_chart(charts.trend(rates, "rate", "纠错率", ".1%", series="类别"), width="stretch")
st.caption(common.help_text("review_correction_rate"))
small = yearly.filter(pl.col("review_total") < SMALL_NUMBER)["year"].to_list()
if small:
    st.warning(f"{'、'.join(map(str, small))} 年行政复议少于 {SMALL_NUMBER} 件：纠错率受个别案件影响很大，仅供参考。")
st.subheader("各地区复议诉讼（最新年度）")
latest = data.filter(pl.col("year") == data["year"].max())
ranked = common.mark_synthetic(latest).with_columns(
    pl.when(pl.col("review_total") < SMALL_NUMBER)
    .then(pl.lit(f"少于{SMALL_NUMBER}件，仅供参考"))
    .otherwise(pl.lit(""))
    .alias("caution")
)
st.altair_chart(
    charts.ranking(ranked.filter(pl.col("review_total") > 0), "review_total", "行政复议件数"), width="stretch"
)
common.show_table(
    ranked.select(
        "jurisdiction_name",
        "year",
        "review_total",
        "review_corrected",
        "review_correction_rate",
        "caution",
        "litigation_total",
        "litigation_corrected",
        "sha256",
    ).sort("review_total", descending=True, nulls_last=True)
)
