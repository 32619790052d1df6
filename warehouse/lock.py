"""One writer at a time: a run holds an exclusive lock on `<warehouse>.lock` for its whole length.

DuckDB itself refuses a second writer process with an I/O error in the middle of a step; this lock turns that into
waiting, then a clear refusal, before anything is touched. The lock is released by the kernel when its process
dies, so a killed run never leaves the warehouse locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from datetime import datetime
from pathlib import Path

# Set by `nianbao run --workers N` for its step processes: the run lock they would take is held by their parent.
HELD_BY_PARENT = "NIANBAO_LOCK_HELD"


def lock_path(warehouse: str | Path) -> Path:
    """The lock file of a warehouse: `<warehouse>.lock` beside it."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse."""


class RunLock:
    DEFAULT_WAIT_SECONDS = 900.0  # a second run (schedule, sensor or CLI) waits this long, then refuses

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, wait_seconds: float = 0.0, on_wait=None) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise WarehouseBusy(
                        f"another nianbao run ({holder}) is writing this warehouse; nothing was "
                        f"changed by this run — try again when it has finished"
                    ) from None
                if on_wait and not told:
                    on_wait(self.holder())
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {datetime.now():%Y-%m-%d %H:%M:%S}".encode())
        self._fd = fd
        return self

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown process"
        except OSError:
            return "unknown process"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self if self._fd is not None else self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
