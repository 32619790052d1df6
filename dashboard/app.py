"""nianbao dashboard entry point: `streamlit run dashboard/app.py`."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="政府信息公开年报", page_icon="📊", layout="wide")
PAGES = Path(__file__).parent / "pages"
navigation = st.navigation([
    st.Page(PAGES / "overview.py", title="总览", icon="🏠", default=True),
    st.Page(PAGES / "compare.py", title="对比", icon="📊"),
    st.Page(PAGES / "requests.py", title="依申请公开", icon="📨"),
    st.Page(PAGES / "review.py", title="复议诉讼", icon="⚖️"),
    st.Page(PAGES / "quality.py", title="数据质量", icon="🔍"),
    st.Page(PAGES / "detail.py", title="报告详情", icon="📄"),
])
navigation.run()
