"""Loads the field catalogue (catalogue.yaml) and expands it into every template cell.

Everything that needs a template label, a cell key, a unit or a metric definition asks this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")
VERSIONS = ("v2019", "v2021")
METRIC_ROLES = ("kpi", "yoy", "rank", "ranking", "compare", "map", "briefing")
# Roles that put a metric beside itself across years or units: only a metric comparable across template versions.
ACROSS_VERSIONS = ("yoy", "rank", "compare", "map")


@dataclass(frozen=True)
class CellDef:
    key: str
    table: str  # t2 | t3 | t4
    row: str
    col: str
    label: str  # human label: row · column
    unit: str
    versions: tuple[str, ...]
    signed: bool = False
    decimal: bool = False
    comparable: bool = False
    derived_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowDef:
    table: str
    row: str
    label: str
    match: tuple[str, ...]
    group: str | None = None
    versions: tuple[str, ...] = VERSIONS
    match_exact_end: bool = False


@dataclass
class Catalogue:
    raw: dict
    cells: dict[str, CellDef] = field(default_factory=dict)
    t2_rows: list[RowDef] = field(default_factory=list)
    t3_rows: list[RowDef] = field(default_factory=list)
    t3_columns: list[str] = field(default_factory=list)
    t4_groups: list[str] = field(default_factory=list)
    t4_outcomes: list[str] = field(default_factory=list)
    _memo: dict = field(default_factory=dict, repr=False)  # the catalogue never changes once built

    def _remember(self, key: tuple, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def keys(self, table: str | None = None, version: str | None = None) -> list[str]:
        return self._remember(
            ("keys", table, version),
            lambda: [
                c.key
                for c in self.cells.values()
                if (table is None or c.table == table) and (version is None or version in c.versions)
            ],
        )

    def t2_cells(self, version: str) -> list[CellDef]:
        return self._remember(
            ("t2_cells", version), lambda: [c for c in self.cells.values() if c.table == "t2" and version in c.versions]
        )

    def t3_data_rows(self, version: str) -> list[RowDef]:
        return self._remember(("t3_data_rows", version), lambda: [r for r in self.t3_rows if version in r.versions])

    def t3_row_keys(self, row: str) -> list[str]:
        """The seven cell keys of a table-3 row, in column order."""
        return self._remember(("t3_row_keys", row), lambda: [t3_key(row, col) for col in self.t3_columns])

    def t4_keys(self) -> list[str]:
        return self._remember(("t4_keys",), lambda: [t4_key(g, o) for g in self.t4_groups for o in self.t4_outcomes])

    @property
    def metrics(self) -> list[dict]:
        return self.raw["metrics"]

    def with_role(self, role: str) -> list[str]:
        """The metrics that play a role (catalogue `roles`: kpi, yoy, rank, ranking, compare, map, briefing), in
        catalogue order."""
        if role not in METRIC_ROLES:
            raise ValueError(f"unknown metric role {role!r}")
        return self._remember(("role", role), lambda: [m["key"] for m in self.metrics if role in m.get("roles", ())])

    def kpi_parts(self, key: str) -> tuple[list[str], str | None]:
        """How a KPI adds up over units: the metrics summed above the line, and the one summed below (shares)."""
        metric = self.metric(key)
        if metric.get("unit") != "share":
            return [key], None
        return list(metric.get("numerator_metrics") or [metric["numerator"]]), metric["denominator"]

    def metric(self, key: str) -> dict:
        return next(m for m in self.metrics if m["key"] == key)

    def label(self, key: str) -> str:
        if key in self.cells:
            return self.cells[key].label
        return next((m["label"] for m in self.metrics if m["key"] == key), key)

    def glossary(self, key: str) -> str:
        return next((m.get("glossary", "") for m in self.metrics if m["key"] == key), "")

    def check(self, code: str) -> dict:
        """Label and glossary of a check code: the code itself (QC_LATE) or its family before the dot (E1.total)."""
        checks = self.raw["checks"]
        return checks.get(code) or checks.get(code.split(".", 1)[0]) or {"label": code, "glossary": ""}

    def check_label(self, code: str) -> str:
        return self.check(code)["label"]

    def version_signals(self, table: str) -> dict[str, list[str]]:
        return self.raw[table].get("version_signals", {})

    def error_reason(self, code: str) -> str:
        """The Chinese one-line reason for an ingest error code (the code itself when the catalogue lacks it)."""
        return self.raw.get("error_codes", {}).get(code, code)

    @property
    def statuses(self) -> dict[str, str]:
        return self.raw["statuses"]


def t3_key(row: str, col: str) -> str:
    return f"t3_{row}__{col}"


def t4_key(group: str, outcome: str) -> str:
    return f"t4_{group}_{outcome}"


def _check_roles(metrics: list[dict]) -> None:
    for metric in metrics:
        unknown = set(metric.get("roles", ())) - set(METRIC_ROLES)
        if unknown:
            raise ValueError(f"catalogue metric {metric['key']}: unknown roles {sorted(unknown)}")
        across = set(metric.get("roles", ())) & set(ACROSS_VERSIONS)
        if across and not metric.get("comparable"):
            raise ValueError(
                f"catalogue metric {metric['key']} is not comparable across template versions, "
                f"so it cannot be used for {sorted(across)}"
            )


def _build(raw: dict) -> Catalogue:
    _check_roles(raw["metrics"])
    cat = Catalogue(raw=raw)
    t2 = raw["t2"]
    row_labels = {r["row"]: r["label"] for r in t2["rows"]}
    cat.t2_rows = [RowDef("t2", r["row"], r["label"], tuple(r["match"])) for r in t2["rows"]]
    for version in VERSIONS:
        for c in t2["cells"][version]:
            existing = cat.cells.get(c["key"])
            versions = (existing.versions if existing else ()) + (version,)
            cat.cells[c["key"]] = CellDef(
                key=c["key"],
                table="t2",
                row=c["row"],
                col=c["col"],
                label=f"{row_labels[c['row']]} · {c['col']}",
                unit=c["unit"],
                versions=versions,
                signed=bool(c.get("signed")),
                decimal=c.get("type") == "decimal",
                comparable=bool(c.get("comparable")),
            )
    t3 = raw["t3"]
    cat.t3_columns = [c["col"] for c in t3["columns"]]
    col_labels = {c["col"]: c["label"] for c in t3["columns"]}
    for r in t3["rows"]:
        versions = tuple(r.get("versions", VERSIONS))
        row = RowDef(
            "t3", r["row"], r["label"], tuple(r["match"]), r.get("group"), versions, bool(r.get("match_exact_end"))
        )
        cat.t3_rows.append(row)
        derived_in = (r["derived_in"],) if r.get("derived_in") else ()
        for col in cat.t3_columns:
            key = t3_key(r["row"], col)
            cat.cells[key] = CellDef(
                key=key,
                table="t3",
                row=r["row"],
                col=col,
                label=f"{r['label']} · {col_labels[col]}",
                unit="件",
                versions=tuple(sorted(set(versions) | set(derived_in))),
                comparable=True,
                derived_in=derived_in,
            )
    t4 = raw["t4"]
    cat.t4_groups = [g["group"] for g in t4["groups"]]
    cat.t4_outcomes = [o["outcome"] for o in t4["outcomes"]]
    for g in t4["groups"]:
        for o in t4["outcomes"]:
            key = t4_key(g["group"], o["outcome"])
            cat.cells[key] = CellDef(
                key=key,
                table="t4",
                row=g["group"],
                col=o["outcome"],
                label=f"{g['label']} · {o['label']}",
                unit="件",
                versions=VERSIONS,
                comparable=True,
            )
    return cat


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return _build(yaml.load(CATALOGUE_PATH.read_text(encoding="utf-8"), Loader=loader))


@dataclass(frozen=True)
class Body:
    """A report's reporting body: `key` is what the mart partitions by, `name` what pages show."""

    kind: str  # government | department | township | development_zone
    key: str  # government · dept:<type or own name> · township:<name> · zone:<name>
    name: str


def body_of(level: str, issuer_kind: str, department: str | None, township: str | None, issuer: str) -> Body:
    """The normalized reporting body of a report (its raw issuer stays in `reports.issuer`)."""
    if level == "government":
        return Body("government", "government", "人民政府")
    if level == "township":
        name = (township or issuer).removesuffix("办事处")  # 交通街道办事处 and 交通街道 are one body
        return Body("township", f"township:{name}", name)
    own = "".join((department or issuer or "").split())
    if issuer_kind == "development_zone":
        return Body("development_zone", f"zone:{own}", own)
    typed = department_type(own)
    if typed:
        return Body("department", f"dept:{typed['key']}", typed["label"])
    return Body("department", f"dept:{own}", own)


def department_type(text: str) -> dict | None:
    """The catalogue's department type whose longest name occurs in the text (None: an untyped department)."""
    best, best_length = None, 0
    for entry in load_catalogue().raw["department_types"]:
        for name in entry["names"]:
            if name in text and len(name) > best_length:
                best, best_length = entry, len(name)
    return best
