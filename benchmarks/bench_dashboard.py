"""Dashboard on a large warehouse: every page's queries (≤ 200 ms each) and page-ready time in headless Chromium.

Usage: python benchmarks/bench_dashboard.py PUBLISHED_DUCKDB   (e.g. the one bench_pipeline.py reports)
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request

from common import ROOT, save

from warehouse import queries

path = sys.argv[1]
con = queries.open_published(path)
province = queries.provinces(con)["province_code"][0]
year = max(queries.years(con))
sha = queries.report_list(con)["sha256"][0]
calls = {
    "overview": [lambda: queries.provinces(con), lambda: queries.leagues(con, province), lambda: queries.years(con),
                 lambda: queries.metrics(con, province, None, year), lambda: queries.metrics(con, province, None, year - 1)],
    "compare": [lambda: queries.metrics(con, province), lambda: queries.all_metrics(con)],
    "requests": [lambda: queries.outcome_mix(con, province, None, year), lambda: queries.applicant_mix(con, province, None, year)],
    "review": [lambda: queries.metrics(con, province)],
    "quality": [lambda: queries.coverage(con, province), lambda: queries.quality_scores(con),
                lambda: queries.failing_checks(con, "identity"), lambda: queries.failing_checks(con, "quality"),
                lambda: queries.version_mismatches(con), lambda: queries.ingest_errors(con)],
    "detail": [lambda: queries.report_list(con, ""), lambda: queries.report(con, sha), lambda: queries.report_cells(con, sha),
               lambda: queries.report_checks(con, sha)],
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

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
                           "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT,
                          env={**os.environ, "NIANBAO_PUBLISHED": path}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(120):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
        break
    except OSError:
        time.sleep(0.5)
from playwright.sync_api import sync_playwright  # noqa: E402

ready = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"])
    warm = browser.new_page()
    warm.goto(f"http://127.0.0.1:{port}/")
    warm.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg", timeout=120000)
    for page_name in ["", "compare", "requests", "review", "quality", "detail"]:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/{page_name}")
        selector = "[data-testid='stDataFrame']" if page_name == "detail" else \
            "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
        page.wait_for_selector(selector, timeout=60000)
        ready[page_name or "overview"] = round(time.perf_counter() - started, 2)
        page.close()
    browser.close()
server.terminate()
save("dashboard", {"warehouse": path, "worst_query_ms_per_page": query_ms, "page_ready_seconds": ready})
