"""Deterministic synthetic report contents: numbers with plausible distributions and trends, narrative text."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field

from catalogue import load_catalogue, t3_key, t4_key

from ..report.resolver import DATA

YEARS = list(range(2019, 2026))
OUTCOME_WEIGHTS = {
    "granted": 40,
    "partial": 10,
    "denied_state_secret": 0.5,
    "denied_law_prohibited": 0.5,
    "denied_security_stability": 0.3,
    "denied_third_party": 2,
    "denied_internal_affairs": 1.5,
    "denied_process_info": 2,
    "denied_enforcement_file": 1,
    "denied_admin_query": 1,
    "unable_not_held": 22,
    "unable_needs_creation": 3,
    "unable_unclear": 2,
    "nohandle_petition": 3,
    "nohandle_repeat": 4,
    "nohandle_publication": 0.5,
    "nohandle_mass_repeat": 1,
    "nohandle_confirm_existing": 0.5,
    "other_total": 3,
    "other_no_correction": 1.5,
    "other_fee_unpaid": 0.3,
    "other_other": 1.2,
}
APPLICANT_WEIGHTS = [80, 10, 1, 1, 3, 5]


@dataclass
class Unit:
    code: str
    name: str
    parent_code: str
    parent_name: str


@dataclass
class Report:
    doc_id: str
    unit: Unit
    year: int
    issuer: str
    issuer_kind: str
    scope: str
    versions: dict
    cells: dict
    sections: dict  # 一..六 → list of paragraphs
    published_at: str
    fmt: str = "html"
    anomalies: list = field(default_factory=list)
    variants: list = field(default_factory=list)  # printing variants (see demo/variants.py); truth is unchanged


def inner_mongolia_units() -> tuple[list[Unit], dict[str, str]]:
    counties, leagues = [], {}
    with open(DATA / "cn_divisions_2024.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["province_code"] != "150000":
                continue
            if r["level"] == "prefecture":
                leagues[r["code"]] = r["name"]
            elif r["level"] == "county":
                counties.append(Unit(r["code"], r["name"], r["parent_code"], r["parent_name"]))
    return counties, leagues


def unit_profile(rng: random.Random, unit: Unit) -> dict:
    return {
        "scale": rng.lognormvariate(0, 0.6),
        "growth": rng.uniform(-0.05, 0.12),
        "repeat_trend": 0.0,
        "review_trend": 0.0,
    }


def table_cells(
    rng: random.Random, profile: dict, year: int, versions: dict, carried_in: list[int]
) -> tuple[dict, list[int]]:
    cat = load_catalogue()
    t = year - 2019
    scale = profile["scale"] * (1 + profile["growth"]) ** t
    cells: dict = {}
    # table 2
    if versions["t2"] == "v2021":
        issued = rng.randint(0, int(12 * scale) + 1)
        repealed = rng.randint(0, issued)
        # the stock of valid documents carries over year to year (W5 holds in clean data)
        in_force = profile.get("in_force", rng.randint(20, 120)) + issued - repealed
        profile["in_force"] = in_force
        cells.update(
            {
                "t2_regulation_issued": 0,
                "t2_regulation_repealed": 0,
                "t2_regulation_in_force": 0,
                "t2_normative_doc_issued": issued,
                "t2_normative_doc_repealed": repealed,
                "t2_normative_doc_in_force": in_force,
                "t2_admin_fee_amount": round(rng.uniform(20, 3000) * scale, 2),
            }
        )
    else:
        made = rng.randint(0, int(12 * scale) + 1)
        cells.update(
            {
                "t2_regulation_new_made": 0,
                "t2_regulation_new_published": 0,
                "t2_regulation_total_published": 0,
                "t2_normative_doc_new_made": made,
                "t2_normative_doc_new_published": made,
                "t2_normative_doc_total_published": made + rng.randint(10, 80),
            }
        )
        for row in ("license", "other_service", "penalty", "coercion", "admin_fee"):
            cells[f"t2_{row}_prev_items"] = rng.randint(5, 400)
            cells[f"t2_{row}_change"] = rng.randint(-10, 15)
        cells["t2_other_service_decisions"] = int(rng.uniform(50, 900) * scale)
        cells["t2_procurement_items"] = rng.randint(0, 60)
        cells["t2_procurement_amount"] = round(rng.uniform(10, 5000) * scale, 2)
    cells["t2_license_decisions"] = int(rng.uniform(300, 2500) * scale)
    cells["t2_penalty_decisions"] = int(rng.uniform(100, 1800) * scale)
    cells["t2_coercion_decisions"] = int(rng.uniform(0, 80) * scale)
    # table 3, built column by column so every identity holds
    version = versions["t3"]
    rows = [r.row for r in cat.t3_data_rows(version) if r.group]
    weights = dict(OUTCOME_WEIGHTS)
    weights["nohandle_repeat"] *= 1 + profile["repeat_trend"] * t
    new_total = max(0, int(rng.gauss(12 * scale, 4 * scale)))
    per_col_new = _split(rng, new_total, APPLICANT_WEIGHTS)
    carried_out = []
    columns = cat.t3_columns[:6]
    for ci, col in enumerate(columns):
        new, carried = per_col_new[ci], carried_in[ci]
        available = new + carried
        forward = min(available, rng.choice([0, 0, 0, 0, 1])) if available else 0
        processed = available - forward
        outcome = _split(rng, processed, [weights[r] for r in rows])
        cells[t3_key("new_received", col)] = new
        cells[t3_key("carried_over", col)] = carried
        cells[t3_key("total_processed", col)] = processed
        cells[t3_key("carried_forward", col)] = forward
        for r, v in zip(rows, outcome, strict=False):
            cells[t3_key(r, col)] = v
        carried_out.append(forward)
    for r in [x.row for x in cat.t3_data_rows(version)]:
        cells[t3_key(r, "total")] = sum(cells[t3_key(r, c)] for c in columns)
    # table 4
    review_rate = 0.15 + profile["review_trend"] * t
    for group, base in (("review", 0.12), ("lit_direct", 0.06), ("lit_after_review", 0.03)):
        total = sum(1 for _ in range(new_total) if rng.random() < base)
        corrected = sum(1 for _ in range(total) if rng.random() < (review_rate if group == "review" else 0.08))
        pending = rng.randint(0, total - corrected) if total - corrected > 0 else 0
        other = rng.randint(0, total - corrected - pending) if total - corrected - pending > 0 else 0
        upheld = total - corrected - pending - other
        for outcome, v in zip(
            ("upheld", "corrected", "other", "pending", "total"),
            (upheld, corrected, other, pending, total),
            strict=False,
        ):
            cells[t4_key(group, outcome)] = v
    return cells, carried_out


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    out = [0] * len(weights)
    for _ in range(total):
        out[rng.choices(range(len(weights)), weights)[0]] += 1
    return out
