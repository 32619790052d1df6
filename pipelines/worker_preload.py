"""Imported once by the forkserver of `nianbao run --workers N`, so a step process starts with what every step
needs already in memory. Measured without it (py-spy, 3,200 documents): each step process spent about 1.9 s
importing Dagster's SQLite storage (alembic, sqlalchemy) while opening the instance, and a parse step another
~1 s importing pyarrow.dataset, python-docx and PDFium on its first document — ~2 s per step, on the critical path.
The libraries are imported lazily elsewhere so that `nianbao parse` on one file stays quick."""

import tempfile
from pathlib import Path

import charset_normalizer  # noqa: F401
import docx  # noqa: F401
import duckdb  # noqa: F401
import lxml.html  # noqa: F401
import pandas  # noqa: F401 — polars and DuckDB hand frames through it in some paths
import pyarrow.dataset  # noqa: F401 — pyarrow.parquet.read_table builds a dataset
import pypdfium2  # noqa: F401
from dagster import DagsterInstance

import pipelines.definitions  # noqa: F401 — the code location every step rebuilds


def _open_an_instance_once() -> None:
    """Opening an instance imports the storage classes Dagster loads by name (what a step does first)."""
    with tempfile.TemporaryDirectory(prefix="nianbao-preload-") as home:
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        with DagsterInstance.local_temp(tempdir=home):
            pass


_open_an_instance_once()
