from pathlib import Path

import streamlit as st

from catalogue import load_catalogue
from dashboard import briefing, charts, common, transform
from warehouse import queries

st.title("总览")
con = common.connection()
province, parent, year = common.region_filters(con, "overview")
body = common.body_filter(con, "overview", province, parent)
now = common.cached(queries.metrics, province, parent, year, body=body)
before = common.cached(queries.metrics, province, parent, year - 1, body=body)
common.stop_if_empty(now, "所选范围和年度没有报告。")
common.synthetic_notice(now)

all_inputs = sorted({m for key in transform.kpi_keys() for m in transform.kpi_inputs(key)})
doubtful = transform.uncertain_units(now, all_inputs)
leave_out = st.toggle(
    "不计待核数值",
    key="overview_exclude_uncertain",
    disabled=doubtful == 0,
    help="待核：原文表格受损，数值无法唯一确定或未能读出。打开后，每个指标只计算数值可靠的地区。",
)
if leave_out:
    values = {}
    for key in transform.kpi_keys():
        inputs = transform.kpi_inputs(key)
        kept, _ = transform.kpis(transform.without_uncertain(now, inputs), transform.without_uncertain(before, inputs))
        values[key] = kept[key]
    _, (only_now, only_before) = transform.kpis(now, before)
else:
    values, (only_now, only_before) = transform.kpis(now, before)
for column, (key, (value, delta)) in zip(st.columns(len(values)), values.items(), strict=False):
    column.metric(
        common.label(key),
        common.format_value(key, value),
        common.format_change(key, delta),
        help=common.help_text(key),
        delta_color="off" if common.is_share(key) else "normal",
    )
if doubtful:
    st.caption(
        f"其中 {doubtful} 个地区的部分数值待核（原文表格受损，无法唯一确定），"
        + ("已不计入上面的指标。" if leave_out else "已计入；可打开“不计待核数值”。")
    )
if only_now or only_before:
    st.caption(f"同比变化只计算两年都有报告的地区（本年有、上年无：{only_now} 个；上年有、本年无：{only_before} 个）。")

if parent and body == queries.GOVERNMENT:
    league_word = common.words()["league"]
    about = "第一页：主要指标及同比、要点、排名图和地图；其后各地区情况与主要问题。"
    pdf_column, docx_column = st.columns(2)
    for column, fmt, mime, build in (
        (pdf_column, "pdf", "application/pdf", briefing.build),
        (
            docx_column,
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            briefing.build_docx,
        ),
    ):
        ready = queries.briefing_file(str(queries.published_path()), parent, year, fmt)  # written by the pipeline

        def made(ready=ready, build=build) -> bytes:
            return Path(ready).read_bytes() if ready else build(con, province, parent, year)

        column.download_button(
            f"下载本{league_word}情况通报（{'PDF' if fmt == 'pdf' else 'Word，可编辑'}）",
            made,
            f"nianbao-{parent}-{year}.{fmt}",
            mime,
            key=f"overview_briefing_{fmt}",
            help=about,
        )

metric = st.selectbox(
    "排名指标",
    load_catalogue().with_role("ranking"),
    format_func=common.label,
    key="overview_metric",
    help="指标口径见各指标说明",
)
shown = transform.with_certainty(common.mark_synthetic(now), metric)
if leave_out:
    shown = transform.without_uncertain(shown, [metric])
left, right = st.columns([3, 2])
left.subheader(f"{common.body_title(body)}{common.label(metric)}排名（{year}年）")
left.altair_chart(
    charts.ranking(shown, metric, common.label(metric), common.value_format(metric), common.words()["league"]),
    width="stretch",
)
right.subheader("分档分布")
right.altair_chart(
    charts.banded(transform.bands(shown, metric, percent=common.is_share(metric)), common.label(metric)),
    width="stretch",
)
right.caption(common.help_text(metric))
