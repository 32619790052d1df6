"""DuckDB connections and the idempotent writes the pipeline uses."""

from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .tables import migrate

WRITER_WAIT_SECONDS = 600
# DuckDB's own default is 80% of the machine: a province's load would take what the other steps need. Beyond this
# it spills to a temporary folder beside the file (benchmarks/bench_province.py measures the peaks).
MEMORY_LIMIT = os.environ.get("NIANBAO_DUCKDB_MEMORY", "400MB")
# Loading the shards streams row groups to the file: more memory bought almost nothing in a trial on 17,303 reports
# (11.8 s at 100 MB, 10.7 s at 1 GB) and took the step's peak from +300 MB to +680 MB.
LOAD_MEMORY_LIMIT = "100MB"


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection; a writer waits while another step's process holds the file (DuckDB allows one writing
    process: steps of one run in separate processes take turns instead of failing)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    con.execute(f"SET memory_limit = '{_size(MEMORY_LIMIT)}'")
    if not read_only:
        migrate(con)  # once per declared shape (warehouse/tables.py)
    return con


@contextmanager
def memory_limit(con: duckdb.DuckDBPyConnection, size: str):
    """DuckDB's memory limit set to `size` for what runs inside, the connection's own restored after."""
    (before,) = con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
    con.execute(f"SET memory_limit = '{_size(size)}'")
    try:
        yield con
    finally:
        con.execute(f"SET memory_limit = '{_size(before.replace(' ', ''))}'")


def _size(text: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", text.strip(), re.IGNORECASE):
        raise ValueError(f"NIANBAO_DUCKDB_MEMORY: {text!r} is not a size such as 400MB or 2GB")
    return text.strip()


def publish(source: str | Path, target: str | Path) -> Path:
    """Atomically replace the read-only copy the dashboard opens. A failed run never reaches this point."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{target.stem}.tmp-*"):  # left by a run killed while copying
        stale.unlink(missing_ok=True)
    temporary = target.with_suffix(f".tmp-{os.getpid()}")
    try:
        shutil.copy2(source, temporary)
        with open(temporary, "rb+") as copied:  # on disk before the rename makes it the published copy
            os.fsync(copied.fileno())
        _check_opens(temporary)
        os.replace(temporary, target)
    except BaseException:  # out of disk, killed, unreadable copy: the last good copy stays in place
        temporary.unlink(missing_ok=True)
        raise
    return target


def _check_opens(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SELECT count(*) FROM metrics_jurisdiction_year").fetchone()
    finally:
        con.close()
