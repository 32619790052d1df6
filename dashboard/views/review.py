import polars as pl
import streamlit as st

from dashboard import charts, common
from warehouse import queries

st.title("复议诉讼")
con = common.connection()
province, parent, _ = common.region_filters(con, "review", with_year=False)
data = queries.metrics(con, province, parent)
common.stop_if_empty(data, "所选范围没有报告。")
yearly = data.group_by("year").agg(
    pl.col("review_total").sum(), pl.col("review_corrected").sum(), pl.col("litigation_total").sum(),
    pl.col("litigation_corrected").sum()).sort("year").with_columns(
    (pl.col("review_corrected") / pl.col("review_total")).alias("review_correction_rate"),
    (pl.col("litigation_corrected") / pl.col("litigation_total")).alias("litigation_correction_rate"),
    pl.lit("合计").alias("jurisdiction_name"))
counts = yearly.unpivot(index=["year"], on=["review_total", "litigation_total"], variable_name="kind", value_name="cases") \
    .with_columns(pl.col("kind").replace_strict({"review_total": "行政复议", "litigation_total": "行政诉讼"}).alias("jurisdiction_name"))
left, right = st.columns(2)
left.subheader("案件数")
left.altair_chart(charts.trend(counts, "cases", "件数", series="类别"), width="stretch")
rates = yearly.unpivot(index=["year"], on=["review_correction_rate", "litigation_correction_rate"], variable_name="kind", value_name="rate") \
    .with_columns(pl.col("kind").replace_strict({"review_correction_rate": "复议纠错率", "litigation_correction_rate": "诉讼纠错率"}).alias("jurisdiction_name"))
right.subheader("纠错率")
right.altair_chart(charts.trend(rates, "rate", "纠错率", ".1%", series="类别"), width="stretch")
st.caption(common.help_text("review_correction_rate"))
common.show_table(common.mark_synthetic(data).select("jurisdiction_name", "year", "review_total", "review_corrected",
                  "review_correction_rate", "litigation_total", "litigation_corrected", "sha256"))
