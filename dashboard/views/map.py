import streamlit as st

from catalogue import load_catalogue
from dashboard import charts, common, transform
from warehouse import queries

st.title("地图")
con = common.connection()
province, parent, year = common.region_filters(con, "map")
outlines = common.cached(queries.outlines, province, parent)
if outlines.is_empty():
    st.info("暂无该地区的边界数据（目前随附内蒙古自治区各盟市、旗县区边界）。")
    st.stop()
body = common.body_filter(con, "map", province, parent, townships=False)  # a 苏木/镇 has no outline here
metric = st.selectbox(
    "指标", load_catalogue().with_role("map"), format_func=common.label, key="map_metric", help="口径见指标说明"
)
data = common.cached(queries.metrics, province, parent, year, body=body)
common.synthetic_notice(data)
units, borders, labels = transform.map_features(outlines, data, metric, percent=common.is_share(metric))
st.subheader(f"{common.body_title(body)}{common.label(metric)}（{year}年）")
st.vega_lite_chart(
    charts.choropleth(
        units, borders, labels, common.label(metric), common.value_format(metric), common.words()["league"]
    ),
    width="stretch",
)
states = [f["properties"]["certainty"] for f in units["features"]]
st.caption(
    f"共 {len(states)} 个{common.words()['units']}：有数据 {sum(s != transform.NO_DATA_MARK for s in states)} 个，"
    f"无数据（灰色）{states.count(transform.NO_DATA_MARK)} 个，待核（空心、红色虚线）{states.count(transform.UNCERTAIN_MARK)} 个。"
    + common.help_text(metric)
)
source = outlines["source"][0]
st.caption(
    f"边界：{source}，原始数据来自高德地图，经简化，仅示意各{common.words()['units']}位置，不作为行政区域界线的依据；"
    "未经地图审核，不得用于公开出版或对外发布。"
)
