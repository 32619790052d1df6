"""Report quality audit (spec §6.4, §7): text vs tables, timeliness, completeness, copying, across years.

Per-report checks need only one parse result; corpus checks (copying, carry-over) need all reports.
Every finding carries its evidence (the sentence, the numbers or the matching passages).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from catalogue import load_catalogue

from .normalize import nfkc

SECTION_HEADINGS = [s["numeral"] for s in load_catalogue().raw["sections"]]
SECTION_PATTERNS = [(s["numeral"], "|".join(s["keywords"])) for s in load_catalogue().raw["sections"]]
_RECEIVED = re.compile(
    r"(?:收到|受理|接到|新收)[^。；，,\d]{0,16}?申请(?:共计|共)?\s*(\d+)\s*件"
    r"|(?:收到|受理|接到|新收)\s*(\d+)\s*件(?:政府信息公开|依申请)"
)
_REVIEW_COUNT = re.compile(r"行政复议(?:案件)?(?:共)?\s*(\d+)\s*(?:件|起)")
_LITIGATION_COUNT = re.compile(r"行政诉讼(?:案件)?(?:共)?\s*(\d+)\s*(?:件|起)")
# "未收到…申请" — but not "未收到法人或其他组织…申请" (a subset of applicants)
_NONE_RECEIVED = re.compile(
    r"未(?:收到|接到|受理)(?:和处理)?(?:(?!法人|公民|自然人|组织|企业)[^。；]){0,10}(?:政府信息公开|依申请公开)?申请"
)
_ITEMS = re.compile(r"([一二三四五六七八九十])项内容")
_YEAR_OPENING = re.compile(r"^(?:[(（][一二三四五六七八九十][)）])?\s*(\d{4})\s*年\s*(?:度)?\s*[,，]")
CN_NUM = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def _spaced(alternatives: str) -> str:
    """'总体情况|概述' → a pattern that also matches the words with spaces or line breaks inside."""
    return "|".join(r"\s*".join(word) for word in alternatives.split("|"))


_HEADING_RES = {
    numeral: re.compile(numeral + r"\s*[、.．]\s*[^、。；\d]{0,10}?(?:" + _spaced(words) + ")")
    for numeral, words in SECTION_PATTERNS
}


def split_sections(text: str) -> dict[str, str]:
    """Sections 一–六 by their headings, found in order anywhere in the text: crawls put headings mid-line
    ("…的情况。 二、主动公开…") or break them after the numeral ("六、" / "其他需要报告的事项")."""
    norm = nfkc(text)
    starts: list[tuple[str, int]] = []
    position = 0
    for numeral, _ in SECTION_PATTERNS:
        m = _HEADING_RES[numeral].search(norm, position)
        if m:
            starts.append((numeral, m.start()))
            position = m.end()
    sections = {"preamble": norm[: starts[0][1]] if starts else norm}
    for (numeral, begin), (_, end) in zip(starts, starts[1:] + [("", len(norm))], strict=False):
        sections[numeral] = norm[begin:end]
    return sections


def _sentences(text: str) -> list[str]:
    """Sentences across line breaks (PDF text breaks lines inside sentences)."""
    joined = re.sub(r"\s*\n\s*", "", nfkc(text))
    return [s.strip() for s in re.split(r"[。；]", joined) if len(s.strip()) >= 6]


def finding(code: str, status: str, severity: str, detail: str) -> dict:
    return {"code": code, "kind": "quality", "status": status, "severity": severity, "detail": detail}


@dataclass(frozen=True)
class Report:
    """What the per-report rules read: the parse result, its cells and its sections (split once)."""

    result: dict
    cells: dict
    sections: dict[str, str]

    @property
    def opening(self) -> str:
        """Sections 一 and 二: PDF text order can push paragraphs of 一 behind the heading of 二 (the seed does)."""
        return self.sections.get("一", "") + "\n" + self.sections.get("二", "")


def _requests_in_text(r: Report) -> list[dict]:
    """W9: the number of requests the narrative states against table 3's 新收 (or 新收 + 结转)."""
    new, carried = r.cells.get("t3_new_received__total"), r.cells.get("t3_carried_over__total") or 0
    for sentence in _sentences(r.opening):
        m = _RECEIVED.search(sentence)
        if m and new is not None:
            stated = int(m.group(1) or m.group(2))
            ok = stated in (new, new + carried)
            return [
                finding(
                    "QC_TEXT_TABLE",
                    "pass" if ok else "fail",
                    "info" if ok else "warn",
                    f"正文“{sentence[:80]}”称 {stated} 件；表三新收 {int(new)} 件" + ("" if ok else "，不一致"),
                )
            ]
    return []


def _cases_in_text(r: Report) -> list[dict]:
    """W9 for table 4: review and litigation counts the narrative states."""
    review, direct, after = (
        r.cells.get(k) for k in ("t4_review_total", "t4_lit_direct_total", "t4_lit_after_review_total")
    )
    out = []
    for sentence in _sentences(r.opening):
        for pattern, accepted, what in (
            (_REVIEW_COUNT, {review}, "行政复议"),
            (_LITIGATION_COUNT, {direct, (direct or 0) + (after or 0)}, "行政诉讼"),
        ):
            m = pattern.search(sentence)
            if m and None not in accepted and review is not None:
                stated = int(m.group(1))
                if stated not in accepted:
                    out.append(
                        finding(
                            "QC_TEXT_TABLE",
                            "fail",
                            "warn",
                            f"正文“{sentence[:70]}”称{what} {stated} 件；表四为 {sorted(int(a) for a in accepted if a is not None)}",
                        )
                    )
    return out


def _denied_requests(r: Report) -> list[dict]:
    """W10: a section that denies what table 3 shows."""
    new = r.cells.get("t3_new_received__total")
    if not new:
        return []
    out = []
    for key in ("六", "一"):
        sentence = next((s for s in _sentences(r.sections.get(key, "")) if _NONE_RECEIVED.search(s)), None)
        if sentence:
            out.append(
                finding("QC_CONTRADICTION", "fail", "warn", f"第{key}部分“{sentence[:80]}”与表三新收 {int(new)} 件矛盾")
            )
    return out


def _section_count(r: Report) -> list[dict]:
    """W11: the preamble's count of sections against the sections present."""
    preamble = nfkc(r.sections.get("preamble", ""))
    m = _ITEMS.search(preamble)
    if not m:
        return []
    present = [h for h in SECTION_HEADINGS if h in r.sections]
    ok = CN_NUM.get(m.group(1), 0) == len(present)
    at = preamble.find(m.group(0))
    excerpt = preamble[max(0, at - 50) : at + len(m.group(0)) + 30].replace("\n", "")
    return [
        finding(
            "QC_SECTION_COUNT",
            "pass" if ok else "fail",
            "info" if ok else "warn",
            f"前言“…{excerpt}…”称{m.group(1)}项，正文有 {len(present)} 个部分",
        )
    ]


def _stale_year(r: Report) -> list[dict]:
    """W12: a sentence that opens with an earlier year, as if it were this report's year (copied text)."""
    year = r.result.get("year")
    if not year:
        return []
    for key in ("一", "五", "六"):
        stale = next(
            (
                s
                for s in _sentences(r.sections.get(key, ""))
                if (m := _YEAR_OPENING.match(s)) and int(m.group(1)) < year
            ),
            None,
        )
        if stale:
            return [finding("QC_STALE_YEAR", "fail", "warn", f"{year}年报告第{key}部分写“{stale[:60]}”")]
    return []


def _sections_present(r: Report) -> list[dict]:
    missing = [h for h in SECTION_HEADINGS if h not in r.sections]
    return [
        finding(
            "QC_SECTIONS",
            "fail" if missing else "pass",
            "warn" if missing else "info",
            "缺少部分：" + "、".join(missing) if missing else "六个部分齐全",
        )
    ]


def _regulation_power(r: Report) -> list[dict]:
    """W7: no rule-making power below the prefecture level."""
    level = (r.result.get("jurisdiction") or {}).get("level")
    reg = [
        r.cells.get(k)
        for k in (
            "t2_regulation_issued",
            "t2_regulation_in_force",
            "t2_regulation_new_made",
            "t2_regulation_total_published",
        )
    ]
    if level == "county" and any(v for v in reg if v):
        return [
            finding(
                "QC_REGULATION",
                "fail",
                "warn",
                f"县级/部门/苏木报告填报了规章数 {[v for v in reg if v]}（无规章制定权）",
            )
        ]
    return []


def _timeliness(r: Report) -> list[dict]:
    published, deadline = r.result.get("published_at"), r.result.get("deadline")
    if not (published and deadline):
        return []
    late = published > deadline
    return [
        finding(
            "QC_LATE",
            "fail" if late else "pass",
            "warn" if late else "info",
            f"发布 {published}，期限 {deadline}" + ("，逾期" if late else ""),
        )
    ]


# The per-report rules, in the order their findings are listed.
RULES = (
    _requests_in_text,
    _cases_in_text,
    _denied_requests,
    _section_count,
    _stale_year,
    _sections_present,
    _regulation_power,
    _timeliness,
)


def report_checks(result: dict, sections: dict[str, str] | None = None) -> list[dict]:
    """Every per-report rule on one parse result (`sections`: its text split already, if the caller has it)."""
    report = Report(result, result.get("cells", {}), sections or split_sections(result.get("text", "")))
    return [f for rule in RULES for f in rule(report)]


# ------------------------------------------------------------------ corpus-level checks
def _fingerprint(sentence: str) -> int:
    # Digits are kept: a copied passage keeps its numbers (and its stale years), while template phrases
    # without numbers are common to many reports and drop out as boilerplate.
    # Stable across processes (the warehouse keeps them, see `fingerprints`): 8 bytes of BLAKE2b as a signed BIGINT.
    digest = hashlib.blake2b(re.sub(r"\s+", "", sentence).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def fingerprints(text: str) -> list[int]:
    """The sentence fingerprints copy detection compares (sorted): computed once per report and kept."""
    return sorted({_fingerprint(s) for s in _sentences(text) if len(s) >= 12})


def copy_checks(
    reports: list[dict],
    boilerplate_share: float = 0.02,
    threshold: float = 0.6,
    narrative_of: Callable[[str], str] | None = None,
) -> list[tuple[str, dict]]:
    """内容雷同: share of a report's own sentences (sections 一 and 五) found in another report.

    Sentences that appear in more than `boilerplate_share` of all reports are template boilerplate and ignored.
    Candidates come from an inverted index of sentence fingerprints, so the cost grows with the number of
    shared sentences, not with the square of the corpus. A report brings its `fingerprints` (as kept in the
    warehouse) or its `narrative`; `narrative_of(sha)` gives the text quoted for a report found copying.
    """
    prints = {
        r["sha256"]: set(r["fingerprints"]) if r.get("fingerprints") is not None else set(fingerprints(r["narrative"]))
        for r in reports
    }
    postings: dict[int, list[str]] = defaultdict(list)
    for sha, fps in prints.items():
        for fp in fps:
            postings[fp].append(sha)
    limit = max(3, int(boilerplate_share * len(reports)))
    common = {fp for fp, shas in postings.items() if len(shas) > limit}
    by_sha = {r["sha256"]: r for r in reports}
    out = []
    for r in reports:
        own = prints[r["sha256"]] - common
        if len(own) < 2:
            continue
        overlap: dict[str, int] = defaultdict(int)
        for fp in own:
            for other in postings[fp]:
                if other != r["sha256"]:
                    overlap[other] += 1
        best, code = None, ""
        for other_sha, count in sorted(overlap.items(), key=lambda kv: -kv[1]):
            if count / len(own) < threshold:
                break
            other = by_sha[other_sha]
            if (
                other["body"] == r["body"]
                and other["year"] is not None
                and r["year"] is not None
                and other["year"] < r["year"]
            ):
                best, code = (other_sha, count), "QC_COPY_PREV"  # copied from the same body's earlier report
            elif other["body"] != r["body"] and other["year"] == r["year"]:
                best, code = (other_sha, count), "QC_COPY_PEER"  # the same text as another body this year
            if best:
                break
        if not best:
            continue
        other = by_sha[best[0]]
        text = narrative_of(r["sha256"]) if narrative_of else r["narrative"]
        shared = [s for s in _sentences(text) if _fingerprint(s) in (own & prints[best[0]])][:2]
        out.append(
            (
                r["sha256"],
                finding(
                    code,
                    "fail",
                    "warn",
                    f"{best[1]}/{len(own)} 句与 {other['issuer']} {other['year']} 年报告相同，例：“{shared[0][:60] if shared else ''}”",
                ),
            )
        )
    return out


def carry_checks(rows: list[dict]) -> list[tuple[str, dict]]:
    """W1: carried over this year = carried forward last year (same body); all numbers identical to last year."""
    out = []
    by_body = defaultdict(dict)
    for r in rows:
        by_body[r["body"]][r["year"]] = r
    for years in by_body.values():
        for year, r in years.items():
            prev = years.get(year - 1) if year else None
            if not prev:
                continue
            if (
                r["carried_over"] is not None
                and prev["carried_forward"] is not None
                and r["carried_over"] != prev["carried_forward"]
            ):
                out.append(
                    (
                        r["sha256"],
                        finding(
                            "QC_CARRY",
                            "fail",
                            "warn",
                            f"上年结转 {int(r['carried_over'])} ≠ 上一年报告结转下年度 {int(prev['carried_forward'])}",
                        ),
                    )
                )
            if r["numbers"] and r["numbers"] == prev["numbers"]:
                out.append((r["sha256"], finding("QC_SAME_NUMBERS", "fail", "warn", "表格数字与上一年报告完全相同")))
            stock = [r.get("in_force"), prev.get("in_force"), r.get("issued"), r.get("repealed")]
            if all(v is not None for v in stock) and stock[0] != stock[1] + stock[2] - stock[3]:
                out.append(
                    (
                        r["sha256"],
                        finding(
                            "QC_STOCK",
                            "fail",
                            "info",
                            f"行政规范性文件现行有效 {int(stock[0])} ≠ 上年 {int(stock[1])} + 本年制发 {int(stock[2])} − 废止 {int(stock[3])}"
                            "（清理、重新统计时常见，仅提示）",
                        ),
                    )
                )
    return out
