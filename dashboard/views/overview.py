import polars as pl
import streamlit as st

from dashboard import charts, common, transform
from warehouse import queries

st.title("总览")
con = common.connection()
province, parent, year = common.region_filters(con, "overview")
now = queries.metrics(con, province, parent, year)
before = queries.metrics(con, province, parent, year - 1)
common.stop_if_empty(now, "所选范围和年度没有报告。")
common.synthetic_notice(now)


def total(df: pl.DataFrame, col: str):
    return df[col].sum() if not df.is_empty() else None


def ratio(df: pl.DataFrame, num: str, den: str):
    d = total(df, den)
    return (total(df, num) / d) if d else None


kpis = [
    ("permits", total(now, "permits"), total(before, "permits"), False),
    ("penalties", total(now, "penalties"), total(before, "penalties"), False),
    ("requests_new", total(now, "requests_new"), total(before, "requests_new"), False),
    ("duplicate_share", ratio(now, "duplicate", "requests_new"), ratio(before, "duplicate", "requests_new"), True),
    ("disclosure_rate", ratio(now.with_columns((pl.col("granted") + pl.col("partial")).alias("open")), "open", "requests_processed"),
     ratio(before.with_columns((pl.col("granted") + pl.col("partial")).alias("open")), "open", "requests_processed") if not before.is_empty() else None, True),
    ("review_correction_rate", ratio(now, "review_corrected", "review_total"), ratio(before, "review_corrected", "review_total"), True),
]
for column, (key, value, previous, share) in zip(st.columns(len(kpis)), kpis):
    shown = "—" if value is None else (f"{value:.1%}" if share else f"{value:,.0f}")
    delta = None
    if value is not None and previous is not None:
        delta = f"{(value - previous) * 100:+.1f} 个百分点" if share else f"{value - previous:+,.0f}"
    column.metric(common.label(key), shown, delta, help=common.help_text(key), delta_color="off" if share else "normal")

metric = st.selectbox("排名指标", ["permits", "penalties", "requests_new", "duplicate_share", "disclosure_rate"],
                      format_func=common.label, key="overview_metric", help="指标口径见各指标说明")
shown = common.mark_synthetic(now)
left, right = st.columns([3, 2])
left.subheader(f"{common.label(metric)}排名（{year}年）")
left.altair_chart(charts.ranking(shown, metric, common.label(metric), common.value_format(metric)), width="stretch")
right.subheader("分档分布")
right.altair_chart(charts.banded(transform.bands(shown, metric, percent=common.is_share(metric)),
                                 common.label(metric)), width="stretch")
right.caption(common.help_text(metric))
