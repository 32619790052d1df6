"""The normalised document model every reader produces.

A document is an ordered list of blocks. A block is a row of cells: a paragraph of text is a one-cell row,
a table row is a row of cells with row/colspans already resolved (a spanned cell appears once, at its
first position; `span_filler` marks the positions it covers). Provenance travels with every cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Cell:
    text: str
    where: str  # human-readable provenance, e.g. "line 57" or "table 2 row 4 col 3" or "page 3 table 1 r5c2"
    blank_in_grid: bool = False  # an empty cell of a real grid (kept distinct from "absent")


@dataclass(slots=True)
class Block:
    cells: list[Cell]
    kind: str = "text"  # text | table_row
    table_id: int | None = None
    _text: str | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:  # blocks are not changed once a reader has built them
        if self._text is None:
            self._text = self.cells[0].text if len(self.cells) == 1 else "\t".join(c.text for c in self.cells)
        return self._text


@dataclass
class Document:
    blocks: list[Block]
    fmt: str  # txt | html | pdf | docx
    title: str = ""
    meta: dict = field(default_factory=dict)  # e.g. published_at from the page, page count, encoding

    def full_text(self) -> str:
        return "\n".join(b.text for b in self.blocks)

    def head_text(self, blocks: int = 80) -> str:
        """The first blocks, NFKC-normalised, computed once (metadata rules all look here)."""
        if "_head_texts" not in self.meta:
            from .normalize import nfkc

            self.meta["_head_texts"] = [nfkc(b.text) for b in self.blocks[:80]]
        return " ".join(self.meta["_head_texts"][:blocks])
