import polars as pl
import streamlit as st

from catalogue import load_catalogue
from dashboard import charts, common
from warehouse import queries

st.title("数据质量")
con = common.connection()
province, parent, _ = common.region_filters(con, "quality", with_year=False, default_league=True)
body = common.body_filter(con, "quality", province, parent)
st.subheader(f"{common.body_title(body)}报告覆盖（地区 × 年度：按时发布 / 逾期发布 / 发布日期未知 / 未见报告）")
if body != queries.GOVERNMENT:
    st.caption("部门和苏木镇：从某单位首次见到该主体报告的年度起，之后缺少的年度为“未见报告”。")
cover = common.cached(queries.coverage, province, parent, body)
if cover.is_empty():
    st.info("没有覆盖数据。")
else:
    st.altair_chart(charts.coverage_matrix(cover), width="stretch")
with st.expander("各检查项的含义"):
    st.markdown(
        "\n".join(
            f"- **{c['label']}**（{code}）：{c['glossary']}" for code, c in load_catalogue().raw["checks"].items()
        )
    )
st.subheader("报告评分（最低的 200 份；可排序）")
scores = common.name_checks(common.cached(queries.quality_scores, province, parent))
scores = scores.select("sha256", "jurisdiction_name", "year", "score", "reasons", "issuer", "synthetic")
common.synthetic_notice(scores)
common.show_table(scores.head(200))
st.download_button("下载本范围全部评分", lambda: common.csv_bytes(scores), "nianbao-scores.csv", "text/csv")
st.subheader("发现的问题（勾稽关系、正文与表格、内容雷同、逾期、模板版本等）")
findings = common.name_checks(common.cached(queries.failing_checks, None, province, parent))
kinds = ["全部"] + [k for k in load_catalogue().raw["check_kinds"].values() if k in set(findings["kind"])]
kind = st.segmented_control("类别", kinds, default="全部", key="quality_kind") or "全部"
if kind != "全部":
    findings = findings.filter(pl.col("kind") == kind)
# what a reader needs first stays on screen: where, what, the evidence and the link to the report
findings = findings.select(
    "jurisdiction_name",
    "year",
    "check",
    "detail",
    "sha256",
    "issuer",
    "kind",
    "severity",
    "code",
    "file_name",
    "synthetic",
)
common.show_table(findings, empty="所选范围内的报告没有发现问题。")
st.subheader("未计入统计的报告（不分地区）")
left_out = queries.not_in_mart(con)
if left_out.is_empty():
    st.success("所有已解析的报告均已计入统计。")
else:
    counts = left_out.group_by("reason").len().sort("len", descending=True)
    st.caption("；".join(f"{r['reason']} {r['len']} 份" for r in counts.to_dicts()) + "。")
    common.show_table(left_out.drop("counted_sha256"))
runs = queries.fetch_runs(con)
if not runs.is_empty():
    st.subheader("网站栏目抓取情况（每个登记栏目最近一次）")
    failing = runs.filter(pl.col("errors") > 0).height
    st.caption(
        f"共 {runs.height} 个栏目"
        + (f"，其中 {failing} 个最近一次抓取有错误（见“首个错误”）。" if failing else "，最近一次均无错误。")
    )
    common.show_table(runs)
st.subheader("无法解析的文件（不分地区）")
errors = queries.ingest_errors(con)
if errors.is_empty():
    st.success("所有文件均已解析。")
else:
    common.show_table(errors)
skipped = queries.skipped_inputs(con)
if not skipped.is_empty():
    st.subheader("收件箱中未读取的条目（最近一次运行）")
    common.show_table(skipped)
