"""Table recognition: find tables 2, 3 and 4 by label anchors, detect each table's template version and
assign every value to its catalogue cell, recovering damaged rows only where the identities decide."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

from warehouse.catalogue import load_catalogue, t3_key

from . import identities, recovery
from .normalize import nfkc
from .tokens import Row, Token, value_text, value_unit

T3_WIDTH = 7
T4_WIDTH = 15


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


# ------------------------------------------------------------------ matching
def _latest_match(label: str, rows) -> object | None:
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
def match_t3(label: str):
    return _latest_match(label, load_catalogue().t3_rows)


@lru_cache(maxsize=16384)
def match_t2(label: str):
    return _latest_match(label, load_catalogue().t2_rows)


def _num(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _parse_value(token: Token, signed: bool = False, unit: str | None = None, header_unit: str | None = None,
                 default_unit: str | None = None) -> CellValue:
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
def _reading(kind: str, text: str, signed: bool, unit: str | None = None, header: str | None = None,
             default: str | None = None) -> tuple[float | int | None, str, str]:
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
    source, where = (printed, "the cell") if printed in TO_WAN_YUAN else (header, "the header") if header else (default, "the template")
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


# ------------------------------------------------------------------ entry point
def recognize(rows: list[Row], year_hint: int | None = None, narrative_numbers: frozenset[str] = frozenset()) -> Tables:
    """`narrative_numbers`: numbers written in the report's prose, used only to choose among readings of a
    damaged table-2 row (which has no identities); such cells stay `uncertain`."""
    result = Tables()
    result.narrative_numbers = narrative_numbers
    t3_start, t3_end = _t3_bounds(rows)
    t2_rows = rows[_t2_start(rows, t3_start):t3_start if t3_start is not None else len(rows)]
    _read_t2(t2_rows, result, year_hint)
    if t3_start is not None:
        _read_t3(rows[t3_start:t3_end + 1], result)
    t4_from = (t3_end + 1) if t3_end is not None else 0
    _read_t4(rows[t4_from:], result)
    return result


def _t3_bounds(rows: list[Row]) -> tuple[int | None, int | None]:
    start = next((i for i, r in enumerate(rows) if r.has_numbers() and _key(match_t3(r.label)) == "new_received"), None)
    if start is None:
        return None, None
    end = next((i for i in range(start, len(rows)) if rows[i].values and _key(match_t3(rows[i].label)) == "carried_forward"), None)
    if end is None:  # truncated table: read up to the last row that still matches a table-3 label
        matched = [i for i in range(start, len(rows)) if rows[i].has_numbers() and match_t3(rows[i].label)]
        end = matched[-1] if matched else start
    return start, end


def _t2_start(rows: list[Row], t3_start: int | None) -> int:
    limit = t3_start if t3_start is not None else len(rows)
    anchors = load_catalogue().raw["anchors"]["t2_start"]
    for i in range(limit):
        if any(a in rows[i].label for a in anchors):
            return i
    return limit


def _key(row_def) -> str | None:
    return row_def.row if row_def else None


# ------------------------------------------------------------------ table 2
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
    return max(scores, key=scores.get)


def _read_t2(rows: list[Row], result: Tables, year_hint: int | None) -> None:
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
    tokens = _trim_blanks(row.values)
    if len(tokens) > width:
        tokens = [t for t in tokens if t.kind != "blank"] if row.grid else tokens
        if len(tokens) > width and all(t.kind == "blank" for t in tokens[width:]):
            tokens = tokens[:width]
    if len(tokens) == width:
        printed_header = header_unit(row.label_parts)
        for c, token in zip(cells, tokens):
            cell = _parse_value(token, c.signed, c.unit, printed_header, header_unit([c.col]))
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
    note = (f"{len(numbers)} values for {width} cells; {len(candidates)} possible readings, "
            "no identity in table 2 to decide")
    if len(candidates) > 1 and result.narrative_numbers:
        # prefer the reading whose larger numbers the prose also states ("现行有效…698件")
        def support(candidate: list[int]) -> int:
            return sum(str(v) in result.narrative_numbers for v in candidate if v >= 10)

        best = max(support(c) for c in candidates)
        leaders = [c for c in candidates if support(c) == best]
        if best and len(leaders) == 1:
            candidates = leaders + [c for c in candidates if c is not leaders[0]]
            note += "; the prose states " + ", ".join(str(v) for v in leaders[0] if v >= 10 and str(v) in result.narrative_numbers)
    chosen = candidates[0] if candidates else [None] * width
    for c, value in zip(cells, chosen):
        result.cells[c.key] = CellValue(value, status if value is not None else "uncertain", where, raw, note)


def _unsigned(tokens: list[Token]) -> list[Token]:
    """Tables 3 and 4 hold no signed cells: a '-' between the digits of a flattened row separates two values."""
    return [Token(t.kind, t.text.lstrip("-"), t.where, t.grid) if t.dash_between_digits else t for t in tokens]


def _trim_blanks(tokens: list[Token]) -> list[Token]:
    start, end = 0, len(tokens)
    while start < end and tokens[start].kind == "blank":
        start += 1
    while end > start and tokens[end - 1].kind == "blank":
        end -= 1
    return tokens[start:end]


# ------------------------------------------------------------------ table 3
def _read_t3(rows: list[Row], result: Tables) -> None:
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
    candidates: dict[str, list[list[int]]] = {}
    row_defs = cat.t3_data_rows(version)
    for row_def in row_defs:
        row = by_row.get(row_def.row)
        if row is None:
            result.missing_rows.append(f"t3.{row_def.row}")
            continue
        candidates[row_def.row] = _t3_row_candidates(row, row_def.row, result)
    _solve_t3(candidates, by_row, result, version)
    _finish_t3(result, version)


def _t3_row_candidates(row: Row, row_key: str, result: Tables) -> list[list[int]] | None:
    """Positional values go straight into the result (None returned); damaged rows return candidates."""
    tokens = _unsigned(_trim_blanks(row.values))
    if len(tokens) > T3_WIDTH:
        non_blank = [t for t in tokens if t.kind != "blank"]
        if len(non_blank) == T3_WIDTH or len(non_blank) < T3_WIDTH and row.grid:
            tokens = non_blank
    if len(tokens) == T3_WIDTH:
        for key, token in zip(load_catalogue().t3_row_keys(row_key), tokens):
            result.cells[key] = _parse_value(token)
        return None
    numbers = [value_text(t.text) for t in tokens if t.kind == "num"]
    ints_ok = all(n.isdigit() for n in numbers)
    found: list[list[int]] = []
    if ints_ok and numbers:
        if len(numbers) > T3_WIDTH:
            found = recovery.merged_neighbours(numbers, T3_WIDTH) + _multi_merges(numbers, T3_WIDTH)
        else:
            if len(numbers) == 1 and len(numbers[0]) >= T3_WIDTH:
                found += recovery.digit_splits(numbers[0], T3_WIDTH)
            found += recovery.run_expansions([int(n) for n in numbers], T3_WIDTH)
            found += recovery.dropped_blanks([int(n) for n in numbers], T3_WIDTH)
    row_sum = next(i for i in identities.of("E2", "v2019" if row_key == "other_total" else "v2021")
                   if i.code == f"E2.{row_key}")
    keys = load_catalogue().t3_row_keys(row_key)
    found = [c for c in recovery.unique(found) if row_sum.holds(dict(zip(keys, c)).get)]
    result.notes.append(f"t3.{row_key}: {len(numbers)} values for 7 cells ({' '.join(numbers)}); {len(found)} readings satisfy E2")
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


def _solve_t3(candidates: dict, by_row: dict, result: Tables, version: str) -> None:
    """Pick, for every damaged row, the reading that makes the column identities E1 and E3 hold."""
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
            trial = dict(zip(keys, combo))
            if _columns_hold(trial, result, version):
                fitting.append(combo)
    for i, key in enumerate(keys):
        readings = {combo[i] and tuple(combo[i]) for combo in fitting} if fitting else {tuple(c) for c in damaged[key]}
        readings.discard(None)
        row = by_row[key]
        where = row.values[0].where if row.values else row.where
        raw = " ".join(t.text for t in row.values)
        if len(readings) == 1:
            status, chosen = "imputed", list(next(iter(readings)))
            note = "damaged row; the identities leave one reading"
        else:
            status = "uncertain"
            chosen = list(sorted(readings)[0]) if readings else [None] * T3_WIDTH
            note = f"damaged row; {len(readings)} readings fit the identities"
        for cell_key, value in zip(cat.t3_row_keys(key), chosen):
            result.cells[cell_key] = CellValue(value, status if value is not None else "uncertain", where, raw, note)


def _columns_hold(trial: dict, result: Tables, version: str) -> bool:
    """Do the column identities (E1, E3) hold with these readings of the damaged rows? Columns with a cell not
    read are not judged."""
    cat = load_catalogue()
    rows_of_key = {t3_key(row, col): (row, ci) for row in trial for ci, col in enumerate(cat.t3_columns)}

    def value(key: str):
        if key in rows_of_key:
            row, ci = rows_of_key[key]
            return trial[row][ci] if trial[row] is not None else None
        cell = result.cells.get(key)
        return cell.value if cell else None

    return all(i.holds(value) is not False for i in identities.instances(version, False) if i.code[:2] in ("E1", "E3"))


def _finish_t3(result: Tables, version: str) -> None:
    """Blank cells become 0 only where the row total proves it; a blank total is derived from its parts."""
    cat = load_catalogue()
    cols = cat.t3_columns
    for row_def in cat.t3_data_rows(version):
        cells = [result.cells.get(k) for k in cat.t3_row_keys(row_def.row)]
        if any(c is None for c in cells):
            continue
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
            parts = [result.cells.get(t3_key(r, col)) for r in children]
            if all(p is not None and p.value is not None for p in parts):
                result.cells[t3_key("other_total", col)] = CellValue(
                    sum(p.value for p in parts), "derived", "", "", "sum of （六） sub-rows")


# ------------------------------------------------------------------ table 4
def _read_t4(rows: list[Row], result: Tables) -> None:
    cat = load_catalogue()
    keys = cat.t4_keys()
    anchors = cat.raw["anchors"]["t4_header"]
    for index, row in enumerate(rows):
        if not row.has_numbers() or not any(a in row.label for a in anchors):
            continue
        if _read_t4_parts(rows[index:index + 3], result, keys):
            return
        tokens = _unsigned(_trim_blanks(row.values))
        if len(tokens) > T4_WIDTH and row.grid:
            tokens = [t for t in tokens if t.kind != "blank"] if len([t for t in tokens if t.kind != "blank"]) >= T4_WIDTH else tokens
        # Table 4 is identical in both formats; it carries the version of the report's other tables.
        result.template["t4"] = result.template.get("t2") or result.template.get("t3") or "v2021"
        if len(tokens) == T4_WIDTH:
            for key, token in zip(keys, tokens):
                result.cells[key] = _parse_value(token)
            return
        numbers = [value_text(t.text) for t in tokens if t.kind == "num"]
        found: list[list[int]] = []
        if all(n.isdigit() for n in numbers):
            if len(numbers) > T4_WIDTH:
                found = [numbers_ for numbers_ in (
                    [int(v) for v in numbers[i:i + T4_WIDTH]] for i in range(len(numbers) - T4_WIDTH + 1))]
                found += recovery.merged_neighbours(numbers, T4_WIDTH)
            else:
                found = recovery.run_expansions([int(n) for n in numbers], T4_WIDTH)
        found = [c for c in recovery.unique(found) if _t4_holds(c)]
        status = "imputed" if len(found) == 1 else "uncertain"
        chosen = found[0] if found else [None] * T4_WIDTH
        note = f"{len(numbers)} values for 15 cells; {len(found)} readings satisfy E6"
        result.notes.append(f"t4: {note}")
        for key, value in zip(keys, chosen):
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
    if len(rows) < 3 or any(len(_trim_blanks(r.values)) != T4_PART_WIDTH for r in rows):
        return False
    groups = [next((group for word, group in _t4_part_words() if word in _own_header(r)), None) for r in rows]
    if sorted(g for g in groups if g) != ["lit_after_review", "lit_direct", "review"]:
        return False
    result.template["t4"] = result.template.get("t2") or result.template.get("t3") or "v2021"
    for row, group in zip(rows, groups):
        for key, token in zip([k for k in keys if k.startswith(f"t4_{group}_")], _unsigned(_trim_blanks(row.values))):
            result.cells[key] = _parse_value(token)
    result.notes.append("t4: printed as three sub-tables")
    return True


def _own_header(row: Row) -> str:
    """The label parts that name this sub-table: from the last group word on (earlier parts may be the tail of
    the previous sub-table or the table's title)."""
    label = row.label
    starts = [label.rfind(word) for word, _ in _t4_part_words()]
    return label[max(starts):] if max(starts) >= 0 else label


def _t4_holds(values: list[int]) -> bool:
    cells = dict(zip(load_catalogue().t4_keys(), values))
    return all(i.holds(cells.get) for i in identities.of("E6"))
