"""Dashboard on a large warehouse: every page's queries (≤ 200 ms each) and page-ready time in headless Chromium
(median of three new tabs per page), beside the same time for a page holding only one chart.

Usage: python benchmarks/bench_dashboard.py PUBLISHED_DUCKDB [RESULT_NAME]   (e.g. the one bench_pipeline.py reports;
RESULT_NAME: where the figures go, default results/dashboard.json)
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, save

from warehouse import queries

path = sys.argv[1]
con = queries.open_published(path)
province = queries.provinces(con)["province_code"][0]
year = max(queries.years(con))
sha = queries.report_list(con)["sha256"][0]
calls = {
    "overview": [
        lambda: queries.provinces(con),
        lambda: queries.leagues(con, province),
        lambda: queries.years(con),
        lambda: queries.metrics(con, province, None, year),
        lambda: queries.metrics(con, province, None, year - 1),
    ],
    "compare": [lambda: queries.metrics(con, province), lambda: queries.all_metrics(con)],
    "map": [lambda: queries.outlines(con, province), lambda: queries.metrics(con, province, None, year)],
    "requests": [
        lambda: queries.outcome_mix(con, province, None, year),
        lambda: queries.applicant_mix(con, province, None, year),
    ],
    "review": [lambda: queries.metrics(con, province)],
    "quality": [
        lambda: queries.coverage(con, province),
        lambda: queries.quality_scores(con, province),
        lambda: queries.failing_checks(con, None, province),
        lambda: queries.ingest_errors(con),
    ],
    "detail": [
        lambda: queries.report_list(con, ""),
        lambda: queries.report(con, sha),
        lambda: queries.report_cells(con, sha),
        lambda: queries.report_checks(con, sha),
    ],
}
query_ms = {}
for page, fns in calls.items():
    worst = 0.0
    for fn in fns:
        fn()
        started = time.perf_counter()
        fn()
        worst = max(worst, (time.perf_counter() - started) * 1000)
    query_ms[page] = round(worst, 1)
con.close()

CHART = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
# Pages without a chart: ready when what the user came for is drawn.
PAGE_READY = {"detail": "[data-testid='stDataFrame']", "precheck": "[data-testid='stFileUploaderDropzone']"}
# The floor: a page with nothing but one Altair chart, served and opened the same way as the dashboard's pages.
FLOOR_APP = """import altair as alt
import polars as pl
import streamlit as st
st.title("floor")
st.altair_chart(alt.Chart(pl.DataFrame({"a": [1, 2, 3], "b": [3, 1, 2]})).mark_bar().encode(x="a:O", y="b:Q"))
"""


def serve(app: str, env: dict) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            app,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    return server, port


def seconds_to_ready(browser, url: str, selector: str) -> float:
    """A new tab, as a user opening the page: Streamlit's front end loads, connects and runs the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(selector, timeout=60000)
    elapsed = time.perf_counter() - started
    page.close()
    return round(elapsed, 2)


from playwright.sync_api import sync_playwright  # noqa: E402

ready = {}
dashboard, port = serve("dashboard/app.py", {**os.environ, "NIANBAO_PUBLISHED": path})
with tempfile.TemporaryDirectory() as tmp:
    floor_app = Path(tmp, "floor.py")
    floor_app.write_text(FLOOR_APP, encoding="utf-8")
    floor, floor_port = serve(str(floor_app), dict(os.environ))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        for warm_port in (port, floor_port):
            warm = browser.new_page()
            warm.goto(f"http://127.0.0.1:{warm_port}/")
            warm.wait_for_selector(CHART, timeout=120000)
            warm.close()
        for page_name in ["", "compare", "map", "requests", "review", "quality", "detail", "precheck"]:
            selector = PAGE_READY.get(page_name, CHART)
            ready[page_name or "overview"] = statistics.median(
                seconds_to_ready(browser, f"http://127.0.0.1:{port}/{page_name}", selector) for _ in range(3)
            )
        floor_ready = statistics.median(
            seconds_to_ready(browser, f"http://127.0.0.1:{floor_port}/", CHART) for _ in range(3)
        )
        browser.close()
    floor.terminate()
dashboard.terminate()
save(
    sys.argv[2] if len(sys.argv) > 2 else "dashboard",
    {
        "warehouse": path,
        "worst_query_ms_per_page": query_ms,
        "page_ready_seconds": ready,
        "one_chart_page_ready_seconds": floor_ready,
    },
)
