"""Spreadsheets (.xlsx, .xls, WPS .et) some bodies publish their report tables in, read with calamine: each sheet's
rows in order; a row with one filled cell is a line of text, other rows are table rows (a merged range counts once,
at its top-left cell, as Word's merged cells do), consecutive table rows one table."""

from __future__ import annotations

import io

from .errors import ReportError
from .model import Block, Cell, Document
from .normalize import nfkc_spaces


def read_sheets(data: bytes) -> Document:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ReportError("corrupt", f"the spreadsheet cannot be opened ({type(exc).__name__})") from exc
    blocks: list[Block] = []
    table_id = 0
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        covered = _covered(sheet)
        in_table = False
        for r, row in enumerate(sheet.to_python(skip_empty_area=False), start=1):
            cells = [(c, _text(v)) for c, v in enumerate(row, start=1) if (r - 1, c - 1) not in covered]
            while cells and not cells[-1][1]:
                cells.pop()
            filled = [text for _, text in cells if text]
            if not filled:
                in_table = False
                continue
            if len(filled) == 1 and len(cells) == 1:
                blocks.append(Block([Cell(filled[0], f"sheet {name} row {r}")]))
                in_table = False
                continue
            if not in_table:
                table_id += 1
                in_table = True
            blocks.append(
                Block(
                    [Cell(text, f"sheet {name} row {r} col {c}", blank_in_grid=not text) for c, text in cells],
                    kind="table_row",
                    table_id=table_id,
                )
            )
    if not blocks:
        raise ReportError("empty", "the spreadsheet has no filled cells")
    return Document(blocks, fmt="sheet")


def _covered(sheet) -> set[tuple[int, int]]:
    """Cells inside a merged range other than its top-left one (0-based row, column)."""
    covered = set()
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
    return covered


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfkc_spaces(str(value))
