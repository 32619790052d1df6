"""The inbox as it really is: names are bytes, and entries may be pipes, devices, symlinks, huge or unreadable.

`scan` walks the inbox folders without following anything out of them and sorts every entry into a file to
store (`Received`) or an input that is not (`Skipped`, with a code and a one-line Chinese reason). `store`
reads a received file without ever blocking (O_NONBLOCK, O_NOFOLLOW, then fstat: a file swapped for a pipe
between scan and read is refused, not waited on) and keeps it in the content-addressed store.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from catalogue import load_catalogue

from .report.readers import MAX_BYTES, read_safely

# files the pipeline writes beside generated documents, and editor/transfer leftovers
AUXILIARY_SUFFIXES = {b".jsonl", b".json", b".md", b".yaml", b".tmp", b".part", b".crdownload"}
SYNTHETIC_MARK = "示例数据"


def display_name(raw: bytes) -> str:
    """A readable name for bytes that may not be UTF-8: UTF-8, then GB18030 (Windows archives), then escapes."""
    for encoding in ("utf-8", "gb18030", "big5"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="backslashreplace")


@dataclass(frozen=True)
class Received:
    path: bytes  # where it was found (the link's own path for a symlink)
    target: bytes  # what is read (the resolved path for a symlink inside the inbox)
    size: int
    modified_ns: int = 0  # with the size: a file seen unchanged since the last scan is not read again

    @property
    def display(self) -> str:
        return display_name(self.path)

    @property
    def name(self) -> str:
        return display_name(os.path.basename(self.path))


@dataclass(frozen=True)
class Skipped:
    path: bytes
    code: str
    reason: str

    @property
    def display(self) -> str:
        return display_name(self.path)


def skipped(path: bytes, code: str, **what) -> Skipped:
    reason = load_catalogue().raw["skip_codes"][code]  # the reasons live in the field catalogue
    return Skipped(path, code, reason.format(limit=MAX_BYTES // 2**20, **what))


def _kind_of(mode: int) -> str:
    for test, word in (
        (stat.S_ISFIFO, "命名管道"),
        (stat.S_ISSOCK, "套接字"),
        (stat.S_ISCHR, "字符设备"),
        (stat.S_ISBLK, "块设备"),
    ):
        if test(mode):
            return word
    return "特殊文件"


def _inside(path: bytes, roots: list[bytes]) -> bool:
    return any(path == root or path.startswith(root.rstrip(b"/") + b"/") for root in roots)


def scan(dirs: list[str] | tuple) -> tuple[list[Received], list[Skipped]]:
    roots = [os.path.realpath(os.fsencode(str(d))) for d in dirs]
    received: list[Received] = []
    skipped_: list[Skipped] = []
    for root in roots:
        if os.path.isdir(root):
            _walk(root, roots, received, skipped_)
    received.sort(key=lambda r: r.path)
    skipped_.sort(key=lambda s: s.path)
    return received, skipped_


def _walk(folder: bytes, roots: list[bytes], received: list, skipped_: list) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        skipped_.append(skipped(folder, "unreadable", what=exc.strerror or type(exc).__name__))
        return
    for entry in entries:
        path = entry.path
        name = entry.name
        if name.startswith(b".") or os.path.splitext(name)[1].lower() in AUXILIARY_SUFFIXES:
            skipped_.append(skipped(path, "auxiliary"))
            continue
        try:
            info = os.lstat(path)
        except OSError as exc:
            skipped_.append(skipped(path, "unreadable", what=exc.strerror or type(exc).__name__))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(path, roots, received, skipped_)
        elif stat.S_ISLNK(info.st_mode):
            _symlink(path, roots, received, skipped_)
        elif stat.S_ISREG(info.st_mode):
            _regular(path, path, info, received, skipped_)
        else:
            skipped_.append(skipped(path, "not_regular_file", what=_kind_of(info.st_mode)))


def _symlink(path: bytes, roots: list[bytes], received: list, skipped_: list) -> None:
    try:
        os.stat(path)
    except OSError as exc:
        code = "symlink_loop" if exc.errno == errno.ELOOP else "symlink_dangling"
        skipped_.append(skipped(path, code))
        return
    target = os.path.realpath(path)
    if not _inside(target, roots):
        skipped_.append(skipped(path, "symlink_outside"))
        return
    info = os.lstat(target)
    if stat.S_ISDIR(info.st_mode):
        skipped_.append(skipped(path, "symlink_directory"))  # its contents are scanned where they live
    elif stat.S_ISREG(info.st_mode):
        _regular(path, target, info, received, skipped_)
    else:
        skipped_.append(skipped(path, "not_regular_file", what=_kind_of(info.st_mode)))


def _regular(path: bytes, target: bytes, info: os.stat_result, received: list, skipped_: list) -> None:
    if info.st_size > MAX_BYTES:
        skipped_.append(skipped(path, "too_large", what=f"{info.st_size / 2**20:.0f} MB"))
        return
    if not os.access(target, os.R_OK):
        skipped_.append(skipped(path, "unreadable", what="没有读取权限"))
        return
    received.append(Received(path, target, info.st_size, info.st_mtime_ns))


class NotStored(Exception):
    """A received file that could not be read after all; carries the `Skipped` record."""

    def __init__(self, record: Skipped):
        super().__init__(record.reason)
        self.record = record


def store(item: Received, store_dir: str | Path) -> dict:
    """Copy one received file into the content-addressed store (same bytes stored once, never overwritten)."""
    try:
        data = read_safely(item.target, follow_symlinks=False)
    except IsADirectoryError:
        raise NotStored(skipped(item.path, "changed_while_reading")) from None
    except OverflowError as exc:
        raise NotStored(skipped(item.path, "too_large", what=f"{exc.args[0] / 2**20:.0f} MB")) from None
    except OSError as exc:
        raise NotStored(skipped(item.path, "unreadable", what=exc.strerror or type(exc).__name__)) from None
    sha = hashlib.sha256(data).hexdigest()
    suffix = _safe_suffix(item.name)
    target = Path(store_dir) / sha[:2] / f"{sha}{suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f"{target.name}.{os.getpid()}.part")
        temporary.write_bytes(data)
        temporary.replace(target)
    return {
        "sha256": sha,
        "file_name": item.name,
        "stored_path": str(target),
        "size_bytes": len(data),
        "first_seen_at": datetime.now().replace(microsecond=0),
        "synthetic": is_synthetic(item.name, data),
    }


def unchanged(item: Received, seen: dict[bytes, tuple[int, int, str, str]]) -> str | None:
    """The content hash of a file the last scan saw at this path with the same size and modification time, whose
    stored copy is still there (`seen`: path → size, mtime in ns, sha256, stored path); None: read it."""
    last = seen.get(item.path)
    if last is None or (last[0], last[1]) != (item.size, item.modified_ns) or not item.modified_ns:
        return None
    return last[2] if os.path.isfile(last[3]) else None


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix[1:].isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ""


def is_synthetic(name: str, data: bytes) -> bool:
    head = data[:200000]
    return name.startswith("demo-") or SYNTHETIC_MARK.encode() in head or SYNTHETIC_MARK.encode("gb18030") in head


def fingerprint(dirs) -> str:
    """Cheap digest of the inbox's state (names, sizes, mtimes) for the sensor; nothing is read or followed."""
    digest = hashlib.sha256()
    received, skipped_ = scan(dirs)
    for item in received:
        info = os.lstat(item.target)
        digest.update(item.path + b"\0" + str((info.st_size, info.st_mtime_ns)).encode())
    for item in skipped_:
        digest.update(item.path + b"\0" + item.code.encode())
    return digest.hexdigest()
