"""Render a synthetic report as a CMS web page, PDF-to-text output, a Word file or a PDF with ruled tables."""

from __future__ import annotations

import html
import io

from . import layout
from .model import Report

SYNTHETIC_NOTE = "示例数据（合成，仅供演示与测试）"
SECTION_TITLES = {
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}


def title(report: Report) -> str:
    return f"{report.issuer}{report.year}年政府信息公开工作年度报告"


def preamble(report: Report) -> str:
    basis = "国办公开办函〔2021〕30号" if report.versions["t3"] == "v2021" else "国办公开办函〔2019〕60号"
    scope = "汇总本地区各级行政机关政府信息公开工作情况，" if report.scope == "gov_aggregate" else ""
    return (
        f"本报告根据《中华人民共和国政府信息公开条例》和《{basis}》要求编制，{scope}"
        f"报告中所列数据统计期限自{report.year}年1月1日起至{report.year}年12月31日止。"
        f"本报告电子版可在{report.unit.name}人民政府门户网站查阅。"
    )


def _body_parts(report: Report):
    """Ordered parts: ('h', text) heading, ('p', text) paragraph, ('t', grid) table."""
    variants = report.variants
    t2 = layout.table2(report.cells, report.versions["t2"], variants)
    t3 = layout.table3(report.cells, report.versions["t3"], variants)
    if "t4_three_tables" in variants:
        t4_parts = [part for title, grid in layout.table4_parts(report.cells) for part in (("p", title), ("t", grid))]
    else:
        t4_parts = [("t", layout.table4(report.cells))]
    parts = [("h", "一、总体情况")] + [("p", p) for p in report.sections["一"]]
    parts += [
        ("h", SECTION_TITLES["二"]),
        ("t", t2),
        ("h", SECTION_TITLES["三"]),
        ("t", t3),
        ("h", SECTION_TITLES["四"]),
        *t4_parts,
        ("h", SECTION_TITLES["五"]),
    ]
    parts += [("p", p) for p in report.sections["五"]] + [("h", SECTION_TITLES["六"])]
    parts += [("p", p) for p in report.sections["六"]]
    return parts


# ------------------------------------------------------------------ HTML
def render_html(report: Report, encoding: str = "utf-8", declare_charset: bool = True) -> bytes:
    esc = html.escape
    out = []
    for kind, value in _body_parts(report):
        if kind == "h":
            out.append(f'<p style="text-indent:2em"><strong>{esc(value)}</strong></p>')
        elif kind == "p":
            out.append(f'<p style="text-indent:2em">{esc(value)}</p>')
        else:
            rows = []
            for row in value:
                tds = "".join(
                    f'<td{f" rowspan={rs}" if rs > 1 else ""}{f" colspan={cs}" if cs > 1 else ""} align="center">{esc(t) or "&nbsp;"}</td>'
                    for t, rs, cs in row
                )
                rows.append(f"<tr>{tds}</tr>")
            out.append('<table border="1" cellspacing="0" cellpadding="4" width="100%">' + "".join(rows) + "</table>")
    charset = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={"gb2312" if encoding == "gbk" else encoding}">'
        if declare_charset
        else ""
    )
    league = report.unit.parent_name
    page = f"""<!DOCTYPE html><html><head>{charset}<title>{esc(title(report))}_{esc(report.unit.name)}人民政府</title>
<meta name="PubDate" content="{report.published_at} 09:30"><meta name="ContentSource" content="{esc(report.issuer)}">
<style>body{{margin:0;font-family:"Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f3f5f8;color:#222}}
.header{{background:#b71c1c;color:#fff;padding:14px 40px;font-size:15px}}.header a{{color:#fff;text-decoration:none;margin-right:18px}}
.crumb{{font-size:13px;margin-top:8px;opacity:.85}}.sidebar{{display:none}}
.article{{max-width:900px;margin:24px auto;background:#fff;padding:30px 48px;border:1px solid #e3e3e3}}
.article h1{{font-size:22px;text-align:center;color:#b71c1c}}.info{{text-align:center;font-size:13px;color:#777;border-bottom:1px dashed #ccc;padding-bottom:10px}}
.synthetic{{text-align:center;color:#c62828;font-size:13px}}.TRS_Editor p{{line-height:1.9;font-size:15px}}
.TRS_Editor table{{border-collapse:collapse;font-size:12px;margin:8px 0}}.TRS_Editor td{{border:1px solid #555}}
.footer{{text-align:center;font-size:12px;color:#666;padding:20px}}</style>
<script>var site = "{esc(report.unit.name)}"; function nav(){{return 0;}}</script></head>
<body><div class="header"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/zwfw/">政务服务</a> | <a href="/hdjl/">互动交流</a>
<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div></div>
<div class="sidebar"><ul><li>政府信息公开指南</li><li>政府信息公开制度</li><li>法定主动公开内容</li><li>{esc(league)}政务公开</li></ul></div>
<div class="article"><h1>{esc(title(report))}</h1><div class="info">发布时间：{report.published_at} 来源：{esc(report.issuer)}</div>
<p class="synthetic">【{SYNTHETIC_NOTE}】</p><div class="TRS_Editor"><p style="text-indent:2em">{esc(preamble(report))}</p>
{"".join(out)}<p style="text-align:right">{esc(report.issuer)}</p><p style="text-align:right">{_cn_date(report.published_at)}</p></div></div>
<div class="footer">主办：{esc(report.unit.name)}人民政府办公室 &nbsp; 网站标识码 1506000000 &nbsp; <script>nav();</script></div></body></html>"""
    return page.encode("gb18030" if encoding == "gbk" else encoding)


def _cn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{y}年{int(m)}月{int(d)}日"


# ------------------------------------------------------------------ text (as pdftotext writes it)
def render_text(report: Report) -> bytes:
    """PDF-to-text output with tab-separated cells, or (variant cell_per_line) a crawler's copy of a web page:
    every cell on its own line, a sign or unit set apart from its number on a line of its own."""
    lines = [title(report), f"（{SYNTHETIC_NOTE}）", preamble(report)]
    per_line = "cell_per_line" in report.variants
    for kind, value in _body_parts(report):
        if kind in ("h", "p"):
            lines.append(value)
        elif per_line:
            lines += [part for row in value for t, _, _ in row if t for part in _apart(t)]
        elif "markdown_pipes" in report.variants:
            lines += _markdown(value)
        else:
            for row in value:
                lines.append("\t".join(t for t, _, _ in row))
    lines += [report.issuer, _cn_date(report.published_at)]
    return ("\n\n".join(lines) + "\n").encode("utf-8")


BOGUS_HEADER = ["项目", "本年新收件数", "数据1", "数据2", "数据3", "数据4", "数据5", "数据6", "合计"]


def _markdown(grid: list) -> list[str]:
    """A table as an OCR/LLM conversion writes it (spec §8.4, 沭阳 2025): markdown pipes with a separator row, the
    applicant headers replaced by 数据1…, （六）其他处理 shortened to （六）其他, and table 3 chopped into one mini-table
    per group, each under a bogus header row ("项目 | 本年新收件数 | …") that is not a template label."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    out: list[str] = []
    for i, row in enumerate(grid):
        cells = ["（六）其他" if t == "（六）其他处理" else t for t, _, _ in row]
        if cells[:5] == layout.organisation_labels():
            cells = [f"数据{n}" for n in range(1, 6)]
        if (
            cells
            and cells[0].startswith(("（三）", "（四）", "（五）", "（六）", "（七）"))
            or cells[:1] == ["三、本年度办理结果"]
        ):
            out += ["", line(BOGUS_HEADER), line(["---"] * len(BOGUS_HEADER))]
        out.append(line(cells))
        if i == 0:
            out.append(line(["---"] * len(cells)))
    return out


def _apart(cell: str) -> list[str]:
    """'增 7' → ['增', '7']; '129323元' → ['129323', '元']; anything else stays one line."""
    if " " in cell and cell.split(" ", 1)[0] in ("增", "减", "+"):
        return cell.split(" ", 1)
    for unit in ("万元", "元"):
        if cell.endswith(unit) and cell[: -len(unit)].replace(".", "").isdigit():
            return [cell[: -len(unit)], unit]
    return [cell]


def render_layout(report: Report) -> bytes:
    """The report's PDF as `pdftotext -layout` turns it into text (Debian's poppler-utils and poppler-data)."""
    import shutil
    import subprocess
    import tempfile

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise RuntimeError("the 'layout' format needs pdftotext: apt-get install poppler-utils poppler-data")
    with tempfile.TemporaryDirectory() as tmp:
        source = f"{tmp}/report.pdf"
        with open(source, "wb") as f:
            f.write(render_pdf(report))
        done = subprocess.run(
            [pdftotext, "-layout", "-enc", "UTF-8", source, "-"], capture_output=True, timeout=60, check=True
        )
    return done.stdout


# ------------------------------------------------------------------ Word
def render_docx(report: Report) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title(report), level=1)
    document.add_paragraph(f"（{SYNTHETIC_NOTE}）")
    document.add_paragraph(preamble(report))
    for kind, value in _body_parts(report):
        if kind == "h":
            document.add_paragraph(value).runs[0].bold = True
        elif kind == "p":
            document.add_paragraph(value)
        else:
            matrix, spans = layout.expand(value)
            ncols = len(matrix[0])
            table = document.add_table(rows=len(matrix), cols=ncols)
            table.style = "Table Grid"
            cells = table._cells  # computed once: table.cell() rebuilds the whole grid on every call
            for r, row in enumerate(matrix):
                for ci, text in enumerate(row):
                    if text:
                        cells[r * ncols + ci].text = text
            for r0, c0, r1, c1 in spans:  # spans never overlap, so the other cells stay valid
                cells[r0 * ncols + c0].merge(cells[r1 * ncols + c1])
    document.add_paragraph(report.issuer)
    document.add_paragraph(_cn_date(report.published_at))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ PDF
_FONT = "STSong-Light"


def render_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    body = ParagraphStyle("body", fontName=_FONT, fontSize=11, leading=18, firstLineIndent=22, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, firstLineIndent=0, fontSize=12, spaceBefore=6)
    title_style = ParagraphStyle("title", parent=body, firstLineIndent=0, fontSize=16, leading=24, alignment=1)
    cell_style = ParagraphStyle("cell", fontName=_FONT, fontSize=7.5, leading=9.5, wordWrap="CJK", alignment=1)
    story = [
        Paragraph(html_escape(title(report)), title_style),
        Paragraph(f"（{SYNTHETIC_NOTE}）", head),
        Paragraph(html_escape(preamble(report)), body),
    ]
    width = A4[0] - 36 * mm
    for kind, value in _body_parts(report):
        if kind == "h":
            story.append(Paragraph(html_escape(value), head))
        elif kind == "p":
            story.append(Paragraph(html_escape(value), body))
        else:
            matrix, spans = layout.expand(value)
            ncols = len(matrix[0])
            # Short cells are plain strings (one text object each); only long labels need wrapping.
            data = [[Paragraph(html_escape(t), cell_style) if len(t) > 7 else t for t in row] for row in matrix]
            col_widths = _col_widths(ncols, width)
            table = Table(data, colWidths=col_widths, repeatRows=0, splitByRow=1)
            style = [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), _FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
            style += [("SPAN", (c0, r0), (c1, r1)) for r0, c0, r1, c1 in spans]
            table.setStyle(TableStyle(style))
            story += [table, Spacer(1, 4 * mm)]
    story += [Paragraph(html_escape(report.issuer), body), Paragraph(_cn_date(report.published_at), body)]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=title(report),
        author=SYNTHETIC_NOTE,
        invariant=1,
    ).build(story, onLaterPages=_page_number, onFirstPage=_page_number)
    return buffer.getvalue()


def _page_number(canvas, doc) -> None:
    canvas.setFont(_FONT, 9)
    canvas.drawCentredString(doc.pagesize[0] / 2, 12 * 2.83, f"- {doc.page} -")


def _col_widths(ncols: int, width: float) -> list[float]:
    if ncols == 4:
        return [width * 0.34] + [width * 0.22] * 3
    if ncols == 10:  # table 3: three label columns then seven values
        return [width * 0.07, width * 0.12, width * 0.25] + [width * 0.08] * 7
    if ncols == 11:  # table 3 with a 法人或其他组织小计 column
        return [width * 0.07, width * 0.12, width * 0.25] + [width * 0.07] * 8
    return [width / ncols] * ncols


def html_escape(text: str) -> str:
    return html.escape(text, quote=False)


def render_ofd(report: Report) -> bytes:
    """The PDF's pages as an OFD package (GB/T 33190), the format many offices publish official documents in."""
    from .ofd import ofd_from_pdf

    return ofd_from_pdf(render_pdf(report))


def render_xlsx(report: Report) -> bytes:
    """The report as a spreadsheet, as some bodies attach their tables: one sheet, the text one cell per line, the
    three tables with their merged header cells."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet("年度报告")
        row = 0
        for line in (title(report), f"（{SYNTHETIC_NOTE}）", preamble(report)):
            sheet.write(row, 0, line)
            row += 1
        for kind, value in _body_parts(report):
            if kind in ("h", "p"):
                sheet.write(row, 0, value)
                row += 1
                continue
            matrix, spans = layout.expand(value)
            for r, cells in enumerate(matrix):
                for c, text in enumerate(cells):
                    if text:
                        sheet.write(row + r, c, text)
            for r0, c0, r1, c1 in spans:
                sheet.merge_range(row + r0, c0, row + r1, c1, matrix[r0][c0])
            row += len(matrix) + 1  # an empty row ends the table
        sheet.write(row, 0, report.issuer)
        sheet.write(row + 1, 0, _cn_date(report.published_at))
    return buffer.getvalue()


# ------------------------------------------------------------------ scans
SCAN_DPI = 200
MAX_SKEW = 0.6  # degrees, as an office scanner's feeder leaves a page


def render_scan(report: Report) -> bytes:
    """The PDF printed and scanned: each page an image (greyscale, skewed up to 0.6°, speckled, JPEG-compressed)
    in a PDF whose only text is an invisible page number per page, as scanning software types on (a thin text
    layer: the reader must still send it to OCR)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    pages = list(_scanned_pages(report))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setAuthor(SYNTHETIC_NOTE)
    canvas.setTitle(title(report))
    for number, page in enumerate(pages, start=1):
        width, height = page.width * 72 / SCAN_DPI, page.height * 72 / SCAN_DPI
        canvas.setPageSize((width, height))
        jpeg = io.BytesIO()
        page.save(jpeg, format="JPEG", quality=60)
        canvas.drawImage(ImageReader(io.BytesIO(jpeg.getvalue())), 0, 0, width, height)
        text = canvas.beginText(width / 2, 20)
        text.setTextRenderMode(3)  # invisible, as OCR'd scans carry their text
        text.setFont("Helvetica", 8)
        text.textLine(str(number))
        canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_tiff(report: Report) -> bytes:
    """The scanned pages as one multi-page TIFF (JPEG inside), as some offices attach their scans."""
    pages = list(_scanned_pages(report))
    buffer = io.BytesIO()
    pages[0].save(
        buffer, format="TIFF", save_all=True, append_images=pages[1:], compression="jpeg", dpi=(SCAN_DPI, SCAN_DPI)
    )
    return buffer.getvalue()


def _scanned_pages(report: Report):
    """The report's PDF pages as a scanner returns them (deterministic per document)."""
    import random
    import zlib

    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    rng = random.Random(zlib.crc32(report.doc_id.encode()))
    noise = np.random.default_rng(rng.randrange(2**32))
    pdf = pdfium.PdfDocument(render_pdf(report))
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            image = page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L")
            page.close()
            image = image.filter(ImageFilter.GaussianBlur(0.6))  # toner spread and the scanner's optics
            image = image.rotate(rng.uniform(-MAX_SKEW, MAX_SKEW), resample=Image.Resampling.BICUBIC, fillcolor=245)
            pixels = np.asarray(image, dtype=np.int16) - 10  # paper is never quite white
            pixels += noise.normal(0, 6, pixels.shape).astype(np.int16)
            speckles = noise.random(pixels.shape) < 0.0008
            pixels[speckles] = noise.integers(0, 90, int(speckles.sum()))
            yield Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    finally:
        pdf.close()


RENDERERS = {
    "html": render_html,
    "txt": render_text,
    "docx": render_docx,
    "pdf": render_pdf,
    "layout": render_layout,
    "ofd": render_ofd,
    "xlsx": render_xlsx,
    "scan": render_scan,
    "tiff": render_tiff,
}
EXTENSIONS = {
    "html": ".html",
    "txt": ".txt",
    "docx": ".docx",
    "pdf": ".pdf",
    "layout": ".txt",
    "ofd": ".ofd",
    "xlsx": ".xlsx",
    "scan": ".pdf",
    "tiff": ".tif",
}
