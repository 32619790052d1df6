import polars as pl
import streamlit as st

from catalogue import load_catalogue
from dashboard import charts, common
from warehouse import queries

st.title("依申请公开")
con = common.connection()
province, parent, year = common.region_filters(con, "requests", default_league=True)
body = common.body_filter(con, "requests", province, parent)
mix = common.cached(queries.outcome_mix, province, parent, year, body=body)
common.stop_if_empty(mix, "所选范围和年度没有报告。")
outcomes = ["granted", "partial", "denied", "unable", "not_processed", "other_handling"]
mix = common.mark_synthetic(mix)
common.synthetic_notice(mix)
long = mix.unpivot(index="jurisdiction_name", on=outcomes, variable_name="outcome", value_name="count").with_columns(
    pl.col("outcome").replace_strict({k: common.label(k) for k in outcomes})
)
st.subheader("办理结果构成")
st.caption("各项占（七）办理总计的比例；不予公开、无法提供、不予处理为各理由之和。")
st.altair_chart(
    charts.stacked_share(
        long, "outcome", "count", "jurisdiction_name", "占办理总计的比例", [common.label(k) for k in outcomes]
    ),
    width="stretch",
)
left, right = st.columns(2)
applicants = common.cached(queries.applicant_mix, province, parent, year, body=body)
labels = {f"t3_new_received__{c['col']}": c["label"] for c in load_catalogue().raw["t3"]["columns"]}
applicants = applicants.with_columns(pl.col("key").replace_strict(labels, default=None).alias("applicant"))
left.subheader("申请人构成（新收）")
left.altair_chart(charts.donut(applicants, "applicant", "requests", list(labels.values())), width="stretch")
right.subheader("重复申请与大量反复申请")
right.caption(common.help_text("duplicate_share") + " " + common.help_text("mass_repeat_share"))
common.show_table(
    mix.select(
        "jurisdiction_name",
        "requests_new",
        "duplicate",
        "duplicate_share",
        "mass_repeat",
        "mass_repeat_share",
        "sha256",
    ).sort("duplicate_share", descending=True, nulls_last=True),
    container=right,
)
