"""nianbao dashboard entry point: `streamlit run dashboard/app.py`."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="政府信息公开年报", page_icon=":material/compare_arrows:", layout="wide")
PAGES = Path(__file__).parent / "views"  # not "pages/": Streamlit would also list that folder itself
navigation = st.navigation(
    [
        st.Page(PAGES / "overview.py", title="总览", icon=":material/dashboard:", default=True),
        st.Page(PAGES / "compare.py", title="对比", icon=":material/compare_arrows:"),
        st.Page(PAGES / "map.py", title="地图", icon=":material/map:"),
        st.Page(PAGES / "requests.py", title="依申请公开", icon=":material/mail:"),
        st.Page(PAGES / "review.py", title="复议诉讼", icon=":material/gavel:"),
        st.Page(PAGES / "quality.py", title="数据质量", icon=":material/fact_check:"),
        st.Page(PAGES / "detail.py", title="报告详情", icon=":material/description:"),
        st.Page(PAGES / "precheck.py", title="发布前体检", icon=":material/task_alt:"),
    ]
)
# Streamlit's own English messages (a mistyped page address) in Chinese; see the script for what it changes.
st.html(
    f"<script>{(Path(__file__).parent / 'chinese_dialogs.js').read_text(encoding='utf-8')}</script>",
    unsafe_allow_javascript=True,
)
navigation.run()
