"""The resources every asset takes: where documents come from and the warehouse lives, and the run lock."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from warehouse.lock import HELD_BY_PARENT, RunLock, lock_path
from warehouse.paths import Paths, shard_root_for

from .. import shards


class NianbaoSettings(ConfigurableResource):
    """Where documents come from and where the warehouse lives: built from `warehouse.paths.Paths`, the one
    paths object the CLI, the sensor and the dashboard share."""

    inbox_dirs: list[str]
    store_dir: str
    warehouse_path: str
    published_path: str
    province: str = ""
    sources_file: str = ""  # the source registry `fetched_documents` reads (empty: nothing to fetch)
    fetched_inbox: str = ""  # where it writes what it downloads
    shard_root: str = ""  # Parquet shards of parsed documents: a folder or an s3:// URL (default: beside the warehouse)

    def shard_store(self) -> shards.ShardStore:
        return shards.ShardStore(self.shard_root or shard_root_for(Path(self.warehouse_path)))

    @classmethod
    def from_paths(cls, paths: Paths, province: str = "") -> NianbaoSettings:
        return cls(
            inbox_dirs=[str(d) for d in paths.inbox_dirs],
            store_dir=str(paths.store),
            warehouse_path=str(paths.warehouse),
            published_path=str(paths.published),
            province=province,
            sources_file=str(paths.sources or ""),
            fetched_inbox=str(paths.fetched_inbox),
            shard_root=paths.shards,
        )


class WarehouseLock(ConfigurableResource):
    """Held for the whole run (the in-process executor sets resources up once per run): a second run at the same
    time — schedule, sensor or CLI — waits up to `wait_seconds`, then refuses with a clear message."""

    warehouse_path: str
    wait_seconds: float = RunLock.DEFAULT_WAIT_SECONDS
    _lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        lock = RunLock(lock_path(self.warehouse_path))
        held = os.environ.get(HELD_BY_PARENT)
        if held and lock.holder() == held:
            return  # `nianbao run --workers N` holds the lock for the whole run; its step processes share it

        def waiting(holder: str) -> None:
            message = f"waiting up to {self.wait_seconds:.0f} s for another nianbao run to finish ({holder})"
            print(message, file=sys.stderr, flush=True)
            if context.log:
                context.log.warning(message)

        self._lock = lock.acquire(self.wait_seconds, on_wait=waiting)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._lock:
            self._lock.release()
            self._lock = None
