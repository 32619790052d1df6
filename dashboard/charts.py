"""Every Altair chart of the dashboard, with one shared theme."""

from __future__ import annotations

import functools

import altair as alt
import polars as pl

from .transform import CERTAIN_MARK, LABEL_FONT_PX, NO_DATA_MARK, UNCERTAIN_MARK

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#1f5fa8", "#d9822b", "#3a9d5d", "#c23b3b", "#7a5ba6", "#8c6d31", "#4c9fb8", "#b3b3b3"]
# Series colours: 12 distinguishable hues (Tableau 20, dark and light pairs), at most MAX_SERIES lines per chart.
SERIES_PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
]
MAX_SERIES = len(SERIES_PALETTE)
BLUES = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]  # map bands, lightest first


def unvalidated(build):
    """The chart is drawn without Altair's JSON-schema validation, a fifth of a page's run: every spec is built by
    the functions here, and tests/test_dashboard.py validates the spec of every chart on every page instead."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        chart = build(*args, **kwargs)
        # an instance attribute: Altair's own attribute handling would store it as a schema property
        object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
        return chart

    return wrapper


def stable_colors(names: list[str]) -> alt.Scale:
    """One colour per unit for the whole page, whatever the filters: the domain is every unit on offer."""
    return alt.Scale(domain=names, range=[SERIES_PALETTE[i % MAX_SERIES] for i in range(len(names))])


@alt.theme.register("nianbao", enable=True)
def nianbao_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelFont": FONT, "titleFont": FONT},
            "legend": {"labelFont": FONT, "titleFont": FONT},
            "title": {"font": FONT, "fontSize": 14},
            "view": {"stroke": None},
        }
    }


UNCERTAIN, CERTAIN, NO_DATA = UNCERTAIN_MARK, CERTAIN_MARK, NO_DATA_MARK  # the marks transform writes
CERTAINTY_TOOLTIP = alt.Tooltip("certainty:N", title="数据状态")


def _fill(color: str):
    """Solid for a value one can rely on, hollow (white with a coloured outline) for a 待核 value."""
    return alt.condition(alt.datum.certainty == UNCERTAIN, alt.value("white"), alt.value(color))


@unvalidated
def ranking(df: pl.DataFrame, metric: str, label: str, fmt: str = ",.0f", league_word: str = "盟/市") -> alt.Chart:
    """Bars per unit, values written at their end; a 待核 value is a hollow bar marked 待核."""
    data = df.filter(pl.col(metric).is_not_null())
    if "certainty" not in data.columns:
        data = data.with_columns(pl.lit(CERTAIN).alias("certainty"))
    order = data.sort(metric, descending=True)["jurisdiction_name"].to_list()  # one explicit order for every layer
    base = alt.Chart(data).encode(
        y=alt.Y("jurisdiction_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
        x=alt.X(f"{metric}:Q", title=label, axis=alt.Axis(format=fmt)),
        tooltip=[
            alt.Tooltip("jurisdiction_name:N", title="地区"),
            alt.Tooltip(f"{metric}:Q", title=label, format=fmt),
            *(
                [alt.Tooltip(f"{metric}_change:Q", title="与上年比较", format="+" + fmt.lstrip(","))]
                if f"{metric}_change" in data.columns
                else []
            ),
            *(
                [alt.Tooltip(f"{metric}_rank_parent:Q", title=f"{league_word}内排名")]
                if f"{metric}_rank_parent" in data.columns
                else []
            ),
            CERTAINTY_TOOLTIP,
        ],
    )
    bars = base.mark_bar(stroke=PALETTE[0], strokeWidth=1.5).encode(fill=_fill(PALETTE[0]))
    values = base.mark_text(align="left", dx=4, color="#333").encode(text=alt.Text(f"{metric}:Q", format=fmt))
    marks = (
        base.transform_filter(alt.datum.certainty != CERTAIN)
        .mark_text(align="left", dx=4, dy=-7, fontSize=10, color=PALETTE[3])
        .encode(text="certainty:N")
    )
    return (bars + values + marks).properties(height=alt.Step(22))


@unvalidated
def banded(bands: pl.DataFrame, label: str) -> alt.Chart:
    """Units per band (frame from transform.bands)."""
    bars = (
        alt.Chart(bands)
        .mark_bar(color=PALETTE[1])
        .encode(
            y=alt.Y("band:N", sort=alt.SortField("order"), title=label, axis=alt.Axis(labelOverlap=False)),
            x=alt.X("units:Q", title="地区数", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("band:N", title=label), alt.Tooltip("units:Q", title="地区数")],
        )
    )
    labels = bars.mark_text(align="left", dx=4, color="#333").encode(text="units:Q")
    return (bars + labels).properties(height=alt.Step(34))


@unvalidated
def grouped_bars(
    df: pl.DataFrame, metric: str, label: str, fmt: str = ",.0f", colors: alt.Scale | None = None
) -> alt.Chart:
    """Bars per unit and year; a 待核 value is drawn hollow. (`colors` is for line charts; bars are coloured by year.)"""
    if "certainty" not in df.columns:
        df = df.with_columns(pl.lit(CERTAIN).alias("certainty"))
    if "series" not in df.columns:
        df = df.with_columns(pl.col("jurisdiction_name").alias("series"))
    return (
        alt.Chart(df)
        .mark_bar(strokeWidth=1.5)
        .encode(
            stroke=alt.Color("year:N", title="年度"),
            fillOpacity=alt.condition(alt.datum.certainty == UNCERTAIN, alt.value(0.0), alt.value(1.0)),
            x=alt.X("series:N", title=None, axis=alt.Axis(labelAngle=-40, labelLimit=200, labelOverlap=False)),
            xOffset="year:N",
            y=alt.Y(f"{metric}:Q", title=label, axis=alt.Axis(format=fmt)),
            color=alt.Color("year:N", title="年度"),
            tooltip=[
                alt.Tooltip("jurisdiction_name:N", title="地区"),
                alt.Tooltip("year:N", title="年度"),
                alt.Tooltip(f"{metric}:Q", title=label, format=fmt),
                CERTAINTY_TOOLTIP,
            ],
        )
        .properties(height=300)
    )


@unvalidated
def trend(
    df: pl.DataFrame, metric: str, label: str, fmt: str = ",.0f", series: str = "地区", colors: alt.Scale | None = None
) -> alt.Chart:
    """One line per value of `series` (else `jurisdiction_name`): a unit, or a kind such as 行政复议 — `series`
    names the legend. A 待核 value is a hollow point. `fmt`: d3 format of the values."""
    if "series" not in df.columns:
        df = df.with_columns(pl.col("jurisdiction_name").alias("series"))
    if "certainty" not in df.columns:
        df = df.with_columns(pl.lit(CERTAIN).alias("certainty"))
    color = alt.Color(
        "series:N",
        title=series,
        scale=colors or alt.Undefined,
        legend=alt.Legend(columns=2 if df["series"].n_unique() > 6 else 1, labelLimit=220),
    )
    base = alt.Chart(df).encode(
        x=alt.X("year:O", title="年度", axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{metric}:Q", title=label, axis=alt.Axis(format=fmt)),
        color=color,
        tooltip=[
            alt.Tooltip("series:N", title=series),
            alt.Tooltip("year:O", title="年度"),
            alt.Tooltip(f"{metric}:Q", title=label, format=fmt),
            CERTAINTY_TOOLTIP,
        ],
    )
    points = base.mark_point(filled=True, size=50).encode(
        fill=alt.condition(alt.datum.certainty == UNCERTAIN, alt.value("white"), color)
    )
    return (base.mark_line() + points).properties(height=320)


# Outcomes of a request, in the template's order: disclosed in greens, refused in red, the rest neutral.
OUTCOME_COLORS = ["#2e8b57", "#8fd19e", "#c23b3b", "#e08a2e", "#9e9e9e", "#7a5ba6"]


@unvalidated
def stacked_share(df: pl.DataFrame, category: str, value: str, group: str, title: str, order: list[str]) -> alt.Chart:
    """Composition per unit; segments in the template's order (`order`); each bar says how many requests it holds."""
    df = df.with_columns(
        pl.col(category).replace_strict({c: i for i, c in enumerate(order)}, default=99).alias("_order")
    )
    totals = (
        df.group_by(group)
        .agg(pl.col(value).sum().alias("_total"))
        .with_columns(
            ("共 " + pl.col("_total").cast(pl.Int64).cast(pl.Utf8) + " 件").alias("_label"), pl.lit(1.0).alias("_end")
        )
    )
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{group}:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
            x=alt.X(f"{value}:Q", stack="normalize", title=title, axis=alt.Axis(format="%")),
            color=alt.Color(
                f"{category}:N",
                title="办理结果",
                sort=order,
                scale=alt.Scale(domain=order, range=OUTCOME_COLORS[: len(order)]),
                legend=alt.Legend(orient="bottom", columns=3, labelLimit=200),
            ),
            order=alt.Order("_order:Q"),
            tooltip=[
                alt.Tooltip(f"{group}:N", title="地区"),
                alt.Tooltip(f"{category}:N", title="办理结果"),
                alt.Tooltip(f"{value}:Q", title="件数"),
            ],
        )
    )
    counts = (
        alt.Chart(totals)
        .mark_text(align="left", dx=4, color="#333", fontSize=11)
        .encode(y=alt.Y(f"{group}:N"), x=alt.X("_end:Q"), text="_label:N")
    )
    return (bars + counts).properties(height=alt.Step(20))


@unvalidated
def donut(df: pl.DataFrame, category: str, value: str, order: list[str]) -> alt.Chart:
    """Shares of a whole; slices and legend in the template's order (`order`), not alphabetical."""
    df = df.with_columns(
        pl.col(category).replace_strict({c: i for i, c in enumerate(order)}, default=99).alias("_order")
    )
    return (
        alt.Chart(df)
        .mark_arc(innerRadius=60)
        .encode(
            theta=alt.Theta(f"{value}:Q"),
            color=alt.Color(f"{category}:N", title="申请人", sort=order),
            order=alt.Order("_order:Q"),
            tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", title="件数")],
        )
        .properties(height=260)
    )


COVERAGE_STATES = {"reported": "按时发布", "late": "逾期发布", "unknown_date": "发布日期未知", "missing": "未见报告"}


def chinese_date(column: str) -> pl.Expr:
    """2024年3月10日, or 未知."""
    return pl.col(column).dt.strftime("%Y年%-m月%-d日").fill_null("未知")


@unvalidated
def coverage_matrix(df: pl.DataFrame) -> alt.Chart:
    df = df.with_columns(
        pl.col("state").replace_strict(COVERAGE_STATES).alias("状态"),
        chinese_date("published_at").alias("发布日期"),
        chinese_date("deadline").alias("法定期限"),
    )
    colors = alt.Scale(domain=list(COVERAGE_STATES.values()), range=["#3a9d5d", "#d9822b", "#9e9e9e", "#c23b3b"])
    return (
        alt.Chart(df)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("year:O", title="年度", axis=alt.Axis(labelAngle=0, orient="top")),
            y=alt.Y("jurisdiction_name:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
            color=alt.Color("状态:N", scale=colors, title="状态"),
            tooltip=[
                alt.Tooltip("jurisdiction_name:N", title="地区"),
                alt.Tooltip("year:O", title="年度"),
                alt.Tooltip("状态:N"),
                alt.Tooltip("发布日期:N"),
                alt.Tooltip("法定期限:N"),
            ],
        )
        .properties(height=alt.Step(16))
    )


def choropleth(
    units: dict, borders: dict, labels: pl.DataFrame, label: str, fmt: str, league_word: str = "盟/市"
) -> dict:
    """Units coloured by the metric's bands — the quantile bands of 总览's 分档分布, so one large unit does not
    leave all others pale; layers from transform.map_features. 无数据 is grey, never a colour of the scale; a 待核
    value is hollow with a dashed red outline and marked 待核, as on the bars; the legend names both.

    Returns the Vega-Lite spec (for st.vega_lite_chart): Altair walks every coordinate of inline data, which took
    ~1.2 s per draw of the province, so the chart is built on named placeholders and the features go in after."""
    tooltip = [
        alt.Tooltip("properties.name:N", title="地区"),
        alt.Tooltip("properties.league:N", title=league_word),
        alt.Tooltip("properties.value:Q", title=label, format=fmt),
        alt.Tooltip("properties.change:Q", title="与上年比较", format="+" + fmt.lstrip(",")),
        alt.Tooltip("properties.rank:Q", title=f"{league_word}内排名"),
        alt.Tooltip("properties.certainty:N", title="数据状态"),
        alt.Tooltip("properties.synthetic:N", title="示例数据"),
    ]
    doubtful = f"datum.properties.certainty == '{UNCERTAIN}'"
    bands = units["bands"]
    extra = {NO_DATA: "#e6e6e6", UNCERTAIN: "#ffffff"}  # grey and hollow, named in the legend too
    shown = {f["properties"]["band"] for f in units["features"]}
    domain = bands + [name for name in extra if name in shown]
    fill = alt.Color(
        "properties.band:N",
        title=label,
        sort=domain,
        scale=alt.Scale(
            domain=domain, range=BLUES[-len(bands) :] * bool(bands) + [extra[n] for n in domain[len(bands) :]]
        ),
        legend=alt.Legend(orient="bottom-right", symbolType="square", symbolStrokeColor="#9a9a9a"),
    )
    shapes = (
        alt.Chart(alt.NamedData(name="units"))
        .mark_geoshape(strokeWidth=0.8)
        .encode(
            color=fill,
            stroke=alt.condition(doubtful, alt.value(PALETTE[3]), alt.value("#9a9a9a")),
            strokeWidth=alt.condition(doubtful, alt.value(2), alt.value(0.8)),
            strokeDash=alt.condition(doubtful, alt.value([4, 2]), alt.value([1, 0])),
            tooltip=tooltip,
        )
        .project(type="mercator")
    )
    layers = [shapes]
    if borders["features"]:
        layers.append(
            alt.Chart(alt.NamedData(name="borders"))
            .mark_geoshape(filled=False, stroke="#333333", strokeWidth=1.4)
            .project(type="mercator")
        )
    if not labels.is_empty():
        points = alt.Chart(labels).encode(longitude="longitude:Q", latitude="latitude:Q").project(type="mercator")
        layers.append(
            points.transform_filter(alt.datum.name != "")
            .mark_text(fontSize=LABEL_FONT_PX, color="#222222", dy=-6)
            .encode(text="name:N")
        )
        layers.append(
            points.transform_filter(alt.datum.certainty == UNCERTAIN)
            .mark_text(fontSize=10, color=PALETTE[3], dy=8)
            .encode(text="certainty:N")
        )
    spec = alt.layer(*layers).properties(height=560).to_dict()
    features = {"units": units["features"], "borders": borders["features"]}
    for layer in spec["layer"]:
        name = layer.get("data", {}).get("name")
        if name in features:
            layer["data"] = {"values": features[name]}
    return spec
