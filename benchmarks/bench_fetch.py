"""Fetching: a 年报 column of 500 report pages served on loopback with the habits of TRS WCM sites (pages only through
createPageHTML, titles cut short with the full one in title=, every fifth report with its PDF behind a pdf.js viewer),
fetched with no delay and (on the first 30 pages) at the default politeness of one request per second per host; a
second fetch that downloads nothing; and four slow hosts fetched side by side against the sum of their times."""

import http.server
import shutil
import tempfile
import threading
import time
from pathlib import Path

from common import save

from pipelines.fetch import Fetcher, FetchReport, Source, fetch_all

PAGES = 500
PER_LIST_PAGE = 50
SLOW_SECONDS = 0.25
SLOW_HOSTS = 4


class Column(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as real web servers do: headers and body in separate writes would wait 40 ms
    pages = PAGES
    seconds = 0.0  # each answer's delay

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path
        time.sleep(self.seconds)
        if path == "/robots.txt":
            body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
        elif path.startswith("/col/"):
            page = 0 if path == "/col/" else int(path.rsplit("_", 1)[1].split(".")[0])
            items = range(page * PER_LIST_PAGE, min(self.pages, (page + 1) * PER_LIST_PAGE))
            links = "".join(
                f'<a href="/r/{i}.html" title="第{i}号单位2024年政府信息公开工作年度报告">第{i}号单位2024年政府信息公开...</a>'
                for i in items
            )
            pages = -(-self.pages // PER_LIST_PAGE)
            more = f'<script>createPageHTML({pages}, {page}, "index", "html");</script>'
            body, kind = f"<html><body>{links}{more}</body></html>".encode(), "text/html; charset=utf-8"
        elif path.startswith("/files/"):
            body, kind = b"%PDF-1.4 " + path.encode() + b" x" * 4000, "application/pdf"
        else:
            number = int(path.rsplit("/", 1)[1].split(".")[0]) if path.startswith("/r/") else 0
            viewer = (
                f'<a href="/pdfjs/web/viewer.html?file=/files/{number}.pdf">在线阅读</a>' if number % 5 == 0 else ""
            )
            body = (
                f"<html><body><span>发布时间：2025-01-15</span><p>{path} 报告正文</p>{viewer}{'x' * 20000}"
                "</body></html>"
            ).encode()
            kind = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", f'"{hash(body) & 0xFFFFFFFF:x}"')
        self.end_headers()
        self.wfile.write(body)


def timed(source: Source, inbox: Path, delay: float, limit: int | None = None) -> tuple[float, FetchReport]:
    fetcher = Fetcher(inbox, delay=delay, timeout=10)
    report = FetchReport()
    started = time.perf_counter()
    links = fetcher._report_links(source, report)[:limit]
    for title, url in links:
        fetcher._fetch_document(source, url, title, report, parent=None)
    return time.perf_counter() - started, report


class SlowColumn(Column):
    pages = 6
    seconds = SLOW_SECONDS


def side_by_side(work: Path) -> tuple[float, float]:
    """SLOW_HOSTS hosts answering in SLOW_SECONDS each (a list page, a report): all of them, then one alone."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowColumn) for _ in range(SLOW_HOSTS)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    sources = [
        Source("000000", f"慢{i}", f"http://127.0.0.1:{s.server_address[1]}/col/") for i, s in enumerate(servers)
    ]
    started = time.perf_counter()
    fetch_all(sources, work / "slow-all", delay=0.0, timeout=10)
    together = time.perf_counter() - started
    started = time.perf_counter()
    fetch_all(sources[:1], work / "slow-one", delay=0.0, timeout=10)
    alone = time.perf_counter() - started
    for server in servers:
        server.shutdown()
    return together, alone


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Column)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = Source("000000", "基准", f"http://127.0.0.1:{server.server_address[1]}/col/")
    work = Path(tempfile.mkdtemp(prefix="nianbao-fetch-"))
    fast_seconds, fast = timed(source, work / "fast", delay=0.0)
    again_seconds, again = timed(source, work / "fast", delay=0.0)
    polite_seconds, polite = timed(source, work / "polite", delay=1.0, limit=30)
    server.shutdown()
    parallel_seconds, one_host_seconds = side_by_side(work)
    shutil.rmtree(work)
    save(
        "fetch",
        {
            "pages": fast.new_documents,
            "list_pages": fast.pages,
            "no_delay_pages_per_second": round(fast.new_documents / fast_seconds, 1),
            "second_fetch_new": again.new_documents,
            "second_fetch_unchanged": again.unchanged,
            "second_fetch_seconds": round(again_seconds, 1),
            "polite_pages": polite.new_documents,
            "polite_pages_per_second": round(polite.new_documents / polite_seconds, 2),
            "slow_hosts": SLOW_HOSTS,
            "slow_hosts_side_by_side_seconds": round(parallel_seconds, 2),
            "one_slow_host_seconds": round(one_host_seconds, 2),
        },
    )


if __name__ == "__main__":
    main()
