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

values, (only_now, only_before) = transform.kpis(now, before)
for column, (key, (value, delta)) in zip(st.columns(len(values)), values.items()):
    share = common.is_share(key)
    shown = "—" if value is None else (f"{value:.1%}" if share else f"{value:,.0f}")
    change = None if delta is None else (f"{delta * 100:+.1f} 个百分点" if share else f"{delta:+,.0f}")
    column.metric(common.label(key), shown, change, help=common.help_text(key), delta_color="off" if share else "normal")
if only_now or only_before:
    st.caption(f"同比变化只计算两年都有报告的地区（本年有、上年无：{only_now} 个；上年有、本年无：{only_before} 个）。")

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
