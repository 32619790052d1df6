"""PDF reader on PDFium (pypdfium2): every character with its box, and the ruling lines of tables from path objects.

Why PDFium: it extracts characters with their boxes in 3–5 ms per page, where pdfminer (under pdfplumber) took
60–80 ms for the same pages; the table logic here is ours and small. A page is read and closed before the next,
so memory stays flat on long PDFs.

Tables are found from ruling lines as pdfplumber's "lines" strategy does: horizontal and vertical edges of path
objects (stroked lines and the sides of rectangles, thin filled bars included) are snapped and joined within 3 pt;
edges that touch form one table; the table's grid is every distinct edge position, and neighbouring grid cells with
no edge between them are one merged cell. Each character goes to the cell holding its centre.
"""

from __future__ import annotations

import bisect
import ctypes
import re

from .errors import ReportError
from .model import Block, Cell, Document
from .normalize import nfkc_spaces

TOLERANCE = 3.0  # snap, join and intersection tolerance (pt), as pdfplumber's defaults
MIN_EDGE = 3.0  # shorter edges are noise
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–]\s*)?(?:第\s*)?\d{1,3}(?:\s*页)?(?:\s*/\s*(?:共\s*)?\d{1,3}\s*页?)?(?:\s*[-—–])?\s*$"
)


def read_pdf(data: bytes) -> Document:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ReportError("encrypted", "the PDF is encrypted with a password") from exc
        raise ReportError("corrupt", f"the PDF is damaged and cannot be opened ({str(exc)[:80]})") from exc
    try:
        if len(pdf) == 0:
            raise ReportError("empty", "the PDF has no pages")
        thin = _thin_text_over_images(pdf)
        if thin == 0:
            raise ReportError("needs_ocr", "needs OCR: the PDF has no text layer (a scanned image)")
        if thin is not None:
            raise ReportError(
                "needs_ocr",
                f"needs OCR: the PDF's pages are scanned images under a thin text layer ({thin} characters)",
            )
        return document_of_pages(_pages(pdf), "pdf")
    except ReportError:
        raise
    except Exception as exc:
        raise ReportError("corrupt", f"the PDF is damaged ({type(exc).__name__}: {str(exc)[:80]})") from exc
    finally:
        pdf.close()


THIN_TEXT_PER_PAGE = 60  # a page number, a footer, a stamp's caption; a report's page holds 500–1,500 characters


def _thin_text_over_images(pdf) -> int | None:
    """The characters of a PDF whose pages are mostly a page-sized image under a few words of text (a scan with its
    page numbers or a footer typed on): such a file is read by OCR. None for a PDF that is really text."""
    import pypdfium2.raw as raw

    characters, imaged = 0, 0
    for number in range(len(pdf)):
        page = pdf[number]
        try:
            textpage = page.get_textpage()
            characters += textpage.count_chars()
            textpage.close()
            area = page.get_width() * page.get_height()
            images = page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2)
            covered = max((_area(obj.get_bounds()) for obj in images), default=0.0)
            imaged += covered >= 0.5 * area
        finally:
            page.close()
    if imaged >= max(1, len(pdf) / 2) and characters < THIN_TEXT_PER_PAGE * len(pdf):
        return characters
    return None


def _area(box: tuple[float, float, float, float]) -> float:
    left, bottom, right, top = box
    return abs(right - left) * abs(top - bottom)


def _pages(pdf):
    """Each page's (characters, edges, height), read and closed before the next (memory stays flat)."""
    for number in range(len(pdf)):
        page = pdf[number]
        try:
            yield _page_contents(page)
        finally:
            page.close()


def document_of_pages(pages, fmt: str, cell_boxes: bool = False) -> Document:
    """The document of positioned pages — (characters, edges, height) each, as `_page_contents` gives them — with
    tables from their ruling lines and running headers and footers dropped: one model for PDF, OFD and scans
    (`cell_boxes`: a table cell's provenance ends with the box of its characters, ` box x0,y0,x1,y1` in points,
    for a scan's image crop)."""
    pages_blocks: list[list[tuple[float, Block]]] = []
    heights: list[float] = []
    chars_seen = 0
    for number, (chars, edges, height) in enumerate(pages, start=1):
        chars_seen += len(chars)
        pages_blocks.append(_page_blocks(chars, edges, number, cell_boxes))
        heights.append(height)
    if chars_seen == 0:
        raise ReportError("needs_ocr", f"needs OCR: the {fmt.upper()} has no text layer (a scanned image)")
    running = _running_lines(pages_blocks, heights)
    blocks = [
        block for items in pages_blocks for top, block in items if not (block.kind == "text" and block.text in running)
    ]
    return Document(blocks, fmt=fmt, meta={"pages": len(pages_blocks)})


def _running_lines(pages_blocks: list[list[tuple[float, Block]]], heights: list[float]) -> set[str]:
    """Page headers and footers: the same text line in the top or bottom tenth of at least two pages
    (a line of the report's own text does not repeat like that)."""
    seen: dict[str, int] = {}
    for items, height in zip(pages_blocks, heights, strict=False):
        margins = {
            block.text for top, block in items if block.kind == "text" and (top < 0.1 * height or top > 0.9 * height)
        }
        for text in margins:
            seen[text] = seen.get(text, 0) + 1
    return {text for text, count in seen.items() if count >= 2 and len(pages_blocks) >= 2}


# ---------------------------------------------------------------- what a page holds
def _page_contents(page) -> tuple[list[tuple], list[tuple], float]:
    """Characters as (text, x0, x1, top, bottom) and edges as ('h', y, x0, x1) / ('v', x, y0, y1), top-down."""
    import pypdfium2.raw as raw

    height = page.get_height()
    textpage = page.get_textpage()
    try:
        chars = _characters(raw, textpage.raw, height)
    finally:
        textpage.close()
    edges: list[tuple] = []
    objects = [raw.FPDFPage_GetObject(page.raw, i) for i in range(raw.FPDFPage_CountObjects(page.raw))]
    _collect_edges(raw, objects, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), height, edges, depth=0)
    return chars, edges, height


def _collect_edges(raw, objects, outer: tuple, height: float, edges: list, depth: int) -> None:
    """Edges of every path object, inside form XObjects too (their matrix applies to what they hold)."""
    matrix = raw.FS_MATRIX()
    for obj in objects:
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            if raw.FPDFPageObj_GetMatrix(obj, matrix):
                edges += _path_edges(raw, obj, _compose(_as_tuple(matrix), outer), height)
        elif kind == raw.FPDF_PAGEOBJ_FORM and depth < 4 and raw.FPDFPageObj_GetMatrix(obj, matrix):
            inner = [raw.FPDFFormObj_GetObject(obj, i) for i in range(raw.FPDFFormObj_CountObjects(obj))]
            _collect_edges(raw, inner, _compose(_as_tuple(matrix), outer), height, edges, depth + 1)


def _as_tuple(m) -> tuple:
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The matrix applying `inner`, then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _characters(raw, textpage, height: float) -> list[tuple]:
    """(text, x0, x1, top, bottom, baseline) per character. The loose box (font ascent to descent, advance width)
    spaces words as a reader sees them; where a font's matrix makes it absurd (some vertically set table labels
    report a 200 pt box for a 10 pt glyph) the glyph's own ink box stands in."""
    count = raw.FPDFText_CountChars(textpage)
    if count <= 0:
        return []
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    raw.FPDFText_GetText(textpage, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    units = _per_index(memoryview(buffer.raw[: count * 2]).cast("H"))
    rect = raw.FS_RECTF()
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    loose_box, char_origin = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetCharOrigin
    out = []
    for i, text in enumerate(units):
        if text <= " " or text == "\ufffe":
            continue  # spaces (and the page's generated line breaks) are decided by the gaps between characters
        if not loose_box(textpage, i, rect):
            continue
        x0, x1, y_top, y_bottom = rect.left, rect.right, rect.top, rect.bottom
        if (x1 - x0 > LARGE or y_top - y_bottom > LARGE) and _absurd(raw, textpage, i, x1 - x0, y_top - y_bottom):
            x0, x1, y_top, y_bottom = _ink_box(raw, textpage, i)
            baseline = y_bottom
        else:
            char_origin(textpage, i, origin_x, origin_y)
            baseline = origin_y.value
        out.append((text, x0, x1, height - y_top, height - y_bottom, height - baseline))
    return out


def _per_index(units) -> list[str]:
    """One string per character index: a surrogate pair becomes its character at the first index (the second
    index is left empty), a lone surrogate the replacement character."""
    out = [chr(u) for u in units]
    for i, unit in enumerate(units):
        if 0xD800 <= unit < 0xDC00 and i + 1 < len(units) and 0xDC00 <= units[i + 1] < 0xE000:
            out[i] = chr(0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00))
            out[i + 1] = ""
        elif 0xD800 <= unit < 0xE000 and out[i]:  # a lone surrogate (its partner index was not emptied)
            out[i] = "\ufffd"
    return out


LARGE = 36.0  # a loose box above this size is checked against the character's real font size


def _absurd(raw, textpage, i: int, width: float, tall: float) -> bool:
    matrix = raw.FS_MATRIX()
    raw.FPDFText_GetMatrix(textpage, i, matrix)
    size = raw.FPDFText_GetFontSize(textpage, i) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
    return size > 0 and (width > 3 * size or tall > 3 * size)


def _ink_box(raw, textpage, i: int) -> tuple[float, float, float, float]:
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    raw.FPDFText_GetCharBox(textpage, i, left, right, bottom, top)
    return left.value, right.value, top.value, bottom.value


def _path_edges(raw, path, matrix: tuple, height: float) -> list[tuple]:
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    edges: list[tuple] = []
    start = previous = None
    for k in range(raw.FPDFPath_CountSegments(path)):
        segment = raw.FPDFPath_GetPathSegment(path, k)
        raw.FPDFPathSegment_GetPoint(segment, x, y)
        point = (a * x.value + c * y.value + e, height - (b * x.value + d * y.value + f))
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == raw.FPDF_SEGMENT_MOVETO or previous is None:
            start = point
        elif kind == raw.FPDF_SEGMENT_LINETO:
            _add_edge(edges, previous, point)
        # Bézier segments are not ruling lines
        previous = point
        if raw.FPDFPathSegment_GetClose(segment) and start is not None:
            _add_edge(edges, point, start)
    return edges


def _add_edge(edges: list, p: tuple, q: tuple) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 1 and abs(x1 - x0) >= MIN_EDGE:
        edges.append(("h", (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) < 1 and abs(y1 - y0) >= MIN_EDGE:
        edges.append(("v", (x0 + x1) / 2, min(y0, y1), max(y0, y1)))


# ---------------------------------------------------------------- tables from edges
def _snap(lines: list[list]) -> list[list]:
    """Lines whose positions lie within the tolerance take their cluster's mean position (pdfplumber's snap)."""
    lines.sort(key=lambda line: line[0])
    cluster: list[list] = []
    for line in lines + [None]:
        if cluster and (line is None or line[0] - cluster[-1][0] > TOLERANCE):
            mean = sum(item[0] for item in cluster) / len(cluster)
            for item in cluster:
                item[0] = mean
            cluster = []
        if line is not None:
            cluster.append(line)
    return lines


def _join(lines: list[list]) -> list[list]:
    """Collinear lines that overlap or nearly touch become one."""
    joined: list[list] = []
    for position, start, end in sorted(lines):
        last = joined[-1] if joined else None
        if last and abs(last[0] - position) < 1e-6 and start <= last[2] + TOLERANCE:
            last[2] = max(last[2], end)
        else:
            joined.append([position, start, end])
    return joined


class _Grid:
    """One ruled table: distinct edge positions, merged cells, and where each character falls."""

    def __init__(self, horizontals: list[list], verticals: list[list]):
        self.h, self.v = horizontals, verticals
        self.ys = _distinct(sorted(line[0] for line in horizontals))
        self.xs = _distinct(sorted(line[0] for line in verticals))
        self.bbox = (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])
        self.rows, self.cols = len(self.ys) - 1, len(self.xs) - 1
        self.owner = list(range(self.rows * self.cols))
        for r in range(self.rows):
            for c in range(self.cols):
                if c + 1 < self.cols and not self._covered(self.v, self.xs[c + 1], self.ys[r], self.ys[r + 1]):
                    self._union(r * self.cols + c, r * self.cols + c + 1)
                if r + 1 < self.rows and not self._covered(self.h, self.ys[r + 1], self.xs[c], self.xs[c + 1]):
                    self._union(r * self.cols + c, (r + 1) * self.cols + c)

    @staticmethod
    def _covered(lines: list[list], position: float, start: float, end: float) -> bool:
        """An edge at `position` runs along the side from start to end (within the tolerance)."""
        return any(
            abs(p - position) <= TOLERANCE and s <= start + TOLERANCE and e >= end - TOLERANCE for p, s, e in lines
        )

    def _find(self, i: int) -> int:
        while self.owner[i] != i:
            self.owner[i] = self.owner[self.owner[i]]
            i = self.owner[i]
        return i

    def _union(self, i: int, j: int) -> None:
        a, b = self._find(i), self._find(j)
        if a != b:
            self.owner[max(a, b)] = min(a, b)  # the top-left grid cell names the merged cell

    def contains(self, x: float, y: float) -> bool:
        return self.bbox[0] <= x <= self.bbox[2] and self.bbox[1] <= y <= self.bbox[3]

    def cell_of(self, x: float, y: float) -> int:
        r = min(max(bisect.bisect_right(self.ys, y) - 1, 0), self.rows - 1)
        c = min(max(bisect.bisect_right(self.xs, x) - 1, 0), self.cols - 1)
        return self._find(r * self.cols + c)


def _distinct(values: list[float]) -> list[float]:
    out: list[float] = []
    for value in values:
        if not out or value - out[-1] > TOLERANCE:
            out.append(value)
    return out


def _tables(edges: list[tuple]) -> list[_Grid]:
    horizontals = _join(_snap([[y, x0, x1] for kind, y, x0, x1 in edges if kind == "h"]))
    verticals = _join(_snap([[x, y0, y1] for kind, x, y0, y1 in edges if kind == "v"]))
    # edges that touch belong to one table
    parent = list(range(len(horizontals) + len(verticals)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, x0, x1) in enumerate(horizontals):
        for j, (x, y0, y1) in enumerate(verticals):
            if x0 - TOLERANCE <= x <= x1 + TOLERANCE and y0 - TOLERANCE <= y <= y1 + TOLERANCE:
                parent[find(i)] = find(len(horizontals) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, line in enumerate(horizontals):
        groups.setdefault(find(i), ([], []))[0].append(line)
    for j, line in enumerate(verticals):
        groups.setdefault(find(len(horizontals) + j), ([], []))[1].append(line)
    grids = []
    for hs, vs in groups.values():
        if len(_distinct(sorted(h[0] for h in hs))) >= 2 and len(_distinct(sorted(v[0] for v in vs))) >= 2:
            grids.append(_Grid(hs, vs))
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    return grids


# ---------------------------------------------------------------- blocks
def _page_blocks(chars: list[tuple], edges: list[tuple], number: int, cell_boxes: bool) -> list[tuple[float, Block]]:
    grids = _tables(edges)
    buckets: list[dict[int, list[tuple]]] = [{} for _ in grids]
    loose: list[tuple] = []
    for ch in chars:
        cx, cy = (ch[1] + ch[2]) / 2, (ch[3] + ch[4]) / 2
        for g, grid in enumerate(grids):
            if grid.contains(cx, cy):
                buckets[g].setdefault(grid.cell_of(cx, cy), []).append(ch)
                break
        else:
            loose.append(ch)
    items: list[tuple[float, Block]] = []
    for t_index, (grid, bucket) in enumerate(zip(grids, buckets, strict=False), start=1):
        items += _table_rows(grid, bucket, number, number * 100 + t_index, t_index, cell_boxes)
    for top, text in _text_lines(loose):
        if text and not _PAGE_NUMBER.match(text):
            items.append((top, Block([Cell(text, f"page {number} y {top:.0f}")])))
    items.sort(key=lambda item: item[0])
    return items


def _table_rows(grid: _Grid, bucket: dict[int, list[tuple]], number: int, table_id: int, t_index: int, boxes: bool):

    rows = []
    for r in range(grid.rows):
        cells = []
        for c in range(grid.cols):
            index = r * grid.cols + c
            if grid._find(index) != index:
                continue  # a position covered by a merged cell that starts earlier
            chars = bucket.get(index, [])
            text = nfkc_spaces(_cell_text(chars))
            where = f"page {number} table {t_index} row {r + 1} col {c + 1}"
            if boxes and chars:
                where += " box " + ",".join(f"{v:.0f}" for v in _box(chars))
            cells.append(Cell(text, where, blank_in_grid=not text))
        if not cells:
            continue
        filled = [cell for cell in cells if cell.text]
        if len(filled) == 1 and grid.cols <= 2:
            rows.append((grid.ys[r], Block(filled)))  # a framed paragraph
        else:
            rows.append((grid.ys[r], Block(cells, kind="table_row", table_id=table_id)))
    return rows


def _box(chars: list[tuple]) -> tuple[float, float, float, float]:
    return (
        min(ch[1] for ch in chars),
        min(ch[3] for ch in chars),
        max(ch[2] for ch in chars),
        max(ch[4] for ch in chars),
    )


def _cell_text(chars: list[tuple]) -> str:
    """A cell's lines (by baseline) joined without spaces, as a wrapped label or number reads."""
    return "".join(text.replace(" ", "") for _, text in _text_lines(chars))


def _text_lines(chars: list[tuple]) -> list[tuple[float, str]]:
    """Characters outside tables as lines: grouped by vertical overlap, ordered by x, a space where the gap between
    neighbours exceeds the tolerance."""
    lines: list[list[tuple]] = []
    for ch in sorted(chars, key=lambda ch: (ch[5], ch[1])):  # by baseline: fonts differ in ascent, not baseline
        if lines and ch[5] <= lines[-1][0][5] + TOLERANCE:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    out = []
    for line in lines:
        line.sort(key=lambda ch: ch[1])
        parts, previous = [], None
        for ch in line:
            if previous is not None and ch[1] > previous[2] + TOLERANCE:
                parts.append(" ")
            parts.append(ch[0])
            previous = ch
        out.append((min(ch[3] for ch in line), "".join(parts).strip()))
    return out
