"""Text normalisation shared by every reader and matcher (spec §8.0)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"\s+")
_QUOTES = str.maketrans("", "", "“”\"'‘’「」")


def nfkc(text: str) -> str:
    if text.isascii():
        return text
    if len(text) < 80:
        return _nfkc_short(text)
    if unicodedata.is_normalized("NFKC", text) and "\u00a0" not in text:
        return text
    return unicodedata.normalize("NFKC", text).replace("\u00a0", " ")


@lru_cache(maxsize=65536)
def _nfkc_short(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u00a0", " ")


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """Canonical form for matching labels: NFKC, no whitespace, no quotes."""
    return _WS.sub("", nfkc(text)).translate(_QUOTES).replace("〔", "[").replace("〕", "]")


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def has_cjk(text: str) -> bool:
    return any(is_cjk(c) for c in text)
