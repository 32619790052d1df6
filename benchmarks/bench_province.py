"""A whole province at full coverage: every banner and county of 内蒙古 with its government, 20 department types and
3 苏木/镇 for 2019–2025 (`build_province`, ~17,000 reports), against the 1,000-report bundled set, with one and two
workers: main-job time, peak memory of the largest process, one new document on top, the published copy's cost, and
(two workers) the dashboard's pages and the briefing PDF on the province. Ratios are taken within this one run.

Usage: python benchmarks/bench_province.py   (about 30 minutes here)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, save

from pipelines.demo.generate import build_province, build_reports, generate

FORMATS = ["html", "txt", "docx"]  # PDF parsing is measured by bench_parser; here it would only slow the set down
LARGEST_PROCESS = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); sys.exit(code)"
)


def corpus(folder: Path, reports) -> Path:
    generate(folder, reports=reports, formats=FORMATS)
    (folder / "truth.jsonl").unlink()
    return folder


def run(inbox: Path, var: Path, workers: int) -> tuple[float, int]:
    """Wall seconds and the largest process's peak RSS (MB) of one `nianbao run` (the run and every worker)."""
    env = {**os.environ, "NIANBAO_VAR": str(var), "DAGSTER_HOME": str(var / "home")}
    (var / "home").mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-c",
        LARGEST_PROCESS,
        sys.executable,
        "-m",
        "pipelines.cli",
        "run",
        "--inbox",
        str(inbox),
        "--workers",
        str(workers),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    peak = int(next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("PEAK")))
    return wall, peak


def measure(name: str, reports, work: Path) -> dict:
    inbox = corpus(work / name / "corpus", reports)
    held = sorted(inbox.iterdir())[-1]
    out: dict = {"documents": len(reports)}
    for workers in (1, 2):
        var = work / name / f"var{workers}"
        held.rename(work / name / held.name)
        wall, peak = run(inbox, var, workers)
        (work / name / held.name).rename(held)
        one_wall, _ = run(inbox, var, workers)
        warehouse = var / "warehouse.duckdb"
        started = time.perf_counter()
        shutil.copy2(warehouse, work / name / "copy.duckdb")  # what publication does: a whole-file copy
        copy_seconds = time.perf_counter() - started
        out[f"workers_{workers}"] = {
            "main_job_seconds": round(wall, 1),
            "peak_rss_mb": peak,
            "one_new_document_seconds": round(one_wall, 1),
            "warehouse_mb": round(warehouse.stat().st_size / 1e6, 1),
            "publication_copy_seconds": round(copy_seconds, 2),
        }
    out["published"] = str(work / name / "var2" / "published" / "nianbao.duckdb")
    return out


def briefing_seconds(published: str) -> dict:
    """The 情况通报 PDF built on demand (as 总览's button does when the pipeline has not written it) for the 盟/市
    with the most units, from a fresh connection: the slowest of three."""
    from dashboard import briefing
    from warehouse import queries

    con = queries.open_published(published)
    assert con is not None
    league = max(
        queries.briefing_leagues(con),
        key=lambda lg: len(queries.metrics(con, lg["province_code"], lg["parent_code"], lg["year"])),
    )
    where = (league["province_code"], league["parent_code"], league["year"])
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        pdf = briefing.build(con, *where)
        timings.append(time.perf_counter() - started)
    con.close()
    return {"league": league["parent_code"], "pdf_seconds": round(max(timings), 2), "pdf_bytes": len(pdf)}


def pages(published: str) -> dict:
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_dashboard.py"), published, "dashboard_province"],
        cwd=ROOT / "benchmarks",
        check=True,
        capture_output=True,
    )
    figures = json.loads((ROOT / "benchmarks" / "results" / "dashboard_province.json").read_text(encoding="utf-8"))
    return {
        "page_ready_seconds": figures["page_ready_seconds"],
        "one_chart_page_ready_seconds": figures["one_chart_page_ready_seconds"],
        "worst_query_ms_per_page": figures["worst_query_ms_per_page"],
        "briefing": briefing_seconds(published),
    }


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="nianbao-province-"))
    try:
        small = measure("bundled", build_reports(7, 1000), work)
        province = measure("province", build_province(7), work)
        figures = {"bundled": small, "province": province, "pages_on_province": pages(province["published"])}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for workers in ("workers_1", "workers_2"):
        big, little = province[workers], small[workers]
        figures[f"{workers}_ratios"] = {
            "peak_memory": round(big["peak_rss_mb"] / little["peak_rss_mb"], 2),
            "one_new_document": round(big["one_new_document_seconds"] / little["one_new_document_seconds"], 2),
        }
    ready = figures["pages_on_province"]
    figures["slowest_page_vs_one_chart_page"] = round(
        max(ready["page_ready_seconds"].values()) / ready["one_chart_page_ready_seconds"], 2
    )
    save("province", figures)


if __name__ == "__main__":  # the generator's worker processes import this module
    main()
