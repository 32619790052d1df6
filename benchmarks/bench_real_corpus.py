"""Every real report file the project can see (the seed and ../shared/corpus dev, holdout and wild) through
`nianbao run` with the shipped settings: how many reports with a year resolve to a division, how many reporting
bodies × years they make, and whether the mart keeps exactly one row for each. Counts only — no cell values of
holdout/wild are read or stored."""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from common import ROOT, SHARED, save


def real_files() -> list[Path]:
    files = sorted((SHARED / "seed").glob("*.txt"))
    for part in ("dev", "holdout", "wild"):
        files += sorted(p for p in (SHARED / "corpus" / part).rglob("*") if p.is_file() and p.suffix != ".jsonl")
    return files


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="nianbao-real-"))
    inbox = work / "inbox"
    inbox.mkdir()
    files = real_files()
    for path in files:
        relative = path.relative_to(SHARED)
        shutil.copyfile(path, inbox / "__".join(relative.parts))
    started = time.perf_counter()
    subprocess.run(
        [
            str(ROOT / ".venv/bin/nianbao"),
            "run",
            "--inbox",
            str(inbox),
            "--warehouse",
            str(work / "nianbao.duckdb"),
            "--demo",
            "0",
        ],
        check=True,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - started
    con = duckdb.connect(str(work / "nianbao.duckdb"), read_only=True)
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    figures = {
        "files": len(files),
        "reports": one("SELECT count(*) FROM reports"),
        "reports_with_year": one("SELECT count(*) FROM reports WHERE year IS NOT NULL"),
        "resolved_with_year": one(
            "SELECT count(*) FROM reports WHERE year IS NOT NULL AND jurisdiction_status = 'resolved'"
        ),
        "bodies_x_years": one("""SELECT count(DISTINCT (jurisdiction_code, body_key, year)) FROM reports
                                  WHERE year IS NOT NULL AND jurisdiction_status = 'resolved'"""),
        "mart_rows": one("SELECT count(*) FROM metrics_jurisdiction_year WHERE NOT is_synthetic"),
        "mart_rows_repeated": one("""SELECT count(*) FROM (SELECT jurisdiction_code, body_key, year FROM
                                      metrics_jurisdiction_year GROUP BY ALL HAVING count(*) > 1)"""),
        "provinces": [
            r[0]
            for r in con.execute("SELECT DISTINCT province_name FROM metrics_jurisdiction_year ORDER BY 1").fetchall()
        ],
        "unresolved": [
            f"{r[0]}: {r[1]}"
            for r in con.execute(
                """SELECT file_name, jurisdiction_status FROM reports WHERE year IS NOT NULL
               AND jurisdiction_status <> 'resolved' ORDER BY 1"""
            ).fetchall()
        ],
        "run_seconds": round(elapsed, 1),
    }
    figures["resolved_share"] = round(figures["resolved_with_year"] / max(figures["reports_with_year"], 1), 3)
    save("real_corpus", figures)
    shutil.rmtree(work)
    if (
        figures["resolved_share"] < 0.95
        or figures["mart_rows"] != figures["bodies_x_years"]
        or figures["mart_rows_repeated"]
    ):
        sys.exit("real corpus: below the promise (≥ 95% resolved, one mart row per body × year)")


if __name__ == "__main__":
    main()
