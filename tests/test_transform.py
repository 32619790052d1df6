import polars as pl

from dashboard import transform
from dashboard.transform import bands


def test_bands_cover_every_unit_in_order():
    df = pl.DataFrame({"permits": [10, 200, 340, 1200, 5000, 25000, None]})
    out = bands(df, "permits")
    assert out["units"].sum() == 6
    assert out["order"].to_list() == sorted(out["order"].to_list())
    assert out["band"][0].startswith("<") and out["band"][-1].startswith("≥")


def test_bands_of_shares_read_as_percent():
    out = bands(pl.DataFrame({"s": [0.01, 0.05, 0.2, 0.3, 0.4]}), "s", percent=True)
    assert any("%" in b for b in out["band"])


def test_empty():
    assert bands(pl.DataFrame({"x": [None]}, schema={"x": pl.Float64}), "x").is_empty()


def _year(rows):
    columns = [
        "jurisdiction_code",
        "permits",
        "penalties",
        "requests_new",
        "duplicate",
        "granted",
        "partial",
        "requests_processed",
        "review_corrected",
        "review_total",
    ]
    return pl.DataFrame([dict(zip(columns, r, strict=False)) for r in rows])


def test_kpi_change_counts_only_units_reporting_both_years():
    from dashboard.transform import kpis

    before = _year(
        [
            ("a", 100, 10, 10, 1, 5, 1, 10, 1, 4),
            ("b", 50, 5, 0, 0, 0, 0, 0, 0, 0),
            ("gone", 900, 90, 90, 9, 0, 0, 0, 0, 0),
        ]
    )
    now = _year(
        [("a", 120, 10, 20, 4, 10, 2, 20, 1, 2), ("b", 50, 5, 0, 0, 0, 0, 0, 0, 0), ("new", 30, 3, 0, 0, 0, 0, 0, 0, 0)]
    )
    values, (only_now, only_before) = kpis(now, before)
    assert values["permits"] == (200, 20)  # this year over all units; change over a and b only (not -780)
    assert values["duplicate_share"][0] == 4 / 20 and abs(values["duplicate_share"][1] - (4 / 20 - 1 / 10)) < 1e-12
    assert values["disclosure_rate"][0] == 12 / 20
    assert (only_now, only_before) == (1, 1)


def test_kpis_without_last_year():
    from dashboard.transform import kpis

    now = _year([("a", 120, 10, 20, 4, 10, 2, 20, 1, 2)])
    values, counts = kpis(now, now.clear())
    assert values["permits"] == (120, None) and counts == (1, 0)


def test_share_bands_never_open_an_empty_band_below_zero():
    """Many units with no repeat requests: no "< 0.0%" band, and no band nobody is in."""
    out = bands(pl.DataFrame({"s": [0.0] * 7 + [0.05, 0.12, 0.3]}), "s", percent=True)
    assert not any(b.startswith("< 0.0%") for b in out["band"])
    assert (out["units"] > 0).all() and out["units"].sum() == 10
    same = bands(pl.DataFrame({"s": [0.0, 0.0]}), "s", percent=True)
    assert same["band"].to_list() == ["0.0%"] and same["units"].to_list() == [2]


def test_same_kind_across_leagues_names_the_league_and_draws_the_top():
    from dashboard.transform import series_names, top_units

    df = pl.DataFrame(
        {
            "jurisdiction_code": [f"{i:06d}" for i in range(20)] * 2,
            "jurisdiction_name": ["某旗"] * 40,
            "parent_name": [f"{i}盟" for i in range(20)] * 2,
            "year": [2023] * 20 + [2024] * 20,
            "permits": list(range(20)) + list(range(100, 120)),
        }
    )
    named = series_names(df, with_league=True)
    assert named["series"].n_unique() == 20 and named["series"][3] == "某旗（3盟）"
    top = top_units(named, "permits", 12)
    assert top["jurisdiction_code"].n_unique() == 12 and top.filter(pl.col("year") == 2024)["permits"].min() == 108


def test_map_names_that_would_overlap_are_moved_apart_the_larger_unit_keeping_its_place():
    """Province view: 乌海市's centroid sits almost on 鄂尔多斯市's name; the small unit's name moves a line away."""
    import json

    from pipelines.report.boundaries import boundary_rows

    leagues = boundary_rows().filter(pl.col("level") == "prefecture").to_dicts()
    geometries = [json.loads(unit["geometry"]) for unit in leagues]
    labels = [
        {
            "name": unit["name"],
            "certainty": "",
            **dict(zip(("longitude", "latitude", "area"), transform.label_point(g), strict=False)),
        }
        for unit, g in zip(leagues, geometries, strict=False)
    ]
    before = {label["name"]: (label["longitude"], label["latitude"]) for label in labels}
    transform.spread_labels(labels, geometries)
    moved = {label["name"] for label in labels if (label["longitude"], label["latitude"]) != before[label["name"]]}
    assert moved == {"乌海市"}
    again = [dict(label) for label in labels]
    transform.spread_labels(again, geometries)
    assert again == labels  # once apart, nothing moves
