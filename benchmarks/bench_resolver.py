"""Resolving 10,000 issuer strings (all 103 county-level units of 内蒙古 in four spellings, repeated)."""

import csv
import time

from common import save

from pipelines.report.resolver import DATA, resolve

rows = [
    r
    for r in csv.DictReader((DATA / "cn_divisions_2024.csv").read_text(encoding="utf-8").splitlines())
    if r["province_code"] == "150000" and r["level"] == "county"
]
texts = [
    s
    for r in rows
    for s in (
        f"{r['name']}人民政府",
        f"{r['parent_name']}{r['name']}人民政府办公室",
        f"{r['name']}教育局",
        f"{r['name']}2023年政府信息公开工作年度报告",
    )
]
texts = (texts * (10000 // len(texts) + 1))[:10000]
resolve("warm up")
started = time.perf_counter()
resolved = sum(resolve(t, province="内蒙古自治区").status == "resolved" for t in texts)
elapsed = time.perf_counter() - started
save("resolver", {"strings": len(texts), "resolved": resolved, "seconds": round(elapsed, 3)})
