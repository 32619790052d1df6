"""A printable 盟/市 briefing (2–4 pages, PDF, built on the server): the KPIs with their change on last year, every
unit's figures with its own change and rank, coverage and timeliness, and the main quality findings with their
evidence. Numbers come from the same queries and transforms as the pages, so the paper says what the screen says."""

from __future__ import annotations

import io
from datetime import date

import polars as pl

from catalogue import load_catalogue
from warehouse import queries

from . import common, transform

FONT = "STSong-Light"  # a CID font every PDF reader has: nothing to embed or ship
MAX_FINDINGS = 25


def content(con, province: str, parent: str, year: int) -> dict:
    """Everything the briefing prints, as plain values (tested against the pages' own numbers)."""
    now = queries.metrics(con, province, parent, year)
    before = queries.metrics(con, province, parent, year - 1)
    kpis, (only_now, only_before) = transform.kpis(now, before)
    cover = queries.coverage(con, province, parent).filter(pl.col("year") == year)
    findings = queries.failing_checks(con, None, province, parent).filter(pl.col("year") == year)
    league = now["parent_name"][0] if not now.is_empty() else parent
    return {
        "league": league,
        "year": year,
        "kpis": kpis,
        "only_now": only_now,
        "only_before": only_before,
        "units": now.sort("jurisdiction_code"),
        "coverage": cover,
        "findings": findings,
        "synthetic": bool(now["synthetic"].any()) if not now.is_empty() else False,
        "uncertain_units": transform.uncertain_units(
            now, sorted({m for k in transform.kpi_keys() for m in transform.kpi_inputs(k)})
        ),
    }


def build(con, province: str, parent: str, year: int, published_at: str = "") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    data = content(con, province, parent, year)
    words = common.region_words(province)
    cat = load_catalogue()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    head = ParagraphStyle("head", parent=body, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=26, alignment=1)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11)

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        cells = [[Paragraph(str(v), small) for v in row] for row in rows]
        t = Table(cells, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    width = A4[0] - 36 * mm
    story = [
        Paragraph(f"{data['league']}政府信息公开工作年度报告简报（{year}年度）", title),
        Paragraph(
            f"生成日期：{date.today():%Y年%-m月%-d日}　数据来源：nianbao 数据仓库"
            + (f"（{published_at}发布）" if published_at else "")
            + f"，各{words['units']}政府信息公开工作年度报告",
            small,
        ),
    ]
    if data["synthetic"]:
        story.append(Paragraph("说明：本简报含示例数据（合成演示数据），不是真实报告。", small))
    story.append(Paragraph("一、主要指标", head))
    kpi_rows = [["指标", f"{year}年", "与上年比较"]] + [
        [cat.label(key), common.format_value(key, value), common.format_change(key, delta) or "—"]
        for key, (value, delta) in data["kpis"].items()
    ]
    story.append(table(kpi_rows, [width * 0.4, width * 0.3, width * 0.3]))
    notes = []
    if data["only_now"] or data["only_before"]:
        notes.append(
            f"与上年比较只计两年都有报告的地区（本年有、上年无 {data['only_now']} 个；上年有、本年无 {data['only_before']} 个）。"
        )
    if data["uncertain_units"]:
        notes.append(f"其中 {data['uncertain_units']} 个地区的部分数值待核（原文表格受损，无法唯一确定）。")
    story += [Paragraph(n, small) for n in notes]
    story.append(Paragraph("二、按时发布情况", head))
    states = {"reported": "按时发布", "late": "逾期发布", "unknown_date": "发布日期未知", "missing": "未见报告"}
    counts = data["coverage"].group_by("state").len().to_dicts()
    story.append(
        Paragraph(
            "；".join(
                f"{states[c['state']]} {c['len']} 个"
                for c in sorted(counts, key=lambda c: list(states).index(c["state"]))
            )
            + "。",
            body,
        )
    )
    late = data["coverage"].filter(pl.col("state").is_in(["late", "missing"]))
    if not late.is_empty():
        story.append(
            Paragraph(
                "逾期或未见报告："
                + "、".join(f"{r['jurisdiction_name']}（{states[r['state']]}）" for r in late.to_dicts())
                + "。",
                body,
            )
        )
    story += [PageBreak(), Paragraph("三、各地区情况", head)]
    rows = [
        ["地区"]
        + [cat.label(k) for k in cat.with_role("briefing")]
        + ["行政许可同比", f"行政许可{words['league']}内排名"]
    ]
    for unit in data["units"].to_dicts():
        doubtful = set(unit.get("uncertain_metrics") or [])
        rows.append(
            [unit["jurisdiction_name"]]
            + [
                common.format_value(k, unit[k]) + ("（待核）" if k in doubtful else "")
                for k in cat.with_role("briefing")
            ]
            + [
                common.format_change("permits", unit.get("permits_change")) or "—",
                "—" if unit.get("permits_rank_parent") is None else f"第{unit['permits_rank_parent']}名",
            ]
        )
    story.append(table(rows, [width * 0.16] + [width * 0.14] * 4 + [width * 0.13, width * 0.15]))
    story += [PageBreak(), Paragraph("四、主要质量问题", head)]
    findings = data["findings"]
    if findings.is_empty():
        story.append(Paragraph(f"所选{words['league']}本年度报告未发现问题。", body))
    else:
        shown = findings.head(MAX_FINDINGS).to_dicts()
        story.append(
            table(
                [["地区", "问题", "说明"]]
                + [
                    [f["jurisdiction_name"] or f["issuer"] or "—", cat.check_label(f["code"]), f["detail"]]
                    for f in shown
                ],
                [width * 0.16, width * 0.2, width * 0.64],
            )
        )
        if len(findings) > MAX_FINDINGS:
            story.append(Paragraph(f"另有 {len(findings) - MAX_FINDINGS} 项问题，见仪表盘“数据质量”页。", small))
    story.append(Spacer(1, 6 * mm))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{data['league']}{year}年度简报",
        author="nianbao",
        invariant=1,
    ).build(story)
    return buffer.getvalue()
