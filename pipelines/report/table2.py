"""Table 2 (主动公开): its start, its template version, and each row's values — a damaged row stays uncertain,
since table 2 has no identities to decide between readings."""

from __future__ import annotations

from catalogue import load_catalogue

from . import recovery
from .table_values import CellValue, Tables, header_unit, match_t2, parse_value, trim_blanks
from .tokens import Row, value_text


def t2_start(rows: list[Row], t3_start: int | None) -> int:
    limit = t3_start if t3_start is not None else len(rows)
    anchors = load_catalogue().raw["anchors"]["t2_start"]
    for i in range(limit):
        if any(a in rows[i].label for a in anchors):
            return i
    return limit


def _t2_version(rows: list[Row], year_hint: int | None) -> str | None:
    cat = load_catalogue()
    text = "".join(r.label for r in rows)
    scores = {v: sum(text.count(s) for s in signals) for v, signals in cat.version_signals("t2").items()}
    if not any(scores.values()):
        if not rows:
            return None
        return "v2019" if year_hint and year_hint < 2021 else "v2021"
    if scores["v2019"] == scores["v2021"]:
        return "v2019" if year_hint and year_hint < 2021 else "v2021"
    return max(scores, key=lambda version: scores[version])


def read_t2(rows: list[Row], result: Tables, year_hint: int | None) -> None:
    cat = load_catalogue()
    version = _t2_version(rows, year_hint)
    if version is None:
        return
    seen = set()
    for row in rows:
        if not row.values:
            continue
        row_def = match_t2(row.last_label) or match_t2(row.label)
        if row_def is None or row_def.row in seen:
            continue
        cells = [c for c in cat.t2_cells(version) if c.row == row_def.row]
        if not cells:
            continue
        seen.add(row_def.row)
        _assign_t2_row(row, cells, result)
    if seen:
        result.template["t2"] = version
        for c in cat.t2_cells(version):
            if c.row not in seen:
                result.cells[c.key] = CellValue(None, "missing", "", "", "row not printed")


def _assign_t2_row(row: Row, cells, result: Tables) -> None:
    width = len(cells)
    tokens = trim_blanks(row.values)
    if len(tokens) > width:
        tokens = [t for t in tokens if t.kind != "blank"] if row.grid else tokens
        if len(tokens) > width and all(t.kind == "blank" for t in tokens[width:]):
            tokens = tokens[:width]
    if len(tokens) == width:
        printed_header = header_unit(row.label_parts)
        for c, token in zip(cells, tokens, strict=False):
            cell = parse_value(token, c.signed, c.unit, printed_header, header_unit([c.col]))
            if any(t.dash_between_digits for t in tokens):
                cell.status = "uncertain"
                cell.note = "flattened row: a '-' between digits may be a sign or a separator"
            result.cells[c.key] = cell
        return
    numbers = [value_text(t.text) for t in tokens if t.kind == "num"]
    where = row.values[0].where if row.values else row.where
    raw = " ".join(t.text for t in tokens)
    candidates: list[list[int]] = []
    if len(numbers) == 1 and numbers[0].isdigit() and len(numbers[0]) >= width:
        candidates = recovery.digit_splits(numbers[0], width)
    elif 0 < len(numbers) < width and all(n.lstrip("+-").isdigit() for n in numbers):
        candidates = recovery.run_expansions([int(n) for n in numbers], width)
    candidates = recovery.unique(candidates)
    # Table 2 has no identities: nothing can make a reconstructed reading certain, however few readings there are.
    status = "uncertain"
    note = (
        f"{len(numbers)} values for {width} cells; {len(candidates)} possible readings, "
        "no identity in table 2 to decide"
    )
    if len(candidates) > 1 and result.narrative_numbers:
        # prefer the reading whose larger numbers the prose also states ("现行有效…698件")
        def support(candidate: list[int]) -> int:
            return sum(str(v) in result.narrative_numbers for v in candidate if v >= 10)

        best = max(support(c) for c in candidates)
        leaders = [c for c in candidates if support(c) == best]
        if best and len(leaders) == 1:
            candidates = leaders + [c for c in candidates if c is not leaders[0]]
            note += "; the prose states " + ", ".join(
                str(v) for v in leaders[0] if v >= 10 and str(v) in result.narrative_numbers
            )
    chosen = candidates[0] if candidates else [None] * width
    for c, value in zip(cells, chosen, strict=False):
        result.cells[c.key] = CellValue(value, status if value is not None else "uncertain", where, raw, note)
