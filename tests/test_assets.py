"""Assets materialized in-process on a small inbox: table contents, checks, idempotency, increments, failures."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, build_sensor_context

from pipelines.definitions import definitions_for
from pipelines.defs import marts as marts_defs
from pipelines.defs.automation import inbox_sensor
from pipelines.defs.resources import NianbaoSettings, WarehouseLock

from .conftest import ROOT, SEED


def settings_for(tmp: Path, inbox: Path) -> NianbaoSettings:
    return NianbaoSettings(
        inbox_dirs=[str(inbox)],
        store_dir=str(tmp / "store"),
        warehouse_path=str(tmp / "wh.duckdb"),
        published_path=str(tmp / "published" / "nianbao.duckdb"),
        province="内蒙古自治区",
    )


def resources(settings: NianbaoSettings) -> dict:
    return {"settings": settings, "run_lock": WarehouseLock(warehouse_path=settings.warehouse_path)}


def run(settings: NianbaoSettings):
    """The code location's own main job, in-process, on these settings."""
    job = definitions_for(resources(settings)).resolve_job_def("main_job")
    return job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)


def table_digest(path: str) -> str:
    con = duckdb.connect(path, read_only=True)
    parts = []
    for table, order in [
        ("reports", "sha256"),
        ("cells", "sha256, key"),
        ("checks", "sha256, code, detail"),
        ("metrics_jurisdiction_year", "jurisdiction_code, body_key, year"),
    ]:
        # when a document was received differs between two warehouses built from the same files
        columns = "* EXCLUDE (received_at)" if table == "metrics_jurisdiction_year" else "*"
        parts.append(str(con.execute(f"SELECT {columns} FROM {table} ORDER BY {order}").fetchall()))
    parts.append(
        str(con.execute("SELECT sha256, file_name, error_code, reason FROM ingest_errors ORDER BY sha256").fetchall())
    )
    con.close()
    return hashlib.sha256("".join(parts).encode()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory, small_inbox):
    tmp = tmp_path_factory.mktemp("warehouse")
    settings = settings_for(tmp, small_inbox)
    result = run(settings)
    assert result.success
    return tmp, settings, result


def test_tables_and_seed_mart(built):
    _, settings, _ = built
    con = duckdb.connect(settings.published_path, read_only=True)
    files = [p for p in Path(settings.inbox_dirs[0]).iterdir()]
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == len(files)
    row = con.execute("""SELECT permits, penalties, coercion, requests_new, duplicate, duplicate_share, synthetic
                         FROM metrics_jurisdiction_year WHERE jurisdiction_code = '150623' AND year = 2022
                         AND report_level = 'government'""").fetchone()
    assert row == (1708, 1527, 38, 6, 1, pytest.approx(1 / 6), False)
    fees = con.execute("""SELECT t2_version, count(*), count(admin_fees_wan) FROM metrics_jurisdiction_year
                          GROUP BY ALL""").fetchall()
    assert all(with_fee == (0 if version == "v2019" else n) for version, n, with_fee in fees)  # never mixed
    errors = dict(con.execute("SELECT file_name, error_code FROM ingest_errors").fetchall())
    assert errors == {"broken.pdf": "corrupt", "news.html": "not_report"}
    assert con.execute("SELECT count(*) FROM jurisdictions WHERE province_code = '150000'").fetchone()[0] == 116
    kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM checks").fetchall()}
    assert {"identity", "quality", "completeness"} <= kinds


def test_documents_kept_by_content_hash(built):
    tmp, settings, _ = built
    stored = list((tmp / "store").rglob("*.*"))
    assert len(stored) == len(list(Path(settings.inbox_dirs[0]).iterdir()))
    for path in stored:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem


def test_asset_checks_report(built):
    _, _, result = built
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {"identity_failures", "coverage", "duplicates"}
    assert evaluations["coverage"].passed is False  # a small inbox leaves most county-years uncovered
    assert evaluations["coverage"].metadata["missing"].value > 0


def test_second_run_identical_and_incremental(built, tmp_path):
    tmp, settings, _ = built
    before = table_digest(settings.published_path)
    again = run(settings)
    assert again.success
    parsed = [m for m in again.get_asset_materialization_events() if m.asset_key.path == ["parsed_reports"]][0]
    assert parsed.materialization.metadata["parsed"].value == 0
    assert table_digest(settings.published_path) == before


def test_new_document_parsed_alone(tmp_path, small_inbox):
    inbox = tmp_path / "inbox"
    shutil.copytree(small_inbox, inbox)
    settings = settings_for(tmp_path, inbox)
    assert run(settings).success
    extra = inbox / "copy-of-seed-with-new-bytes.txt"
    extra.write_bytes(SEED.read_bytes() + "\n本报告完。\n".encode())
    second = run(settings)
    parsed = [m for m in second.get_asset_materialization_events() if m.asset_key.path == ["parsed_reports"]][0]
    assert parsed.materialization.metadata["parsed"].value == 1
    con = duckdb.connect(settings.published_path, read_only=True)
    assert con.execute("SELECT count(*) FROM reports WHERE file_name = ?", [extra.name]).fetchone()[0] == 1
    # two documents for 鄂托克前旗 2022: both kept, one chosen, flagged by the duplicates check
    assert (
        con.execute("""SELECT documents_for_year FROM metrics_jurisdiction_year
                          WHERE jurisdiction_code = '150623' AND year = 2022""").fetchone()[0]
        == 2
    )


def test_failed_run_leaves_published_copy(tmp_path, small_inbox, monkeypatch):
    settings = settings_for(tmp_path, small_inbox)
    assert run(settings).success
    published = Path(settings.published_path).read_bytes()

    def broken(con):
        raise RuntimeError("simulated failure while building marts")

    monkeypatch.setattr(marts_defs, "build_marts", broken)
    assert not run(settings).success
    assert Path(settings.published_path).read_bytes() == published
    monkeypatch.undo()
    assert run(settings).success


def test_kill_9_keeps_last_good_copy_and_next_run_recovers(tmp_path, small_inbox, demo_folder):
    env = {**os.environ, "NIANBAO_VAR": str(tmp_path / "var"), "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    inbox = tmp_path / "inbox"
    shutil.copytree(small_inbox, inbox)
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "-v", "--inbox", str(inbox)]
    assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
    published = tmp_path / "var" / "published" / "nianbao.duckdb"
    good = published.read_bytes()
    for path in demo_folder.iterdir():  # new documents, so the next run has parsing to do
        if path.name != "truth.jsonl" and not (inbox / path.name).exists():
            shutil.copy(path, inbox / path.name)
    process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:  # kill -9 in the middle of parsing, long before publication
        if "parsed_reports" in line and "STEP_START" in line:
            time.sleep(0.5)
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert published.read_bytes() == good
    assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == len(list(inbox.iterdir()))


def test_definitions_graph_snapshot():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    edges = sorted(
        (str(k.to_user_string()), sorted(p.to_user_string() for p in graph.get(k).parent_keys))
        for k in graph.get_all_asset_keys()
    )
    assert edges == [
        ("briefings", ["published_warehouse"]),
        ("corpus_quality", ["parsed_reports"]),
        ("fetched_documents", []),
        ("jurisdictions", []),
        ("marts", ["corpus_quality", "jurisdictions", "parsed_reports"]),
        ("parsed_reports", ["source_documents"]),
        ("published_warehouse", ["marts"]),
        ("source_documents", ["fetched_documents"]),
    ]
    checks = sorted(f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys)
    assert checks == ["marts:coverage", "marts:duplicates", "parsed_reports:identity_failures"]
    main_job = defs.resolve_job_def("main_job")
    assert sorted(k.to_user_string() for k in main_job.asset_layer.executable_asset_keys) == [
        "briefings",
        "corpus_quality",
        "jurisdictions",
        "marts",
        "parsed_reports",
        "published_warehouse",
        "source_documents",
    ]
    assert {s.name for s in defs.schedules} == {"daily_refresh", "weekly_fetch"}
    assert defs.resolve_schedule_def("daily_refresh").execution_timezone == "Asia/Shanghai"


def test_inbox_sensor_fires_on_change(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = {"settings": settings_for(tmp_path, inbox)}  # the sensor reads the resource, not module paths
    shutil.copy(SEED, inbox / "a.txt")
    first = inbox_sensor(build_sensor_context(resources=settings))
    assert first.run_key
    context = build_sensor_context(cursor=first.run_key, resources=settings)
    assert "unchanged" in str(inbox_sensor(context).skip_message)
    (inbox / "b.txt").write_text("x", encoding="utf-8")
    assert inbox_sensor(build_sensor_context(cursor=first.run_key, resources=settings)).run_key != first.run_key


def test_repository_dagster_yaml_is_a_valid_instance(tmp_path, monkeypatch):
    shutil.copy(ROOT / "pipelines" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # `dagster dev` and `nianbao run` start from the checkout, not from DAGSTER_HOME
    instance = DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "SqliteRunStorage"
    instance.get_runs()
    assert (tmp_path / "history").is_dir() and not (elsewhere / "storage").exists()  # under DAGSTER_HOME
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_sensor_run_parses_only_the_dropped_document(tmp_path, small_inbox):
    """Drop one report into a built inbox: the sensor asks for a run, and that run parses only the new file."""
    inbox = tmp_path / "inbox"
    shutil.copytree(small_inbox, inbox)
    settings = settings_for(tmp_path, inbox)
    assert run(settings).success
    cursor = inbox_sensor(build_sensor_context(resources={"settings": settings})).run_key
    (inbox / "dropped.txt").write_bytes(SEED.read_bytes().replace("鄂托克前旗".encode(), "鄂托克旗".encode()))
    request = inbox_sensor(build_sensor_context(cursor=cursor, resources={"settings": settings}))
    assert request.run_key and request.run_key != cursor
    result = run(settings)
    assert result.success
    parsed = [m for m in result.get_asset_materialization_events() if m.asset_key.path == ["parsed_reports"]][0]
    assert parsed.materialization.metadata["parsed"].value == 1
    con = duckdb.connect(settings.published_path, read_only=True)
    assert (
        con.execute("""SELECT count(*) FROM metrics_jurisdiction_year
                          WHERE jurisdiction_code = '150624' AND year = 2022""").fetchone()[0]
        == 1
    )


def test_an_incremental_run_reads_only_new_files_and_finds_what_a_full_run_finds(tmp_path, small_inbox):
    """The second run reads and hashes only files it has not seen unchanged, digests only the new report for the
    corpus checks, and ends with the same corpus findings as a warehouse built from scratch on the same inbox; a
    file changed in place is read again."""
    inbox = tmp_path / "inbox"
    shutil.copytree(small_inbox, inbox)
    incremental = settings_for(tmp_path / "incremental", inbox)
    assert run(incremental).success
    held = inbox / "etkq-2022.txt"  # 鄂托克旗's report copying its neighbour's text: both get 内容雷同
    held.write_text(SEED.read_text(encoding="utf-8").replace("鄂托克前旗", "鄂托克旗"), encoding="utf-8")
    second = run(incremental)
    assert _metadata(second, "source_documents")["files_read"] == 1
    assert _metadata(second, "corpus_quality")["reports_digested"] == 1
    full = settings_for(tmp_path / "full", inbox)
    assert run(full).success
    corpus_findings = "SELECT sha256, code, status, detail FROM checks WHERE kind = 'corpus' ORDER BY ALL"
    found = [
        duckdb.connect(s.published_path, read_only=True).execute(corpus_findings).fetchall()
        for s in (incremental, full)
    ]
    assert {code for _, code, _, _ in found[0]} >= {"QC_COPY_PEER"} and found[0] == found[1]
    held.write_bytes(held.read_bytes() + b"\n")
    third = run(incremental)
    assert _metadata(third, "source_documents")["files_read"] == 1
    assert _metadata(third, "source_documents")["new_documents"] == 1


def _metadata(result, asset: str) -> dict:
    event = [m for m in result.get_asset_materialization_events() if m.asset_key.path == [asset]][0]
    return {key: value.value for key, value in event.materialization.metadata.items()}
