"""Candidate reconstructions of a damaged row, used only where the identities can pick one.

Each function returns candidate value lists of the required length; the caller keeps those that satisfy the
identities and marks the result `imputed` (one candidate left) or `uncertain` (several left).
"""

from __future__ import annotations

from itertools import combinations

MAX_CANDIDATES = 20000


def run_expansions(values: list[int], width: int) -> list[list[int]]:
    """Undo a crawler that collapsed runs of equal neighbours ('2 0 0 0 0 0 2' → '2 0 2')."""
    k = len(values)
    if k == 0 or k > width or any(a == b for a, b in zip(values, values[1:], strict=False)):
        return []
    out = []
    for cuts in combinations(range(1, width), k - 1):
        bounds = (0, *cuts, width)
        row = []
        for value, (lo, hi) in zip(values, zip(bounds, bounds[1:], strict=False), strict=False):
            row.extend([value] * (hi - lo))
        out.append(row)
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def digit_splits(digits: str, width: int) -> list[list[int]]:
    """Undo a crawler that flattened a row into one digit run ('713000074' → 71|3|0|0|0|0|74)."""
    n = len(digits)
    if not digits.isdigit() or n < width:
        return []
    out = []
    for cuts in combinations(range(1, n), width - 1):
        bounds = (0, *cuts, n)
        parts = [digits[lo:hi] for lo, hi in zip(bounds, bounds[1:], strict=False)]
        if any(len(p) > 1 and p[0] == "0" for p in parts):
            continue
        out.append([int(p) for p in parts])
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def merged_neighbours(values: list[str], width: int) -> list[list[int]]:
    """Undo one number split over two cells or lines ('1' '62' → 162), or drop one stray token at either end."""
    out = []
    if len(values) == width + 1:
        for i in range(len(values) - 1):
            joined = values[:i] + [values[i] + values[i + 1]] + values[i + 2 :]
            if all(v.isdigit() for v in joined):
                out.append([int(v) for v in joined])
        for window in (values[1:], values[:-1]):
            if all(v.isdigit() for v in window):
                out.append([int(v) for v in window])
    return out


def dropped_blanks(values: list[int], width: int) -> list[list[int]]:
    """Spec §8.3: two equal numbers in a 7-column row are (自然人, 总计) with the blanks dropped."""
    if width == 7 and len(values) == 2 and values[0] == values[1]:
        return [[values[0], 0, 0, 0, 0, 0, values[1]]]
    return []


def unique(candidates: list[list[int]]) -> list[list[int]]:
    seen, out = set(), []
    for c in candidates:
        t = tuple(c)
        if t not in seen:
            seen.add(t)
            out.append(c)
    return out
