"""The template's identities, from the field catalogue, and the one evaluator every part uses: validation (which
identities hold in a report), recovery (which readings of a damaged row fit) and the demo generator (that what it
prints adds up)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from catalogue import load_catalogue, t3_key, t4_key


@dataclass(frozen=True)
class Identity:
    code: str  # E1.natural_person, E2.granted, E6.review …
    left: tuple[str, ...]  # cell keys summed on each side
    right: tuple[str, ...]
    text: str  # what is compared, in Chinese

    @property
    def cells(self) -> tuple[str, ...]:
        return self.left + self.right

    def sides(self, value: Callable[[str], float | int | None]) -> tuple[float, float] | None:
        """Both sums, or None when a cell is not there or not a number."""
        values = [value(k) for k in self.cells]
        if any(v is None for v in values):
            return None
        numbers = cast("list[float]", values)
        return sum(numbers[: len(self.left)]), sum(numbers[len(self.left) :])

    def holds(self, value: Callable[[str], float | int | None]) -> bool | None:
        sums = self.sides(value)
        return None if sums is None else abs(sums[0] - sums[1]) < 1e-9


@lru_cache(maxsize=8)
def instances(t3_version: str | None, has_t4: bool) -> tuple[Identity, ...]:
    """Every identity a report with these tables must satisfy, one instance per column, row or group (per column
    the identities alternate, E1 then E3, as a reader checks a column)."""
    cat = load_catalogue()
    columns = {c["col"]: c["label"] for c in cat.raw["t3"]["columns"]}
    groups = {g["group"]: g["label"] for g in cat.raw["t4"]["groups"]}
    rules = cat.raw["identities"]
    out: list[Identity] = []
    if t3_version:
        rows = cat.t3_data_rows(t3_version)
        outcome_rows = [r.row for r in rows if r.group]
        named = lambda names: outcome_rows if names == "outcome_rows" else names  # noqa: E731
        for col in cat.t3_columns:
            out += [
                Identity(
                    f"{rule['code']}.{col}",
                    tuple(t3_key(r, col) for r in named(rule["left"])),
                    tuple(t3_key(r, col) for r in named(rule["right"])),
                    rule["text"].format(name=columns[col]),
                )
                for rule in rules
                if rule["table"] == "t3" and rule["over"] == "column"
            ]
        for rule in (r for r in rules if r["table"] == "t3" and r["over"] == "row"):
            left = cat.t3_columns[:6] if rule["left"] == "applicant_columns" else rule["left"]
            out += [
                Identity(
                    f"{rule['code']}.{row.row}",
                    tuple(t3_key(row.row, c) for c in left),
                    tuple(t3_key(row.row, c) for c in rule["right"]),
                    rule["text"].format(name=row.label),
                )
                for row in rows
            ]
    if has_t4:
        for rule in (r for r in rules if r["table"] == "t4"):
            out += [
                Identity(
                    f"{rule['code']}.{group}",
                    tuple(t4_key(group, o) for o in rule["left"]),
                    tuple(t4_key(group, o) for o in rule["right"]),
                    rule["text"].format(name=groups[group]),
                )
                for group in cat.t4_groups
            ]
    return tuple(out)


def of(code_family: str, t3_version: str | None = "v2021", has_t4: bool = True) -> tuple[Identity, ...]:
    return tuple(i for i in instances(t3_version, has_t4) if i.code.split(".")[0] == code_family)


def broken(values: Mapping[str, float | int | None], t3_version: str | None, has_t4: bool) -> list[str]:
    """Codes of the identities these values break (cells not there are not judged)."""
    return [i.code for i in instances(t3_version, has_t4) if i.holds(values.get) is False]
