"""Parsed documents as Parquet shards, one folder per partition, on a local folder or an S3-compatible URL.

Documents are assigned to partitions by the first hex digit of their SHA-256 (so a document never moves). Each
partition's parse step merges what it parsed into its shard files (the rows of those documents replaced,
written to a temporary name and renamed), so re-running a partition — a backfill, or the retry after a killed
worker — touches that partition's shards only. The warehouse loads its tables from the shards with DuckDB.
One code path for every store: pyarrow's filesystems (`/var/shards`, `file:///…`, `s3://bucket/prefix`).
"""

from __future__ import annotations

import os
import uuid

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from warehouse.tables import PARSED

PARTITIONS = [f"p{i}" for i in range(8)]
TABLES = tuple(t.name for t in PARSED)


def partition_of(sha256: str) -> str:
    return PARTITIONS[int(sha256[0], 16) % len(PARTITIONS)]


class ShardStore:
    def __init__(self, root: str):
        if "://" not in root:
            root = os.path.abspath(root)
        self.fs, self.base = pafs.FileSystem.from_uri(root)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    def _path(self, partition: str, table: str) -> str:
        return f"{self.base}/{partition}/{table}.parquet"

    def read(self, partition: str, table: str, columns: list[str] | None = None) -> pl.DataFrame | None:
        rows = self._read_arrow(partition, table, columns)
        return None if rows is None else pl.from_arrow(rows)

    def _read_arrow(self, partition: str, table: str, columns: list[str] | None = None) -> pa.Table | None:
        path = self._path(partition, table)
        if self.fs.get_file_info(path).type == pafs.FileType.NotFound:
            return None
        if "sha256" not in pq.read_schema(path, filesystem=self.fs).names:
            return None  # an empty table: a partition whose documents were all unreadable has no reports
        return pq.read_table(path, filesystem=self.fs, columns=columns)

    def parsed(self, partition: str) -> dict[str, str]:
        """sha256 → parser version of every document this partition's shards hold (a report or an error)."""
        out: dict[str, str] = {}
        for table in ("reports", "ingest_errors"):
            frame = self.read(partition, table, ["sha256", "parser_version"])
            if frame is not None:
                out.update(zip(frame["sha256"].to_list(), frame["parser_version"].to_list(), strict=False))
        return out

    def merge(self, partition: str, frames: dict[str, pl.DataFrame], shas: list[str]) -> None:
        """Replace these documents' rows in the partition's shards (delete-then-insert, file by file)."""
        self.fs.create_dir(f"{self.base}/{partition}", recursive=True)
        replaced = list(shas)
        for table in TABLES:
            old = self.read(partition, table)
            new = frames[table]
            if old is not None:
                kept = old.filter(~pl.col("sha256").is_in(replaced))
                new = kept if "sha256" not in new.columns else pl.concat([kept, new], how="diagonal_relaxed")
            self._write(self._path(partition, table), new)

    def _write(self, path: str, frame: pl.DataFrame) -> None:
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        pq.write_table(frame.to_arrow(), temporary, filesystem=self.fs)
        self.fs.move(temporary, path)  # a rename on a local disk; a copy-and-delete on object stores

    def load(self, partition: str, table: str, shas: list[str]) -> pa.Table | None:
        """These documents' rows as Arrow (what DuckDB inserts from without a conversion)."""
        rows = self._read_arrow(partition, table)
        if rows is None:
            return None
        return rows.filter(pc.is_in(rows["sha256"], value_set=pa.array(shas, type=rows.schema.field("sha256").type)))
