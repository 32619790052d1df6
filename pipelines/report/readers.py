"""Readers: bytes of a text, HTML, PDF or Word file → one normalised `Document`."""

from __future__ import annotations

import errno
import html
import io
import os
import re
import shutil
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from catalogue import load_catalogue

from .errors import ReportError
from .model import Block, Cell, Document
from .normalize import nfkc_spaces
from .scan import image_kind

MAX_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a Word report is rarely over 20 MB unpacked, images included
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "ul",
    "ol",
    "dd",
    "dt",
    "center",
    "blockquote",
    "pre",
    "form",
    "hr",
}
_DROP_TAGS = ["script", "style", "noscript", "iframe", "svg", "template", "select", "button", "input"]


def read_safely(path: bytes, limit: int = MAX_BYTES, follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file, never blocking on a pipe or device and never reading past `limit`.
    Raises IsADirectoryError for anything but a regular file, OverflowError(size) past the limit."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow_symlinks else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "directory"
                if stat.S_ISDIR(info.st_mode)
                else "named pipe"
                if stat.S_ISFIFO(info.st_mode)
                else "device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "special file"
            )
            raise IsADirectoryError(errno.EINVAL, kind)
        if info.st_size > limit:
            raise OverflowError(info.st_size)
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > limit:
                raise OverflowError(total)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _is_ofd_package(data: bytes) -> bool:
    from .ofd import is_ofd

    try:
        return is_ofd(zipfile.ZipFile(io.BytesIO(data)))
    except zipfile.BadZipFile:
        return False


def _is_xlsx(data: bytes) -> bool:
    try:
        return "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False


def read_sheet(data: bytes) -> Document:
    from .sheets import read_sheets

    return read_sheets(data)


def read_ofd(data: bytes) -> Document:
    from .ofd import read_ofd as read_package

    return read_package(data)


def sniff_format(data: bytes, name: str = "") -> str:
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if image_kind(head):
        return "image"
    suffix = Path(name).suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return "ofd" if _is_ofd_package(data) else "sheet" if _is_xlsx(data) else "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "sheet" if suffix in (".xls", ".et") else "doc"
    if suffix in (".pdf", ".docx", ".doc") and not data.strip():
        raise ReportError("empty", "the file is empty")
    lowered = head.lower()
    if (
        b"<html" in lowered
        or b"<table" in lowered
        or b"<!doctype html" in lowered
        or suffix in (".html", ".htm", ".shtml")
    ):
        return "html"
    return "txt"


def read_document(data: bytes, name: str = "") -> Document:
    if len(data) > MAX_BYTES:
        raise ReportError(
            "too_large", f"the file is {len(data) / 1e6:.0f} MB; reports over {MAX_BYTES // 2**20} MB are refused"
        )
    if not data.strip():
        raise ReportError("empty", "the file is empty")
    fmt = sniff_format(data, name)
    readers = {
        "pdf": read_pdf,
        "image": _needs_ocr,
        "ofd": read_ofd,
        "sheet": read_sheet,
        "docx": read_docx,
        "doc": read_doc,
        "html": read_html,
        "txt": read_text,
    }
    return readers[fmt](data)


def _needs_ocr(data: bytes) -> Document:
    raise ReportError("needs_ocr", f"needs OCR: the file is a {image_kind(data)} image (a scanned page)")


# ---------------------------------------------------------------- text
def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes: declared charset, then UTF-8, then detection. Refuses binary garbage."""
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReportError("binary", "the file is binary, not a text, HTML, PDF or Word report")
    candidates = []
    if declared:
        enc = declared.lower()
        candidates.append("gb18030" if enc in ("gb2312", "gbk", "gb18030", "x-gbk") else enc)
    candidates += ["utf-8-sig"]
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    try:  # undeclared GBK, the usual case for Chinese government sites: accept it when it reads as a report
        text = data.decode("gb18030")
        if any(word in text for word in load_catalogue().raw["anchors"]["report_words"]):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ReportError(
            "undecodable", "the text encoding could not be determined (not UTF-8, GBK or any known charset)"
        )
    text = str(best)
    non_ascii = [c for c in text if ord(c) > 127]
    cjk = sum(
        1 for c in non_ascii if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
    )
    if non_ascii and cjk / len(non_ascii) < 0.5:
        raise ReportError(
            "undecodable", f"the bytes are not UTF-8 or GBK Chinese text (best guess {best.encoding} gives no Chinese)"
        )
    if text.count("\ufffd") > max(10, len(text) // 100):
        raise ReportError("undecodable", f"the bytes do not decode cleanly as {best.encoding}")
    return text, best.encoding


# A page number printed as its own line ("-3-", "- 3 -", "第3页", "第3页共5页"); a bare "3" is a value.
_PAGE_MARK = re.compile(r"^\s*(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*/?\s*共\s*\d{1,3}\s*页)?)\s*$")
_COLUMN_GAP = re.compile(r" {2,}")
_LAYOUT_LINE = re.compile(r"\S {3,}\S")


def _is_fixed_width(lines: list[str]) -> bool:
    """Text as `pdftotext -layout` writes it: columns kept apart by runs of spaces on many lines."""
    return sum(1 for line in lines if "\t" not in line and _LAYOUT_LINE.search(line)) >= 8


def _split_line(line: str, fixed_width: bool = False) -> list[str]:
    stripped = line.strip()
    if "\t" in line:
        return [c.strip() for c in line.rstrip("\r\n").split("\t")]
    if stripped.count("|") >= 1 and (stripped.startswith("|") or stripped.endswith("|") or stripped.count("|") >= 2):
        parts = [c.strip() for c in stripped.strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", p) for p in parts if p):
            return []  # markdown separator row
        return parts
    if fixed_width and "  " in stripped:
        return _COLUMN_GAP.split(stripped)  # columns by position; a label's own single spaces stay inside it
    return [stripped]


def read_text(data: bytes) -> Document:
    text, enc = decode_text(data)
    lines = text.replace("\f", "").splitlines()  # pdftotext starts each page with a form feed
    fixed_width = _is_fixed_width(lines)
    blocks = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or _PAGE_MARK.match(line):
            continue
        parts = _split_line(line, fixed_width)
        if not parts:
            continue
        where = f"line {number}"
        if len(parts) == 1:
            blocks.append(Block([Cell(parts[0], where)]))
        else:
            blocks.append(Block([Cell(p, where, p == "") for p in parts], kind="table_row"))
    return Document(blocks, fmt="txt", meta={"encoding": enc})


# ---------------------------------------------------------------- html
def read_html(data: bytes) -> Document:
    import lxml.html

    declared = _META_CHARSET.search(data[:8192])
    text, enc = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root = lxml.html.fromstring(text)
    except Exception as exc:  # lxml raises several types for broken markup
        raise ReportError("corrupt", f"the HTML could not be parsed ({type(exc).__name__})") from exc
    title = (root.findtext(".//title") or "").strip()
    meta = {"encoding": enc}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").lower()
        if name in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "published_time"):
            meta["published_at_raw"] = m.get("content", "")
        if name in ("contentsource", "source", "author"):
            meta.setdefault("source_org", m.get("content", ""))
        if name in ("articletitle", "title") and m.get("content"):
            meta.setdefault("article_title", m.get("content"))
    for el in list(root.iter(*_DROP_TAGS)):  # collected first: dropping while iterating skips elements
        if el.getparent() is not None:
            el.drop_tree()
    header_text = root.text_content() if len(root) else ""
    meta["page_text_head"] = _collapsed_head(header_text, 6000)
    content = _content_root(root)
    return Document(_html_blocks(content), fmt="html", title=title, meta=meta)


def _content_root(root):
    """The smallest element holding the report body (section headings and the tables), not the site chrome:
    climb from the table-3 table until the section headings are inside."""
    cat = load_catalogue()
    table3 = next(r for r in cat.t3_rows if r.row == "new_received").match
    first_section = cat.raw["sections"][0]["keywords"]
    element = next((t for t in root.iter("table") if any(m in t.text_content() for m in table3)), None)
    while element is not None:
        if any(k in element.text_content() for k in first_section):
            return element
        element = element.getparent()
    return root


def _collapsed_head(text: str, length: int) -> str:
    """The first `length` characters of the text with every whitespace run made one space (the page can be
    long: collapse only as much of it as needed)."""
    taken = 2 * length
    while True:
        head = re.sub(r"\s+", " ", text[:taken])
        if len(head) > length or taken >= len(text):
            return head[:length]
        taken *= 2


_MARKUP_NOISE = re.compile(r"<!--.*?-->|<\?.*?>", re.S)
_ANY_TAG = re.compile(r"<[^>]*>")
# lxml writes tag and attribute names in lower case: these patterns need no case folding (which would also
# cost them their fast scan for the leading "<").
_TABLE_EDGE = re.compile(r"<(/?)table\b[^>]*>")
_BLOCK_EDGE = re.compile(r"</?(?:{})\b[^>]*>".format("|".join(sorted(_BLOCK_TAGS, key=len, reverse=True))))
_ROW_OR_CELL = re.compile(r"<tr\b|<t([dh])\b([^>]*)>(.*?)</t[dh]>", re.DOTALL)
_ROWSPAN = re.compile(r"(?:^|\s)rowspan\s*=\s*[\"']?\s*(\d+)", re.I)
_COLSPAN = re.compile(r"(?:^|\s)colspan\s*=\s*[\"']?\s*(\d+)", re.I)


def _html_blocks(content) -> list[Block]:
    """Paragraphs and table rows of an element, in document order.

    lxml has already repaired the markup: its serialisation closes every element and escapes every `<` in
    text, so patterns over that serialisation walk the tree without a Python call per element."""
    import lxml.html

    markup = _MARKUP_NOISE.sub("", str(lxml.html.tostring(content, encoding=str, with_tail=False)))
    blocks: list[Block] = []
    position = 0
    for number, (start, end) in enumerate(_top_level_tables(markup), start=1):
        _paragraph_blocks(markup[position:start], blocks)
        blocks.extend(_table_blocks(markup[start:end], number))
        position = end
    _paragraph_blocks(markup[position:], blocks)
    return blocks


def _top_level_tables(markup: str) -> list[tuple[int, int]]:
    spans, depth, start = [], 0, 0
    for edge in _TABLE_EDGE.finditer(markup):
        if edge.group(1):
            if depth == 1:
                spans.append((start, edge.end()))
            depth = max(0, depth - 1)
        else:
            if depth == 0:
                start = edge.start()
            depth += 1
    if depth:
        spans.append((start, len(markup)))
    return spans


def _paragraph_blocks(markup: str, blocks: list[Block]) -> None:
    """Text between block-level tags is one paragraph; inline tags are dropped."""
    for piece in _BLOCK_EDGE.split(markup):
        line = _cell_text(piece)
        if line:
            blocks.append(Block([Cell(line, f"paragraph {len(blocks) + 1}")]))


def _cell_text(markup: str) -> str:
    if "<" in markup:
        markup = _ANY_TAG.sub("", markup)
    if "&" in markup:
        markup = html.unescape(markup)
    return " ".join(markup.split())


def _table_blocks(markup: str, table_id: int) -> list[Block]:
    """Rows of one table with rowspan/colspan expanded: each origin cell appears once, at its first row and
    column. The text of a table nested in a cell stays in that cell."""
    if markup.count("<table") > 1:
        markup = _flatten_inner_tables(markup)
    covered: set[tuple[int, int]] = set()  # positions taken by a rowspan from a row above
    blocks: list[Block] = []
    cells: list[Cell] | None = None
    r = c = -1
    for kind, attributes, inner in _ROW_OR_CELL.findall(markup):
        if not kind:
            if cells:
                blocks.append(Block(cells, kind="table_row", table_id=table_id))
            cells, r, c = [], r + 1, 0
            continue
        if cells is None:
            continue  # a cell outside any row
        if covered:
            while (r, c) in covered:
                c += 1
        rowspan = colspan = 1
        if "span" in attributes:
            rowspan, colspan = _span(_ROWSPAN, attributes), _span(_COLSPAN, attributes)
            if rowspan > 1:
                covered.update((r + dr, c + dc) for dr in range(1, rowspan) for dc in range(colspan))
        text = inner if inner.isdigit() else _cell_text(inner)
        cells.append(Cell(text, f"table {table_id} row {r + 1} col {c + 1}", not text))
        c += colspan
    if cells:
        blocks.append(Block(cells, kind="table_row", table_id=table_id))
    return blocks


def _flatten_inner_tables(markup: str) -> str:
    """Tags of tables nested inside the outer table dropped: their text stays, as text of the enclosing cell."""
    out, position, depth, inner_start = [], 0, 0, 0
    for edge in _TABLE_EDGE.finditer(markup):
        if not edge.group(1):
            depth += 1
            if depth == 2:
                inner_start = edge.start()
        else:
            if depth == 2:
                out += [markup[position:inner_start], _ANY_TAG.sub("", markup[inner_start : edge.end()])]
                position = edge.end()
            depth -= 1
    return "".join(out) + markup[position:]


def _span(pattern: re.Pattern, attributes: str) -> int:
    match = pattern.search(attributes)
    return max(1, min(int(match.group(1)), 200)) if match else 1


# ---------------------------------------------------------------- pdf
def read_pdf(data: bytes) -> Document:
    from .pdf import read_pdf as read_with_pdfium

    return read_with_pdfium(data)


# ---------------------------------------------------------------- word
def read_docx(data: bytes) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise ReportError("corrupt", "the Word file is damaged (not a valid ZIP container)") from exc
    if "word/document.xml" not in names:
        raise ReportError("not_word", "the file is a ZIP archive but not a Word document (no word/document.xml)")
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:  # the sizes zipfile will read are bounded by these declared sizes
        raise ReportError(
            "zip_bomb",
            f"the Word file would unpack to {unpacked / 2**20:.0f} MB "
            f"(limit {MAX_UNPACKED_BYTES // 2**20} MB): refused as a likely ZIP bomb",
        )
    import docx
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ReportError("corrupt", f"the Word document cannot be opened ({type(exc).__name__})") from exc
    blocks: list[Block] = []
    table_id = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = nfkc_spaces(Paragraph(child, document).text)
            if text:
                blocks.append(Block([Cell(text, f"paragraph {len(blocks) + 1}")]))
        elif tag == "tbl":
            table_id += 1
            table = Table(child, document)
            for r_index, row in enumerate(_grid_rows(child), start=1):
                cells, seen = [], set()
                for c_index, tc in enumerate(row, start=1):
                    if id(tc) in seen:
                        continue  # horizontally merged: the same cell repeated
                    seen.add(id(tc))
                    cell = _Cell(tc, table)
                    if _is_vmerge_continuation(cell):
                        continue
                    text = nfkc_spaces(cell.text.replace("\n", ""))
                    cells.append(Cell(text, f"table {table_id} row {r_index} col {c_index}", blank_in_grid=not text))
                if cells:
                    blocks.append(Block(cells, kind="table_row", table_id=table_id))
    return Document(blocks, fmt="docx")


def _grid_rows(tbl) -> Iterator[list]:
    """Each row's `w:tc` elements at their layout-grid positions, as python-docx's `_Row.cells` gives them (a
    horizontal span repeated, a vertical continuation as the cell it continues), in one pass: `_Row.cells` searches
    the rows above every merged cell, quadratic in the table's height (two thirds of a Word report's parse time)."""
    above: dict[int, object] = {}  # grid offset → the cell a continuation below it stands for
    for tr in tbl.tr_lst:
        here: dict[int, object] = {}
        offset, row = tr.grid_before, []
        for tc in tr.tc_lst:
            root = above.get(offset, tc) if tc.vMerge == "continue" else tc
            here[offset] = root
            row.extend([root] * root.grid_span)  # type: ignore[attr-defined]
            offset += tc.grid_span
        above = here
        yield row


def _is_vmerge_continuation(cell) -> bool:
    tc_pr = cell._tc.tcPr
    if tc_pr is None:
        return False
    vmerge = tc_pr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}vMerge")
    if vmerge is None:
        return False
    return vmerge.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") not in ("restart",)


def read_doc(data: bytes) -> Document:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise ReportError(
            "needs_libreoffice",
            "legacy .doc file: install LibreOffice (apt-get install libreoffice-writer) to convert it",
        )
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.doc"
        source.write_bytes(data)
        # a profile of its own: LibreOffice instances sharing one profile block each other (parallel parsing)
        profile = Path(tmp, "profile").as_uri()
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "docx",
                "--outdir",
                tmp,
                str(source),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        converted = Path(tmp) / "report.docx"
        if not converted.exists():
            raise ReportError("corrupt", "LibreOffice could not convert the .doc file")
        document = read_docx(converted.read_bytes())
        document.fmt = "doc"
        return document
