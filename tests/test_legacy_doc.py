"""Legacy Word 97 (.doc) reports: converted by LibreOffice, then read like DOCX. The documents are generated DOCX
reports saved as .doc by LibreOffice itself, so every cell has a known truth."""

import json
import shutil
import subprocess

import pytest

from pipelines.demo.generate import generate
from pipelines.demo.roundtrip import compare
from pipelines.report.parse import parse_file

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (./test.sh installs it)")
def test_doc_files_parse_to_their_truth(tmp_path):
    generate(tmp_path / "docx", seed=5, count=3, formats=["docx"], workers=1)
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path / "doc"),
            *map(str, sorted((tmp_path / "docx").glob("*.docx"))),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    truths = [json.loads(line) for line in (tmp_path / "docx" / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(truths) == 3
    for truth in truths:
        path = tmp_path / "doc" / truth["file"].replace(".docx", ".doc")
        assert path.read_bytes().startswith(b"\xd0\xcf\x11\xe0")  # an OLE2 Word 97 file, not a renamed DOCX
        result = parse_file(path, "内蒙古自治区")
        assert result["format"] == "doc"
        assert result["status"] == "ok", result.get("error")
        assert compare(truth, result) == []


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (./test.sh installs it)")
def test_doc_files_convert_in_parallel(tmp_path):
    """The pipeline parses in a process pool: two conversions at once must not block each other."""
    from concurrent.futures import ProcessPoolExecutor

    generate(tmp_path / "docx", seed=6, count=2, formats=["docx"], workers=1)
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path / "doc"),
            *map(str, sorted((tmp_path / "docx").glob("*.docx"))),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    paths = sorted((tmp_path / "doc").glob("*.doc"))
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(parse_file, paths, timeout=300))
    assert [r["status"] for r in results] == ["ok", "ok"], [r.get("error") for r in results]
