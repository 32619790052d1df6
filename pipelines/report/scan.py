"""Scanned reports: image-only PDF pages and image files (JPEG, PNG, TIFF) read by OCR into the same positioned
pages as the PDF reader — every character with its box, and the table's ruling lines — so table recognition,
identities and recovery are shared (pdf.document_of_pages).

A page is rendered (pypdfium2) or decoded (Pillow) to greyscale at SCAN_DPI, straightened (the skew that makes
the projection of its dark pixels onto the vertical axis sharpest), its ruling lines found by morphology (an
opening with a long thin kernel keeps lines and drops letters), and its words recognised by RapidOCR's
PP-OCRv6 models, which ship inside the wheel: nothing is downloaded, nothing leaves the machine. Positions are
in points (1/72 in) from the page's top-left, as the PDF reader gives them; a table cell's provenance carries
the box of its characters, which is what 报告详情 crops from the stored file.

How much an OCR'd number can be trusted is decided later, by the identities (`certainty.py`): the reader only
reads.
"""

from __future__ import annotations

import io
import re
import threading
from functools import lru_cache
from typing import Any

from .errors import ReportError
from .model import Document

SCAN_DPI = 150  # what offices scan at (150–300); enough for 7.5 pt table digits, and 2 s a page on 2 cores
MAX_PAGES = 40  # a report is 5–15 pages; more is not a report (and would take minutes)
MAX_SKEW_DEGREES = 2.0
IMAGE_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}
_ENGINE_LOCK = threading.Lock()
# A speckle beside a digit is read as a point or comma: "0." and ".0" are no numbers, so the mark is dropped (a real
# decimal keeps digits on both sides; whatever is read stays subject to the identities).
_STRAY_MARK = re.compile(r"^[.,·'`]?(\d+)[.,·'`]?$")


def image_kind(data: bytes) -> str | None:
    """JPEG, PNG or TIFF by its first bytes (a name's suffix is not trusted)."""
    return next((kind for magic, kind in IMAGE_SIGNATURES.items() if data.startswith(magic)), None)


def read_scan(data: bytes, engine: str = "rapidocr") -> Document:
    """The document of a scanned PDF or image file, its characters recognised by OCR (fmt 'scan'). `engine`:
    RapidOCR (what the product uses) or Debian's tesseract (only to compare them, benchmarks/bench_ocr.py)."""
    from .pdf import document_of_pages

    pages = [ocr_page(image, dpi, engine) for image, dpi in page_images(data)]
    if not any(chars for chars, _, _ in pages):
        raise ReportError("ocr_empty", "OCR found no text on the scanned pages (blank or unreadable images)")
    doc = document_of_pages(pages, "scan", cell_boxes=True)
    doc.meta["ocr"] = {"engine": engine, "dpi": SCAN_DPI}
    return doc


# ---------------------------------------------------------------- pages as images
def page_images(data: bytes):
    """(greyscale image as a numpy array, its dpi) per page, one page at a time."""
    if data.startswith(b"%PDF") or data[:1024].lstrip().startswith(b"%PDF"):
        yield from _pdf_pages(data)
    elif image_kind(data):
        yield from _image_pages(data)
    else:
        raise ReportError("unsupported", "not a PDF or an image file: nothing to read by OCR")


def _pdf_pages(data: bytes):
    import numpy as np
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReportError("corrupt", f"the PDF is damaged and cannot be opened ({str(exc)[:80]})") from exc
    try:
        if len(pdf) > MAX_PAGES:
            raise ReportError("too_many_pages", f"{len(pdf)} scanned pages: more than {MAX_PAGES} is not one report")
        for number in range(len(pdf)):
            page = pdf[number]
            try:
                bitmap = page.render(scale=SCAN_DPI / 72, grayscale=True)  # pyright: ignore[reportArgumentType] — a float scale is documented
                yield np.array(bitmap.to_pil().convert("L")), SCAN_DPI
            finally:
                page.close()
    finally:
        pdf.close()


def _image_pages(data: bytes):
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = ImageSequence.Iterator(image)
        for number, frame in enumerate(frames):
            if number >= MAX_PAGES:
                raise ReportError("too_many_pages", f"more than {MAX_PAGES} pages in one image file")
            dpi = float((frame.info.get("dpi") or (0, 0))[0] or 0)
            grey = frame.convert("L")
            if not dpi or dpi < 50:
                dpi = grey.width / 8.27  # no resolution recorded: a page is A4-wide
            if abs(dpi - SCAN_DPI) > 10:
                scale = SCAN_DPI / dpi
                grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
            yield np.array(grey), SCAN_DPI
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ReportError("corrupt", f"the image is damaged or not an image ({str(exc)[:80]})") from exc


# ---------------------------------------------------------------- one page
def ocr_page(image, dpi: float, engine: str = "rapidocr") -> tuple[list[tuple], list[tuple], float]:
    """(characters, edges, height) in points, top-down, as pdf._page_contents gives them."""
    image = deskew(image)
    to_points = 72 / dpi
    edges = ruling_lines(image, to_points)
    if engine == "tesseract":
        chars = recognise_with_tesseract(image, to_points)
    else:
        chars = recognise(image, to_points)
        chars += reread_empty_cells(image, chars, edges, to_points)
    return chars, edges, image.shape[0] * to_points


def deskew(image):
    """The page turned upright: the angle within ±2° whose projection profile is sharpest, found in 0.1° steps on
    a quarter-size page, then in 0.02° steps on a half-size one (a 0.1° error still moves a rule two pixels
    across an A4 page, enough to break it into pieces too short to be a rule)."""
    import cv2
    import numpy as np

    coarse = _sharpest(image, 0.25, np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1e-9, 0.1))
    best = _sharpest(image, 0.5, np.arange(coarse - 0.1, coarse + 0.1 + 1e-9, 0.02))
    if abs(best) < 0.01:
        return image
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), float(best), 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def _sharpest(image, scale: float, angles) -> float:
    import cv2
    import numpy as np

    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)

    def sharpness(angle: float) -> float:
        turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D(centre, float(angle), 1.0), ink.shape[::-1])
        return float(np.var(turned.sum(axis=1)))

    return float(max(angles, key=sharpness))


def ruling_lines(image, to_points: float) -> list[tuple]:
    """Edges ('h', y, x0, x1) / ('v', x, y0, y1) in points. Candidates are dark runs at least a 14th of the page
    wide (or an 80th of it tall: a row of table 4) that survive an opening with a long thin kernel (letters do not; a one-pixel stair
    step left by the skew and two-pixel gaps are bridged first). A vertical run is a rule only where both its ends meet a horizontal
    one, or it is long: the stroke of a large heading character is as tall as a short rule, but floats."""
    import cv2

    # darker than its neighbourhood: a rule across a grey-shaded header row is ink, the shading is not
    ink = cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 20)
    height, width = ink.shape
    horizontals = _runs(ink, (max(width // 14, 20), 1), (2, 1), horizontal=True)
    verticals = _runs(ink, (1, max(height // 80, 15)), (1, 2), horizontal=False)
    reach = 6  # pixels: a rule ends on the line it meets, give or take its thickness and the scan's blur

    def meets(x: float, y: float) -> bool:
        return any(abs(hy - y) <= reach and hx0 - reach <= x <= hx1 + reach for hy, hx0, hx1 in horizontals)

    long = height // 12
    verticals = [v for v in verticals if v[2] - v[1] >= long or (meets(v[0], v[1]) and meets(v[0], v[2]))]
    return [("h", y * to_points, x0 * to_points, x1 * to_points) for y, x0, x1 in horizontals] + [
        ("v", x * to_points, y0 * to_points, y1 * to_points) for x, y0, y1 in verticals
    ]


def _runs(ink, kernel: tuple[int, int], bridge: tuple[int, int], horizontal: bool) -> list[tuple[float, int, int]]:
    """(position across, start, end) in pixels of each straight dark run along one axis."""
    import cv2

    across = (1, 3) if horizontal else (3, 1)  # a rule left one pixel stair-stepped by the skew stays one run
    closed = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    closed = cv2.morphologyEx(closed, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
    lines = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    count, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    if horizontal:
        return [(y + h / 2, x, x + w) for x, y, w, h, _area in stats[1:count]]
    return [(x + w / 2, y, y + h) for x, y, w, h, _area in stats[1:count]]


def reread_empty_cells(image, chars: list[tuple], edges: list[tuple], to_points: float) -> list[tuple]:
    """Table cells with ink in them but no character recognised (the detector misses a lone small digit between
    rules more often than any other text) are read again, each crop by the recognition model alone."""
    from .pdf import _tables

    centres = [((ch[1] + ch[2]) / 2, (ch[3] + ch[4]) / 2) for ch in chars]
    found: list[tuple] = []
    for grid in _tables(edges):
        for x0, y0, x1, y1 in _cell_boxes(grid):
            if any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in centres):
                continue
            found += _read_cell(image, (x0, y0, x1, y1), to_points)
    return found


def _cell_boxes(grid) -> list[tuple[float, float, float, float]]:
    """Each (merged) cell's box in points."""
    extent: dict[int, list[int]] = {}
    for r in range(grid.rows):
        for c in range(grid.cols):
            box = extent.setdefault(grid._find(r * grid.cols + c), [r, c, r, c])
            box[0], box[1], box[2], box[3] = min(box[0], r), min(box[1], c), max(box[2], r), max(box[3], c)
    return [(grid.xs[c0], grid.ys[r0], grid.xs[c1 + 1], grid.ys[r1 + 1]) for r0, c0, r1, c1 in extent.values()]


def _read_cell(image, box: tuple[float, float, float, float], to_points: float) -> list[tuple]:
    import cv2
    import numpy as np

    inset = 4  # pixels inside the rules
    x0, y0, x1, y1 = (round(v / to_points) for v in box)
    x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
    if x1 - x0 < 6 or y1 - y0 < 6:
        return []
    crop = image[y0:y1, x0:x1]
    count, _, stats, _ = cv2.connectedComponentsWithStats((crop < 128).astype(np.uint8), connectivity=8)
    marks = [st for st in stats[1:count] if st[4] >= 10 and st[3] >= 7]  # a stroke, not a speckle
    if not marks:
        return []
    left, top = min(m[0] for m in marks), min(m[1] for m in marks)
    right, bottom = max(m[0] + m[2] for m in marks), max(m[1] + m[3] for m in marks)
    word = crop[max(top - 3, 0) : bottom + 3, max(left - 3, 0) : right + 3]
    with _ENGINE_LOCK:
        result: Any = _cell_engine()(np.pad(word, 8, constant_values=255))
    text = "".join((result.txts or ("",))[0].split())
    if not text or (result.scores or (0.0,))[0] < 0.5:
        return []
    step = (right - left) / len(text)
    return [
        (
            ch,
            (x0 + left + i * step) * to_points,
            (x0 + left + (i + 1) * step) * to_points,
            (y0 + top) * to_points,
            (y0 + bottom) * to_points,
            (y0 + bottom) * to_points,
        )
        for i, ch in enumerate(text)
    ]


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "error", "Global.return_word_box": True, "Global.use_cls": False})


@lru_cache(maxsize=1)
def _cell_engine():
    """Recognition alone, for one cell's crop (a call's own use_det=False would change the shared engine's state)."""
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "error", "Global.use_det": False, "Global.use_cls": False})


def recognise(image, to_points: float) -> list[tuple]:
    """(text, x0, x1, top, bottom, baseline) per recognised character, in points. RapidOCR gives each line's words
    with their boxes; a word of several characters (a number) shares its box evenly, and the characters of one line
    touch (the gaps between them are the engine's segmentation, not spaces)."""
    with _ENGINE_LOCK:  # one engine per process; a thread pool's threads take turns
        result: Any = _engine()(image)  # RapidOCROutput (its declared type is a union of every stage's)
    out: list[tuple] = []
    for words in result.word_results or ():
        line = []
        for text, _score, box in words:
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            text = _STRAY_MARK.sub(r"\1", text.strip())
            step = (x1 - x0) / max(len(text), 1)
            line += [(ch, x0 + i * step, x0 + (i + 1) * step, top, bottom) for i, ch in enumerate(text)]
        if not line:
            continue
        bottom = max(ch[4] for ch in line)  # one baseline for the line, as the PDF's characters have
        for i, (ch, x0, x1, top, _b) in enumerate(line):
            right = line[i + 1][1] if i + 1 < len(line) and line[i + 1][1] - x1 < 0.6 * (x1 - x0) + 2 else x1
            if ch > " ":
                out.append(
                    (ch, x0 * to_points, right * to_points, top * to_points, bottom * to_points, bottom * to_points)
                )
    return out


def recognise_with_tesseract(image, to_points: float) -> list[tuple]:
    """The same characters from Debian's tesseract (chi_sim, sparse text), words' boxes shared evenly. Not used by
    the product: the benchmark compares it with RapidOCR on the same pages."""
    import subprocess
    import tempfile

    import cv2

    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        cv2.imwrite(png.name, image)
        tsv = subprocess.run(
            ["tesseract", png.name, "-", "-l", "chi_sim", "--psm", "11", "tsv"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    out: list[tuple] = []
    for line in tsv.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 12 or fields[0] != "5" or not fields[11].strip():
            continue
        left, top, width, height = (int(v) for v in fields[6:10])
        text = _STRAY_MARK.sub(r"\1", fields[11].strip())
        step = width / len(text)
        bottom = (top + height) * to_points
        out += [
            (ch, (left + i * step) * to_points, (left + (i + 1) * step) * to_points, top * to_points, bottom, bottom)
            for i, ch in enumerate(text)
        ]
    return out
