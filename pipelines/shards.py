"""Parsed documents as Parquet shards: per partition, a folder of batches, on a local folder or an S3-compatible URL.

Documents are assigned to partitions by the first hex digit of their SHA-256 (so a document never moves). A parse
step writes each batch it parsed as a batch folder of its partition (`pN/<batch>/<table>.parquet`, the folder
complete once its `done` marker is written), so no step ever reads or rewrites more than a batch: memory and
write cost do not grow with the corpus. Re-parsing a document (a new parser version, the retry after a killed
worker) removes its rows from the older batch holding them; a small newest batch (one new document of an
incremental run) is rewritten together with the next, so the folders stay about a batch each. Where a crash left
one document in two batches, the newest batch's rows are the document's. The warehouse loads from the batches.
One code path for every store: pyarrow's filesystems (`/var/shards`, `file:///…`, `s3://bucket/prefix`).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from warehouse.tables import PARSED

PARTITIONS = [f"p{i}" for i in range(8)]
TABLES = tuple(t.name for t in PARSED)
INDEX_TABLES = ("reports", "ingest_errors")  # every parsed document has exactly one row in one of them
DONE = "done"
FULL_BATCH = 400  # a newest batch holding fewer documents than this is rewritten together with the next one


def partition_of(sha256: str) -> str:
    return PARTITIONS[int(sha256[0], 16) % len(PARTITIONS)]


class ShardStore:
    def __init__(self, root: str):
        if "://" not in root:
            root = os.path.abspath(root)
        self.fs, self.base = pafs.FileSystem.from_uri(root)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)
        self._indexes: dict[str, list[tuple[str, dict[str, str]]]] = {}  # read once a step, dropped on a merge

    def _folder(self, partition: str) -> str:
        return f"{self.base}/{partition}"

    def batches(self, partition: str) -> list[str]:
        """The partition's complete batch folders, oldest first."""
        listing = self.fs.get_file_info(pafs.FileSelector(self._folder(partition), allow_not_found=True))
        names = sorted(info.base_name for info in listing if info.type == pafs.FileType.Directory)
        complete = []
        for name in names:
            marker = f"{self._folder(partition)}/{name}/{DONE}"
            if self.fs.get_file_info(marker).type != pafs.FileType.NotFound:
                complete.append(name)
            else:
                self.fs.delete_dir(f"{self._folder(partition)}/{name}")  # a step killed while writing it
        return complete

    def _read(self, partition: str, batch: str, table: str, columns: list[str] | None = None) -> pa.Table | None:
        path = f"{self._folder(partition)}/{batch}/{table}.parquet"
        if self.fs.get_file_info(path).type == pafs.FileType.NotFound:
            return None
        if "sha256" not in pq.read_schema(path, filesystem=self.fs).names:
            return None  # an empty table: a batch whose documents were all unreadable has no reports
        return pq.read_table(path, filesystem=self.fs, columns=columns)

    def _index(self, partition: str) -> list[tuple[str, dict[str, str]]]:
        """(batch, sha256 → parser version) of every batch, oldest first."""
        if partition in self._indexes:
            return self._indexes[partition]
        out = []
        for batch in self.batches(partition):
            held: dict[str, str] = {}
            for table in INDEX_TABLES:
                rows = self._read(partition, batch, table, ["sha256", "parser_version"])
                if rows is not None:
                    held.update(zip(rows["sha256"].to_pylist(), rows["parser_version"].to_pylist(), strict=True))
            out.append((batch, held))
        self._indexes[partition] = out
        return out

    def parsed(self, partition: str) -> dict[str, str]:
        """sha256 → parser version of every document this partition's shards hold (a report or an error)."""
        out: dict[str, str] = {}
        for _batch, held in self._index(partition):
            out.update(held)  # oldest first: the newest batch holding a document wins
        return out

    def read(self, partition: str, table: str) -> pl.DataFrame | None:
        """One table of the whole partition (for inspection; the pipeline reads batch by batch)."""
        parts = [t for b in self.batches(partition) if (t := self._read(partition, b, table)) is not None]
        return pl.from_arrow(pa.concat_tables(parts, promote_options="permissive")) if parts else None

    def merge(self, partition: str, frames: dict[str, pl.DataFrame], shas: list[str]) -> None:
        """These documents' rows as the partition's newest batch; their rows in older batches removed."""
        replaced = set(shas)
        index = self._index(partition)
        self._indexes.pop(partition, None)
        carried: list[str] = []
        if index and len(index[-1][1]) < FULL_BATCH:
            carried.append(index[-1][0])  # the small newest batch goes into this one
        batch = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        self._write_batch(partition, batch, frames, carried, replaced)
        for old, held in index:
            if old in carried:
                self.fs.delete_dir(f"{self._folder(partition)}/{old}")
            elif replaced & held.keys():
                self._rewrite_without(partition, old, replaced)

    def _write_batch(self, partition, batch, frames, carried: list[str], replaced: set[str]) -> None:
        folder = f"{self._folder(partition)}/{batch}"
        self.fs.create_dir(folder, recursive=True)
        for table in TABLES:
            parts = [self._without(self._read(partition, old, table), replaced) for old in carried]
            new = frames[table]
            if "sha256" in new.columns:
                parts.append(new.to_arrow())
            parts = [p for p in parts if p is not None and p.num_rows]
            rows = pa.concat_tables(parts, promote_options="permissive") if parts else new.to_arrow()
            pq.write_table(rows, f"{folder}/{table}.parquet", filesystem=self.fs)
        with self.fs.open_output_stream(f"{folder}/{DONE}") as marker:
            marker.write(b"")

    def _rewrite_without(self, partition: str, batch: str, replaced: set[str]) -> None:
        """An older batch without the re-parsed documents: written as a new folder, then the old one removed (a
        crash between the two leaves both; the newer holds the same rows without the documents)."""
        kept = {}
        for table in TABLES:
            rows = self._without(self._read(partition, batch, table), replaced)
            kept[table] = pl.DataFrame() if rows is None else pl.from_arrow(rows)
        renamed = f"{batch.split('-')[0]}-{uuid.uuid4().hex[:8]}"  # same age, so a later batch still wins
        self._write_batch(partition, renamed, kept, [], set())
        self.fs.delete_dir(f"{self._folder(partition)}/{batch}")

    @staticmethod
    def _without(rows: pa.Table | None, shas: set[str]) -> pa.Table | None:
        if rows is None or not shas:
            return rows
        values = pa.array(sorted(shas), type=rows.schema.field("sha256").type)
        return rows.filter(pc.invert(pc.is_in(rows["sha256"], value_set=values)))

    def load(self, partition: str, table: str, shas: list[str]) -> Iterator[pa.Table]:
        """These documents' rows as Arrow (what DuckDB inserts from without a conversion), a batch at a time, each
        document's rows from the newest batch holding it."""
        wanted = set(shas)
        newest: dict[str, str] = {}
        for batch, held in self._index(partition):
            newest.update((sha, batch) for sha in wanted & held.keys())
        for batch in sorted(set(newest.values())):
            rows = self._read(partition, batch, table)
            if rows is None:
                continue
            mine = [sha for sha, b in newest.items() if b == batch]
            values = pa.array(mine, type=rows.schema.field("sha256").type)
            yield rows.filter(pc.is_in(rows["sha256"], value_set=values))
