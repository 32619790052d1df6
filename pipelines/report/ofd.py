"""OFD reader (GB/T 33190, China's format for official electronic documents) into the same positioned pages as the PDF
reader: every character with its box, and the ruling lines of tables from path objects, so table recognition,
identities and recovery are shared (pdf.document_of_pages).

An OFD file is a ZIP package: OFD.xml names the document's root (DocBody/DocRoot → Doc_0/Document.xml), which lists
its pages (Pages/Page@BaseLoc → Pages/Page_0/Content.xml). A page's Content holds layers of TextObject (Boundary
"x y w h" in mm, TextCode runs with X, Y — the baseline — and DeltaX, which may be compressed as "g N step") and
PathObject (AbbreviatedData "M x y L x y … C"); positions are relative to the object's Boundary, through its CTM.
Only the standard library's XML parser reads it, with the same ZIP-bomb bound as Word files.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

from .errors import ReportError

PT_PER_MM = 72 / 25.4
MAX_UNPACKED_BYTES = 256 * 2**20
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")


def is_ofd(archive: zipfile.ZipFile) -> bool:
    return any(name.lower() == "ofd.xml" for name in archive.namelist())


def read_ofd(data: bytes):
    from .pdf import document_of_pages

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReportError("corrupt", "the OFD file is damaged (not a valid ZIP package)") from exc
    if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise ReportError("zip_bomb", "the OFD file would unpack to more than 256 MB: refused as a likely ZIP bomb")
    try:
        pages = [_page(archive, path) for path in _page_paths(archive)]
    except (ET.ParseError, KeyError, ValueError) as exc:
        raise ReportError("corrupt", f"the OFD file is damaged ({type(exc).__name__}: {str(exc)[:80]})") from exc
    if not pages:
        raise ReportError("empty", "the OFD file has no pages")
    return document_of_pages(pages, "ofd")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str):
    return [child for child in element.iter() if _local(child.tag) == name]


def _read_xml(archive: zipfile.ZipFile, path: str):
    names = {n.lower(): n for n in archive.namelist()}
    return ET.fromstring(archive.read(names[path.lstrip("/").lower()]))


def _page_paths(archive: zipfile.ZipFile) -> list[str]:
    root = _read_xml(archive, "OFD.xml")
    doc_root = next((e.text or "" for e in _children(root, "DocRoot")), "").strip()
    if not doc_root:
        raise ReportError("corrupt", "the OFD file names no document (OFD.xml has no DocRoot)")
    document = _read_xml(archive, doc_root)
    folder = posixpath.dirname(doc_root.lstrip("/"))
    return [
        posixpath.normpath(posixpath.join(folder, page.get("BaseLoc", "")))
        for page in _children(document, "Page")
        if page.get("BaseLoc")
    ]


def _page(archive: zipfile.ZipFile, path: str) -> tuple[list[tuple], list[tuple], float]:
    """(characters, edges, height) in points, top-down, as pdf._page_contents gives them."""
    page = _read_xml(archive, path)
    box = next((e.text for e in _children(page, "PhysicalBox")), None) or "0 0 210 297"
    height = _numbers(box)[3] * PT_PER_MM
    chars: list[tuple] = []
    edges: list[tuple] = []
    for element in page.iter():
        kind = _local(element.tag)
        if kind == "TextObject":
            chars += _text_object(element)
        elif kind == "PathObject":
            edges += _path_object(element)
    return chars, edges, height


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text or "")]


def _placement(element) -> tuple[float, float, tuple]:
    """The object's origin (its Boundary's corner) and its CTM."""
    x, y, *_ = _numbers(element.get("Boundary")) + [0.0, 0.0]
    ctm = tuple(_numbers(element.get("CTM"))) or (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return x, y, ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _at(x0: float, y0: float, ctm: tuple, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = ctm
    return (x0 + a * x + c * y + e) * PT_PER_MM, (y0 + b * x + d * y + f) * PT_PER_MM


def deltas(text: str | None, count: int) -> list[float]:
    """DeltaX/DeltaY as a list of `count` steps ("g 3 4.2" repeats 4.2 three times)."""
    tokens, out = (text or "").split(), []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out += [float(tokens[i + 2])] * int(float(tokens[i + 1]))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return (out + [out[-1] if out else 0.0] * count)[:count]


def _text_object(element) -> list[tuple]:
    """(text, x0, x1, top, bottom, baseline) per character: advances from DeltaX, the last character as wide as the
    font size but not past the object's Boundary (a digit is half as wide as a 汉字: the gap to the next number
    is what makes it another number); the box from the font size around the baseline (ascent 0.88, descent 0.12)."""
    x0, y0, ctm = _placement(element)
    boundary = _numbers(element.get("Boundary"))
    right_edge = boundary[2] if len(boundary) == 4 else None  # in the object's own coordinates
    size = float(element.get("Size") or 3.5)
    scale = (abs(ctm[3]) or 1.0) * PT_PER_MM
    out = []
    for code in _children(element, "TextCode"):
        text = [c for c in (code.text or "")]
        steps = deltas(code.get("DeltaX"), max(len(text) - 1, 0))
        x, y = float(code.get("X") or 0.0), float(code.get("Y") or 0.0)
        for i, character in enumerate(text):
            width = steps[i] if i < len(steps) else size
            if i == len(text) - 1 and right_edge is not None and x < right_edge:
                width = min(width, right_edge - x)
            if character > " ":
                left, baseline = _at(x0, y0, ctm, x, y)
                right, _ = _at(x0, y0, ctm, x + width, y)
                out.append(
                    (character, left, right, baseline - 0.88 * size * scale, baseline + 0.12 * size * scale, baseline)
                )
            x += width
    return out


def _path_object(element) -> list[tuple]:
    """Ruling lines: the straight segments of the path ('h', y, x0, x1) / ('v', x, y0, y1), in points."""
    from .pdf import _add_edge

    x0, y0, ctm = _placement(element)
    tokens = (next((e.text for e in _children(element, "AbbreviatedData")), "") or "").split()
    edges: list[tuple] = []
    start = current = None
    i = 0
    while i < len(tokens):
        command = tokens[i]
        if command in ("M", "S") and i + 2 < len(tokens):
            start = current = _at(x0, y0, ctm, float(tokens[i + 1]), float(tokens[i + 2]))
            i += 3
        elif command == "L" and i + 2 < len(tokens):
            point = _at(x0, y0, ctm, float(tokens[i + 1]), float(tokens[i + 2]))
            if current is not None:
                _add_edge(edges, current, point)
            current = point
            i += 3
        elif command == "C":
            if current is not None and start is not None:
                _add_edge(edges, current, start)
            current = start
            i += 1
        else:  # curves (Q, B, A) are no ruling lines: the pen moves to their last point
            i += 1
            numbers = []
            while i < len(tokens) and _NUMBER.fullmatch(tokens[i]):
                numbers.append(float(tokens[i]))
                i += 1
            if len(numbers) >= 2:
                current = _at(x0, y0, ctm, numbers[-2], numbers[-1])
    return edges
