"""Fetching: a 年报 column of 500 report pages served on loopback, fetched with no delay and (on the first 30 pages)
at the default politeness of one request per second per host; then a second fetch that downloads nothing."""

import http.server
import shutil
import tempfile
import threading
import time
from pathlib import Path

from common import save

from pipelines.fetch import Fetcher, FetchReport, Source

PAGES = 500
PER_LIST_PAGE = 50


class Column(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path
        if path == "/robots.txt":
            body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
        elif path.startswith("/col/"):
            page = 0 if path == "/col/" else int(path.rsplit("_", 1)[1].split(".")[0])
            items = range(page * PER_LIST_PAGE, min(PAGES, (page + 1) * PER_LIST_PAGE))
            links = "".join(f'<a href="/r/{i}.html">第{i}号单位2024年政府信息公开工作年度报告</a>' for i in items)
            more = f'<a href="/col/index_{page + 1}.html">下一页</a>' if (page + 1) * PER_LIST_PAGE < PAGES else ""
            body, kind = f"<html><body>{links}{more}</body></html>".encode(), "text/html; charset=utf-8"
        else:
            body = f"<html><body><span>发布时间：2025-01-15</span><p>{path} 报告正文</p>{'x' * 20000}</body></html>".encode()
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


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Column)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = Source("000000", "基准", f"http://127.0.0.1:{server.server_address[1]}/col/")
    work = Path(tempfile.mkdtemp(prefix="nianbao-fetch-"))
    fast_seconds, fast = timed(source, work / "fast", delay=0.0)
    again_seconds, again = timed(source, work / "fast", delay=0.0)
    polite_seconds, polite = timed(source, work / "polite", delay=1.0, limit=30)
    server.shutdown()
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
        },
    )


if __name__ == "__main__":
    main()
