"""Text normalisation shared by every reader and matcher (spec §8.0)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = str.maketrans("", "", "“”\"'‘’「」")


def _nfkc_table() -> dict[str, str]:
    """Each Basic-Multilingual-Plane character that NFKC changes, with what it becomes."""
    table = {}
    for code in range(0x80, 0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        normal = unicodedata.normalize("NFKC", char)
        if normal != char:
            table[char] = normal
    return table


def _character_class(chars) -> re.Pattern:
    codes = sorted(map(ord, chars))
    ranges, start, previous = [], codes[0], codes[0]
    for code in codes[1:] + [-1]:
        if code != previous + 1:
            ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous > start else ""))
            start = code
        previous = code
    return re.compile("[" + "".join(ranges) + "]")


_NFKC_TABLE = _nfkc_table()
_NFKC_CHANGES = _character_class(_NFKC_TABLE)


def _nfkc_char(match: re.Match) -> str:
    return _NFKC_TABLE[match.group()]


def nfkc_spaces(text: str) -> str:
    """Runs of whitespace (line breaks inside a table cell included) as one space."""
    return " ".join(text.split())


def nfkc(text: str) -> str:
    """NFKC (full-width forms to ASCII, compatibility characters to their plain forms).

    Replacing each character by its own NFKC form gives a text compatibility-equivalent to the input; when
    that text is already in NFKC it *is* the NFKC of the input. CPython's normalize() is ~5x slower than one
    regular-expression pass, so it only runs for the rare text where characters combine."""
    if text.isascii():
        return text
    if len(text) < 80:
        return _nfkc_short(text)
    return _nfkc_long(text)


def _nfkc_long(text: str) -> str:
    if unicodedata.is_normalized("NFKC", text):
        return text
    mapped = _NFKC_CHANGES.sub(_nfkc_char, text)
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", mapped)


@lru_cache(maxsize=65536)
def _nfkc_short(text: str) -> str:
    return _nfkc_long(text)


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """Canonical form for matching labels: NFKC, no whitespace, no quotes."""
    return "".join(nfkc(text).split()).translate(_QUOTES).replace("〔", "[").replace("〕", "]")


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def has_cjk(text: str) -> bool:
    return any(is_cjk(c) for c in text)
