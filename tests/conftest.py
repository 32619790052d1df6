import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NIANBAO_SHARED", ROOT.parent / "shared"))
SEED = ROOT / "seeds" / "inbox" / "etkqq-2022.txt"


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Streamlit's AppTest makes the page script `__main__`; a later process pool (spawn) would then re-run that
    page in every worker, which dies. Each test gets back the interpreter's own `__main__`."""
    main = sys.modules.get("__main__")
    yield
    sys.modules["__main__"] = main


def shared_or_skip() -> Path:
    if not (SHARED / "corpus" / "dev" / "labels.jsonl").exists():
        pytest.skip("../shared is not present on this machine")
    return SHARED


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    """A small generated corpus covering every format (deterministic)."""
    from pipelines.demo.generate import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder, seed=11, count=48)
    return folder


@pytest.fixture(scope="session")
def small_inbox(tmp_path_factory, demo_folder) -> Path:
    inbox = tmp_path_factory.mktemp("inbox")
    shutil.copy(SEED, inbox / SEED.name)
    for p in sorted(demo_folder.iterdir())[:24]:
        if p.name != "truth.jsonl":
            shutil.copy(p, inbox / p.name)
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (inbox / "news.html").write_text("<html><body><p>今天召开了全体会议。</p></body></html>", encoding="utf-8")
    return inbox


def detail_page(published_path: str, sha: str):
    """报告详情 of one report, run by AppTest against this published warehouse."""
    from streamlit.testing.v1 import AppTest

    os.environ["NIANBAO_PUBLISHED"] = published_path
    try:
        detail = AppTest.from_file(str(ROOT / "dashboard" / "views" / "detail.py"), default_timeout=120)
        detail.query_params["report"] = sha
        detail.run()
    finally:
        del os.environ["NIANBAO_PUBLISHED"]
    return detail
