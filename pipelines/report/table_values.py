"""What tables 2, 3 and 4 share: a read cell (value, status, where it was printed), the recognised tables, label
matching against the catalogue's rows, and how one printed cell is read (units of amounts, blanks, dashes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from catalogue import RowDef, load_catalogue

from .normalize import nfkc
from .tokens import Token, value_text, value_unit


@dataclass
class CellValue:
    value: float | int | None
    status: str  # ok | derived | imputed | uncertain | missing
    source: str = ""
    raw: str = ""
    note: str = ""


@dataclass
class Tables:
    template: dict = field(default_factory=lambda: {"t2": None, "t3": None, "t4": None})
    narrative_numbers: frozenset = frozenset()
    cells: dict[str, CellValue] = field(default_factory=dict)
    missing_rows: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _latest_match(label: str, rows: list[RowDef]) -> RowDef | None:
    best, best_pos = None, -1
    for row in rows:
        for pattern in row.match:
            if getattr(row, "match_exact_end", False):
                pos = len(label) - len(pattern) if label.endswith(pattern) else -1
            else:
                pos = label.rfind(pattern)
            if pos >= 0 and (pos + len(pattern) > best_pos):
                best, best_pos = row, pos + len(pattern)
    return best


@lru_cache(maxsize=16384)
def match_t3(label: str) -> RowDef | None:
    return _latest_match(label, load_catalogue().t3_rows)


@lru_cache(maxsize=16384)
def match_t2(label: str) -> RowDef | None:
    return _latest_match(label, load_catalogue().t2_rows)


def _num(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def parse_value(
    token: Token,
    signed: bool = False,
    unit: str | None = None,
    header_unit: str | None = None,
    default_unit: str | None = None,
) -> CellValue:
    value, status, note = _reading(token.kind, token.text, signed, unit, header_unit, default_unit)
    return CellValue(value, status, token.where, token.text, note)


TO_WAN_YUAN = {"元": 0.0001, "万元": 1, "万": 1, "亿元": 10000}
_HEADER_UNIT = re.compile(r"单位[:：]?\s*\(?\s*(亿元|万元|元)|\(\s*(亿元|万元|元)\s*\)")


def header_unit(label_parts: list[str]) -> str | None:
    """The money unit a row's header or label prints ("本年收费金额(单位:万元)", "采购总金额 ( 单位：元 )"); the
    last one, nearest the values, when several are printed."""
    found = _HEADER_UNIT.findall(nfkc("".join(label_parts)).replace(" ", ""))
    return (found[-1][0] or found[-1][1]) if found else None


@lru_cache(maxsize=16384)
def _reading(
    kind: str, text: str, signed: bool, unit: str | None = None, header: str | None = None, default: str | None = None
) -> tuple[float | int | None, str, str]:
    """(value, status, note) of one printed cell. `unit` is the catalogue's unit of the cell; an amount is
    converted to it from the unit printed in the cell, else in the row's header, else the template's own."""
    if kind != "num":
        return None, "missing", "blank" if kind == "blank" else "dash"
    value = _num(value_text(text))
    printed = value_unit(text)
    if value < 0 and not signed:
        return None, "uncertain", "negative value in an unsigned cell"
    if unit not in TO_WAN_YUAN:
        if printed in TO_WAN_YUAN:
            return value, "uncertain", f"an amount unit ({printed}) printed in a count cell"
        return value, "ok", ""
    source, where = (
        (printed, "the cell")
        if printed in TO_WAN_YUAN
        else (header, "the header")
        if header
        else (default, "the template")
    )
    if source is None and value == 0:
        return value, "ok", "0 in any unit"
    if source is None:
        return value, "uncertain", f"no unit printed for this amount; read as {unit}, but it may be 元"
    if printed and printed not in TO_WAN_YUAN:
        return value, "uncertain", f"a measure word ({printed}) printed with an amount"
    factor = TO_WAN_YUAN[source] / TO_WAN_YUAN[unit]
    if factor == 1:
        return value, "ok", f"unit {source} from {where}"
    return round(float(value) * factor, 6), "ok", f"{value} {source} (unit from {where}) × {factor:g} → {unit}"


def row_name(row_def) -> str | None:
    return row_def.row if row_def else None


def unsigned(tokens: list[Token]) -> list[Token]:
    """Tables 3 and 4 hold no signed cells: a '-' between the digits of a flattened row separates two values."""
    return [Token(t.kind, t.text.lstrip("-"), t.where, t.grid) if t.dash_between_digits else t for t in tokens]


def trim_blanks(tokens: list[Token]) -> list[Token]:
    start, end = 0, len(tokens)
    while start < end and tokens[start].kind == "blank":
        start += 1
    while end > start and tokens[end - 1].kind == "blank":
        end -= 1
    return tokens[start:end]
