"""The PDFium reader: ruled tables with merged cells, running headers dropped, pages closed as it goes."""

import io

from pipelines.report.pdf import read_pdf


def _ruled_pdf() -> bytes:
    """Two pages, a running header on each; page 1 holds a 3×3 ruled table whose first column is one cell over
    rows 2–3 (no rule between them), drawn as separate stroked lines; page 2 the same table drawn as rectangles."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(595, 842))
    xs, ys = [100, 200, 300, 400], [700, 670, 640, 610]
    for page in (1, 2):
        c.setFont("STSong-Light", 10)
        c.drawString(100, 810, "示例旗人民政府信息公开")  # running header
        c.drawString(100, 760, f"第{page}部分正文")
        if page == 1:
            for y in ys:  # no rule under the first column between rows 2 and 3
                c.line(xs[1] if y == ys[2] else xs[0], y, xs[-1], y)
            for x in xs:
                c.line(x, ys[0], x, ys[-1])
        else:
            for r in range(3):
                for col in range(3):
                    if col == 0 and r == 1:
                        c.rect(xs[0], ys[3], xs[1] - xs[0], ys[1] - ys[3])  # the merged cell
                    elif not (col == 0 and r == 2):
                        c.rect(xs[col], ys[r + 1], xs[col + 1] - xs[col], ys[r] - ys[r + 1])
        texts = [["项目", "本年新收", "上年结转"], ["合计", "12", "3"], [None, "4", "5"]]
        for r, row in enumerate(texts):
            for col, text in enumerate(row):
                if text:
                    c.drawString(xs[col] + 5, ys[r] - 18 if not (col == 0 and r == 1) else ys[2] - 3, text)
        c.showPage()
    c.save()
    return buffer.getvalue()


def test_ruled_tables_merged_cells_and_running_header():
    document = read_pdf(_ruled_pdf())
    texts = [(b.kind, [c.text for c in b.cells]) for b in document.blocks]
    assert ("text", ["示例旗人民政府信息公开"]) not in texts  # the running header is dropped
    assert ("text", ["第1部分正文"]) in texts and ("text", ["第2部分正文"]) in texts
    rows = [cells for kind, cells in texts if kind == "table_row"]
    for page in (0, 1):  # stroked lines and rectangles give the same table
        header, merged, under = rows[3 * page : 3 * page + 3]
        assert header == ["项目", "本年新收", "上年结转"]
        assert merged == ["合计", "12", "3"]
        assert under == ["4", "5"]  # the merged cell appears once, on its first row
    wheres = [c.where for b in document.blocks if b.kind == "table_row" for c in b.cells]
    assert wheres[0] == "page 1 table 1 row 1 col 1"
