"""Fetching a recorded 年报 column served on loopback: list pages, reports, attachments, the hostile parts of the web,
a second fetch that downloads nothing, and a report changed after publication."""

import http.server
import threading
import time

import duckdb
import pytest
import yaml

from pipelines.fetch import Source, fetch_all, load_sources
from warehouse.paths import CHECKOUT

from .conftest import SEED, SHARED
from .test_assets import run, settings_for

PAGE_DATE = "2023-01-12"


def _report_pages() -> dict[str, bytes]:
    """Real report pages from ../shared/corpus when present (else the seed report wrapped in a CMS page), a GBK page
    without a declared charset, and a PDF."""
    dev = SHARED / "corpus" / "dev"
    seed = SEED.read_text(encoding="utf-8")
    html = (
        (dev / "fj-putian-lyj-2022-html.html").read_bytes()
        if dev.is_dir()
        else (
            f"<html><head><meta charset='utf-8'><title>2022年度政府信息公开工作年度报告</title></head><body>"
            f"<span>发布时间：{PAGE_DATE} 09:41</span><pre>{seed}</pre></body></html>"
        ).encode()
    )
    gbk = (
        "<html><body><h1>鄂托克旗2021年政府信息公开工作年度报告</h1><span>发布日期：2022-03-01</span><pre>"
        + seed.replace("鄂托克前旗", "鄂托克旗").replace("2022", "2021")
        + "</pre></body></html>"
    ).encode("gbk", "replace")
    from pipelines.demo import render
    from pipelines.demo.generate import build_reports

    pdf = render.render_pdf(next(r for r in build_reports(3, 30) if r.year == 2023))
    return {"html": html, "gbk": gbk, "pdf": pdf}


class Column(http.server.BaseHTTPRequestHandler):
    """A government site: a 年报 column over two list pages, with what real sites also serve."""

    pages: dict[str, bytes] = {}
    hits: list[str] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.hits.append(self.path)
        routes = {
            "/robots.txt": (200, b"User-agent: *\nDisallow: /private/\n", "text/plain"),
            "/col/": (200, self._list(1), "text/html; charset=utf-8"),
            "/col/index_1.html": (200, self._list(2), "text/html; charset=utf-8"),
            "/col/2023/report-a.html": (200, self.pages["html"], "text/html"),
            "/col/2022/report-b.html": (200, self.pages["gbk"], "text/html"),
            "/col/2024/report-c.html": (200, self._with_attachment(), "text/html; charset=utf-8"),
            "/files/report-c.pdf": (200, self.pages["pdf"], "application/pdf"),
            "/col/news.html": (200, "<html><body>新闻：召开会议</body></html>".encode(), "text/html; charset=utf-8"),
        }
        if self.path == "/col/2021/moved.html":
            self.send_response(302)
            self.send_header("Location", "/col/2022/report-b.html")
            self.end_headers()
            return
        if self.path == "/col/2020/slow.html":
            time.sleep(3)
        if self.path == "/files/huge.pdf":
            self.send_response(200)
            self.send_header("Content-Length", str(200 * 2**20))
            self.end_headers()
            return
        status, body, kind = routes.get(self.path, (404, b"not found", "text/plain"))
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def _list(self, page: int) -> bytes:
        items = {
            1: [
                ("2023/report-a.html", "莆田市林业局2022年政府信息公开工作年度报告"),
                ("2022/report-b.html", "鄂托克旗2021年政府信息公开工作年度报告"),
                ("news.html", "关于召开全体会议的通知"),
                ("2019/gone.html", "2019年政府信息公开工作年度报告"),
                ("2021/moved.html", "2021年度政府信息公开年报（旧址）"),
                ("http://example.invalid/other.html", "2020年政府信息公开工作年度报告（外站）"),
            ],
            2: [
                ("2024/report-c.html", "2024年政府信息公开工作年度报告"),
                ("2020/slow.html", "2020年政府信息公开年报"),
                ("/private/2018.html", "2018年政府信息公开年报"),
            ],
        }[page]
        links = "".join(f'<li><a href="{href}">{title}</a></li>' for href, title in items)
        more = '<a href="index_1.html">下一页</a>' if page == 1 else ""
        return f"<html><body><ul>{links}</ul>{more}</body></html>".encode()

    def _with_attachment(self) -> bytes:
        return (
            "<html><body><h1>2024年政府信息公开工作年度报告</h1><span>发布时间：2025-01-20</span>"
            '<a href="/files/report-c.pdf">附件：年度报告.pdf</a><a href="/files/huge.pdf">附件：扫描件</a>'
            "</body></html>"
        ).encode()


@pytest.fixture
def column():
    Column.pages = _report_pages()
    Column.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Column)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _source(url: str) -> Source:
    return Source("350300", "莆田市林业局", f"{url}/col/")


def test_fetch_run_revise(column, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    fetched = inbox / "fetched"
    first = fetch_all([_source(column)], fetched, delay=0.0, timeout=1.0, retries=0)
    assert first.new_documents == 5, first  # pages a, b, b at its old address (stored once), c and its PDF
    assert any("HTTP 404" in e for e in first.errors) and any("unreachable" in e for e in first.errors)
    assert any("too large" in e for e in first.errors)
    assert not any("/private/" in hit or "news" in hit for hit in Column.hits)  # robots.txt; titles decide
    settings = settings_for(tmp_path, inbox)
    assert run(settings).success
    con = duckdb.connect(settings.warehouse_path, read_only=True)
    sources = con.execute("""SELECT s.url, s.page_published_at, r.published_at, r.published_at_source, d.source_url
                             FROM document_sources s JOIN reports r USING (sha256) JOIN documents d USING (sha256)""").fetchall()
    con.close()
    urls = {url for url, *_ in sources}
    assert {
        f"{column}/col/2023/report-a.html",
        f"{column}/col/2022/report-b.html",
        f"{column}/files/report-c.pdf",
    } <= urls
    assert all(source_url for *_, source_url in sources)
    pdf = next(row for row in sources if row[0].endswith(".pdf"))
    assert str(pdf[1]) == "2025-01-20"  # the attachment carries its page's 发布时间
    assert pdf[3] != "page"  # … but the report's own signature date comes first

    Column.hits = []
    second = fetch_all([_source(column)], fetched, delay=0.0, timeout=1.0, retries=0)
    assert second.new_documents == 0 and second.revised == 0 and second.unchanged >= 4

    Column.pages["gbk"] = (
        Column.pages["gbk"]
        .replace("申请数量\t\t6".encode("gbk"), "申请数量\t\t7".encode("gbk"), 1)
        .replace("\t\t\t6\t".encode("gbk"), "\t\t\t7\t".encode("gbk"), 1)
    )
    third = fetch_all([_source(column)], fetched, delay=0.0, timeout=1.0, retries=0)
    assert third.revised >= 1
    assert run(settings).success
    con = duckdb.connect(settings.published_path, read_only=True)
    revisions = con.execute("SELECT url, changed_cells FROM revisions").fetchall()
    findings = con.execute("SELECT detail FROM checks WHERE code = 'QC_REVISED'").fetchall()
    con.close()
    assert len({url for url, _ in revisions if url.endswith("report-b.html")}) == 1
    assert any("6 → 7" in changed for _, changed in revisions)
    assert findings and "发现内容与先前下载的版本不同" in findings[0][0]
    # the newest version is the mart's; a report of another province lands in the mart under its registry entry
    con = duckdb.connect(settings.published_path, read_only=True)
    newer, older = con.execute("SELECT new_sha256, old_sha256 FROM revisions").fetchone()
    in_mart = {sha for (sha,) in con.execute("SELECT sha256 FROM metrics_jurisdiction_year").fetchall()}
    assert newer in in_mart and older not in in_mart
    if (SHARED / "corpus" / "dev").is_dir():
        forestry = con.execute("""SELECT m.jurisdiction_code, m.province_name, m.body_name FROM metrics_jurisdiction_year m
                                  JOIN documents d USING (sha256) WHERE d.source_url LIKE '%report-a.html'""").fetchall()
        assert forestry == [("350300", "福建省", "林业局")]
    conflicts = con.execute("""SELECT r.issuer, k.detail FROM checks k JOIN reports r USING (sha256)
                               WHERE k.code = 'QC_REGISTRY'""").fetchall()
    assert any("鄂托克旗" in issuer and "莆田市" in detail for issuer, detail in conflicts)  # said, not silently chosen
    con.close()
    # 报告详情 shows it with the report, and where the report came from
    from streamlit.testing.v1 import AppTest

    con = duckdb.connect(settings.published_path, read_only=True)
    newer = con.execute("SELECT new_sha256 FROM revisions").fetchone()[0]
    con.close()
    monkeypatch.setenv("NIANBAO_PUBLISHED", settings.published_path)
    detail = AppTest.from_file(str(CHECKOUT / "dashboard" / "views" / "detail.py"), default_timeout=60)
    detail.query_params["report"] = newer
    detail.run()
    assert not detail.exception, [e.value for e in detail.exception]
    assert any("发布后被修改" in w.value and "6 → 7" in w.value for w in detail.warning), [
        w.value for w in detail.warning
    ] + [c.value for c in detail.caption]
    assert any("来源网址：http://127.0.0.1" in c.value for c in detail.caption)


def test_page_date_stands_in_when_the_report_text_has_none(tmp_path):
    from pipelines import ingest

    stored = tmp_path / "seed.txt"
    stored.write_bytes(SEED.read_bytes())  # the seed report prints no date of its own
    row = {
        "sha256": "x" * 64,
        "file_name": "seed.txt",
        "stored_path": str(stored),
        "synthetic": False,
        "page_published_at": "2023-02-10",
    }
    result = ingest.parse_stored(row, "内蒙古自治区")
    assert result["published_at"] == "2023-02-10" and result["published_at_source"] == "page"
    assert not any(c["code"] == "QC_LATE" and c["status"] == "fail" for c in result["quality"])


def test_a_host_that_times_out_does_not_stop_the_others(column, tmp_path):
    dead = Source("150000", "无法连接的旗", "http://127.0.0.1:9/col/")  # nothing listens on the discard port
    report = fetch_all([dead, _source(column)], tmp_path / "fetched", delay=0.0, timeout=1.0, retries=0)
    assert any("无法连接的旗" in e for e in report.errors)
    assert report.new_documents >= 3


def test_redirect_to_another_host_is_refused(tmp_path):
    class Away(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/robots.txt":
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(302)
            self.send_header("Location", "http://example.invalid/col/")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Away)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        report = fetch_all(
            [Source("1", "x", f"http://127.0.0.1:{server.server_address[1]}/col/")],
            tmp_path,
            delay=0.0,
            timeout=1.0,
            retries=0,
        )
    finally:
        server.shutdown()
    assert report.errors and "another host" in report.errors[0]


def test_bundled_registry_cites_only_real_columns():
    sources = load_sources(CHECKOUT / "seeds" / "sources.yaml")
    assert sources and all(s.column.startswith("https://www.") and s.column.endswith("/") for s in sources)
    raw = yaml.safe_load((CHECKOUT / "seeds" / "sources.yaml").read_text(encoding="utf-8"))
    assert len({s["column"] for s in raw["sources"]}) == len(raw["sources"])


def test_main_job_does_not_fetch():
    from pipelines.definitions import defs

    main = defs.resolve_job_def("main_job")
    assert "fetched_documents" not in {k.to_user_string() for k in main.asset_layer.executable_asset_keys}
    assert defs.resolve_job_def("fetch_job") is not None
