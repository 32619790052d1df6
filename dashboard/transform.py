"""Pure dataframe shaping for the pages (no Streamlit, no SQL)."""

from __future__ import annotations

import json
import math

import polars as pl

from catalogue import load_catalogue


def _nice(value: float) -> float:
    """Round to two significant digits so band edges read well (1,234 → 1,200; 0.0567 → 0.057)."""
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits)


def band_edges(values: pl.Series, count: int = 5) -> list[float]:
    """Band edges at quantiles, rounded; an edge at or below the lowest value would open a band nobody is in
    ("< 0.0%"), so there is none."""
    lowest = float(values.min())
    return sorted({e for e in (_nice(float(values.quantile(q / count))) for q in range(1, count)) if e > lowest})


def band_names(values: pl.Series, edges: list[float], percent: bool = False) -> list[str]:
    """One name per band, lowest first ("< 1,200", "1,200 – 3,400", "≥ 3,400")."""
    label = (
        (lambda v: f"{v:.0%}" if v >= 0.1 else f"{v:.1%}")
        if percent
        else (lambda v: f"{v:,.0f}" if v >= 10 else f"{v:g}")
    )
    if not edges:
        lowest, highest = float(values.min()), float(values.max())
        return [label(lowest) if lowest == highest else f"{label(lowest)} – {label(highest)}"]
    return (
        [f"< {label(edges[0])}"]
        + [f"{label(a)} – {label(b)}" for a, b in zip(edges, edges[1:], strict=False)]
        + [f"≥ {label(edges[-1])}"]
    )


def band_of(value: float, edges: list[float]) -> int:
    return sum(value >= e for e in edges)


def bands(df: pl.DataFrame, metric: str, count: int = 5, percent: bool = False) -> pl.DataFrame:
    """How many units fall in each band; band edges at quantiles, rounded, so every band is populated."""
    values = df.get_column(metric).drop_nulls()
    if values.is_empty():
        return pl.DataFrame(
            {"band": [], "units": [], "order": []}, schema={"band": pl.Utf8, "units": pl.Int64, "order": pl.Int64}
        )
    edges = band_edges(values, count)
    names = band_names(values, edges, percent)
    index = values.to_frame().with_columns(
        pl.col(metric).map_elements(lambda v: band_of(v, edges), return_dtype=pl.Int64).alias("order")
    )
    counts = index.group_by("order").len("units")
    return (
        pl.DataFrame({"order": list(range(len(names))), "band": names})
        .join(counts, on="order", how="left")
        .with_columns(pl.col("units").fill_null(0))
        .filter(pl.col("units") > 0)
        .sort("order")
    )


# Overview KPIs: a total (numerator only) or a share of sums (numerator ÷ denominator), by metric key.
def kpi_keys() -> list[str]:
    """The KPI cards of 总览 and the briefing (catalogue role `kpi`)."""
    return load_catalogue().with_role("kpi")


def _aggregate(df: pl.DataFrame, numerator: list[str], denominator: str | None) -> float | None:
    if df.is_empty():
        return None
    top = sum(df[c].sum() for c in numerator)
    if denominator is None:
        return top
    bottom = df[denominator].sum()
    return top / bottom if bottom else None


def kpis(
    now: pl.DataFrame, before: pl.DataFrame
) -> tuple[dict[str, tuple[float | None, float | None]], tuple[int, int]]:
    """Each KPI's value this year over every unit, and its change on last year over the units that reported in
    both years only (a unit missing one year would otherwise show as a fall or a rise).
    Also returns how many units reported only this year and only last year."""
    shared = set(now["jurisdiction_code"]) & set(before["jurisdiction_code"])
    now_shared = now.filter(pl.col("jurisdiction_code").is_in(shared))
    before_shared = before.filter(pl.col("jurisdiction_code").is_in(shared))
    out = {}
    for key in kpi_keys():
        numerator, denominator = load_catalogue().kpi_parts(key)
        value = _aggregate(now, numerator, denominator)
        current, previous = (
            _aggregate(now_shared, numerator, denominator),
            _aggregate(before_shared, numerator, denominator),
        )
        out[key] = (value, None if current is None or previous is None else current - previous)
    only_now = now["jurisdiction_code"].n_unique() - len(shared)
    only_before = before["jurisdiction_code"].n_unique() - len(shared) if not before.is_empty() else 0
    return out, (only_now, only_before)


# A value's certainty, as every page marks it (column `certainty`).
UNCERTAIN_MARK = "待核"
ANOMALY_MARK = "原表不平衡"
NO_DATA_MARK = "无数据"  # a unit without a report (the map draws it grey, never as zero)
CERTAIN_MARK = "可靠"


def with_certainty(df: pl.DataFrame, metric: str) -> pl.DataFrame:
    """`certainty` of each row's `metric`: 待核 when an input cell is uncertain or not read (or in an identity our
    recovery breaks), 原表不平衡 when the printed table itself does not add up there, otherwise 可靠."""
    if "uncertain_metrics" not in df.columns:
        return df.with_columns(pl.lit(CERTAIN_MARK).alias("certainty"))
    return df.with_columns(
        pl.when(pl.col("uncertain_metrics").list.contains(metric))
        .then(pl.lit(UNCERTAIN_MARK))
        .when(pl.col("source_anomaly_metrics").list.contains(metric))
        .then(pl.lit(ANOMALY_MARK))
        .otherwise(pl.lit(CERTAIN_MARK))
        .alias("certainty")
    )


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
    numerator, denominator = load_catalogue().kpi_parts(key)
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


def _ring_centroid(ring: list) -> tuple[float, float, float]:
    """Area and centroid of one ring (shoelace formula, in degrees: good enough to place a label)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=False):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area) / 2, cx / (3 * area), cy / (3 * area)


def label_point(geometry: dict) -> tuple[float, float, float]:
    """Where a unit's name goes: the centroid of its largest polygon (longitude, latitude, that polygon's area)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    area, x, y = max(_ring_centroid(polygon[0]) for polygon in polygons)
    return x, y, area


def _mercator(longitude: float, latitude: float) -> tuple[float, float]:
    return math.radians(longitude), math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))


def _bounds(geometries: list[dict]) -> tuple[float, float, float, float]:
    points = [
        point
        for g in geometries
        for polygon in (g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]])
        for point in polygon[0]
    ]
    xs, ys = zip(*(_mercator(x, y) for x, y in points), strict=False)
    return min(xs), min(ys), max(xs), max(ys)


LABEL_FONT_PX = 11  # the map's name labels (charts.choropleth) and their spacing here
LABEL_LINE_PX = 14


def spread_labels(
    labels: list[dict], geometries: list[dict], width_px: float = 800, height_px: float = 560
) -> list[dict]:
    """Names that would print over each other are moved apart: the larger unit keeps its place, a smaller unit's
    name (with its 待核 mark) moves up or down a line at a time, at most three, to the first free place (乌海市 beside
    鄂尔多斯市). Sizes are estimated in pixels of the chart's Mercator projection fitted to these shapes."""
    named = [label for label in labels if label["name"]]
    if len(named) < 2:
        return labels
    left, bottom, right, top = _bounds(geometries)
    scale = min(width_px / max(right - left, 1e-9), height_px / max(top - bottom, 1e-9))  # pixels per unit
    placed: list[tuple[float, float, float, float]] = []
    for label in sorted(named, key=lambda lab: -lab["area"]):
        x, y = (v * scale for v in _mercator(label["longitude"], label["latitude"]))
        half = len(label["name"]) * LABEL_FONT_PX / 2
        for shift in (0, 1, -1, 2, -2, 3, -3):
            box = (x - half, y + shift * LABEL_LINE_PX, x + half, y + shift * LABEL_LINE_PX + LABEL_LINE_PX)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        else:
            shift, box = 0, (x - half, y, x + half, y + LABEL_LINE_PX)
        placed.append(box)
        if shift:
            moved = y / scale + shift * LABEL_LINE_PX / scale
            label["latitude"] = math.degrees(2 * math.atan(math.exp(moved)) - math.pi / 2)
    return labels


def _map_band(value, certainty, names: list[str], edges: list[float]) -> str:
    """A unit's legend entry on the map: its band, or 无数据, or 待核 (drawn hollow: its colour would claim a band)."""
    if value is None:
        return NO_DATA_MARK
    return UNCERTAIN_MARK if certainty == UNCERTAIN_MARK else names[band_of(value, edges)]


def map_features(
    outlines: pl.DataFrame, metrics: pl.DataFrame, metric: str, percent: bool = False
) -> tuple[dict, dict, pl.DataFrame]:
    """The map's three layers: county features carrying the metric's value, change, rank and certainty; the
    盟/市 borders (province view); and label points — county names in a 盟/市 view, 盟/市 names in the province
    view (103 county names would cover the map), and every 待核 county's mark. A unit without a report keeps its
    shape and reads 无数据, so no data is never drawn as zero. Each unit's `band` is the one 总览's 分档分布 uses."""
    counties = outlines.filter(pl.col("level") == "county")
    rated = with_certainty(metrics, metric)
    columns = [
        c
        for c in (
            "jurisdiction_code",
            "parent_name",
            metric,
            f"{metric}_change",
            f"{metric}_rank_parent",
            "certainty",
            "synthetic",
        )
        if c in rated.columns
    ]
    if "synthetic" in rated.columns:  # a unit with a real report is shown by it, not by its 示例数据
        rated = rated.sort("synthetic")
    values = {
        row["jurisdiction_code"]: row
        for row in rated.unique("jurisdiction_code", keep="first", maintain_order=True).select(columns).to_dicts()
    }
    shown = pl.Series([r.get(metric) for r in values.values()], dtype=pl.Float64).drop_nulls()
    edges = band_edges(shown) if len(shown) else []
    names = band_names(shown, edges, percent) if len(shown) else []
    prefectures = outlines.filter(pl.col("level") == "prefecture")
    leagues = dict(zip(prefectures["code"], prefectures["name"], strict=False))
    leagues.update(
        {r["jurisdiction_code"][:4] + "00": r.get("parent_name") for r in values.values() if r.get("parent_name")}
    )
    leagues_shown = not prefectures.is_empty()
    features, labels = [], []
    for unit in counties.to_dicts():
        geometry = json.loads(unit["geometry"])
        row = values.get(unit["code"], {})
        value = row.get(metric)
        properties = {
            "code": unit["code"],
            "name": unit["name"],
            "league": leagues.get(unit["parent_code"], ""),
            "value": value,
            "band": _map_band(value, row.get("certainty"), names, edges),
            "change": row.get(f"{metric}_change"),
            "rank": row.get(f"{metric}_rank_parent"),
            "certainty": row.get("certainty") if value is not None else NO_DATA_MARK,
            "synthetic": "是" if row.get("synthetic") else ("否" if row else "—"),
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
        x, y, area = label_point(geometry)
        labels.append(
            {
                "name": "" if leagues_shown else unit["name"],
                "longitude": x,
                "latitude": y,
                "certainty": properties["certainty"],
                "area": area,
            }
        )
    borders = []
    for geometry, name in prefectures.select("geometry", "name").iter_rows():
        borders.append({"type": "Feature", "geometry": json.loads(geometry), "properties": {"name": name}})
        x, y, area = label_point(borders[-1]["geometry"])
        labels.append({"name": name, "longitude": x, "latitude": y, "certainty": "", "area": area})
    spread_labels(labels, [f["geometry"] for f in features])
    schema = {"name": pl.Utf8, "longitude": pl.Float64, "latitude": pl.Float64, "certainty": pl.Utf8}
    return (
        {"type": "FeatureCollection", "features": features, "bands": names},
        {"type": "FeatureCollection", "features": borders},
        pl.DataFrame([{k: label[k] for k in schema} for label in labels], schema=schema),
    )
