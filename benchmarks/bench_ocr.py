"""Scanned reports read by OCR: cells right, cells silently wrong (wrong and not marked uncertain), and seconds per
page, on generated scans of both template versions (known truth) and on the dev corpus's real PDFs printed and
scanned here (pdftoppm → greyscale 200 dpi, skewed 0.5°, speckled, JPEG; truth from dev/labels.jsonl). With
tesseract installed (Debian's tesseract-ocr-chi-sim), the same pages through it too, so the engine choice is
measured, not assumed.

    .venv/bin/python benchmarks/bench_ocr.py [--documents 12] [--engines rapidocr,tesseract]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import SHARED, save

from pipelines.demo.generate import generate
from pipelines.report.parse import parse_bytes


def scan_like_an_office(pdf: bytes, seed: int) -> bytes:
    """A real PDF printed and scanned: pdftoppm's greyscale pages, turned, speckled, JPEG, back into a PDF."""
    import numpy as np
    from PIL import Image

    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "in.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", "in.pdf", "page"], cwd=work, check=True)
        pages = []
        for path in sorted(Path(work).glob("page*.png")):
            image = Image.open(path).convert("L").rotate(rng.uniform(-0.6, 0.6), fillcolor=245)
            pixels = np.asarray(image, dtype=np.int16) - 10 + noise.normal(0, 6, image.size[::-1]).astype(np.int16)
            speckles = noise.random(pixels.shape) < 0.0008
            pixels[speckles] = noise.integers(0, 90, int(speckles.sum()))
            jpeg = io.BytesIO()
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(jpeg, format="JPEG", quality=60)
            pages.append(Image.open(io.BytesIO(jpeg.getvalue())))
        out = io.BytesIO()
        pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=200)
        return out.getvalue()


def score(truth: dict, result: dict) -> dict:
    right = wrong = silent = uncertain = 0
    for key, expected in truth.items():
        got = result.get("cells", {}).get(key)
        status = result.get("cell_status", {}).get(key, "missing")
        ok = (got is None and expected is None) or (
            got is not None and expected is not None and abs(float(got) - expected) < 1e-6
        )
        right += ok
        wrong += not ok
        silent += (not ok) and status not in ("uncertain", "missing")
        uncertain += status == "uncertain"
    return {"cells": len(truth), "right": right, "wrong": wrong, "silently_wrong": silent, "uncertain": uncertain}


def pages_of(data: bytes) -> int:
    import pypdfium2 as pdfium
    from PIL import Image

    if data.startswith(b"%PDF"):
        return len(pdfium.PdfDocument(data))
    return getattr(Image.open(io.BytesIO(data)), "n_frames", 1)


def documents(count: int, work: Path) -> list[tuple[str, str, bytes, dict]]:
    """(set, name, bytes, truth cells): generated scans (PDF and TIFF, years 2019–2025) and the dev PDFs."""
    generate(work, seed=31, count=count, formats=["scan", "tiff"])
    out = []
    for line in (work / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        truth = json.loads(line)
        out.append((f"generated {truth['template']['t3']}", truth["file"], (work / truth["file"]).read_bytes(), truth))
    labels = SHARED / "corpus" / "dev" / "labels.jsonl"
    if labels.exists() and shutil.which("pdftoppm"):
        for line in labels.read_text(encoding="utf-8").splitlines():
            label = json.loads(line)
            if label["file"].endswith(".pdf"):
                pdf = (SHARED / label["file"]).read_bytes()
                out.append(("dev PDFs scanned", Path(label["file"]).name, scan_like_an_office(pdf, 5), label))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=12)
    parser.add_argument("--engines", default="rapidocr,tesseract")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e != "tesseract" or shutil.which("tesseract")]
    work = Path(tempfile.mkdtemp(prefix="nianbao-ocr-"))
    docs = documents(args.documents, work)
    parse_bytes(docs[0][2], docs[0][1], ocr="rapidocr")  # load the models once, outside the timing
    figures: dict = {"documents": len(docs), "pages": sum(pages_of(d) for _, _, d, _ in docs), "engines": {}}
    for engine in engines:
        by_set: dict[str, dict] = {}
        seconds = 0.0
        text_step_refused = 0
        for group, name, data, truth in docs:
            text_step_refused += parse_bytes(data, name).get("error_code") == "needs_ocr"
            started = time.perf_counter()
            result = parse_bytes(data, name, "内蒙古自治区" if group.startswith("generated") else None, ocr=engine)
            seconds += time.perf_counter() - started
            got = score(truth["cells"], result)
            totals = by_set.setdefault(group, {"documents": 0, "partial_or_error": 0})
            totals["documents"] += 1
            totals["partial_or_error"] += result["status"] != "ok"
            for k, v in got.items():
                totals[k] = totals.get(k, 0) + v
        for totals in by_set.values():
            totals["right_share"] = round(totals["right"] / totals["cells"], 4)
        figures["engines"][engine] = {
            "sets": by_set,
            "seconds": round(seconds, 1),
            "seconds_per_page": round(seconds / figures["pages"], 2),
            "sent_to_ocr_by_the_text_step": text_step_refused,
        }
    save("ocr", figures)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
