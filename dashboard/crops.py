"""For a report read by OCR: the image of each table cell, cut from the stored file, beside the value read from it,
so an analyst confirms a number in one look. A cell's provenance ends with the box of its characters in points
(`page 3 table 2 row 7 col 4 box 318,500,336,518`); the page is rendered again from the stored file at the
resolution OCR read it at. The box is on the straightened page, so the crop keeps a margin for the scan's skew."""

from __future__ import annotations

import base64
import io
import re

CROP_DPI = 150
MARGIN_POINTS = (14, 6)  # across and down: 0.6° of skew moves a box ~6 pt at the page's edge
_BOX = re.compile(r"^page (\d+) .*\bbox (\d+),(\d+),(\d+),(\d+)$")


def cell_crops(stored_path: str, sources: list[str]) -> list[str | None]:
    """A PNG data URL per provenance (None where it names no box); one rendering per page."""
    wanted = [_BOX.match(source or "") for source in sources]
    pages = {int(m.group(1)) for m in wanted if m}
    if not pages:
        return [None] * len(sources)
    with open(stored_path, "rb") as file:
        data = file.read()
    images = _pages(data, pages)
    out: list[str | None] = []
    for match in wanted:
        if not match or int(match.group(1)) not in images:
            out.append(None)
            continue
        image = images[int(match.group(1))]
        x0, y0, x1, y1 = (int(v) for v in match.groups()[1:])
        scale = CROP_DPI / 72
        box = (
            max(0, int((x0 - MARGIN_POINTS[0]) * scale)),
            max(0, int((y0 - MARGIN_POINTS[1]) * scale)),
            min(image.width, int((x1 + MARGIN_POINTS[0]) * scale)),
            min(image.height, int((y1 + MARGIN_POINTS[1]) * scale)),
        )
        buffer = io.BytesIO()
        image.crop(box).save(buffer, format="PNG")
        out.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return out


def _pages(data: bytes, numbers: set[int]) -> dict:
    """The pages (1-based) as greyscale images at CROP_DPI: from a PDF by PDFium, from a TIFF/JPEG/PNG by Pillow."""
    from PIL import Image, ImageSequence

    if data.startswith(b"%PDF"):
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            return {
                n: pdf[n - 1].render(scale=CROP_DPI / 72, grayscale=True).to_pil().convert("L")  # pyright: ignore[reportArgumentType]
                for n in numbers
                if 0 < n <= len(pdf)
            }
        finally:
            pdf.close()
    out = {}
    for n, frame in enumerate(ImageSequence.Iterator(Image.open(io.BytesIO(data))), start=1):
        if n in numbers:
            grey = frame.convert("L")
            dpi = float((frame.info.get("dpi") or (0, 0))[0] or 0) or grey.width / 8.27
            scale = CROP_DPI / dpi
            out[n] = grey.resize((round(grey.width * scale), round(grey.height * scale)))
    return out
