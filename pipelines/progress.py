"""Progress of long stages (parsing, copy detection), reported to whoever listens: the CLI draws a bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

Listener = Callable[[str, int, int], None]
_listener: Listener | None = None


def listen(listener: Listener | None) -> None:
    global _listener
    _listener = listener


def report(stage: str, done: int, total: int) -> None:
    if _listener is not None:
        _listener(stage, done, total)


class TerminalBar:
    """`解析报告 parsing  1200/5000 ███████░░░░░░░░ 24%  剩余约 1分12秒` on stderr; on a pipe, one line per 10%."""

    WIDTH = 24

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started: dict[str, tuple[float, int]] = {}
        self.last_decile: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        start, start_done = self.started.setdefault(stage, (now, done))
        if total <= 0:
            return
        share = min(1.0, done / total)
        eta = (now - start) / (done - start_done) * (total - done) if done > start_done else None
        filled = int(share * self.WIDTH)
        line = f"{stage} {done}/{total} {'█' * filled}{'░' * (self.WIDTH - filled)} {share:4.0%}" + (
            f"  剩余约 {_duration(eta)}" if eta is not None and done < total else ""
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        else:
            decile = int(share * 10)
            if decile != self.last_decile.get(stage) or done >= total:
                self.last_decile[stage] = decile
                self.stream.write(line + "\n")
                self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}分{seconds % 60:02d}秒" if seconds >= 60 else f"{seconds}秒"
