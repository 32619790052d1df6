"""Table 4 (复议/诉讼): one row of 15 values or three sub-tables of five, recovered only where E6 decides."""

from __future__ import annotations

from functools import lru_cache

from catalogue import load_catalogue

from . import identities, recovery
from .table_values import CellValue, Tables, parse_value, trim_blanks, unsigned
from .tokens import Row, value_text

T4_WIDTH = 15


def read_t4(rows: list[Row], result: Tables) -> None:
    cat = load_catalogue()
    keys = cat.t4_keys()
    anchors = cat.raw["anchors"]["t4_header"]
    for index, row in enumerate(rows):
        if not row.has_numbers() or not any(a in row.label for a in anchors):
            continue
        if _read_t4_parts(rows[index : index + 3], result, keys):
            return
        tokens = unsigned(trim_blanks(row.values))
        if len(tokens) > T4_WIDTH and row.grid:
            tokens = (
                [t for t in tokens if t.kind != "blank"]
                if len([t for t in tokens if t.kind != "blank"]) >= T4_WIDTH
                else tokens
            )
        # Table 4 is identical in both formats; it carries the version of the report's other tables.
        result.template["t4"] = result.template.get("t2") or result.template.get("t3") or "v2021"
        if len(tokens) == T4_WIDTH:
            for key, token in zip(keys, tokens, strict=False):
                result.cells[key] = parse_value(token)
            return
        numbers = [value_text(t.text) for t in tokens if t.kind == "num"]
        found: list[list[int]] = []
        if all(n.isdigit() for n in numbers):
            if len(numbers) > T4_WIDTH:
                found = [
                    numbers_
                    for numbers_ in (
                        [int(v) for v in numbers[i : i + T4_WIDTH]] for i in range(len(numbers) - T4_WIDTH + 1)
                    )
                ]
                found += recovery.merged_neighbours(numbers, T4_WIDTH)
            else:
                found = recovery.run_expansions([int(n) for n in numbers], T4_WIDTH)
        found = [c for c in recovery.unique(found) if _t4_holds(c)]
        status = "imputed" if len(found) == 1 else "uncertain"
        chosen = found[0] if found else [None] * T4_WIDTH
        note = f"{len(numbers)} values for 15 cells; {len(found)} readings satisfy E6"
        result.notes.append(f"t4: {note}")
        for key, value in zip(keys, chosen, strict=False):
            result.cells[key] = CellValue(value, status, row.values[0].where, " ".join(numbers), note)
        return
    result.missing_rows.append("t4")


T4_PART_WIDTH = 5


@lru_cache(maxsize=1)
def _t4_part_words() -> tuple[tuple[str, str], ...]:
    """(word, group): the words that name each group's own small table, from the catalogue."""
    return tuple((g["match"], g["group"]) for g in load_catalogue().raw["t4"]["groups"])


def _read_t4_parts(rows: list[Row], result: Tables, keys: list[str]) -> bool:
    """Table 4 printed as three small tables (行政复议 / 未经复议直接起诉 / 复议后起诉), five values each: the
    group of each comes from its own header, so their order does not matter."""
    if len(rows) < 3 or any(len(trim_blanks(r.values)) != T4_PART_WIDTH for r in rows):
        return False
    groups = [next((group for word, group in _t4_part_words() if word in _own_header(r)), None) for r in rows]
    if sorted(g for g in groups if g) != ["lit_after_review", "lit_direct", "review"]:
        return False
    result.template["t4"] = result.template.get("t2") or result.template.get("t3") or "v2021"
    for row, group in zip(rows, groups, strict=False):
        for key, token in zip(
            [k for k in keys if k.startswith(f"t4_{group}_")], unsigned(trim_blanks(row.values)), strict=False
        ):
            result.cells[key] = parse_value(token)
    result.notes.append("t4: printed as three sub-tables")
    return True


def _own_header(row: Row) -> str:
    """The label parts that name this sub-table: from the last group word on (earlier parts may be the tail of
    the previous sub-table or the table's title)."""
    label = row.label
    starts = [label.rfind(word) for word, _ in _t4_part_words()]
    return label[max(starts) :] if max(starts) >= 0 else label


def _t4_holds(values: list[int]) -> bool:
    cells = dict(zip(load_catalogue().t4_keys(), values, strict=False))
    return all(i.holds(cells.get) for i in identities.of("E6"))
