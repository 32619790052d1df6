"""Bad input: a one-line reason and a non-zero exit, never a crash and never a silent all-zero report."""

import io
import subprocess
import sys
import zipfile

import pytest

from pipelines.report.parse import parse_bytes, parse_file

from .conftest import SEED


def _pdf(text: str | None = None, password: str | None = None, image_only: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, encrypt=password)
    if image_only:
        c.rect(50, 50, 400, 600, fill=1)
    if text:
        c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _renamed_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("photo.txt", "not a word document")
    return buffer.getvalue()


CASES = {
    "empty.txt": (b"", "empty"),
    "garbage.bin": (bytes(range(256)) * 40, "binary"),
    "news.html": (
        "<html><body><h1>新闻</h1><p>今天召开了全体会议，部署年度工作。</p></body></html>".encode(),
        "not_report",
    ),
    "latin1.txt": ("政府信息公开".encode()[:5] + b"\xff\xfe\xfa" * 300, "undecodable"),
    "corrupt.pdf": (b"%PDF-1.4\n1 0 obj <<>> garbage", "corrupt"),
    "renamed.docx": (_renamed_zip(), "not_word"),
    "scan.pdf": (_pdf(image_only=True), "needs_ocr"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_has_clear_reason(name):
    data, code = CASES[name]
    result = parse_bytes(data, name)
    assert result["status"] == "error"
    assert result["error_code"] == code, result
    assert "\n" not in result["error"] and len(result["error"]) < 200


def test_encrypted_pdf():
    result = parse_bytes(_pdf("hello", password="secret"), "locked.pdf")
    assert result["status"] == "error" and result["error_code"] in ("encrypted", "corrupt")


def test_zero_page_pdf():
    data = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
    result = parse_bytes(data, "zero.pdf")
    assert result["status"] == "error" and result["error_code"] in ("empty", "corrupt")


def test_huge_file_refused_without_reading(tmp_path):
    huge = tmp_path / "huge.pdf"
    with open(huge, "wb") as f:
        f.truncate(200 * 1024 * 1024)
    result = parse_file(huge)
    assert result["error_code"] == "too_large"


def test_truncated_report_is_not_passed_off_as_complete(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    cut = text[: text.index("（四）")]  # table 3 cut in half, table 4 gone
    path = tmp_path / "truncated.txt"
    path.write_text(cut, encoding="utf-8")
    result = parse_file(path)
    assert result["status"] == "partial"
    assert "incomplete" in result["error"]
    assert any(s == "missing" for s in result["cell_status"].values()) or result["template"]["t4"] is None


def test_cli_exit_codes(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    run = subprocess.run([sys.executable, "-m", "pipelines.cli", "parse", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout.strip().startswith("error:")
    ok = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "parse", str(SEED), "--json"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and '"t2_license_decisions": 1708' in ok.stdout


def test_legacy_doc_names_what_to_install(monkeypatch):
    import shutil as shutil_module

    monkeypatch.setattr(shutil_module, "which", lambda name: None)
    result = parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old.doc")
    assert result["error_code"] == "needs_libreoffice" and "LibreOffice" in result["error"]
