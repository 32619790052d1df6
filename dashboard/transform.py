"""Pure dataframe shaping for the pages (no Streamlit, no SQL)."""
from __future__ import annotations

import math

import polars as pl


def _nice(value: float) -> float:
    """Round to two significant digits so band edges read well (1,234 → 1,200; 0.0567 → 0.057)."""
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits)


def bands(df: pl.DataFrame, metric: str, count: int = 5, percent: bool = False) -> pl.DataFrame:
    """How many units fall in each band; band edges at quantiles, rounded, so every band is populated."""
    values = df.get_column(metric).drop_nulls()
    if values.is_empty():
        return pl.DataFrame({"band": [], "units": [], "order": []}, schema={"band": pl.Utf8, "units": pl.Int64, "order": pl.Int64})
    lowest, highest = float(values.min()), float(values.max())
    # an edge at or below the lowest value would open a band nobody is in ("< 0.0%")
    edges = sorted({e for e in (_nice(float(values.quantile(q / count))) for q in range(1, count)) if e > lowest})
    label = (lambda v: f"{v:.0%}" if v >= 0.1 else f"{v:.1%}") if percent else (lambda v: f"{v:,.0f}" if v >= 10 else f"{v:g}")
    if not edges:
        only = label(lowest) if lowest == highest else f"{label(lowest)} – {label(highest)}"
        return pl.DataFrame({"band": [only], "units": [len(values)], "order": [0]},
                            schema={"band": pl.Utf8, "units": pl.Int64, "order": pl.Int64})
    names = [f"< {label(edges[0])}"] + [f"{label(a)} – {label(b)}" for a, b in zip(edges, edges[1:])] + [f"≥ {label(edges[-1])}"]
    index = values.to_frame().with_columns(
        pl.col(metric).map_elements(lambda v: sum(v >= e for e in edges), return_dtype=pl.Int64).alias("order"))
    counts = index.group_by("order").len("units")
    return (pl.DataFrame({"order": list(range(len(names))), "band": names})
            .join(counts, on="order", how="left").with_columns(pl.col("units").fill_null(0))
            .filter(pl.col("units") > 0).sort("order"))


# Overview KPIs: a total (numerator only) or a share of sums (numerator ÷ denominator), by metric key.
KPI_SPECS = {
    "permits": (["permits"], None),
    "penalties": (["penalties"], None),
    "requests_new": (["requests_new"], None),
    "duplicate_share": (["duplicate"], "requests_new"),
    "disclosure_rate": (["granted", "partial"], "requests_processed"),
    "review_correction_rate": (["review_corrected"], "review_total"),
}


def _aggregate(df: pl.DataFrame, numerator: list[str], denominator: str | None) -> float | None:
    if df.is_empty():
        return None
    top = sum(df[c].sum() for c in numerator)
    if denominator is None:
        return top
    bottom = df[denominator].sum()
    return top / bottom if bottom else None


def kpis(now: pl.DataFrame, before: pl.DataFrame) -> tuple[dict[str, tuple[float | None, float | None]], tuple[int, int]]:
    """Each KPI's value this year over every unit, and its change on last year over the units that reported in
    both years only (a unit missing one year would otherwise show as a fall or a rise).
    Also returns how many units reported only this year and only last year."""
    shared = set(now["jurisdiction_code"]) & set(before["jurisdiction_code"])
    now_shared = now.filter(pl.col("jurisdiction_code").is_in(shared))
    before_shared = before.filter(pl.col("jurisdiction_code").is_in(shared))
    out = {}
    for key, (numerator, denominator) in KPI_SPECS.items():
        value = _aggregate(now, numerator, denominator)
        current, previous = _aggregate(now_shared, numerator, denominator), _aggregate(before_shared, numerator, denominator)
        out[key] = (value, None if current is None or previous is None else current - previous)
    only_now = now["jurisdiction_code"].n_unique() - len(shared)
    only_before = before["jurisdiction_code"].n_unique() - len(shared) if not before.is_empty() else 0
    return out, (only_now, only_before)


# A value's certainty, as every page marks it (column `certainty`).
UNCERTAIN_MARK = "待核"
ANOMALY_MARK = "原表不平衡"
CERTAIN_MARK = "可靠"


def with_certainty(df: pl.DataFrame, metric: str) -> pl.DataFrame:
    """`certainty` of each row's `metric`: 待核 when an input cell is uncertain or not read (or in an identity our
    recovery breaks), 原表不平衡 when the printed table itself does not add up there, otherwise 可靠."""
    if "uncertain_metrics" not in df.columns:
        return df.with_columns(pl.lit(CERTAIN_MARK).alias("certainty"))
    return df.with_columns(
        pl.when(pl.col("uncertain_metrics").list.contains(metric)).then(pl.lit(UNCERTAIN_MARK))
        .when(pl.col("source_anomaly_metrics").list.contains(metric)).then(pl.lit(ANOMALY_MARK))
        .otherwise(pl.lit(CERTAIN_MARK)).alias("certainty"))


def uncertain_units(df: pl.DataFrame, metrics: list[str]) -> int:
    """Units whose value of any of `metrics` is 待核."""
    if df.is_empty() or "uncertain_metrics" not in df.columns:
        return 0
    doubtful = pl.any_horizontal([pl.col("uncertain_metrics").list.contains(m) for m in metrics])
    return df.filter(doubtful)["jurisdiction_code"].n_unique()


def without_uncertain(df: pl.DataFrame, metrics: list[str]) -> pl.DataFrame:
    """Rows whose values of `metrics` are all certain enough to compare."""
    if df.is_empty() or "uncertain_metrics" not in df.columns:
        return df
    return df.filter(~pl.any_horizontal([pl.col("uncertain_metrics").list.contains(m) for m in metrics]))


def kpi_inputs(key: str) -> list[str]:
    numerator, denominator = KPI_SPECS[key]
    return numerator + ([denominator] if denominator else [])


def series_names(df: pl.DataFrame, with_league: bool = False) -> pl.DataFrame:
    """`series`: one name per unit whatever its documents (real or 示例数据), with its 盟/市 when units of several
    leagues are compared (two 旗 may share a name's start, and a leader asks 'which league?')."""
    name = pl.col("jurisdiction_name")
    if with_league and "parent_name" in df.columns:
        name = name + "（" + pl.col("parent_name").fill_null("") + "）"
    return df.with_columns(name.alias("series"))


def units_reaching(df: pl.DataFrame, metric: str, minimum: float) -> pl.DataFrame:
    """Every year of the units that reach `minimum` in at least one year (a line keeps its years)."""
    reaching = df.filter(pl.col(metric) >= minimum)["jurisdiction_code"].unique()
    return df.filter(pl.col("jurisdiction_code").is_in(reaching.to_list()))


def top_units(df: pl.DataFrame, metric: str, limit: int) -> pl.DataFrame:
    """The `limit` units with the highest value in the latest year shown (all their years)."""
    if df["jurisdiction_code"].n_unique() <= limit:
        return df
    latest = df.filter(pl.col("year") == df["year"].max()).sort(metric, descending=True, nulls_last=True)
    keep = latest["jurisdiction_code"].unique(maintain_order=True).head(limit)
    return df.filter(pl.col("jurisdiction_code").is_in(keep.to_list()))
