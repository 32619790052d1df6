"""Scanned reports: read by OCR offline, trusted only where the identities (or the text) confirm a number, and
marked all the way from the cell to the mart and the page."""

import io
import json
import subprocess
import sys

import duckdb
import pytest

from catalogue import load_catalogue
from pipelines.demo import render
from pipelines.demo.generate import build_reports, truth_of
from pipelines.demo.roundtrip import compare
from pipelines.report import identities
from pipelines.report.certainty import settle_ocr
from pipelines.report.parse import parse_bytes
from pipelines.report.table_values import CellValue, Tables

from .conftest import ROOT, SEED, SHARED, detail_page, shared_or_skip
from .test_assets import run, settings_for


@pytest.fixture(scope="module")
def two_versions():
    """One generated report of each template version (2020: the 2019 trial format; 2023: the 2021 format)."""
    reports = build_reports(23, 40)
    old = next(r for r in reports if r.year == 2020 and r.scope == "gov_aggregate" and not r.anomalies)
    new = next(r for r in reports if r.year == 2023 and r.scope == "gov_aggregate" and not r.anomalies)
    return [old, new]


@pytest.mark.parametrize("fmt", ["scan", "tiff"])
def test_generated_scans_of_both_versions_read_back_with_nothing_silently_wrong(two_versions, fmt):
    for report in two_versions:
        report.fmt = fmt
        data = render.RENDERERS[fmt](report)
        assert parse_bytes(data, "scan" + render.EXTENSIONS[fmt])["error_code"] == "needs_ocr"  # the text step
        result = parse_bytes(data, "scan" + render.EXTENSIONS[fmt], "内蒙古自治区", ocr=True)
        truth = truth_of(report, "scan")
        assert compare(truth, result) == [], report.versions
        assert result["format"] == "scan" and result["status"] == "partial"  # table 2 has no identity to confirm it
        for key, status in result["cell_status"].items():
            assert status != "ok" or "OCR" in result["provenance"][key]["note"], key
            if status in ("ok", "imputed") and result["cells"][key] is not None:
                assert " box " in result["provenance"][key]["where"], key  # page and box: what 报告详情 crops


def test_every_ok_cell_of_a_scan_is_confirmed_by_a_holding_identity_or_the_text(two_versions):
    report = two_versions[1]
    result = parse_bytes(render.render_scan(report), "scan.pdf", "内蒙古自治区", ocr=True)
    value = result["cells"].get
    holding = {
        k
        for rule in identities.instances(result["template"]["t3"], True)
        if rule.holds(value) is True
        for k in rule.cells
    }
    for key, status in result["cell_status"].items():
        if status == "ok" and result["cells"][key] is not None:
            assert key in holding or "正文" in result["provenance"][key]["note"], key
    t2 = [k for k in result["cell_status"] if k.startswith("t2_") and result["cells"][k] is not None]
    assert any(result["cell_status"][k] == "uncertain" for k in t2)


def _column(values: dict[str, int], version: str = "v2021") -> Tables:
    tables = Tables(template={"t2": None, "t3": version, "t4": None})
    tables.cells = {k: CellValue(v, "ok", "page 1 table 1 box 1,1,2,2", str(v)) for k, v in values.items()}
    return tables


def _consistent_t3(version: str = "v2021") -> dict[str, int]:
    """A table 3 that satisfies every identity: 3 new requests from natural persons, all granted."""
    cat = load_catalogue()
    cells = dict.fromkeys(cat.keys("t3", version), 0)
    for key in ("t3_new_received__natural_person", "t3_granted__natural_person", "t3_total_processed__natural_person"):
        cells[key] = 3
    for key in ("t3_new_received__total", "t3_granted__total", "t3_total_processed__total"):
        cells[key] = 3
    assert not identities.broken(cells, version, False)
    return cells


def test_one_misread_digit_is_repaired_only_when_one_reading_fixes_every_identity():
    cells = _consistent_t3()
    cells["t3_granted__natural_person"] = 8  # OCR read 3 as 8: E2 for the column and E4 for the row break
    tables = _column(cells)
    settle_ocr(tables, frozenset())
    repaired = tables.cells["t3_granted__natural_person"]
    assert (repaired.value, repaired.status) == (3, "imputed")
    assert "读作 8" in repaired.note and "确定为 3" in repaired.note
    assert tables.cells["t3_granted__total"].status == "ok"


def test_a_misread_nobody_can_pin_down_stays_uncertain():
    cells = _consistent_t3()
    cells["t3_new_received__total"] = 30  # one digit too many, and the total column alone: two cells could fix it
    cells["t3_granted__total"] = 30
    tables = _column(cells)
    settle_ocr(tables, frozenset())
    assert tables.cells["t3_new_received__total"].status == "uncertain"
    assert tables.cells["t3_new_received__total"].value == 30  # never silently changed
    assert "不平衡" in tables.cells["t3_new_received__total"].note


def test_ocr_runs_with_the_network_off(tmp_path, two_versions):
    """The models ship in the wheel: a process that cannot open a socket still reads a scanned page."""
    report = two_versions[0]
    report.fmt = "tiff"
    page = tmp_path / "page.tif"
    page.write_bytes(render.render_tiff(report))
    script = f"""
import socket
def refuse(*args, **kwargs):
    raise OSError("network is off in this test")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from pipelines.report.parse import parse_file
result = parse_file({str(page)!r}, ocr=True)
print(result["status"], result["cells"].get("t3_new_received__total"))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    status, total = out.stdout.split()
    assert status == "partial" and float(total) == report.cells["t3_new_received__total"]


def test_a_pdf_of_images_under_a_thin_text_layer_goes_to_ocr_not_to_not_report(two_versions):
    data = render.render_scan(two_versions[0])  # every page carries an invisible page number
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    assert sum(pdf[i].get_textpage().count_chars() for i in range(len(pdf))) > 0
    result = parse_bytes(data, "scan.pdf")
    assert result["error_code"] == "needs_ocr" and "thin text layer" in result["error"]


def test_a_single_jpeg_page_is_read_and_what_it_lacks_is_said(two_versions):
    from PIL import Image

    frames = Image.open(io.BytesIO(render.render_tiff(two_versions[1])))
    frames.seek(1)
    jpeg = io.BytesIO()
    frames.convert("L").save(jpeg, format="JPEG", quality=70, dpi=(200, 200))
    assert parse_bytes(jpeg.getvalue(), "page2.jpg")["error_code"] == "needs_ocr"
    result = parse_bytes(jpeg.getvalue(), "page2.jpg", ocr=True)
    assert result["status"] in ("partial", "error")  # one page of five: tables or rows missing, never "ok"


def test_real_dev_pdfs_printed_and_scanned_read_their_labels(tmp_path):
    shared = shared_or_skip()
    if not __import__("shutil").which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_ocr import scan_like_an_office, score

    labels = [json.loads(line) for line in (shared / "corpus/dev/labels.jsonl").read_text().splitlines()]
    label = next(entry for entry in labels if entry["file"].endswith(".pdf"))
    scanned = scan_like_an_office((SHARED / label["file"]).read_bytes(), 5)
    got = score(label["cells"], parse_bytes(scanned, "scan.pdf", ocr=True))
    assert got["silently_wrong"] == 0
    assert got["right"] >= 0.95 * got["cells"]


def test_a_scan_reaches_the_mart_marked_and_its_crops_are_served(tmp_path, two_versions):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = two_versions[1]
    report.fmt = "scan"
    (inbox / "scan.pdf").write_bytes(render.render_scan(report))
    (inbox / SEED.name).write_bytes(SEED.read_bytes())
    settings = settings_for(tmp_path, inbox)
    result = run(settings)
    assert result.success
    steps = {e.step_key for e in result.all_events if e.step_key}
    assert any("ocr_partition" in s for s in steps) and any("parse_partition" in s for s in steps)
    con = duckdb.connect(settings.published_path, read_only=True)
    sha, fmt, status = con.execute("SELECT sha256, format, status FROM reports WHERE file_name = 'scan.pdf'").fetchone()
    assert (fmt, status) == ("scan", "partial")
    assert con.execute("SELECT count(*) FROM ingest_errors").fetchone()[0] == 0
    uncertain = con.execute("SELECT uncertain_metrics FROM metrics_jurisdiction_year WHERE sha256 = ?", [sha])
    assert "permits" in uncertain.fetchone()[0]  # table 2 has no identity: hollow, 待核 on the charts
    stored, sources = con.execute(
        "SELECT d.stored_path, list(c.source) FROM documents d JOIN cells c USING (sha256) WHERE sha256 = ? GROUP BY 1",
        [sha],
    ).fetchone()
    con.close()
    from dashboard.crops import cell_crops

    crops = cell_crops(stored, sources)
    assert sum(c is not None for c in crops) >= 150
    assert all(c.startswith("data:image/png;base64,") for c in crops if c)
    # 报告详情 says the report is a scan and shows each cell's crop beside its value
    detail = detail_page(settings.published_path, sha)
    assert not detail.exception, [e.value for e in detail.exception]
    assert any("扫描件" in info.value for info in detail.info)
    shown = detail.dataframe[0].value
    assert "原件截图" in shown.columns and shown["原件截图"].notna().sum() >= 5
