"""Between the parser and the warehouse: keep documents by content hash, parse, and shape Polars frames."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from catalogue import load_catalogue
from warehouse.tables import CELLS, CHECKS, INGEST_ERRORS, REPORTS

from .report import PARSER_VERSION
from .report.parse import parse_bytes
from .report.quality import report_checks, split_sections


def parse_stored(row: dict, province: str | None, ocr: bool = False) -> dict:
    data = Path(row["stored_path"]).read_bytes()
    result = parse_bytes(data, row["file_name"], province, row.get("source_code"), ocr=ocr)
    result["sha256"] = row["sha256"]
    result["synthetic"] = row["synthetic"]
    if result["status"] != "error" and not result.get("published_at") and row.get("page_published_at"):
        # the report's text gives no date: the page it was fetched from does (发布时间)
        result["published_at"] = str(row["page_published_at"])
        result["published_at_source"] = "page"
    if result["status"] != "error":
        sections = split_sections(result.get("text", ""))
        result["quality"] = report_checks(result, sections)
        result["narrative"] = sections.get("一", "") + "\n" + sections.get("五", "")  # what copy detection compares
    return result


def _parse_safely(row: dict, province: str | None, ocr: bool = False) -> dict:
    try:
        return parse_stored(row, province, ocr)
    except Exception as exc:  # a parser bug must not stop the other documents
        return {
            "sha256": row["sha256"],
            "file": row["file_name"],
            "status": "error",
            "error_code": "internal",
            "error": f"internal parser error: {type(exc).__name__}: {exc}",
        }


def parse_many(rows: list[dict], province: str | None, progress=None, ocr: bool = False) -> list[dict]:
    """Parse documents one after another in this process; parallelism is the executor's (one step per partition).
    `ocr`: these are scans the text step refused (needs_ocr), read by OCR."""
    results = []
    for i, row in enumerate(rows, start=1):
        results.append(_parse_safely(row, province, ocr))
        if progress and i % 50 == 0:
            progress(i, len(rows))
    return results


PARSE_CHUNK = 50


def parse_to_frames(
    rows: list[dict], province: str | None, progress=None, ocr: bool = False
) -> dict[str, pl.DataFrame]:
    """Parse documents into the warehouse's frames, PARSE_CHUNK at a time: a parse result (full text, every cell
    with its provenance, the checks) takes ~10× the memory of its rows in a frame, so only one chunk's results
    are alive at once."""
    parts = []
    for start in range(0, len(rows), PARSE_CHUNK):
        parts.append(frames(parse_many(rows[start : start + PARSE_CHUNK], province, ocr=ocr)))
        if progress:
            progress(min(start + PARSE_CHUNK, len(rows)), len(rows))
    if not parts:
        return frames([])
    return {table: pl.concat([part[table] for part in parts], how="diagonal_relaxed") for table in parts[0]}


def frames(results: list[dict]) -> dict[str, pl.DataFrame]:
    reports, cells, checks, errors = [], [], [], []
    catalogue = load_catalogue()
    now = datetime.now().replace(microsecond=0)
    for r in results:
        sha = r["sha256"]
        if r["status"] == "error":
            errors.append(
                {
                    "sha256": sha,
                    "file_name": r["file"],
                    "parser_version": PARSER_VERSION,
                    "error_code": r["error_code"],
                    "reason": catalogue.error_reason(r["error_code"]),
                    "detail": r["error"],
                    "failed_at": now,
                }
            )
            continue
        j = r["jurisdiction"]
        reports.append(
            {
                "sha256": sha,
                "file_name": r["file"],
                "format": r["format"],
                "parser_version": PARSER_VERSION,
                "status": r["status"],
                "issuer": r["issuer"],
                "title": r["title"],
                "year": r["year"],
                "year_source": r["year_source"],
                "published_at": r["published_at"],
                "published_at_source": r["published_at_source"],
                "deadline": r["deadline"],
                "jurisdiction_status": j["status"],
                "jurisdiction_code": j.get("code"),
                "jurisdiction_name": j.get("name"),
                "parent_code": j.get("parent_code"),
                "parent_name": j.get("parent_name"),
                "province_code": j.get("province_code"),
                "province_name": j.get("province"),
                "issuer_kind": r["issuer_kind"],
                "department": j.get("department"),
                "scope": r["scope"],
                "report_level": r["report_level"],
                "body_kind": r["body"]["kind"],
                "body_key": r["body"]["key"],
                "body_name": r["body"]["name"],
                "registry_conflict": j.get("conflict") or None,
                "t2_version": r["template"]["t2"],
                "t3_version": r["template"]["t3"],
                "t4_version": r["template"]["t4"],
                "error": r.get("error"),
                "synthetic": r["synthetic"],
                "body_text": r.get("text", ""),
                "narrative": r["narrative"],
            }
        )
        for key, value in r["cells"].items():
            prov = r["provenance"].get(key, {})
            cells.append(
                {
                    "sha256": sha,
                    "key": key,
                    "value": None if value is None else float(value),
                    "status": r["cell_status"][key],
                    "source": prov.get("where", ""),
                    "raw": prov.get("raw", ""),
                    "note": prov.get("note", ""),
                }
            )
        for c in r["checks"] + r.get("quality", []):
            checks.append(
                {
                    "sha256": sha,
                    "code": c["code"],
                    "kind": c.get("kind", "identity"),
                    "status": c["status"],
                    "severity": c.get("severity", "info"),
                    "detail": c["detail"],
                    "cells": ",".join(c.get("cells", ())),
                }
            )
    report_frame = REPORTS.frame(reports, text_dates=True).with_columns(  # ISO dates from the parser become DATEs
        pl.col("published_at").str.to_date(strict=False), pl.col("deadline").str.to_date(strict=False)
    )
    return {
        "reports": report_frame,
        "cells": CELLS.frame(cells),
        "checks": CHECKS.frame(checks),
        "ingest_errors": INGEST_ERRORS.frame(errors),
    }
