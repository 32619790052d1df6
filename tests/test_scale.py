"""Scale-out on Dagster's executors: one parse step per partition, the multiprocess executor, Parquet shards that
make a failed partition the only one parsed again, and the cluster configuration checked against Dagster's schema."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.ref import InstanceRef

from pipelines import shards
from pipelines.demo.generate import generate
from pipelines.run import run_main_job

from .conftest import ROOT
from .test_assets import run, settings_for, table_digest


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("NIANBAO_VAR", "NIANBAO_PUBLISHED", "NIANBAO_WAREHOUSE", "NIANBAO_INBOX", "NIANBAO_SHARDS"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path
    for name in ("NIANBAO_VAR", "NIANBAO_PUBLISHED", "NIANBAO_WAREHOUSE", "NIANBAO_INBOX"):
        os.environ.pop(name, None)  # set by the multiprocess run for its workers


def test_one_and_two_workers_build_identical_tables(isolated, small_inbox):
    """The same inbox through the in-process executor and through Dagster's multiprocess executor (two worker
    processes, one step per partition) gives the same tables, row for row."""
    one = isolated / "one" / "wh.duckdb"
    two = isolated / "two" / "wh.duckdb"
    assert run_main_job(inbox=str(small_inbox), warehouse=str(one), demo_count=0, workers=1) == 0
    assert run_main_job(inbox=str(small_inbox), warehouse=str(two), demo_count=0, workers=2) == 0
    assert table_digest(str(one.parent / "published" / "nianbao.duckdb")) == table_digest(
        str(two.parent / "published" / "nianbao.duckdb")
    )
    runs = sorted((isolated / "home").rglob("*.db"))  # the multiprocess run left its events in the instance
    assert runs
    partitions = {p.name for p in (two.parent / "wh-shards").iterdir()}
    assert partitions and partitions <= set(shards.PARTITIONS)


def test_a_failed_partition_is_the_only_one_parsed_again(tmp_path, small_inbox, monkeypatch):
    from pipelines.defs import ingest as ingest_defs

    settings = settings_for(tmp_path, small_inbox)
    real_parse = ingest_defs.ingest.parse_many
    broken = shards.partition_of(next(iter(_shas(small_inbox))))

    def parse_failing_one_partition(rows, *args, **kwargs):
        if rows and shards.partition_of(rows[0]["sha256"]) == broken:
            raise MemoryError("worker killed")  # what a killed or starved worker looks like to the run
        return real_parse(rows, *args, **kwargs)

    monkeypatch.setattr(ingest_defs.ingest, "parse_many", parse_failing_one_partition)
    first = run(settings)
    assert not first.success
    assert not Path(settings.published_path).exists()  # nothing published until every partition succeeded
    store = settings.shard_store()
    done = {p for p in shards.PARTITIONS if store.parsed(p)}
    assert broken not in done and done  # the other partitions' shards are written
    monkeypatch.undo()
    second = run(settings)
    assert second.success
    parsed = {}
    for event in second.all_events:
        if event.event_type_value == "STEP_OUTPUT" and "parse_partition" in (event.step_key or ""):
            metadata = event.event_specific_data.metadata
            parsed[metadata["partition"].value] = metadata["parsed"].value
    assert parsed[broken] > 0  # only the failed partition is parsed again
    assert all(parsed[p] == 0 for p in done)


def test_a_worker_killed_mid_run_fails_only_its_partition(isolated):
    """A real kill: the first parse step's process gets SIGKILL (its pid read from the run's STEP_WORKER_STARTED
    event). The run fails and publishes nothing; the other partitions keep their shards; the next run parses only
    the killed partition's documents and publishes."""
    inbox = isolated / "inbox"
    generate(inbox, seed=5, count=400, formats=["txt", "html"])  # ~50 documents a partition: a second or two each
    (inbox / "truth.jsonl").unlink()
    warehouse = isolated / "var" / "wh.duckdb"
    killed: dict[str, int] = {}
    killer = threading.Thread(target=_kill_first_parse_step, args=(isolated / "home", killed), daemon=True)
    killer.start()
    assert run_main_job(inbox=str(inbox), warehouse=str(warehouse), demo_count=0, workers=2) == 1
    killer.join(timeout=5)
    assert killed, "no parse step was seen running"
    assert not (warehouse.parent / "published" / "nianbao.duckdb").exists()
    victim = next(iter(killed)).split("[")[1].rstrip("]")
    store = shards.ShardStore(str(warehouse.with_name("wh-shards")))
    assert not store.parsed(victim)
    survivors = {p for p in shards.PARTITIONS if store.parsed(p)}
    assert survivors  # the step running beside it finished and kept its shards
    assert run_main_job(inbox=str(inbox), warehouse=str(warehouse), demo_count=0, workers=2) == 0
    parsed = _parsed_per_partition(isolated / "home")
    assert parsed[victim] > 0 and all(parsed[p] == 0 for p in survivors)
    assert (warehouse.parent / "published" / "nianbao.duckdb").exists()


def _kill_first_parse_step(home: Path, killed: dict) -> None:
    from dagster import DagsterEventType, DagsterInstance

    deadline = time.monotonic() + 300
    # Wait for the run's own event database (not index.db, which the storage creates before schedules.db): by then
    # the run's instance is complete; opening one while it is being created stamps its schema twice.
    while time.monotonic() < deadline and not [p for p in home.glob("history/runs/*.db") if p.name != "index.db"]:
        time.sleep(0.05)
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        while time.monotonic() < deadline:
            for run in instance.get_runs(limit=1):
                records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_WORKER_STARTED).records
                for record in records:
                    event = record.event_log_entry.dagster_event
                    if "parse_partition" in (event.step_key or ""):
                        pid = int(event.event_specific_data.metadata["pid"].text)
                        os.kill(pid, signal.SIGKILL)
                        killed[event.step_key] = pid
                        return
            time.sleep(0.02)


def _parsed_per_partition(home: Path) -> dict[str, int]:
    """partition → documents its step parsed, in the latest run."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        run = instance.get_runs(limit=1)[0]
        parsed = {}
        for record in instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_OUTPUT).records:
            event = record.event_log_entry.dagster_event
            if "parse_partition" in (event.step_key or ""):
                metadata = event.event_specific_data.metadata
                parsed[metadata["partition"].value] = metadata["parsed"].value
        return parsed


def _shas(folder: Path) -> list[str]:
    import hashlib

    return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file())


def test_shards_on_any_pyarrow_filesystem(tmp_path):
    import polars as pl

    store = shards.ShardStore(f"file://{tmp_path}/shards")
    frame = {t: pl.DataFrame({"sha256": ["a" * 64], "parser_version": ["x"]}) for t in shards.TABLES}
    store.merge("p2", frame, ["a" * 64])
    store.merge("p2", frame, ["a" * 64])  # idempotent: the document's rows replaced, not doubled
    assert len(store.read("p2", "reports")) == 1
    assert store.parsed("p2") == {"a" * 64: "x"}


def test_a_partition_is_written_batch_by_batch_and_a_reparsed_document_leaves_its_old_batch(tmp_path, monkeypatch):
    """No step reads more than a batch: full batches are never rewritten for new documents, a small newest batch
    is folded into the next, a re-parsed document's rows leave the older batch, and a batch a killed step left
    half-written (no marker) is not read."""
    import polars as pl

    monkeypatch.setattr(shards, "FULL_BATCH", 2)
    store = shards.ShardStore(str(tmp_path / "shards"))

    def frames(shas, version):
        reports = pl.DataFrame({"sha256": shas, "parser_version": [version] * len(shas)})
        return {t: reports if t == "reports" else pl.DataFrame() for t in shards.TABLES}

    store.merge("p1", frames(["a", "b"], "1"), ["a", "b"])
    store.merge("p1", frames(["c"], "1"), ["c"])
    full, small = store.batches("p1")
    store.merge("p1", frames(["d"], "1"), ["d"])  # the small batch {c} is folded into the new one
    assert store.batches("p1")[0] == full and len(store.batches("p1")) == 2
    store.merge("p1", frames(["a"], "2"), ["a"])  # re-parsed: gone from the full batch, rewritten without it
    assert store.parsed("p1") == {"a": "2", "b": "1", "c": "1", "d": "1"}
    assert sorted(store.read("p1", "reports")["sha256"]) == ["a", "b", "c", "d"]
    assert [t.num_rows for t in store.load("p1", "reports", ["a", "b"])] == [1, 1]
    (tmp_path / "shards" / "p1" / "99999999999999999999-deadbeef").mkdir()  # killed while writing: no marker
    assert store.parsed("p1") == {"a": "2", "b": "1", "c": "1", "d": "1"}
    assert small not in store.batches("p1")


def test_cluster_configuration_matches_dagster_schema(monkeypatch):
    """deploy/: the Kubernetes run launcher and executor, validated by Dagster's own config schema."""
    dagster_k8s = pytest.importorskip("dagster_k8s")
    for name, value in {
        "NIANBAO_IMAGE": "registry.example/nianbao:1",
        "DAGSTER_PG_PASSWORD": "x",
        "DAGSTER_PG_HOST": "postgres",
    }.items():
        monkeypatch.setenv(name, value)  # what the cluster's environment provides
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config

    instance, _ = dagster_instance_config(str(ROOT / "deploy" / "k8s"), "dagster.yaml")
    assert instance["run_launcher"]["class"] == "K8sRunLauncher"
    launcher_config = dagster_k8s.K8sRunLauncher.config_type()
    checked = process_config(launcher_config, instance["run_launcher"]["config"])
    assert checked.success, checked.errors
    job = yaml.safe_load((ROOT / "deploy" / "k8s" / "run_config.yaml").read_text(encoding="utf-8"))
    executor = dagster_k8s.k8s_job_executor.config_schema.config_type
    checked = process_config(executor, job["execution"]["config"])
    assert checked.success, checked.errors
    assert "s3://" in job["ops_env"]["NIANBAO_SHARDS"]


def test_shards_are_inserted_in_few_large_batches_whatever_their_columns(monkeypatch, tmp_path):
    """Partitions' rows go into DuckDB a few large inserts at a time (bounded by BYTES_PER_INSERT); an older shard
    without a newer column still loads, its missing values null."""
    import duckdb
    import pyarrow as pa

    from warehouse import storage

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE checks (sha256 VARCHAR, code VARCHAR, cells VARCHAR)")
    older = pa.table({"sha256": ["a", "b"], "code": ["X", "Y"]})
    newer = pa.table({"sha256": ["c"], "code": ["Z"], "cells": ["t3_total__total"]})
    inserts = []
    concat = pa.concat_tables
    monkeypatch.setattr(storage, "BYTES_PER_INSERT", older.nbytes + 1)
    monkeypatch.setattr(
        pa, "concat_tables", lambda tables, **kw: (inserts.append(len(tables)), concat(tables, **kw))[1]
    )
    assert storage._insert_in_batches(con, "checks", iter([older, newer, older.slice(0, 1)])) == 4
    assert inserts == [2, 1]  # the first two together reach the bound; the last one alone
    assert con.execute("SELECT sha256, cells FROM checks ORDER BY sha256, cells NULLS FIRST").fetchall() == [
        ("a", None),
        ("a", None),
        ("b", None),
        ("c", "t3_total__total"),
    ]
