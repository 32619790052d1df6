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
    edges = sorted({_nice(float(values.quantile(q / count))) for q in range(1, count)})
    label = (lambda v: f"{v:.0%}" if v >= 0.1 else f"{v:.1%}") if percent else (lambda v: f"{v:,.0f}" if v >= 10 else f"{v:g}")
    names = [f"< {label(edges[0])}"] + [f"{label(a)} – {label(b)}" for a, b in zip(edges, edges[1:])] + [f"≥ {label(edges[-1])}"]
    index = values.to_frame().with_columns(
        pl.col(metric).map_elements(lambda v: sum(v >= e for e in edges), return_dtype=pl.Int64).alias("order"))
    counts = index.group_by("order").len("units")
    return (pl.DataFrame({"order": list(range(len(names))), "band": names})
            .join(counts, on="order", how="left").with_columns(pl.col("units").fill_null(0)).sort("order"))
