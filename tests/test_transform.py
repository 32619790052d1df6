import polars as pl

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
