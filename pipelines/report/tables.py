"""Table recognition: find tables 2, 3 and 4 by label anchors, detect each table's template version and
assign every value to its catalogue cell, recovering damaged rows only where the identities decide
(one module per table: table2, table3, table4; what they share: table_values)."""

from __future__ import annotations

from .table2 import read_t2, t2_start
from .table3 import read_t3, t3_bounds
from .table4 import read_t4
from .table_values import CellValue, Tables
from .tokens import Row

__all__ = ["CellValue", "Tables", "recognize"]


def recognize(rows: list[Row], year_hint: int | None = None, narrative_numbers: frozenset[str] = frozenset()) -> Tables:
    """`narrative_numbers`: numbers written in the report's prose, used only to choose among readings of a
    damaged table-2 row (which has no identities); such cells stay `uncertain`."""
    result = Tables()
    result.narrative_numbers = narrative_numbers
    t3_start, t3_end = t3_bounds(rows)
    t2_rows = rows[t2_start(rows, t3_start) : t3_start if t3_start is not None else len(rows)]
    read_t2(t2_rows, result, year_hint)
    if t3_start is not None and t3_end is not None:  # t3_bounds gives both or neither
        read_t3(rows[t3_start : t3_end + 1], result)
    t4_from = (t3_end + 1) if t3_end is not None else 0
    read_t4(rows[t4_from:], result)
    return result
