"""Main job at scale: 5,000 mixed-format generated documents materialized in-process; then one new document
(wall time including start-up); peak memory; published warehouse size; planted anomalies found by the checks.

Usage: python benchmarks/bench_pipeline.py [CORPUS_FOLDER]   (default: generate 5,000 documents first)
"""

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
from common import run_measured, save

from pipelines.demo.generate import generate


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-pipe-"))
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if corpus is None:
        corpus = workdir / "corpus"
        generate(corpus, seed=7, count=5000)
    inbox = workdir / "inbox"
    shutil.copytree(corpus, inbox)
    truth_lines = (inbox / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    (inbox / "truth.jsonl").rename(workdir / "truth.jsonl")
    held_back = inbox / json.loads(truth_lines[-1])["file"]
    held_back.rename(workdir / held_back.name)

    env = {**os.environ, "NIANBAO_VAR": str(workdir / "var"), "DAGSTER_HOME": str(workdir / "home")}
    (workdir / "home").mkdir()
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox)]
    full_wall, full_rss, proc = run_measured(cmd, env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shutil.move(str(workdir / held_back.name), str(inbox / held_back.name))
    one_wall, one_rss, proc = run_measured(cmd, env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    published = workdir / "var" / "published" / "nianbao.duckdb"

    con = duckdb.connect(str(published), read_only=True)
    fails = {}
    for file_name, code in con.execute("""SELECT r.file_name, k.code FROM checks k JOIN reports r USING (sha256)
                                          WHERE k.status = 'fail'""").fetchall():
        fails.setdefault(file_name, set()).add(code.split(".")[0])
    expected = {
        "late": {"QC_LATE"},
        "contradiction_six": {"QC_CONTRADICTION"},
        "source_table": {"E1", "E2", "E3"},
        "copied_prev": {"QC_COPY_PREV"},
        "copied_peer": {"QC_COPY_PEER"},
        "carry_break": {"QC_CARRY"},
        "copy_source": {"QC_COPY_PEER"},
        "sum_parts": {"QC_SUM_PARTS"},
    }
    planted = found = clean = clean_flagged = 0
    missed = []
    for line in truth_lines:
        truth = json.loads(line)
        got = fails.get(truth["file"], set()) - {"VERSION_MISMATCH"}
        if not truth["anomalies"]:
            clean += 1
            clean_flagged += bool(got)
        for anomaly in truth["anomalies"]:
            planted += 1
            if expected[anomaly] & got:
                found += 1
            else:
                missed.append((truth["file"], anomaly))
    mart = con.execute("SELECT count(*) FROM metrics_jurisdiction_year").fetchone()[0]
    save(
        "pipeline",
        {
            "documents": len(truth_lines) + 1,
            "full_run_seconds": round(full_wall, 1),
            "full_run_peak_rss_mb": round(full_rss, 0),
            "one_new_document_seconds": round(one_wall, 1),
            "published_mb": round(published.stat().st_size / 1e6, 1),
            "mart_rows": mart,
            "reports": con.execute("SELECT count(*) FROM reports").fetchone()[0],
            "ingest_errors": con.execute("SELECT count(*) FROM ingest_errors").fetchone()[0],
            "planted_anomalies": planted,
            "planted_found": found,
            "missed": missed[:10],
            "clean_reports": clean,
            "clean_reports_flagged": clean_flagged,
            "clean_flagged_share": round(clean_flagged / clean, 4) if clean else None,
            "published_path": str(published),
        },
    )


if __name__ == "__main__":  # the generator's worker processes import this module
    main()
