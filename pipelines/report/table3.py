"""Table 3 (申请): its rows by label, its version, positional values, and damaged rows recovered only where the
identities E1–E3 leave one reading; blanks become 0 only where a row total proves it."""

from __future__ import annotations

from itertools import product
from typing import cast

from catalogue import load_catalogue, t3_key

from . import identities, recovery
from .table_values import CellValue, Tables, match_t3, parse_value, row_name, trim_blanks, unsigned
from .tokens import Row, Token, value_text

T3_WIDTH = 7


def t3_bounds(rows: list[Row]) -> tuple[int | None, int | None]:
    start = next(
        (i for i, r in enumerate(rows) if r.has_numbers() and row_name(match_t3(r.label)) == "new_received"), None
    )
    if start is None:
        return None, None
    end = next(
        (
            i
            for i in range(start, len(rows))
            if rows[i].values and row_name(match_t3(rows[i].label)) == "carried_forward"
        ),
        None,
    )
    if end is None:  # truncated table: read up to the last row that still matches a table-3 label
        matched = [i for i in range(start, len(rows)) if rows[i].has_numbers() and match_t3(rows[i].label)]
        end = matched[-1] if matched else start
    return start, end


def read_t3(rows: list[Row], result: Tables) -> None:
    cat = load_catalogue()
    by_row: dict[str, Row] = {}
    for row in rows:
        row_def = match_t3(row.label)
        if row_def is None or not row.values:
            continue
        if row_def.row in by_row and not row.has_numbers():
            continue  # a label-only continuation line never overrides values
        if row_def.row not in by_row or not by_row[row_def.row].has_numbers():
            by_row[row_def.row] = row
    version = "v2021" if {"other_no_correction", "other_fee_unpaid"} & set(by_row) else "v2019"
    if version == "v2019" and "other_total" not in by_row and "other_other" in by_row:
        version = "v2021"
    result.template["t3"] = version
    _drop_organisation_subtotal(by_row, result)
    candidates: dict[str, list[list[int]] | None] = {}
    merged: set[str] = set()  # rows read by merging printed values (more values than cells)
    row_defs = cat.t3_data_rows(version)
    for row_def in row_defs:
        row = by_row.get(row_def.row)
        if row is None:
            result.missing_rows.append(f"t3.{row_def.row}")
            continue
        candidates[row_def.row] = _t3_row_candidates(row, row_def.row, result, merged)
    _solve_t3(candidates, by_row, result, version, merged)
    _finish_t3(result, version)


def _drop_organisation_subtotal(by_row: dict[str, Row], result: Tables) -> None:
    """Some schemas print an 8th column, 法人或其他组织小计, before or after 总计 (spec §4.1). It is dropped when most
    rows print 8 values and in at least four in five of them (three or more) it is the sum of the five 法人 columns
    (and 总计 that of 自然人 and it); a row where it is not keeps its printed values, and its own identities report
    what does not add up.
    Otherwise the rows are left to the usual recovery, whose identities decide."""
    printed = [row for row in by_row.values() if row.has_numbers()]
    eight = [row for row in printed if len(row.values) == T3_WIDTH + 1]
    if len(eight) < 3 or 2 * len(eight) < len(printed):
        return
    for subtotal, total, place in ((6, 7, "before"), (7, 6, "after")):
        fits = [row for row in eight if _is_organisation_subtotal(row.values, subtotal, total)]
        if len(fits) >= 3 and 5 * len(fits) >= 4 * len(eight):
            for row in eight:
                row.set_values([t for i, t in enumerate(row.values) if i != subtotal])
            result.notes.append(
                f"t3: an 8th column {place} 总计 is the sum of the five 法人或其他组织 columns in "
                f"{len(fits)} of the {len(eight)} rows that print it (法人或其他组织小计); read without it"
            )
            return


def _is_organisation_subtotal(tokens: list[Token], subtotal: int, total: int) -> bool:
    """Both extra cells printed (a trailing empty cell is no column), the subtotal the sum of the five 法人 columns
    and 总计 the sum of 自然人 and the subtotal."""
    if tokens[subtotal].kind != "num" or tokens[total].kind != "num":
        return False

    def number(token: Token) -> int | None:
        text = value_text(token.text) if token.kind == "num" else ""
        return int(text) if text.isdigit() else (0 if token.kind == "blank" else None)

    read = [number(t) for t in tokens]
    if None in read:
        return False
    values = cast("list[int]", read)
    return values[subtotal] == sum(values[1:6]) and values[total] == values[0] + values[subtotal]


def _t3_row_candidates(row: Row, row_key: str, result: Tables, merged: set[str]) -> list[list[int]] | None:
    """Positional values go straight into the result (None returned); damaged rows return candidates."""
    tokens = unsigned(trim_blanks(row.values))
    if len(tokens) > T3_WIDTH:
        non_blank = [t for t in tokens if t.kind != "blank"]
        if len(non_blank) == T3_WIDTH or len(non_blank) < T3_WIDTH and row.grid:
            tokens = non_blank
    if len(tokens) == T3_WIDTH:
        for key, token in zip(load_catalogue().t3_row_keys(row_key), tokens, strict=False):
            result.cells[key] = parse_value(token)
        return None
    numbers = [value_text(t.text) for t in tokens if t.kind == "num"]
    ints_ok = all(n.isdigit() for n in numbers)
    found: list[list[int]] = []
    if ints_ok and numbers:
        if len(numbers) > T3_WIDTH:
            found = recovery.merged_neighbours(numbers, T3_WIDTH) + _multi_merges(numbers, T3_WIDTH)
            merged.add(row_key)
        else:
            if len(numbers) == 1 and len(numbers[0]) >= T3_WIDTH:
                found += recovery.digit_splits(numbers[0], T3_WIDTH)
            found += recovery.run_expansions([int(n) for n in numbers], T3_WIDTH)
            found += recovery.dropped_blanks([int(n) for n in numbers], T3_WIDTH)
    row_sum = next(
        i for i in identities.of("E2", "v2019" if row_key == "other_total" else "v2021") if i.code == f"E2.{row_key}"
    )
    keys = load_catalogue().t3_row_keys(row_key)
    found = [c for c in recovery.unique(found) if row_sum.holds(dict(zip(keys, c, strict=False)).get)]
    result.notes.append(
        f"t3.{row_key}: {len(numbers)} values for 7 cells ({' '.join(numbers)}); {len(found)} readings satisfy E2"
    )
    row.set_values(tokens)
    return found


def _multi_merges(numbers: list[str], width: int) -> list[list[int]]:
    from itertools import combinations

    extra = len(numbers) - width
    if extra < 2 or extra > 3:
        return []
    out = []
    for gaps in combinations(range(len(numbers) - 1), extra):
        merged, current = [], numbers[0]
        for i in range(1, len(numbers)):
            if i - 1 in gaps:
                current += numbers[i]
            else:
                merged.append(current)
                current = numbers[i]
        merged.append(current)
        if len(merged) == width:
            out.append([int(v) for v in merged])
    return out


def _solve_t3(candidates: dict, by_row: dict, result: Tables, version: str, merged: set[str]) -> None:
    """Pick, for every damaged row, the reading that makes the column identities E1 and E3 hold. A row read by
    merging two of its printed values is certain only when a column identity checked it: its own sum (E2) can
    fit a wrong merge — the extra value may be a column the template does not have."""
    cat = load_catalogue()
    damaged = {k: v for k, v in candidates.items() if v is not None}
    if not damaged:
        return
    keys = list(damaged)
    options = [damaged[k] or [None] for k in keys]
    size = 1
    for o in options:
        size *= len(o)
    fitting = []
    if size <= 50000:
        for combo in product(*options):
            trial = dict(zip(keys, combo, strict=False))
            if _columns_hold(trial, result, version):
                fitting.append(combo)
    for i, key in enumerate(keys):
        readings = {combo[i] and tuple(combo[i]) for combo in fitting} if fitting else {tuple(c) for c in damaged[key]}
        readings.discard(None)
        row = by_row[key]
        where = row.values[0].where if row.values else row.where
        raw = " ".join(t.text for t in row.values)
        trial = dict(zip(keys, fitting[0], strict=False)) if fitting else {key: next(iter(readings), None)}
        checked = len(readings) == 1 and _checked_by_a_column(key, trial, result, version)
        if len(readings) == 1 and (checked or key not in merged):
            status, chosen = "imputed", list(next(iter(readings)))
            note = (
                "damaged row; the identities leave one reading"
                if checked
                else "damaged row; one reading fits its row sum (no column identity could check it)"
            )
        elif len(readings) == 1:
            status, chosen = "uncertain", list(next(iter(readings)))
            note = "merged values; one reading fits its row sum, but no column identity could check it"
        else:
            status = "uncertain"
            chosen = list(sorted(readings)[0]) if readings else [None] * T3_WIDTH
            note = f"damaged row; {len(readings)} readings fit the identities"
        for cell_key, value in zip(cat.t3_row_keys(key), chosen, strict=False):
            result.cells[cell_key] = CellValue(value, status if value is not None else "uncertain", where, raw, note)


def _columns_hold(trial: dict, result: Tables, version: str) -> bool:
    """Do the column identities (E1, E3) hold with these readings of the damaged rows? Columns with a cell not
    read are not judged."""
    value = _values_with(trial, result)
    return all(i.holds(value) is not False for i in _column_identities(version))


def _checked_by_a_column(row: str, trial: dict, result: Tables, version: str) -> bool:
    """Did at least one column identity (E1, E3) through this row's cells hold, i.e. actually check its reading?"""
    value = _values_with(trial, result)
    cells = set(load_catalogue().t3_row_keys(row))
    return any(cells & set(i.cells) and i.holds(value) for i in _column_identities(version))


def _column_identities(version: str) -> list:
    return [i for i in identities.instances(version, False) if i.code[:2] in ("E1", "E3")]


def _values_with(trial: dict, result: Tables):
    """Cell values with the damaged rows read as in `trial` (row → its seven values, or None)."""
    rows_of_key = {t3_key(row, col): (row, ci) for row in trial for ci, col in enumerate(load_catalogue().t3_columns)}

    def value(key: str):
        if key in rows_of_key:
            row, ci = rows_of_key[key]
            return trial[row][ci] if trial[row] is not None else None
        cell = result.cells.get(key)
        return cell.value if cell else None

    return value


def _finish_t3(result: Tables, version: str) -> None:
    """Blank cells become 0 only where the row total proves it; a blank total is derived from its parts."""
    cat = load_catalogue()
    cols = cat.t3_columns
    for row_def in cat.t3_data_rows(version):
        found = [result.cells.get(k) for k in cat.t3_row_keys(row_def.row)]
        if any(c is None for c in found):
            continue
        cells = cast("list[CellValue]", found)
        parts, total = cells[:6], cells[6]
        known = [c.value for c in parts if c.value is not None]
        if total.value is not None and len(known) < 6 and sum(known) == total.value:
            for c in parts:
                if c.value is None:
                    c.value, c.status, c.note = 0, "imputed", "blank cell; row total proves 0"
        elif total.value is None and len(known) == 6:
            total.value, total.status, total.note = sum(known), "derived", "blank total; sum of the applicant columns"
    if version == "v2021":
        children = ["other_no_correction", "other_fee_unpaid", "other_other"]
        for col in cols:
            cells = [result.cells.get(t3_key(r, col)) for r in children]
            values = [c.value for c in cells if c is not None and c.value is not None]
            if len(values) == len(children):
                result.cells[t3_key("other_total", col)] = CellValue(
                    sum(values), "derived", "", "", "sum of （六） sub-rows"
                )
