"""Turn a document into labelled rows: a label (possibly merged over several lines) and its value tokens.

Works the same for tab-separated PDF text, one-cell-per-line crawls, flattened crawls, HTML/PDF/Word grids.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from warehouse.catalogue import load_catalogue

from .model import Document
from .normalize import has_cjk, label_key, nfkc

_VALUE = re.compile(r"^\s*([+-]?\d[\d,]*(?:\.\d+)?)\s*(万元|元|件|项|个|条)?\s*$")
_DASH = re.compile(r"^\s*(?:-+|—+|–|/|／|无|－+|\\)\s*$")
# Inside free text: numbers, but not ordinals like "1." that start a label nor numbers inside words like 711号.
_INLINE_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:万元|元)?")
_NARRATIVE_MARKS = ("。", "；", "：“")
MAX_LABEL_CHARS = 60


@dataclass
class Token:
    kind: str  # label | num | blank | dash
    text: str
    where: str
    grid: bool = False


@dataclass
class Row:
    label_parts: list[str] = field(default_factory=list)
    values: list[Token] = field(default_factory=list)
    where: str = ""
    grid: bool = False

    @property
    def label(self) -> str:
        return label_key("".join(self.label_parts))

    @property
    def last_label(self) -> str:
        return label_key(self.label_parts[-1]) if self.label_parts else ""

    def numbers(self) -> list[Token]:
        return [t for t in self.values if t.kind == "num"]


@lru_cache(maxsize=65536)
def classify_cell(text: str) -> str:
    if not text.strip():
        return "blank"
    if _VALUE.match(nfkc(text)):
        return "num"
    if _DASH.match(text):
        return "dash"
    return "label"


@lru_cache(maxsize=65536)
def value_text(text: str) -> str:
    """The numeric part of a value cell, NFKC'd and without thousands separators."""
    match = _VALUE.match(nfkc(text))
    return match.group(1).replace(",", "") if match else nfkc(text).strip()


@lru_cache(maxsize=65536)
def value_unit(text: str) -> str | None:
    match = _VALUE.match(nfkc(text))
    return match.group(2) if match else None


def tokens_of(doc: Document) -> list[Token]:
    out: list[Token] = []
    for block in doc.blocks:
        is_grid = block.kind == "table_row" and len(block.cells) > 1
        for cell in block.cells:
            text = nfkc(cell.text)
            kind = classify_cell(text)
            if kind == "label" and not is_grid:
                out.extend(_free_text_tokens(text, cell.where))
            else:
                out.append(Token(kind, text, cell.where, grid=is_grid))
        out.append(Token("eol", "", ""))
    return out


_TABLE_ANCHORS = re.compile("|".join(map(re.escape, load_catalogue().raw["anchors"]["free_text"])))


def _free_text_tokens(text: str, where: str) -> list[Token]:
    """Sentences that carry table anchors are split into label/number tokens; the rest is narrative."""
    if not any(mark in text for mark in _NARRATIVE_MARKS):
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
        after = text[end:end + 1]
        before = text[start - 1:start] if start else ""
        # An ordinal ("1.属于…", "2.重复申请") belongs to the label that follows it; in a flattened
        # crawl the ordinal is glued to the previous row's digits ("00000002.其他…" = 0000000 + "2.").
        if after and after in ".、" and (end + 1 == len(text) or not text[end + 1].isdigit()):
            digits = match.group(0)
            if len(digits) > 1 and digits.isdigit():
                label = text[pos:start]
                if label.strip():
                    tokens.append(Token("label", label, where))
                tokens.append(Token("num", digits[:-1], where))
                pos = end - 1
            continue
        # Digits inside a word (年, 号, 月, 日, %, 第…) are narrative, not cell values.
        if after and (has_cjk(after) and after not in "三二一四五六七八九十行规信本上予部申第政") or after in "%％年月日号":
            continue
        if before and before in "第〔[":
            continue
        label = text[pos:start]
        if label.strip():
            tokens.append(Token("label", label, where))
        tokens.append(Token("num", match.group(0), where))
        pos = end
    tail = text[pos:]
    if tail.strip():
        tokens.append(Token("label", tail, where))
    return tokens


def is_narrative(text: str) -> bool:
    if any(mark in text for mark in _NARRATIVE_MARKS):
        return True
    return len(label_key(text)) > MAX_LABEL_CHARS and not _TABLE_ANCHORS.search(label_key(text))


def build_rows(tokens: list[Token]) -> list[Row]:
    """Group tokens into rows. Labels without values merge with the next label (wrapped or grouped labels)."""
    rows: list[Row] = []
    current = Row()

    def close() -> None:
        nonlocal current
        if current.label_parts or current.values:
            rows.append(current)
        current = Row()

    for token in tokens:
        if token.kind == "eol":
            continue
        if token.kind == "label":
            text = token.text
            if is_narrative(text):
                close()
                rows.append(Row([text], [], token.where))  # narrative: kept as a row with no values
                tail = re.split("[。；]", text)[-1]
                if tail.strip() and len(label_key(tail)) <= MAX_LABEL_CHARS:
                    current = Row([tail], [], token.where)
                continue
            if current.numbers():
                close()
            if not current.label_parts:
                current.where = token.where
            current.label_parts.append(text)
            current.grid = current.grid or token.grid
        else:
            current.values.append(token)
            current.grid = current.grid or token.grid
    close()
    return rows
