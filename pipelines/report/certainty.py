"""How far an OCR'd number can be trusted: only as far as the template's identities (or the report's own text)
confirm it.

A digit misread almost always breaks a sum, so a cell read by OCR stays `ok` only when an identity it takes part in
holds and none it takes part in is broken; a table-2 number (table 2 has no identities) only when the report's
text prints the same number (two digits or more: a lone 0 or 1 in the text proves nothing). Everything else is
`uncertain`. A broken identity is repaired only when exactly one cell, changed by one digit (a substitution, a
digit too many or too few, as OCR errs), makes every identity hold again; that cell is `imputed`, with what was
read and what the identities give both in its note.
"""

from __future__ import annotations

from . import identities
from .table_values import CellValue
from .tables import Tables

OCR_CONFIRMED = "OCR 识别，勾稽关系核实"
OCR_MATCHES_TEXT = "OCR 识别，与正文所述数字一致"
OCR_UNCONFIRMED = "OCR 识别，无勾稽关系可核实，待人工核对原件"
OCR_IN_BROKEN = "OCR 识别，所在勾稽关系不平衡，待人工核对原件"


def settle_ocr(tables: Tables, narrative_numbers: frozenset[str]) -> None:
    """Mark every OCR'd cell ok (confirmed), imputed (repaired by the identities) or uncertain, in place."""
    rules = identities.instances(tables.template.get("t3"), bool(tables.template.get("t4")))
    _repair_one_digit(tables, rules)
    holding, broken = _split(tables, rules)
    confirmed = {k for rule in holding for k in rule.cells} - {k for rule in broken for k in rule.cells}
    in_broken = {k for rule in broken for k in rule.cells}
    for key, cell in tables.cells.items():
        if cell.status not in ("ok", "derived") or cell.value is None:
            continue  # blank, or already in doubt
        if cell.status == "derived":  # the parser's sum of OCR'd cells: in doubt where an identity it is in breaks
            if key in in_broken:
                cell.status, cell.note = "uncertain", _joined(cell.note, OCR_IN_BROKEN)
            continue
        if key in confirmed:
            cell.note = _joined(cell.note, OCR_CONFIRMED)
        elif key.startswith("t2_") and _in_text(cell.value, narrative_numbers):
            cell.note = _joined(cell.note, OCR_MATCHES_TEXT)
        else:
            cell.status = "uncertain"
            cell.note = _joined(cell.note, OCR_IN_BROKEN if key in in_broken else OCR_UNCONFIRMED)


def _split(tables: Tables, rules) -> tuple[list, list]:
    value = _values(tables)
    holding = [rule for rule in rules if rule.holds(value) is True]
    broken = [rule for rule in rules if rule.holds(value) is False]
    return holding, broken


def _values(tables: Tables):
    return lambda key: None if (cell := tables.cells.get(key)) is None else cell.value


def _repair_one_digit(tables: Tables, rules) -> None:
    value = _values(tables)
    broken = [rule for rule in rules if rule.holds(value) is False]
    if not broken:
        return
    candidates = set()
    for rule in broken:
        sums = rule.sides(value)
        if sums is None:
            continue
        for key in rule.cells:
            cell = tables.cells[key]
            if cell.status != "ok" or cell.value is None:
                continue
            sign = 1 if key in rule.left else -1
            wanted = cell.value - sign * (sums[0] - sums[1])
            if wanted >= 0 and float(wanted).is_integer() and _one_digit_apart(cell.value, wanted):
                candidates.add((key, int(wanted)))
    fixes = [(key, wanted) for key, wanted in candidates if _fixes_all(tables, rules, key, wanted)]
    if len(fixes) != 1:
        return
    key, wanted = fixes[0]
    cell = tables.cells[key]
    read = cell.raw or f"{cell.value:g}"
    tables.cells[key] = CellValue(
        wanted, "imputed", cell.source, cell.raw, _joined(cell.note, f"OCR 读作 {read}，勾稽关系唯一确定为 {wanted}")
    )


def _fixes_all(tables: Tables, rules, key: str, wanted: int) -> bool:
    def value(k: str):
        return wanted if k == key else (None if (c := tables.cells.get(k)) is None else c.value)

    return all(rule.holds(value) is not False for rule in rules)


def _one_digit_apart(read: float, wanted: float) -> bool:
    """One digit substituted, added or dropped (edit distance 1 over the digits)."""
    a, b = f"{int(read)}", f"{int(wanted)}"
    if a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, longer = sorted((a, b), key=len)
    return len(longer) - len(short) == 1 and any(longer[:i] + longer[i + 1 :] == short for i in range(len(longer)))


def _in_text(value: float, narrative_numbers: frozenset[str]) -> bool:
    return value >= 10 and float(value).is_integer() and f"{int(value)}" in narrative_numbers


def _joined(note: str, addition: str) -> str:
    return f"{note}；{addition}" if note else addition
