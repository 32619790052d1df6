"""Turn a document into labelled rows: a label (possibly merged over several lines) and its value tokens.

Works the same for tab-separated PDF text, one-cell-per-line crawls, flattened crawls, HTML/PDF/Word grids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from catalogue import load_catalogue

from .model import Document
from .normalize import has_cjk, label_key, nfkc

MONEY_UNITS = ("亿元", "万元", "元", "万")  # "16 万": 万 alone is 万元 in an amount cell
MEASURE_WORDS = ("件", "项", "个", "条", "批", "次", "家")
_UNIT = "|".join(MONEY_UNITS + MEASURE_WORDS)
# A printed value: an optional 增/减 word or sign (also set apart by a space), the number, an optional unit or
# measure word, bare or in brackets ("2488(元)", "+ 14", "增 7", "3批"). Applied after NFKC.
_VALUE = re.compile(
    rf"^\s*(增加|减少|增|减)?\s*([+-]?)\s*(\d[\d,]*(?:\.\d+)?)\s*(?:\(\s*({_UNIT})\s*\)|({_UNIT}))?\s*$"
)
_UNIT_ONLY = re.compile(rf"^\s*(?:\(\s*({_UNIT})\s*\)|({_UNIT}))\s*$")
_SIGN_ONLY = re.compile(r"^\s*(\+|增加|减少|增|减)\s*$")
_DASH = re.compile(r"^\s*(?:-+|—+|–|/|／|无|－+|\\)\s*$")
# Inside free text: numbers, but not ordinals like "1." that start a label nor numbers inside words like 711号.
_INLINE_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:\s*\(?(?:亿元|万元|元)\)?)?")  # 万 alone: too common in prose
MAX_LABEL_CHARS = 60


@dataclass(slots=True)
class Token:
    kind: str  # label | num | blank | dash
    text: str
    where: str
    grid: bool = False
    dash_between_digits: bool = False  # "35-15" in a flattened row: a sign or a separator, nobody can tell


class Row:
    """A label (possibly merged from several lines or cells) and the value tokens that follow it."""

    __slots__ = ("label_parts", "values", "where", "grid", "_label", "_has_numbers")

    def __init__(
        self,
        label_parts: list[str] | None = None,
        values: list[Token] | None = None,
        where: str = "",
        grid: bool = False,
    ) -> None:
        self.label_parts = label_parts if label_parts is not None else []
        self.values = values if values is not None else []
        self.where = where
        self.grid = grid
        self._label: str | None = None
        self._has_numbers: bool | None = None

    @property
    def label(self) -> str:
        if self._label is None:
            self._label = label_key(self.label_parts[0] if len(self.label_parts) == 1 else "".join(self.label_parts))
        return self._label

    @property
    def last_label(self) -> str:
        return label_key(self.label_parts[-1]) if self.label_parts else ""

    def add_label(self, text: str) -> None:
        self.label_parts.append(text)
        self._label = None

    def add_value(self, token: Token) -> None:
        self.values.append(token)
        if token.kind == "num":
            self._has_numbers = True

    def set_values(self, tokens: list[Token]) -> None:
        self.values = tokens
        self._has_numbers = None

    def has_numbers(self) -> bool:
        if self._has_numbers is None:
            self._has_numbers = any(t.kind == "num" for t in self.values)
        return self._has_numbers

    def numbers(self) -> list[Token]:
        return [t for t in self.values if t.kind == "num"]


@lru_cache(maxsize=65536)
def classify_cell(text: str) -> str:
    if not text.strip():
        return "blank"
    normal = nfkc(text)
    if _VALUE.match(normal):
        return "num"
    if _DASH.match(text):
        return "dash"
    if _UNIT_ONLY.match(normal):
        return "unit"
    if _SIGN_ONLY.match(normal):
        return "sign"
    return "label"


@lru_cache(maxsize=65536)
def value_text(text: str) -> str:
    """The signed numeric part of a value cell, NFKC'd, without thousands separators, unit or measure word;
    增/增加 reads as +, 减/减少 as −."""
    match = _VALUE.match(nfkc(text))
    if not match:
        return nfkc(text).strip()
    word, sign, digits = match.group(1), match.group(2), match.group(3).replace(",", "")
    if word in ("减", "减少") and sign != "-":
        sign = "-"
    elif word and not sign:
        sign = "+"
    return sign + digits


@lru_cache(maxsize=65536)
def value_unit(text: str) -> str | None:
    """The unit or measure word printed with a value (元, 万元, 亿元, 件, 项 …), if any."""
    match = _VALUE.match(nfkc(text))
    return (match.group(4) or match.group(5)) if match else None


def rows_of(doc: Document) -> list[Row]:
    """Group the document's cells into rows. Labels without values merge with the next label (wrapped or
    grouped labels); prose sentences become rows without values."""
    builder = _RowBuilder()
    for block in doc.blocks:
        grid = block.kind == "table_row" and len(block.cells) > 1
        for cell in block.cells:
            text = cell.text if cell.text.isascii() else nfkc(cell.text)
            kind = classify_cell(text)
            if kind == "unit" and builder.attach_unit(text):
                continue  # "129323" then "元": the unit belongs to the number before it
            if kind == "sign":
                builder.pending_sign = (text.strip(), cell.where, grid)  # "+" or "增" then "14"
                continue
            if kind in ("unit", "sign") or kind == "dash" and builder.in_increase_header():
                kind = "label"
            if builder.pending_sign:
                builder.flush_sign(kind == "num")
            if kind == "num" and builder.signed_next:
                text, builder.signed_next = builder.signed_next + text.strip(), ""
            if kind != "label":
                builder.value(Token(kind, text, cell.where, grid))
            elif grid:
                builder.label(text, cell.where, True)
            else:
                for token in _free_text_tokens(text, cell.where):
                    if token.kind == "label":
                        builder.label(token.text, token.where, False)
                    else:
                        builder.value(token)
    return builder.finish()


class _RowBuilder:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.current = Row()
        self.pending_sign: tuple[str, str, bool] | None = None
        self.signed_next = ""

    def in_increase_header(self) -> bool:
        """The '/' of a header "本年增 / 减" split over cells is part of the header, not a blank value."""
        current = self.current
        return bool(current.label_parts) and not current.values and current.label_parts[-1].rstrip().endswith("增")

    def attach_unit(self, unit: str) -> bool:
        """Join a unit or measure word printed in its own cell to the number just before it."""
        values = self.current.values
        if values and values[-1].kind == "num" and value_unit(values[-1].text) is None:
            values[-1].text = values[-1].text.strip() + unit.strip()
            return True
        return False

    def flush_sign(self, before_number: bool) -> None:
        """A sign or 增/减 cell: the sign of the number that follows it, otherwise a label word."""
        word, where, grid = self.pending_sign  # pyright: ignore[reportGeneralTypeIssues] — called only with a sign pending
        self.pending_sign = None
        if before_number:
            self.signed_next = word
        else:
            self.label(word, where, grid)

    def close(self) -> None:
        if self.current.label_parts or self.current.values:
            self.rows.append(self.current)
        self.current = Row()

    def label(self, text: str, where: str, grid: bool) -> None:
        current = self.current
        if is_narrative(text):
            self.close()
            self.rows.append(Row([text], [], where))  # narrative: kept as a row with no values
            tail = _SENTENCE_END.split(text)[-1]
            if tail.strip() and len(label_key(tail)) <= MAX_LABEL_CHARS:
                self.current = Row([tail], [], where)
            return
        if current.has_numbers():
            self.close()
            current = self.current
        if not current.label_parts:
            current.where = where
        current.add_label(text)
        current.grid = current.grid or grid

    def value(self, token: Token) -> None:
        self.current.add_value(token)
        self.current.grid = self.current.grid or token.grid

    def finish(self) -> list[Row]:
        if self.pending_sign:
            self.flush_sign(False)
        self.close()
        return self.rows


_TABLE_ANCHORS = re.compile("|".join(map(re.escape, load_catalogue().raw["anchors"]["free_text"])))


def _free_text_tokens(text: str, where: str) -> list[Token]:
    """Sentences that carry table anchors are split into label/number tokens; the rest is narrative."""
    if not ("。" in text or "；" in text or "：“" in text):
        return _split_free_text(text, where)
    out: list[Token] = []
    for sentence in re.split(r"(?<=[。；])", text):
        if not sentence.strip():
            continue
        if _TABLE_ANCHORS.search(sentence):
            out.extend(_split_free_text(sentence, where))
        else:
            out.append(Token("label", sentence, where))
    return out


def _split_free_text(text: str, where: str) -> list[Token]:
    """Split a text cell like '规章000行政规范性文件8855698' or '行政许可 1708' into label and number tokens."""
    tokens: list[Token] = []
    pos = 0
    for match in _INLINE_NUMBER.finditer(text):
        start, end = match.span()
        # "2648-18538" in a flattened row: two values; the '-' may be the second one's sign (v2019 本年增/减) or
        # a separator. The token keeps it and says so; the table reader decides, and never claims certainty.
        ambiguous_dash = text[start] == "-" and start > 0 and text[start - 1].isdigit()
        after = text[end : end + 1]
        before = text[start - 1 : start] if start else ""
        # An ordinal ("1.属于…", "2.重复申请") belongs to the label that follows it; in a flattened
        # crawl the ordinal is glued to the previous row's digits ("00000002.其他…" = 0000000 + "2.").
        if after and after in ".、" and (end + 1 == len(text) or not text[end + 1].isdigit()):
            digits = text[start:end]
            if len(digits) > 1 and digits.isdigit():
                label = text[pos:start]
                if label.strip():
                    tokens.append(Token("label", label, where))
                tokens.append(Token("num", digits[:-1], where))
                pos = end - 1
            continue
        # Digits inside a word (年, 号, 月, 日, %, 第…) are narrative, not cell values.
        if after and (
            has_cjk(after) and after not in "三二一四五六七八九十行规信本上予部申第政" or after in "%％年月日号"
        ):
            continue
        if before and before in "第〔[":
            continue
        label = text[pos:start]
        if label.strip():
            tokens.append(Token("label", label, where))
        tokens.append(Token("num", text[start:end], where, dash_between_digits=ambiguous_dash))
        pos = end
    tail = text[pos:]
    if tail.strip():
        tokens.append(Token("label", tail, where))
    return tokens


_SENTENCE_END = re.compile("[。；]")


def is_narrative(text: str) -> bool:
    if "。" in text or "；" in text or "：“" in text:
        return True
    return len(label_key(text)) > MAX_LABEL_CHARS and not _TABLE_ANCHORS.search(label_key(text))
