import re
from pathlib import Path

import polars as pl
import streamlit as st

from catalogue import load_catalogue
from dashboard import common, crops
from warehouse import queries

st.title("报告详情")
con = common.connection()


def _number(value) -> str:
    return "—" if value is None else f"{value:g}"


def describe(r: dict) -> str:
    return f"{r['issuer'] or '?'} · {r['year']}年 · {r['format']}" + ("（示例数据）" if r["synthetic"] else "")


linked = st.query_params.get("report")  # opened from a table's 查看报告 link on another page
linked_report = queries.report(con, linked) if linked and re.fullmatch(r"[0-9a-f]{64}", linked) else None
if linked is not None and linked_report is None:
    st.error("未找到该报告：链接中的报告编号不存在或已失效。请在下面查找报告。")
search = st.text_input("查找报告（发布机关或地区）", key="detail_search")
reports = queries.report_list(con, search)
options = {r["sha256"]: describe(r) for r in reports.to_dicts()}
if linked_report is not None and not search:  # the linked report first, however old (the list shows 500)
    options = {linked: describe(linked_report)} | options
if not options:
    st.info("没有匹配的报告。")
    st.stop()
sha = st.selectbox("报告", list(options), format_func=options.get, key="detail_report")
report = queries.report(con, sha)
cat = load_catalogue()
st.text(f"{report['title'] or report['issuer']}")
kinds, scopes = cat.raw["issuer_kinds"], cat.raw["scopes"]
st.caption(
    f"地区：{report['jurisdiction_name'] or '未识别'} · 报告主体：{report['body_name'] or '—'} · 类型：{kinds.get(report['issuer_kind'], report['issuer_kind'])} · "
    f"范围：{scopes.get(report['scope'], report['scope'])} · "
    f"模板：表二 {report['t2_version']} / 表三 {report['t3_version']} · 发布：{report['published_at'] or '未知'}"
)
if report["synthetic"]:
    st.warning("示例数据：此报告为合成演示数据，不是真实报告。")
cells = queries.report_cells(con, sha).with_columns(
    pl.col("key").replace_strict({k: c.label for k, c in cat.cells.items()}, default=None).alias("label"),
    pl.col("status").replace_strict({k: f"{k}：{v}" for k, v in cat.statuses.items()}, default=pl.col("status")),
)
document = queries.stored_document(con, sha)
scanned = report["format"] == "scan" and document is not None and Path(document["stored_path"]).exists()
shown = ["label", "value", "status", "source", "raw", "note"]
if scanned:
    st.info(
        "此报告为扫描件，数字由 OCR 识别：经勾稽关系（或正文所述数字）核实的为 ok，其余标为待核（uncertain）。"
        "每个单元格旁为原件截图，可逐一核对。"
    )
    cells = cells.with_columns(pl.Series("crop", crops.cell_crops(document["stored_path"], cells["source"].to_list())))
    shown = ["label", "crop", "value", "status", "note", "raw", "source"]
tabs = st.tabs(["表二 主动公开", "表三 依申请公开", "表四 复议诉讼", "检查结果"])
for tab, prefix in zip(tabs[:3], ["t2_", "t3_", "t4_"], strict=False):
    common.show_table(
        cells.filter(pl.col("key").str.starts_with(prefix)).select(shown), container=tab, images=("crop",)
    )
common.show_table(common.name_checks(queries.report_checks(con, sha)), container=tabs[3])
if document and document.get("source_url"):
    st.caption(f"来源网址：{document['source_url']}")
for change in queries.revisions_of(con, sha).to_dicts():
    when = f"{change['detected_at']:%Y年%-m月%-d日}"
    st.warning(
        f"发布后被修改（{when} 发现）：{'此为修改前的版本。' if change['is_older'] else ''}{change['changed_cells']}"
    )
versions = queries.versions_of(con, sha)
chosen = versions.filter(pl.col("in_mart"))["sha256"].to_list()
if len(versions) > 1 and chosen:
    st.subheader("本主体本年度的其他版本")
    st.caption(
        "同一报告主体同一年度收到多份文件时，统计采用最后收到（或最后下载）的版本；其余版本保留在此，并列出与采用版本不同的单元格。"
    )
    for other in versions.filter(~pl.col("in_mart")).to_dicts():
        changed = queries.cell_differences(con, other["sha256"], chosen[0])
        text = "；".join(
            f"{cat.label(c['key'])}：{_number(c['older'])} → {_number(c['newer'])}" for c in changed.to_dicts()
        )
        st.markdown(
            f"- [{other['file_name']}]({common.DETAIL_LINK}{other['sha256']})（{other['received_at']:%Y-%m-%d %H:%M} 收到）："
            + (text or "表格数字相同")
        )
with st.expander("同一地区同一年度的全部报告（政府、各部门、苏木镇）"):
    common.show_table(
        queries.same_unit_year(con, sha).select(
            "body_name", "issuer", "file_name", "format", "status", "received_at", "in_mart", "synthetic", "sha256"
        )
    )
if document and Path(document["stored_path"]).exists():
    st.download_button("下载原始文件", Path(document["stored_path"]).read_bytes(), document["file_name"])
