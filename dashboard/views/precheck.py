import hashlib
import json
import subprocess
import sys
from pathlib import Path

import streamlit as st

from catalogue import load_catalogue
from warehouse import queries
from warehouse.paths import Paths

MAX_UPLOAD_MB = 20
CHECK_SECONDS = 90
TYPES = ["docx", "doc", "wps", "pdf", "ofd", "txt", "html", "htm"]
SEVERITY = {"error": ("错误", st.error), "warn": ("警告", st.warning), "info": ("提示", st.info)}

st.title("发布前体检")
st.caption(
    "上传本机关的年度报告草稿（Word/WPS、PDF、OFD、网页或文本），在发布前看到上级机关会指出的问题：表格勾稽关系、"
    "正文与表格是否一致、年度和模板、六个部分是否齐全、与往年报告或其他机关报告是否雷同。"
    "上传的文件只在本次检查中使用，不保存、不发布；除非点击“提交到收件箱”。"
)
upload = st.file_uploader("选择报告草稿", type=TYPES, key="precheck_file", help=f"不超过 {MAX_UPLOAD_MB} MB")


def _check(data: bytes, name: str) -> dict:
    """The parser runs in a process of its own (`nianbao check`): the page never imports it, and a hostile file can
    only stop that process, within CHECK_SECONDS."""
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "check",
        "-",
        "--name",
        name,
        "--json",
        "--published",
        str(queries.published_path()),
    ]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=CHECK_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return {
            "status": "error",
            "error": f"检查超过 {CHECK_SECONDS} 秒仍未完成，文件可能损坏或过大。",
            "findings": [],
        }
    try:
        return json.loads(done.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"status": "error", "error": "文件无法读取（检查程序异常退出）。", "findings": []}


if upload is None:
    st.stop()
data = upload.getvalue()
if len(data) > MAX_UPLOAD_MB * 2**20:
    st.error(f"文件超过 {MAX_UPLOAD_MB} MB，请上传报告正文文件。")
    st.stop()
digest = hashlib.sha256(data).hexdigest()
results = st.session_state.setdefault("precheck_results", {})
if digest not in results:
    with st.spinner("正在检查……"):
        results[digest] = _check(data, upload.name)
report = results[digest]
st.caption(f"文件：{upload.name}")
if report["status"] == "error":
    reason = load_catalogue().error_reason(report["error_code"]) if report.get("error_code") else report["error"]
    st.error(f"无法检查该文件：{reason}")
    st.stop()
versions = " / ".join(
    f"{name} {report['template'].get(key) or '未找到'}"
    for name, key in (("表二", "t2"), ("表三", "t3"), ("表四", "t4"))
)
st.subheader(f"{report.get('issuer') or '未识别的发布机关'} · {report.get('year') or '年度未识别'}年度")
st.caption(
    f"地区：{report.get('jurisdiction') or '未识别'} · 报告主体：{report.get('body') or '—'} · 模板：{versions} · "
    f"读出 {report['cells_read']} 个单元格"
)
findings = report["findings"]
errors = sum(f["severity"] == "error" for f in findings)
warnings = len(findings) - errors
if not findings:
    st.success("未发现问题：表格勾稽关系成立，正文与表格一致，六个部分齐全。")
else:
    st.markdown(f"发现 **{len(findings)}** 个问题（错误 {errors} 个，警告 {warnings} 个），请逐条核对：")
for finding in findings:
    word, show = SEVERITY.get(finding["severity"], SEVERITY["warn"])
    show(
        f"**{finding['label']}**（{word}）：{finding['detail']}"
        + (f"\n\n如何修改：{finding['fix']}" if finding["fix"] else "")
    )
if st.button("提交到收件箱", key="precheck_submit", help="把这份文件放入收件箱，下次运行主任务时计入统计。"):
    inbox = Paths.resolve().user_inbox
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / f"precheck-{digest[:16]}{Path(upload.name).suffix.lower()}"
    target.write_bytes(data)
    st.success(f"已提交：{target.name}（下次运行主任务后出现在各页面）。")
