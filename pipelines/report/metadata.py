"""Report metadata from the document: issuer as printed, report year, publish date, scope, legal deadline."""

from __future__ import annotations

import re
from datetime import date

from .model import Document
from .normalize import nfkc

_TITLE = re.compile(
    r"([\u4e00-\u9fff（）()·]{2,40}?)\s*(\d{4})\s*年度?\s*(?:政府信息公开|政务公开|信息公开)[\u4e00-\u9fff]{0,8}报告"
)
_TITLE_NO_ISSUER = re.compile(
    r"(\d{4})\s*年度?\s*([\u4e00-\u9fff（）()·]{2,40}?)\s*(?:政府信息公开|信息公开)[\u4e00-\u9fff]{0,8}报告"
)
_PERIOD = re.compile(r"(\d{4})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|-|－)\s*(\d{4})\s*年\s*12\s*月\s*31\s*日")
_PUBLISHED = re.compile(
    r"(?:发布时间|发布日期|发文日期|成文日期|时间)\s*[:：]?\s*(\d{4})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})"
)
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_COMPILER = re.compile(r"本报告(?:由|是)([\u4e00-\u9fff]{4,30}?)(?:根据|依据|按照|编制)")
_AREA_WIDE = re.compile(
    r"全(?:市|区|旗|县|盟)(?:共|累计|各级|各地|各单位|政府信息公开)|各级政府及其部门|全(?:市|区|旗|县)范围内"
)
_AGGREGATE = re.compile(r"汇总|各级行政机关|各苏木镇|各乡镇|旗直各部门|县直各部门|市直各部门|各有关单位")


def report_title(doc: Document) -> str:
    if "_title" not in doc.meta:  # asked for by several rules; found once
        doc.meta["_title"] = _find_title(doc)
    return doc.meta["_title"]


def _find_title(doc: Document) -> str:
    lines = [b.text for b in doc.blocks[:12]]
    # a title broken over two lines: "洪泽区人民政府" / "2023 年政府信息公开工作年度报告"
    joined = [
        prev + line if re.match(r"\s*\d{4}\s*年", line) and len(prev) < 30 else line
        for prev, line in zip([""] + lines, lines, strict=False)
    ]
    # ... or a long title wrapped before its last characters: "…工作年度" / "报告"
    wrapped = [
        line + nxt for line, nxt in zip(lines, lines[1:], strict=False) if len(nxt) <= 12 and nxt.strip().endswith("告")
    ]
    candidates = [doc.meta.get("article_title", ""), doc.title] + wrapped + joined
    for text in candidates:
        text = nfkc(text or "")
        if re.search(r"\d{4}\s*年", text) and "报告" in text and len(text) < 120:
            return re.split(r"[-_|]\s*(?!\d)", text)[0].strip() if len(text) > 40 else text.strip()
    return ""


def issuer_and_year(doc: Document) -> tuple[str, int | None, str]:
    """(issuer as printed, report year, where the year came from)."""
    title = report_title(doc)
    issuer, year, year_source = "", None, ""
    m = _TITLE.search(title) or None
    if m:
        issuer, year, year_source = m.group(1), int(m.group(2)), "title"
    else:
        m2 = _TITLE_NO_ISSUER.search(title)
        if m2:
            issuer, year, year_source = m2.group(2), int(m2.group(1)), "title"
    head = doc.head_text(40)
    if not issuer:
        compiler = _COMPILER.search(head)
        issuer = compiler.group(1) if compiler else ""
    if not issuer and doc.meta.get("source_org"):
        issuer = doc.meta["source_org"]
    period = _PERIOD.search("".join(head.split()))
    if period and (year is None):
        year, year_source = int(period.group(1)), "statistics period"
    return issuer.strip(), year, year_source


def published_at(doc: Document, year: int | None = None) -> tuple[str | None, str]:
    """Publication date from the page metadata, else the signature date. A date inside the report year is
    impossible (a report is published after its year ends) and is ignored as a CMS default."""

    def plausible(iso: str | None) -> bool:
        return bool(iso) and (year is None or f"{year}-12-31" < iso <= f"{year + 2}-12-31")

    head = nfkc(
        " ".join(
            [doc.meta.get("published_at_raw", ""), doc.meta.get("page_text_head", "")]
            + [b.text for b in doc.blocks[:8]]
        )
    )
    for m in _PUBLISHED.finditer(head):
        if plausible(_iso(m.groups())):
            return _iso(m.groups()), "page metadata"
    tail = nfkc(" ".join(b.text for b in doc.blocks[-6:]))
    dates = [_iso(d) for d in _DATE.findall(tail)]
    dates = [d for d in dates if plausible(d)]
    if dates:
        return dates[-1], "signature date"
    return None, ""


def _iso(parts) -> str | None:
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        return None


def scope(issuer_kind: str, doc: Document) -> str:
    if issuer_kind in ("department", "branch", "vertical"):
        return "department"
    if issuer_kind == "township":
        return "township"
    preamble = doc.head_text(30).split("总体情况")[0]
    opening = "".join(doc.head_text(80)[:6000].split())[:4000]
    if _AGGREGATE.search(preamble) or _AREA_WIDE.search(opening):
        return "gov_aggregate"
    return "gov_own"


def deadline(year: int | None, report_scope: str) -> str | None:
    """Spec §7.1: departments publish by 31 January, governments by 31 March of the following year."""
    if year is None:
        return None
    return date(year + 1, 1, 31).isoformat() if report_scope == "department" else date(year + 1, 3, 31).isoformat()


def default_version(year: int | None) -> str | None:
    if year is None:
        return None
    return "v2019" if year in (2019, 2020) else ("v2021" if year >= 2021 else "pre2019")
