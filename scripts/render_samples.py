"""Render one generated PDF page and one generated HTML page to PNG for the README (docs/img/)."""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.demo import render  # noqa: E402
from pipelines.demo.generate import build_reports  # noqa: E402

out = ROOT / "docs" / "img"
out.mkdir(parents=True, exist_ok=True)
report = next(r for r in build_reports(7, 800) if r.unit.code == "150625" and r.year == 2023)
with tempfile.TemporaryDirectory() as tmp:
    pdf = Path(tmp) / "sample.pdf"
    pdf.write_bytes(render.render_pdf(report))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "2", "-l", "2", str(pdf), str(out / "sample-pdf")], check=True
    )
    html = Path(tmp) / "sample.html"
    html.write_bytes(render.render_html(report))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.goto(html.as_uri())
        page.screenshot(path=str(out / "sample-html.png"))
        browser.close()
print(sorted(p.name for p in out.iterdir()))
