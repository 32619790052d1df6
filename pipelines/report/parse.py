"""Parse one document into the public result contract (see README, "nianbao parse --json")."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from catalogue import body_of, load_catalogue

from . import PARSER_VERSION, metadata
from .certainty import settle_ocr
from .errors import ReportError
from .readers import MAX_BYTES, read_document, read_safely
from .resolver import resolve_with_hint
from .scan import read_scan
from .tables import recognize
from .tokens import rows_of
from .validate import Check, table_name, validate


def parse_file(path: str | Path, province: str | None = None, ocr: bool = False) -> dict:
    path = Path(path)
    try:
        data = read_safely(os.fsencode(path))  # never blocks on a pipe or device, never reads a huge file
    except OverflowError as exc:
        return _error(
            path.name,
            "",
            "too_large",
            f"the file is {exc.args[0] / 1e6:.0f} MB; reports over {MAX_BYTES // 2**20} MB are refused",
        )
    except IsADirectoryError as exc:
        return _error(path.name, "", "not_regular_file", f"not a regular file ({exc.strerror}): nothing was read")
    except OSError as exc:
        return _error(path.name, "", "unreadable", f"cannot read the file: {exc.strerror or exc}")
    return parse_bytes(data, path.name, province, ocr=ocr)


def parse_bytes(
    data: bytes, name: str = "", province: str | None = None, hint_code: str | None = None, ocr: bool | str = False
) -> dict:
    """`province` breaks ties between places of the same name; `hint_code` is the division code of the source
    registry entry the document was fetched from (the strongest hint). `ocr`: read a scanned PDF or image by OCR
    (a document that needs it is otherwise refused with `needs_ocr`, so OCR runs in its own step); a string names
    the engine (scan.read_scan)."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        return _parse(data, name, sha, province, hint_code, ocr)
    except ReportError as exc:
        return _error(name, sha, exc.code, exc.reason)
    except RecursionError:
        return _error(name, sha, "corrupt", "the document is nested too deeply to read")


def _error(name: str, sha: str, code: str, reason: str) -> dict:
    return {
        "file": name,
        "sha256": sha,
        "parser_version": PARSER_VERSION,
        "status": "error",
        "error": reason,
        "error_code": code,
    }


def _parse(
    data: bytes, name: str, sha: str, province: str | None, hint_code: str | None = None, ocr: bool | str = False
) -> dict:
    doc = read_scan(data, ocr if isinstance(ocr, str) else "rapidocr") if ocr else read_document(data, name)
    issuer, year, year_source = metadata.issuer_and_year(doc)
    rows = rows_of(doc)
    narrative_numbers = frozenset(re.findall(r"\d+", " ".join(r.label for r in rows if not r.values)))
    tables = recognize(rows, year, narrative_numbers)
    if doc.fmt == "scan":
        settle_ocr(tables, narrative_numbers)
    if not any(tables.template.values()):
        raise ReportError(
            "not_report", "no annual-report tables found: this does not look like a 政府信息公开工作年度报告"
        )
    checks = validate(tables)
    resolution = resolve_with_hint(issuer or "", province, year, hint_code)
    report_scope = metadata.scope(resolution.issuer_kind, doc)
    level = report_level(resolution.issuer_kind, report_scope)
    body = body_of(level, resolution.issuer_kind, resolution.department, resolution.township, issuer or "")
    if resolution.conflict:
        checks.append(
            Check(
                "QC_REGISTRY",
                "fail",
                f"报告正文署名指向{resolution.conflict}，来源登记为"
                f"{resolution.name}（{resolution.code}），已按来源登记归属，请核对",
                "warn",
                "quality",
            )
        )
    published, published_source = metadata.published_at(doc, year)
    values, statuses, missing = _expected_cells(tables)
    default = metadata.default_version(year)
    mismatched = {t: v for t, v in tables.template.items() if v and default and v != default}
    if mismatched:
        checks.append(
            Check(
                "VERSION_MISMATCH",
                "fail",
                f"{year} 年度报告应使用 {default} 格式，实际："
                + "、".join(f"{table_name(t)} {v}" for t, v in mismatched.items()),
                "warn",
                "template",
            )
        )
    gaps = _gaps(tables, statuses, missing, checks)
    status = "partial" if gaps else "ok"
    result = {
        "file": name,
        "sha256": sha,
        "parser_version": PARSER_VERSION,
        "format": doc.fmt,
        "status": status,
        "template": tables.template,
        "cells": values,
        "cell_status": statuses,
        "provenance": {k: {"where": c.source, "raw": c.raw, "note": c.note} for k, c in tables.cells.items()},
        "checks": [c.as_dict() for c in checks],
        "issuer": issuer,
        "year": year,
        "year_source": year_source,
        "published_at": published,
        "published_at_source": published_source,
        "jurisdiction": resolution.as_dict(),
        "issuer_kind": resolution.issuer_kind,
        "scope": report_scope,
        "deadline": metadata.deadline(year, report_scope),
        "report_level": level,
        "body": {"kind": body.kind, "key": body.key, "name": body.name},
        "title": metadata.report_title(doc),
        "text": doc.full_text(),
        "notes": tables.notes,
        "summary": {s: list(statuses.values()).count(s) for s in ("ok", "derived", "imputed", "uncertain", "missing")},
    }
    if gaps:
        result["error"] = f"incomplete report: {'; '.join(gaps[:6])}{' …' if len(gaps) > 6 else ''}"
        result["error_code"] = "incomplete"
    return result


def report_level(issuer_kind: str, scope: str) -> str:
    """government (人民政府 and its 办公室), township (苏木/乡镇/街道) or department (everything else)."""
    if scope == "township" or issuer_kind == "township":
        return "township"
    if issuer_kind in ("government", "government_office"):
        return "government"
    return "department"


def _gaps(tables, statuses: dict, missing: list[str], checks) -> list[str]:
    """Why a report is not `ok`: tables or rows not found, cells not read, cells nobody can be sure of, and
    identities our own recovery breaks. A cell printed blank or as a dash is read (as missing), not a gap."""
    gaps = [f"{t} not found" for t, v in tables.template.items() if not v] + list(tables.missing_rows)
    unread = [k for k in missing if k not in tables.cells]
    uncertain = [k for k, s in statuses.items() if s == "uncertain"]
    not_read = [
        k
        for k, s in statuses.items()
        if s == "missing" and (tables.cells.get(k) is None or tables.cells[k].note not in ("blank", "dash"))
    ]
    for label, keys in (("cells not read", sorted(set(unread) | set(not_read))), ("uncertain cells", uncertain)):
        if keys:
            rows = list(dict.fromkeys(_row_of(k) for k in keys))
            gaps.append(f"{len(keys)} {label} ({', '.join(rows[:5])}{' …' if len(rows) > 5 else ''})")
    failed = [c.code for c in checks if c.status == "fail" and c.severity == "error" and c.kind == "identity"]
    if failed:
        gaps.append(f"identities broken by recovered values: {', '.join(failed[:4])}")
    return gaps


def _row_of(key: str) -> str:
    """t3_granted__total → t3.granted; t2_license_decisions → t2.license_decisions."""
    table, rest = key.split("_", 1)
    return f"{table}.{rest.split('__')[0]}"


def _expected_cells(tables) -> tuple[dict, dict, list[str]]:
    """Value and status of every cell the report's template versions define, and the keys not read."""
    values: dict = {}
    statuses: dict = {}
    missing: list[str] = []
    for key in _expected_keys(tables.template):
        cell = tables.cells.get(key)
        if cell is None:
            values[key], statuses[key] = None, "missing"
            missing.append(key)
        else:
            values[key], statuses[key] = cell.value, cell.status
    return values, statuses, missing


def _expected_keys(template: dict) -> list[str]:
    cat = load_catalogue()
    keys: list[str] = []
    for table in ("t2", "t3", "t4"):
        version = template.get(table)
        if version:
            keys += cat.keys(table, version)
    return keys
