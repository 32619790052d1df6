"""End to end: the real app on loopback, every page driven in headless Chromium, one screenshot per page."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_dashboard import published  # noqa: F401 — reuse the small warehouse fixture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
PAGES = {
    "overview": "",
    "compare": "compare",
    "map": "map",
    "requests": "requests",
    "review": "review",
    "quality": "quality",
    "detail": "detail",
}
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(warehouse: Path):
    """The real app on a free loopback port, reading the given published warehouse."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium); the test script installs it")
    port = _free_port()
    env = {**os.environ, "NIANBAO_PUBLISHED": str(warehouse)}
    process = subprocess.Popen(
        # what ./run.sh serves: the packaged app with its packaged settings (viewer toolbar, no tracebacks)
        [sys.executable, "-m", "pipelines.cli", "dashboard", "--port", str(port), "--address", "127.0.0.1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(published):  # noqa: F811
    with streamlit_server(published) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_browser(server, browser, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    started = time.perf_counter()
    page.goto(f"{server}/{PAGES[name]}", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=60000)
    if name != "detail":
        page.wait_for_selector(
            "[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas", timeout=60000
        )
        for chart in page.query_selector_all("[data-testid='stVegaLiteChart']"):
            box = chart.bounding_box()
            assert box and box["height"] > 50, "an empty chart"
    else:
        page.wait_for_selector("[data-testid='stDataFrame']", timeout=60000)
    # the sidebar lists the pages by their Chinese titles from the start, never the source files' names
    navigation = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "总览" in navigation and "overview" not in navigation, navigation
    page.wait_for_timeout(500)
    ready = time.perf_counter() - started
    assert page.query_selector("[data-testid='stException']") is None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.close()
    assert ready < 30


def test_a_shared_page_link_opened_first_shows_the_app(published, browser):  # noqa: F811
    """The first visit to a fresh server may be a link to a page (/quality): it must get the app's navigation and
    layout, not Streamlit's listing of a page folder (which it showed while the pages lived in `pages/`)."""
    with streamlit_server(published) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/quality", wait_until="domcontentloaded")
        page.wait_for_selector(
            "[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas", timeout=60000
        )
        navigation = page.locator("[data-testid='stSidebarNav']").inner_text()
        page.close()
    assert "数据质量" in navigation and "quality" not in navigation, navigation


def test_a_row_link_opens_its_report(server, browser, published):  # noqa: F811
    """On 数据质量, a score row's 查看报告 link opens 报告详情 in a new tab on that very report."""
    from warehouse import queries

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/quality", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas", timeout=60000)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=60000)
    opened = []
    page.on("popup", lambda popup: opened.append(popup))
    for _ in range(4):  # the grid's first click on a cell selects it; the next one follows the link
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = grid.bounding_box()  # taken again each time: the chart above may still be growing
        page.mouse.click(box["x"] + 30, box["y"] + 55)
        page.wait_for_timeout(1500)
        if opened:
            break
    assert opened, "no report opened from the link"
    detail = opened[0]
    assert "/detail?report=" in detail.url
    sha = detail.url.split("report=", 1)[1]
    con = queries.open_published(published)
    issuer = queries.report(con, sha)["issuer"]
    default = queries.report(con, queries.report_list(con, "")["sha256"][0])["issuer"]  # shown without a link
    con.close()
    assert issuer != default, "pick data where following the link and ignoring it would differ"
    detail.wait_for_selector("[data-testid='stDataFrame']", timeout=60000)
    detail.locator("[data-testid='stMainBlockContainer']").get_by_text(issuer).first.wait_for(timeout=30000)
    page.close()  # a page of its own context: closing it closes the tab it opened too


def test_league_briefing_downloads_as_a_pdf(server, browser):
    """A leader opens 总览 on a 盟/市 (the choice is in the address) and downloads the printable briefing."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{server}/?league=150600&year=2023", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas", timeout=60000)
    button = page.get_by_role("button", name="下载本盟/市情况通报（PDF）")
    button.wait_for(timeout=30000)
    with page.expect_download(timeout=60000) as download:
        button.click()
    path = download.value.path()
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF") and download.value.suggested_filename == "nianbao-150600-2023.pdf"
    page.screenshot(path=str(ARTIFACTS / "overview-league.png"), full_page=True)
    page.close()


def test_map_colours_the_league_units_and_explains_each_on_hover(server, browser):
    """A leader opens the map on a 盟/市 (from the address): its banners and counties are drawn, and pointing at
    one shows its name, value, rank and certainty in Chinese."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/map?league=150600&year=2023", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas", timeout=60000)
    page.get_by_text("共 9 个旗县区").wait_for(timeout=30000)
    chart = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first
    box = chart.bounding_box()
    tooltip = ""
    for fx, fy in [(0.5, 0.5), (0.4, 0.4), (0.6, 0.6), (0.45, 0.6), (0.6, 0.4)]:  # some point inside a unit
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(300)
        element = page.query_selector("#vg-tooltip-element")
        tooltip = element.inner_text() if element and element.is_visible() else ""
        if "地区" in tooltip:
            break
    assert "地区" in tooltip and "鄂尔多斯市" in tooltip and "数据状态" in tooltip, tooltip
    page.screenshot(path=str(ARTIFACTS / "map-league.png"), full_page=True)
    page.close()


def test_a_mistyped_page_address_is_explained_in_chinese(server, browser):
    """Streamlit's own "Page not found" dialog reads in Chinese, and the main page opens behind it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/no-such-page", wait_until="domcontentloaded")
    dialog = page.locator("[role='dialog']")
    dialog.wait_for(timeout=60000)
    page.wait_for_function(
        "() => document.querySelector(\"[role='dialog']\").innerText.includes('未找到该页面')", timeout=15000
    )
    text = dialog.inner_text()
    assert "Page not found" not in text and "不存在" in text and "总览" in text, text
    page.close()


def test_compare_one_department_type_across_a_league(server, browser):
    """An office compares the 市场监督管理局 of every unit of 鄂尔多斯 (the body choice is in the address too)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/compare?league=150600&body=dept:market_regulation", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas", timeout=60000)
    page.get_by_text("比较 9 个地区的市场监督管理局报告").wait_for(timeout=30000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "compare-department.png"), full_page=True)
    chosen = page.locator("[data-testid='stSelectbox']").filter(has_text="报告主体").inner_html()
    assert "市场监督管理局（9 个地区）" in chosen, chosen
    assert page.query_selector("[data-testid='stException']") is None
    page.close()


def _draft_with_two_problems(path: Path) -> Path:
    """A generated 2024 draft (DOCX) whose table 3 does not add up and whose section 一 repeats a 2022 sentence."""
    import copy

    from catalogue import t3_key
    from pipelines.demo import render
    from pipelines.demo.generate import build_reports

    reports = build_reports(5, 60)
    report = copy.deepcopy(
        next(r for r in reports if r.year == 2024 and r.versions["t3"] == "v2021" and not r.variants)
    )
    report.cells[t3_key("total_processed", "natural_person")] += 3
    stale = "2022年，本机关认真贯彻落实政府信息公开条例，持续推进政务公开工作。"
    report.sections["一"] = [*report.sections["一"][:1], stale, *report.sections["一"][1:]]
    path.write_bytes(render.render_docx(report))
    return path


def test_precheck_finds_a_broken_identity_and_a_stale_year_and_survives_hostile_files(server, browser, tmp_path):
    """An office uploads its draft before publishing and sees both problems with how to fix them; then the hostile
    files of the test suite, one by one, each get a one-line reason and leave the page working."""
    from .test_bad_input import CASES

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/precheck", wait_until="domcontentloaded")
    upload = page.locator("[data-testid='stFileUploader'] input[type='file']")
    upload.wait_for(state="attached", timeout=60000)
    upload.set_input_files(str(_draft_with_two_problems(tmp_path / "草稿.docx")))
    page.get_by_text("结转平衡").first.wait_for(timeout=60000)
    page.get_by_text("正文年份过时").first.wait_for(timeout=30000)
    body = page.locator("[data-testid='stMainBlockContainer']").inner_text()
    assert "如何修改" in body and "2022年" in body
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "precheck.png"), full_page=True)
    for name, (data, _code) in sorted(CASES.items()):
        accepted = name if Path(name).suffix in (".txt", ".html", ".pdf", ".docx") else name + ".txt"
        path = tmp_path / accepted
        path.write_bytes(data)
        upload.set_input_files(str(path))
        page.get_by_text(f"文件：{accepted}").wait_for(timeout=60000)
        assert page.query_selector("[data-testid='stException']") is None, name
    assert page.get_by_text("发布前体检").first.is_visible()
    page.close()


def test_a_scanned_report_shows_each_cell_beside_its_image(browser, tmp_path):
    """A scan read by OCR: 报告详情 says so and shows, in the grid, a 原件截图 column — each cell's crop of the
    stored file beside its value (drawn into the grid's canvas: the screenshot shows them; test_ocr checks the
    crops themselves)."""
    import duckdb

    from pipelines.demo import render
    from pipelines.demo.generate import build_reports

    from .test_assets import run, settings_for

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = next(r for r in build_reports(23, 40) if r.year == 2023 and r.scope == "gov_aggregate")
    (inbox / "scan.pdf").write_bytes(render.render_scan(report))
    settings = settings_for(tmp_path, inbox)
    assert run(settings).success
    con = duckdb.connect(settings.published_path, read_only=True)
    sha = con.execute("SELECT sha256 FROM reports WHERE format = 'scan'").fetchone()[0]
    con.close()
    with streamlit_server(Path(settings.published_path)) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(f"{url}/detail?report={sha}", wait_until="domcontentloaded")
        page.get_by_text("此报告为扫描件").first.wait_for(timeout=60000)
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for(timeout=60000)
        page.get_by_text("原件截图").first.wait_for(timeout=30000)
        page.wait_for_timeout(1500)  # the crops load into the grid after its first frame
        page.screenshot(path=str(ARTIFACTS / "detail-scan.png"), full_page=True)
        page.close()
