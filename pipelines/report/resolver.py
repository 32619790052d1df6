"""Issuer text → official division (county level or higher), issuer kind and department.

Never guesses: a name that exists in several places without context is `ambiguous` (with candidates);
text that names no division is `unknown`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .normalize import nfkc

DATA = Path(__file__).with_name("data")
LEVEL_RANK = {"province": 0, "prefecture": 1, "county": 2}
_TITLE_NOISE = re.compile(
    r"\d{4}\s*年度?|政府信息公开(?:工作)?(?:年度)?报告|政务信息公开.*报告|年度报告|工作报告|关于|的$"
)
_GOV_SUFFIX = ("人民政府办公室", "人民政府办公厅", "人民政府", "行政公署办公室", "行政公署", "政府办公室", "政府办")
_TOWNSHIP = re.compile(r"([\u4e00-\u9fff]{1,10}?(?:苏木|镇|乡|街道办事处|街道|嘎查|农场|牧场))")
_TOWNSHIP_SUFFIX = ("", "人民政府", "政府", "人民政府办公室", "政府办公室", "党政办公室", "党政综合办公室", "办事处")
_ZONE = re.compile(r"开发区|高新区|高新技术产业|园区|管委会|管理委员会|综合实验区|新区管")
_VERTICAL = re.compile(r"税务局|海关|气象局|烟草|邮政管理|国家税务|银保监|金融监管|统计调查|消防救援|公安局.*分局|铁路")
_DEPARTMENT = re.compile(r"(局|委员会|委|办公室|办|中心|院|站|所|厅|署|队|馆|会)$")


@dataclass
class Division:
    code: str
    name: str
    level: str
    parent_code: str
    parent_name: str
    province_code: str
    province: str
    valid_from: int = 0
    valid_to: int = 9999
    successor: str = ""


@dataclass
class Resolution:
    status: str  # resolved | ambiguous | unknown
    code: str | None = None
    name: str | None = None
    level: str | None = None
    parent_code: str | None = None
    parent_name: str | None = None
    province: str | None = None
    province_code: str | None = None
    issuer_kind: str = "unknown"
    department: str | None = None
    township: str | None = None
    current_code: str | None = None
    candidates: list[dict] = field(default_factory=list)
    reason: str = ""
    conflict: str = ""  # what the text named where the source registry says otherwise

    def as_dict(self) -> dict:
        return {**self.__dict__, "candidates": list(self.candidates)}


@dataclass
class _Index:
    by_name: dict[str, list[Division]]
    by_code: dict[str, Division]
    lengths: list[int]
    aliases: dict[str, tuple[str, str]]


@lru_cache(maxsize=1)
def _index() -> _Index:
    by_name: dict[str, list[Division]] = {}
    by_code: dict[str, Division] = {}
    with open(DATA / "cn_divisions_2024.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            d = Division(
                r["code"],
                r["name"],
                r["level"],
                r["parent_code"],
                r["parent_name"],
                r["province_code"],
                r["province_name"],
            )
            by_code[d.code] = d
            by_name.setdefault(d.name, []).append(d)
    with open(DATA / "cn_division_changes.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["status"] == "in_use" or not r["end_year"]:
                continue
            province = next(
                (p for p in by_code.values() if p.level == "province" and p.name == r["province_name"]), None
            )
            parent = next((d for d in by_name.get(r["prefecture_name"], []) if d.level == "prefecture"), None)
            d = Division(
                r["code"],
                r["name"],
                r["level"],
                parent.code if parent else (province.code if province else ""),
                parent.name if parent else (province.name if province else ""),
                province.code if province else "",
                r["province_name"],
                int(r["start_year"] or 0),
                int(r["end_year"]),
                r["successor_codes"].split(";")[0].split("[")[0],
            )
            by_name.setdefault(d.name, []).append(d)
    # "呼和浩特经济技术开发区", "鄂尔多斯生态环境局": prefecture names are often written without 市
    for d in [d for ds in list(by_name.values()) for d in ds if d.level == "prefecture" and d.valid_to == 9999]:
        stem = d.name[:-1]
        if d.name.endswith("市") and len(stem) >= 2 and stem not in by_name:
            by_name[stem] = [d]
    aliases = {}
    with open(DATA / "aliases.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            aliases[r["alias"]] = (r["name"], r["province"])
    names = set(by_name) | set(aliases)
    return _Index(by_name, by_code, sorted({len(n) for n in names}, reverse=True), aliases)


def division(code: str) -> Division | None:
    return _index().by_code.get(code)


def divisions() -> list[Division]:
    return list(_index().by_code.values())


def _mentions(text: str) -> list[tuple[int, str, list[Division]]]:
    """Longest-first, non-overlapping mentions of division names (and aliases) in the text."""
    idx = _index()
    out, i = [], 0
    while i < len(text):
        for length in idx.lengths:
            piece = text[i : i + length]
            if len(piece) < length:
                continue
            if piece in idx.by_name:
                out.append((i, piece, idx.by_name[piece]))
                i += length
                break
            if piece in idx.aliases:
                name, province = idx.aliases[piece]
                out.append((i, piece, [d for d in idx.by_name.get(name, []) if d.province == province]))
                i += length
                break
        else:
            i += 1
    return out


def clean_issuer(text: str) -> str:
    text = "".join(nfkc(text).split())
    return _TITLE_NOISE.sub("", text).strip("-_|·:：")


def resolve(text: str, province: str | None = None, year: int | None = None) -> Resolution:
    issuer = clean_issuer(text)
    mentions = _mentions(issuer)
    if not mentions:
        return Resolution("unknown", issuer_kind=_kind(issuer, None), reason="no division name found")
    context = {d.name for _, _, ds in mentions for d in ds} | {d.code for _, _, ds in mentions for d in ds}
    chosen_mentions: list[tuple[int, str, Division]] = []
    for pos, name, candidates in mentions:
        valid = [d for d in candidates if year is None or d.valid_from <= year < d.valid_to] or candidates
        if province and len(valid) > 1:  # the office's province breaks a tie; it never excludes a unique name
            valid = [
                d for d in valid if province in (d.province, d.province_code) or d.province.startswith(province)
            ] or valid
        # a name is decided by another mention in the same text (its parent or province)
        in_context = [d for d in valid if d.parent_name in context or d.province in context or d.level == "province"]
        pick = in_context if len(valid) > 1 and in_context else valid
        if len(pick) > 1:
            current = [d for d in pick if d.valid_to == 9999]
            pick = current if len(current) == 1 and year is None else pick
        if len(pick) == 1:
            chosen_mentions.append((pos, name, pick[0]))
        elif len(pick) > 1:
            return Resolution(
                "ambiguous",
                issuer_kind=_kind(issuer, None),
                candidates=[_brief(d) for d in pick],
                reason=f"{name} exists in {len(pick)} places; give --province",
            )
    if not chosen_mentions:
        return Resolution("unknown", issuer_kind=_kind(issuer, None), reason="no division valid for the report's year")
    target = _target(issuer, chosen_mentions)
    kind = _kind(issuer, target)
    d = target[2]
    res = _resolved(d, kind)
    rest = issuer[target[0] + len(target[1]) :]
    township = _TOWNSHIP.match(rest)
    if kind == "township" and township:
        res.township = township.group(1)
    if kind in ("department", "branch", "vertical", "development_zone"):
        res.department = issuer[chosen_mentions[0][0] :] if kind == "branch" else (rest or issuer)
    return res


def _target(issuer: str, mentions: list[tuple[int, str, Division]]) -> tuple[int, str, Division]:
    """The deepest division named; for a branch (XX市生态环境局YY旗分局) the place of the branch."""
    return max(mentions, key=lambda m: (LEVEL_RANK.get(m[2].level, 0), m[0]))


def _kind(issuer: str, target) -> str:
    rest = issuer[target[0] + len(target[1]) :] if target else issuer
    if _VERTICAL.search(issuer):
        return "vertical"
    if re.search(r"分局$", issuer) and target and target[0] > 0:
        return "branch"
    if _ZONE.search(rest if target else issuer):
        return "development_zone"
    township = _TOWNSHIP.match(rest)
    if township and rest[township.end() :] in _TOWNSHIP_SUFFIX:  # not 住房和城乡建设局, whose 城乡 ends in 乡
        return "township"
    if rest.endswith(_GOV_SUFFIX) or rest in ("", "人民政府", "政府"):
        if "办公室" in rest or "办公厅" in rest or rest.endswith("政府办"):
            return "government_office"
        return "government"
    if _DEPARTMENT.search(rest):
        return "department"
    return "government" if not rest else "unknown"


def _brief(d: Division) -> dict:
    return {"code": d.code, "name": d.name, "parent_name": d.parent_name, "province": d.province}


def resolve_with_hint(text: str, province: str | None, year: int | None, hint_code: str | None) -> Resolution:
    """`resolve`, with the division code of the registry entry a document was fetched from as the strongest hint:
    it decides an ambiguous or unplaced name; a text that names a division outside the entry's (neither the entry,
    one of its units, nor its parent) keeps the entry's code and says what the text named in `conflict`."""
    hint = division(hint_code) if hint_code else None
    res = resolve(text, hint.province if hint else province, year)
    if hint is None or (res.status == "resolved" and _related(res, hint)):
        return res
    if res.status == "ambiguous":
        inside = [c for c in res.candidates if hint.code in (c["code"], _parent_of(c["code"]))]
        decided = division(inside[0]["code"]) if len(inside) == 1 else None
        if decided:
            return _from_division(decided, res, text, "ambiguous name decided by the source registry")
    conflict = f"{res.name}（{res.code}）" if res.status == "resolved" else ""
    placed = _from_division(
        hint,
        res,
        text,
        "placed by the source registry"
        if not conflict
        else f"the text names {conflict}, the source registry {hint.name}（{hint.code}）",
    )
    placed.conflict = conflict
    return placed


def _resolved(d: Division, kind: str, **extra) -> Resolution:
    return Resolution(
        "resolved",
        d.code,
        d.name,
        d.level,
        d.parent_code,
        d.parent_name,
        d.province,
        d.province_code,
        kind,
        current_code=d.successor or d.code,
        **extra,
    )


def _related(res: Resolution, hint: Division) -> bool:
    return hint.code in (res.code, res.parent_code) or res.code == hint.parent_code


def _parent_of(code: str) -> str:
    d = division(code)
    return d.parent_code if d else ""


def _from_division(d: Division, res: Resolution, text: str, reason: str) -> Resolution:
    issuer = clean_issuer(text)
    mention = (issuer.find(d.name), d.name, d) if d.name in issuer else None
    kind = (
        _kind(issuer, mention)
        if mention
        else (res.issuer_kind if res.issuer_kind != "unknown" else _kind(issuer, None))
    )
    placed = _resolved(d, kind, department=res.department, township=res.township, reason=reason)
    if kind == "department" and not placed.department:
        placed.department = issuer[mention[0] + len(d.name) :] if mention else issuer
    return placed
