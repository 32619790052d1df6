"""OFD variant of the demo data: a generated PDF re-laid as an OFD package (GB/T 33190), as conversion tools and
the 数科/福昕 OFD writers lay out government documents: one TextObject per run of touching characters (TextCode with
X, Y and DeltaX, compressed as "g N step" where steps repeat), one PathObject per ruling line, positions in mm
relative to each object's Boundary. What the reader gets back is the PDF's own page layout."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from ..report.ofd import PT_PER_MM
from ..report.pdf import _page_contents

NS = "http://www.ofdspec.org/2016"
ASCENT = 0.88  # the reader's: baseline at 0.88 of the size below the top of the box


def ofd_from_pdf(pdf_bytes: bytes) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    pages = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            try:
                chars, edges, height = _page_contents(page)
                pages.append((chars, edges, height, page.get_width()))
            finally:
                page.close()
    finally:
        pdf.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("OFD.xml", _ofd_xml())
        package.writestr("Doc_0/Document.xml", _document_xml(len(pages)))
        for number, (chars, edges, height, width) in enumerate(pages):
            package.writestr(f"Doc_0/Pages/Page_{number}/Content.xml", _content_xml(chars, edges, height, width))
    return buffer.getvalue()


def _ofd_xml() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.1" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:Title>示例数据</ofd:Title></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    )


def _document_xml(pages: int) -> str:
    listed = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(pages))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
        f"<ofd:Pages>{listed}</ofd:Pages></ofd:Document>"
    )


def _mm(points: float) -> str:
    return f"{points / PT_PER_MM:.4f}".rstrip("0").rstrip(".")


def _runs(chars: list[tuple]) -> list[list[tuple]]:
    """Characters that touch on one line (no space between them) form one run, as writers emit text."""
    runs: list[list[tuple]] = []
    for ch in chars:
        last = runs[-1][-1] if runs else None
        if last and abs(last[3] - ch[3]) < 0.01 and abs(last[4] - ch[4]) < 0.01 and 0 <= ch[1] - last[2] < 0.3:
            runs[-1].append(ch)
        else:
            runs.append([ch])
    return runs


def _delta_x(run: list[tuple]) -> str:
    steps = [_mm(b[1] - a[1]) for a, b in zip(run, run[1:], strict=False)]
    out, i = [], 0
    while i < len(steps):
        j = i
        while j < len(steps) and steps[j] == steps[i]:
            j += 1
        out += [f"g {j - i} {steps[i]}"] if j - i > 2 else steps[i:j]
        i = j
    return " ".join(out)


def _content_xml(chars: list[tuple], edges: list[tuple], height: float, width: float) -> str:
    objects, ident = [], 10
    for run in _runs(chars):
        left, right, top, bottom = run[0][1], run[-1][2], run[0][3], run[0][4]
        size = bottom - top
        ident += 1
        delta = _delta_x(run)
        objects.append(
            f'<ofd:TextObject ID="{ident}" Boundary="{_mm(left)} {_mm(top)} {_mm(right - left)} {_mm(size)}" '
            f'Font="1" Size="{_mm(size)}"><ofd:TextCode X="0" Y="{_mm(ASCENT * size)}"'
            + (f' DeltaX="{delta}"' if delta else "")
            + f">{escape(''.join(c[0] for c in run))}</ofd:TextCode></ofd:TextObject>"
        )
    for kind, at, start, end in edges:
        ident += 1
        x, y, w, h, path = (
            (start, at, end - start, 0, f"M 0 0 L {_mm(end - start)} 0")
            if kind == "h"
            else (at, start, 0, end - start, f"M 0 0 L 0 {_mm(end - start)}")
        )
        objects.append(
            f'<ofd:PathObject ID="{ident}" Boundary="{_mm(x)} {_mm(y)} {_mm(w)} {_mm(h)}" LineWidth="0.18">'
            f"<ofd:AbbreviatedData>{path}</ofd:AbbreviatedData></ofd:PathObject>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Area><ofd:PhysicalBox>0 0 '
        f'{_mm(width)} {_mm(height)}</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="2">'
        + "".join(objects)
        + "</ofd:Layer></ofd:Content></ofd:Page>"
    )
