"""The 盟/市 briefing (情况通报), one design for PDF and an editable Word file: page 1 at a glance — the KPIs with their
change, 3–5 sentences written from the data by rules (no LLM), the ranking chart and the map of the 盟/市 (the
dashboard's own Altair charts, rendered on the server) — then every unit's figures and the main quality findings,
flowing without forced breaks. 待核 values are marked as on the charts; 示例数据 is said on every page. Numbers come
from the same queries and transforms as the pages, so the paper says what the screen says."""

from __future__ import annotations

import functools
import io
from datetime import date
from pathlib import Path

import polars as pl

from catalogue import load_catalogue
from warehouse import queries

from . import charts, common, transform

CID_FONT = "STSong-Light"  # reportlab's built-in CJK font: used, not embedded, when no TrueType CJK font is installed
TRUETYPE_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
DOCX_FONT = "SimSun"  # what Word/WPS in an office have; LibreOffice falls back to an installed CJK font
MAX_FINDINGS = 12
RANKED = "permits"


# ---------------------------------------------------------------- what it says
def content(con, province: str, parent: str, year: int) -> dict:
    """Everything the briefing prints, as plain values (tested against the mart)."""
    now = queries.metrics(con, province, parent, year)
    before = queries.metrics(con, province, parent, year - 1)
    whole = queries.metrics(con, province, None, year)
    kpis, (only_now, only_before) = transform.kpis(now, before)
    cover = queries.coverage(con, province, parent).filter(pl.col("year") == year)
    findings = queries.failing_checks(con, None, province, parent).filter(pl.col("year") == year)
    league = now["parent_name"][0] if not now.is_empty() else parent
    inputs = sorted({m for k in transform.kpi_keys() for m in transform.kpi_inputs(k)})
    data = {
        "league": league,
        "year": year,
        "province": province,
        "parent": parent,
        "kpis": kpis,
        "only_now": only_now,
        "only_before": only_before,
        "units": now.sort("jurisdiction_code"),
        "coverage": cover,
        "findings": findings,
        "synthetic": bool(now["synthetic"].any()) if not now.is_empty() else False,
        "uncertain_units": transform.uncertain_units(now, inputs),
        "province_review_rate": transform.kpis(whole, whole.clear())[0]["review_correction_rate"][0],
    }
    data["sentences"] = sentences(data, common.region_words(province))
    return data


def sentences(data: dict, words: dict[str, str]) -> list[str]:
    """3–5 sentences a leader reads first, each from one rule: the largest rise and fall, values 待核, late or
    missing reports, the review correction rate against the province."""
    units, out = data["units"], []
    changed = units.filter(pl.col(f"{RANKED}_change").is_not_null()).sort(f"{RANKED}_change")
    if not changed.is_empty():
        up, down = changed.row(-1, named=True), changed.row(0, named=True)
        out.append(
            f"与上年相比，行政许可件数增加最多的是{up['jurisdiction_name']}（{_signed(up[f'{RANKED}_change'])} 件），"
            + (
                f"减少最多的是{down['jurisdiction_name']}（{_signed(down[f'{RANKED}_change'])} 件）。"
                if down[f"{RANKED}_change"] < 0
                else "没有地区减少。"
            )
        )
    top = units.filter(pl.col("duplicate_share").is_not_null()).sort("duplicate_share", descending=True)
    if not top.is_empty():
        row = top.row(0, named=True)
        out.append(f"重复申请占比最高的是{row['jurisdiction_name']}（{row['duplicate_share']:.1%}）。")
    doubtful = [r["jurisdiction_name"] for r in units.to_dicts() if r.get("uncertain_metrics")]
    out.append(
        f"{len(doubtful)} 个地区的部分数值待核（原文表格受损）：{'、'.join(doubtful)}，使用前请核对原文。"
        if doubtful
        else "各地区报告的数值均能按原表确定。"
    )
    late = data["coverage"].filter(pl.col("state") == "late")["jurisdiction_name"].to_list()
    missing = data["coverage"].filter(pl.col("state") == "missing")["jurisdiction_name"].to_list()
    reported = data["coverage"].height - len(late) - len(missing)
    timely = f"{reported} 个地区按时发布年度报告"
    timely += f"，逾期发布：{'、'.join(late)}" if late else ""
    timely += f"，未见报告：{'、'.join(missing)}" if missing else ""
    out.append(timely + "。")
    rate, whole = data["kpis"]["review_correction_rate"][0], data["province_review_rate"]
    if rate is not None and whole is not None:
        out.append(
            f"行政复议纠错率 {rate:.1%}，{words['whole']} {whole:.1%}"
            + ("，高于" if rate > whole else "，低于" if rate < whole else "，持平")
            + f"{words['whole']}水平。"
        )
    return out[:5]


def _signed(value: float) -> str:
    return f"{value:+,.0f}"


# ---------------------------------------------------------------- charts (the dashboard's own)
@functools.cache
def _register_fonts(vlc) -> None:
    """Once a process: every registration loads the folder's fonts again."""
    for folder in ("/usr/share/fonts", str(Path.home() / ".fonts")):
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)


def chart_images(con, data: dict) -> dict[str, bytes]:
    """The ranking and the map as PNG, rendered by vl-convert from the same Altair specs the pages draw."""
    import vl_convert as vlc

    _register_fonts(vlc)
    words = common.region_words(data["province"])
    shown = transform.with_certainty(common.mark_synthetic(data["units"], "jurisdiction_name"), RANKED)
    ranking = charts.ranking(shown, RANKED, common.label(RANKED), common.value_format(RANKED), words["league"])
    images = {"ranking": vlc.vegalite_to_png(ranking.properties(width=300).to_dict(), scale=2)}
    outlines = queries.outlines(con, data["province"], data["parent"])
    if not outlines.is_empty():
        units, borders, labels = transform.map_features(outlines, data["units"], RANKED)
        spec = charts.choropleth(
            units, borders, labels, common.label(RANKED), common.value_format(RANKED), words["league"]
        )
        spec.update({"width": 300, "height": 300})
        images["map"] = vlc.vegalite_to_png(spec, scale=2)
    return images


def _rows(data: dict, words: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    cat = load_catalogue()
    ranked = cat.with_role("briefing")
    header = ["地区"] + [cat.label(k) for k in ranked] + ["行政许可同比", f"{words['league']}内排名"]
    rows = []
    for unit in data["units"].to_dicts():
        doubtful = set(unit.get("uncertain_metrics") or [])
        rows.append(
            [unit["jurisdiction_name"] + ("（示例数据）" if unit["synthetic"] else "")]
            + [common.format_value(k, unit[k]) + ("（待核）" if k in doubtful else "") for k in ranked]
            + [
                common.format_change("permits", unit.get("permits_change")) or "—",
                "—" if unit.get("permits_rank_parent") is None else f"第{unit['permits_rank_parent']}名",
            ]
        )
    return header, rows


def _kpi_rows(data: dict) -> list[list[str]]:
    kpis = data["kpis"]
    return [
        [common.label(k) for k in kpis],
        [common.format_value(k, v) for k, (v, _) in kpis.items()],
        [common.format_change(k, d) or "—" for k, (_, d) in kpis.items()],
    ]


def _finding_rows(data: dict) -> list[list[str]]:
    cat = load_catalogue()
    return [
        [f["jurisdiction_name"] or f["issuer"] or "—", cat.check_label(f["code"]), f["detail"]]
        for f in data["findings"].head(MAX_FINDINGS).to_dicts()
    ]


def _title(data: dict) -> str:
    return f"{data['league']}政府信息公开工作年度报告情况通报（{data['year']}年度）"


def _issued(data: dict, published_at: str) -> str:
    return f"nianbao 数据仓库　{date.today():%Y年%-m月%-d日}" + (
        f"（数据发布于 {published_at}）" if published_at else ""
    )


SYNTHETIC_LINE = "说明：本通报含示例数据（合成演示数据），不是真实报告。"


# ---------------------------------------------------------------- PDF
def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path in TRUETYPE_FONTS:
        if Path(path).exists():
            if "CJK" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))  # embedded (subset) in the PDF
            return "CJK"
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def build(con, province: str, parent: str, year: int, published_at: str = "", prepared=None) -> bytes:
    """The briefing as a PDF (A4; two pages for a 盟/市 of about ten units)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _pdf_font()
    data, images = prepared or prepare(con, province, parent, year)
    words = common.region_words(province)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=18, spaceBefore=6, spaceAfter=3)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11)
    centred = ParagraphStyle("centred", parent=small, alignment=1)
    width = A4[0] - 36 * mm

    def table(rows: list[list[str]], widths: list[float], style=small, header_rows: int = 1) -> Table:
        t = Table([[Paragraph(str(v), style) for v in row] for row in rows], colWidths=widths, repeatRows=header_rows)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e8eef6")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    def picture(png: bytes, box_width: float) -> Image:
        from reportlab.lib.utils import ImageReader

        w, h = ImageReader(io.BytesIO(png)).getSize()
        return Image(io.BytesIO(png), width=box_width, height=box_width * h / w)

    story = [Paragraph(_title(data), title), Paragraph(_issued(data, published_at), centred)]
    if data["synthetic"]:
        story.append(Paragraph(SYNTHETIC_LINE, centred))
    story += [
        Paragraph("一、总体情况", head),
        Paragraph("".join(data["sentences"]), body),
        Spacer(1, 2 * mm),
        table(_kpi_rows(data), [width / len(data["kpis"])] * len(data["kpis"]), centred),
    ]
    pictures = [picture(images[k], width * 0.49) for k in ("ranking", "map") if k in images]
    if pictures:
        story += [Spacer(1, 2 * mm), Table([pictures], colWidths=[width * 0.5] * len(pictures))]
    header, rows = _rows(data, words)
    story += [
        Paragraph(f"二、各地区情况（{data['year']}年度）", head),
        table([header, *rows], [width * 0.22] + [width * 0.13] * 4 + [width * 0.12, width * 0.14]),
    ]
    story.append(Paragraph("三、主要问题", head))
    findings = _finding_rows(data)
    if not findings:
        story.append(Paragraph(f"所选{words['league']}本年度报告未发现问题。", body))
    else:
        story.append(table([["地区", "问题", "说明"], *findings], [width * 0.16, width * 0.2, width * 0.64]))
        if len(data["findings"]) > MAX_FINDINGS:
            story.append(
                Paragraph(f"另有 {len(data['findings']) - MAX_FINDINGS} 项问题，见仪表盘“数据质量”页。", small)
            )

    def footer(canvas, doc) -> None:
        canvas.setFont(font, 8)
        note = f"第 {doc.page} 页　{_title(data)}" + ("　示例数据（合成演示数据）" if data["synthetic"] else "")
        canvas.drawCentredString(A4[0] / 2, 9 * mm, note)

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=_title(data),
        author="nianbao",
        invariant=1,
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# ---------------------------------------------------------------- Word
def build_docx(con, province: str, parent: str, year: int, published_at: str = "", prepared=None) -> bytes:
    """The same briefing as an editable Word file in the layout of an official 通报: title, 发文 line, numbered
    sections, bordered tables, the charts as pictures."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    data, images = prepared or prepare(con, province, parent, year)
    words = common.region_words(province)
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = DOCX_FONT, Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), DOCX_FONT)
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2.2)
        footer = section.footer.paragraphs[0]
        footer.text = _title(data) + ("　示例数据（合成演示数据）" if data["synthetic"] else "")
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def paragraph(text: str, size: int = 11, bold: bool = False, centre: bool = False):
        p = document.add_paragraph()
        run = p.add_run(text)
        run.font.size, run.bold = Pt(size), bold
        if centre:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return p

    def table(rows: list[list[str]]) -> None:
        grid = document.add_table(rows=len(rows), cols=len(rows[0]))
        grid.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                grid.cell(r, c).text = str(value)
                for run in grid.cell(r, c).paragraphs[0].runs:
                    run.font.size, run.bold = Pt(9), r == 0

    paragraph(_title(data), 18, True, True)
    paragraph(_issued(data, published_at), 10, centre=True)
    if data["synthetic"]:
        paragraph(SYNTHETIC_LINE, 10, centre=True)
    paragraph("一、总体情况", 14, True)
    paragraph("".join(data["sentences"]))
    table(_kpi_rows(data))
    for key in ("ranking", "map"):
        if key in images:
            document.add_picture(io.BytesIO(images[key]), width=Cm(12 if key == "ranking" else 10))
    paragraph(f"二、各地区情况（{data['year']}年度）", 14, True)
    header, rows = _rows(data, words)
    table([header, *rows])
    paragraph("三、主要问题", 14, True)
    findings = _finding_rows(data)
    if findings:
        table([["地区", "问题", "说明"], *findings])
    else:
        paragraph(f"所选{words['league']}本年度报告未发现问题。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def prepare(con, province: str, parent: str, year: int) -> tuple[dict, dict[str, bytes]]:
    """What both formats print: the content and the chart images (read and rendered once for the PDF and Word)."""
    data = content(con, province, parent, year)
    return data, chart_images(con, data)


def write(
    con, province: str, parent: str, year: int, fmt: str, out: str | Path, published_at: str = "", prepared=None
) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    builder = build_docx if fmt == "docx" else build
    out.write_bytes(builder(con, province, parent, year, published_at, prepared))
    return out
