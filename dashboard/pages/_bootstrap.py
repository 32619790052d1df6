"""Makes the repository importable when a page runs on its own (AppTest, `streamlit run` of one page)."""
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
