"""Fetching from the list-page habits of real government CMSs, each served on loopback from real report pages
(../shared/corpus/dev when present, else the seed in a page) and generated PDFs: one test per habit, then one column
with all of them together that yields every report and no trap."""

import http.server
import json
import threading
import time

import pytest

from pipelines import links
from pipelines.fetch import Source, fetch_all

from .conftest import SEED, SHARED

DEV = SHARED / "corpus" / "dev"
TRUNCATED = "莆田市城市管理局2024年度政府信息公开工..."
FULL = "莆田市城市管理局2024年度政府信息公开工作年度报告"


def _report_page(name: str) -> bytes:
    if (DEV / name).exists():
        return (DEV / name).read_bytes()
    body = SEED.read_text(encoding="utf-8")
    return f"<html><head><meta charset='utf-8'></head><body><pre>{body}</pre></body></html>".encode()


def _pdf(seed: int) -> bytes:
    from pipelines.demo import render
    from pipelines.demo.generate import build_reports

    return render.render_pdf(next(r for r in build_reports(seed, 30) if r.year == 2023))


def _list(items: list[str], extra: str = "") -> bytes:
    return f"<html><head><meta charset='utf-8'></head><body><ul>{''.join(items)}</ul>{extra}</body></html>".encode()


def _a(href: str, text: str, title: str = "") -> str:
    return f'<li><a href="{href}"' + (f' title="{title}"' if title else "") + f">{text}</a></li>"


def _wrapper(inner: str) -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>2024年政府信息公开工作年度报告</title></head><body>"
        f"<h1>2024年政府信息公开工作年度报告</h1><span>发布时间：2025-01-20</span>{inner}</body></html>"
    ).encode()


class Site(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, dict]] = {}
    hits: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.hits.append(self.path)
        if self.path == "/busy/index.html" and self.hits.count(self.path) == 1:  # busy once: come back in 1 s
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/slow/"):
            time.sleep(0.6)
        body, headers = self.routes.get(self.path, (b"not found", {"status": 404}))
        self.send_response(headers.get("status", 200))
        for key, value in headers.items():
            if key != "status":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTML = {"Content-Type": "text/html; charset=utf-8"}
PDF = {"Content-Type": "application/pdf"}


def _routes() -> dict[str, tuple[bytes, dict]]:
    """Every habit at its own address: list pages under /<habit>/, reports and files they lead to."""
    pdf_a, pdf_b = _pdf(3), _pdf(4)
    report = _report_page("fj-putian-lyj-2022-html.html")
    other = _report_page("fj-putian-kjj-2024-html.html")
    return {
        "/robots.txt": (
            b"User-agent: *\nDisallow: /private/\nDisallow: /*.secret.pdf$\n",
            {"Content-Type": "text/plain"},
        ),
        # 429 with Retry-After, a robots.txt wildcard, and a slow host
        "/busy/index.html": (_list([_a("/art/j1.html", "2022年政府信息公开工作年度报告")]), HTML),
        "/wild/index.html": (_list([_a("/art/w.html", "2023年政府信息公开工作年度报告")]), HTML),
        "/art/w.html": (_wrapper('<a href="/files/x.secret.pdf">附件</a><a href="/files/w.pdf">附件</a>'), HTML),
        "/files/x.secret.pdf": (b"%PDF-1.4 never fetched", PDF),
        "/slow/index.html": (_list([_a("/slow/r.html", "2023年政府信息公开工作年度报告")]), HTML),
        "/slow/r.html": (b"<html><body>slow</body></html>", HTML),
        # TRS WCM: page 2 only through createPageHTML; the anchor text cut short, the title in title=
        "/trs/index.htm": (
            _list([_a("./art/a.html", TRUNCATED, FULL)], '<script>createPageHTML(2, 0, "index", "htm");</script>'),
            HTML,
        ),
        "/trs/index_1.htm": (_list([_a("./art/b.html", "莆田市科学技术局2024年度政府信息公开工作年度报告")]), HTML),
        "/trs/art/a.html": (report, HTML),
        "/trs/art/b.html": (other, HTML),
        # a PDF behind a pdf.js viewer link, and one in an iframe; embed and object on further pages
        "/viewer/index.html": (_list([_a("/art/v.html", "2023年政府信息公开工作年度报告")]), HTML),
        "/art/v.html": (_wrapper('<a href="/pdfjs/web/viewer.html?file=/picture/0/P01.pdf">在线阅读</a>'), HTML),
        "/picture/0/P01.pdf": (pdf_a, PDF),
        "/frames/index.html": (_list([_a("/art/f.html", "2023年度政府信息公开年报")]), HTML),
        "/art/f.html": (
            _wrapper(
                '<iframe src="/files/f.pdf" width="100%"></iframe>'
                '<embed src="/files/e.pdf"><object data="/files/o.pdf"></object>'
            ),
            HTML,
        ),
        "/files/f.pdf": (pdf_a, PDF),
        "/files/e.pdf": (pdf_b, PDF),
        "/files/o.pdf": (pdf_b, PDF),
        # onclick window.open, a download.jsp typed only by Content-Disposition, <base href>
        "/scripts/index.html": (_list([_a("/art/s.html", "2023年政府信息公开工作年度报告")]), HTML),
        "/art/s.html": (
            _wrapper(
                '<base href="/store/"><a href="javascript:void(0)" '
                "onclick=\"window.open('/files/w.pdf')\">查看原文</a>"
                '<a href="download.jsp?id=17">附件下载</a>'
            ),
            HTML,
        ),
        "/files/w.pdf": (pdf_a, PDF),
        "/store/download.jsp?id=17": (
            pdf_b,
            {
                "Content-Type": "application/octet-stream",
                "Content-Disposition": "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf",
            },
        ),
        # 尾页 / column-index-N / page parameters, and the titles that are no 政府信息公开 annual report
        "/jcms/column-index-1.shtml": (
            _list(
                [
                    _a("/art/j1.html", "2022年政府信息公开工作年度报告"),
                    _a("/art/trap1.html", "《2022年政府信息公开工作年度报告》解读"),
                    _a("/art/trap2.html", "2022年度法治政府建设年度报告"),
                    _a("column-index-2.shtml", "尾页"),
                ]
            ),
            HTML,
        ),
        "/jcms/column-index-2.shtml": (
            _list([_a("/art/j2.html", "2021年政府信息公开工作年度报告"), _a("/jcms/list.jsp?pageNo=3", "3")]),
            HTML,
        ),
        "/jcms/list.jsp?pageNo=3": (_list([_a("/art/j3.html", "2020年政府信息公开工作年度报告")]), HTML),
        "/art/j1.html": (report, HTML),
        "/art/j2.html": (other, HTML),
        "/art/j3.html": (_report_page("x"), HTML),
        # `var countPage`, a list served as JSON by the column's own API, a WPS attachment
        "/count/index.html": (
            _list([_a("/art/c1.html", "2019年政府信息公开工作年度报告")], "<script>var countPage = 2;</script>"),
            HTML,
        ),
        "/count/index_1.html": (_list([_a("/art/c2.html", "2018年政府信息公开工作年度报告")]), HTML),
        "/art/c1.html": (report, HTML),
        "/art/c2.html": (other, HTML),
        "/api/list.do?columnId=7&pageNo=1": (
            json.dumps(
                {
                    "code": 0,
                    "totalPage": 2,
                    "data": {
                        "list": [
                            {
                                "docTitle": "2024年政府信息公开工作年度报告",
                                "docUrl": "/art/api1.html",
                                "pubDate": "2025-01-20",
                            },
                            {"docTitle": "一图读懂《2024年政府信息公开工作年度报告》", "docUrl": "/art/trap3.html"},
                        ]
                    },
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),
        "/api/list.do?columnId=7&pageNo=2": (
            json.dumps(
                {
                    "totalPage": 2,
                    "data": {
                        "list": [
                            {"docTitle": "2023年政府信息公开工作年度报告", "docUrl": "/art/api2.html"},
                        ]
                    },
                }
            ).encode(),
            {"Content-Type": "application/json;charset=UTF-8"},
        ),
        "/art/api1.html": (report, HTML),
        "/art/api2.html": (_wrapper('<a href="/files/r.wps">附件：年度报告（WPS）</a>'), HTML),
        "/files/r.wps": (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            {"Content-Type": "application/octet-stream"},
        ),
    }


@pytest.fixture
def site():
    Site.routes, Site.hits = _routes(), []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _fetch(url: str, column: str, inbox):
    return fetch_all([Source("350300", "测试栏目", f"{url}{column}")], inbox, delay=0.0, timeout=2.0, retries=0)


def _fetched(inbox) -> dict[str, dict]:
    log = inbox / "fetch_log.jsonl"
    return {e["url"]: e for e in map(json.loads, log.read_text(encoding="utf-8").splitlines())} if log.exists() else {}


def test_trs_pagination_by_script_and_the_title_in_title_attribute(site, tmp_path):
    report = _fetch(site, "/trs/index.htm", tmp_path)
    log = _fetched(tmp_path)
    assert f"{site}/trs/index_1.htm" in [f"{site}{h}" for h in Site.hits]  # no <a> leads there
    assert log[f"{site}/trs/art/a.html"]["title"] == FULL and f"{site}/trs/art/b.html" in log
    assert report.new_documents == 2 and not report.errors


def test_a_pdf_behind_a_pdfjs_viewer(site, tmp_path):
    _fetch(site, "/viewer/index.html", tmp_path)
    entry = _fetched(tmp_path)[f"{site}/picture/0/P01.pdf"]
    assert (tmp_path / entry["file"]).read_bytes().startswith(b"%PDF") and entry["published_at"] == "2025-01-20"
    assert not any("viewer.html" in url for url in _fetched(tmp_path))


def test_pdfs_in_iframe_embed_and_object(site, tmp_path):
    _fetch(site, "/frames/index.html", tmp_path)
    assert {f"{site}/files/{n}.pdf" for n in "feo"} <= set(_fetched(tmp_path))


def test_window_open_and_a_download_typed_by_content_disposition_under_base_href(site, tmp_path):
    _fetch(site, "/scripts/index.html", tmp_path)
    log = _fetched(tmp_path)
    assert f"{site}/files/w.pdf" in log
    download = log[f"{site}/store/download.jsp?id=17"]
    assert download["file"].endswith(".pdf")


def test_last_page_links_column_index_and_page_parameters_and_the_refused_titles(site, tmp_path):
    report = _fetch(site, "/jcms/column-index-1.shtml", tmp_path)
    log = _fetched(tmp_path)
    assert {f"{site}/art/j{i}.html" for i in (1, 2, 3)} <= set(log)
    refused = {url: e["refused"] for url, e in log.items() if e.get("refused")}
    assert set(refused) == {f"{site}/art/trap1.html", f"{site}/art/trap2.html"}
    assert "解读" in refused[f"{site}/art/trap1.html"] and "法治政府" in refused[f"{site}/art/trap2.html"]
    assert not any("trap" in hit for hit in Site.hits)  # refused by title: never downloaded
    assert len(report.refused) == 2


def test_one_column_with_every_habit_fetches_every_report_and_no_trap(site, tmp_path):
    columns = {
        "trs": "/trs/index.htm",
        "viewer": "/viewer/index.html",
        "frames": "/frames/index.html",
        "scripts": "/scripts/index.html",
        "jcms": "/jcms/column-index-1.shtml",
        "count": "/count/index.html",
        "api": "/api/list.do?columnId=7&pageNo=1",
    }
    page = _list([f'<li><a href="{path}">下一页</a></li>' for path in columns.values()])
    Site.routes["/all/index.html"] = (page, HTML)
    first = _fetch(site, "/all/index.html", tmp_path)
    documents = {url for url, e in _fetched(tmp_path).items() if e.get("sha256")}
    expected = {
        f"{site}{p}"
        for p in (
            "/trs/art/a.html",
            "/trs/art/b.html",
            "/picture/0/P01.pdf",
            "/files/f.pdf",
            "/files/e.pdf",
            "/files/o.pdf",
            "/files/w.pdf",
            "/store/download.jsp?id=17",
            "/art/j1.html",
            "/art/j2.html",
            "/art/j3.html",
            "/art/c1.html",
            "/art/c2.html",
            "/art/api1.html",
            "/art/api2.html",
            "/files/r.wps",
        )
    }
    assert expected <= documents and not any("trap" in url for url in documents), expected - documents
    assert not first.errors, first.errors
    second = _fetch(site, "/all/index.html", tmp_path)
    assert second.new_documents == 0 and second.revised == 0  # nothing stored twice


def test_a_page_count_written_by_script(site, tmp_path):
    _fetch(site, "/count/index.html", tmp_path)
    assert {f"{site}/art/c1.html", f"{site}/art/c2.html"} <= set(_fetched(tmp_path))


def test_a_list_served_as_json_by_the_column_api_and_a_wps_attachment(site, tmp_path):
    report = _fetch(site, "/api/list.do?columnId=7&pageNo=1", tmp_path)
    log = _fetched(tmp_path)
    assert {f"{site}/art/api1.html", f"{site}/art/api2.html"} <= set(log)
    assert log[f"{site}/files/r.wps"]["file"].endswith(".wps")
    assert [r for r in report.refused if "一图读懂" in r] and not any("trap3" in hit for hit in Site.hits)


def test_link_reading_is_pure():
    page = '<a href="a.html" title="长标题2024年政府信息公开工作年度报告">长标题2024年…</a>'
    listed = links.list_page(page, "http://x/col/")
    assert [(link.url, link.title) for link in listed.reports] == [
        ("http://x/col/a.html", "长标题2024年政府信息公开工作年度报告")
    ]
    assert links.scripted_pages("<script>var countPage = 3;</script>", "http://x/col/index.html") == [
        "http://x/col/index_1.html",
        "http://x/col/index_2.html",
    ]
    assert links.disposition_suffix({"Content-Disposition": 'attachment; filename="2024.OFD"'}) == ".ofd"


def test_a_busy_server_is_asked_again_after_its_retry_after(site, tmp_path):
    started = time.monotonic()
    report = fetch_all([Source("350300", "忙", f"{site}/busy/index.html")], tmp_path, delay=0.0, timeout=2.0, retries=2)
    assert time.monotonic() - started >= 1.0 and report.new_documents == 1 and not report.errors
    assert Site.hits.count("/busy/index.html") == 2


def test_robots_wildcards_are_obeyed(site, tmp_path):
    _fetch(site, "/wild/index.html", tmp_path)
    assert f"{site}/files/w.pdf" in _fetched(tmp_path)
    assert "/files/x.secret.pdf" not in Site.hits  # Disallow: /*.secret.pdf$


def test_hosts_are_fetched_side_by_side(tmp_path):
    """Two slow hosts (0.6 s a request, 3 requests each with robots.txt) take about as long as one."""
    servers = []
    for _ in range(2):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    Site.routes, Site.hits = _routes(), []
    try:
        sources = [
            Source("350300", f"栏目{i}", f"http://127.0.0.1:{s.server_address[1]}/slow/index.html")
            for i, s in enumerate(servers)
        ]
        started = time.monotonic()
        report = fetch_all(sources, tmp_path, delay=0.0, timeout=5.0, retries=0)
        elapsed = time.monotonic() - started
    finally:
        for server in servers:
            server.shutdown()
    assert report.new_documents == 2 and not report.errors
    assert elapsed < 2 * 3 * 0.6, elapsed  # in turn it would take 3.6 s


def test_one_partition_per_registered_column_and_a_failing_host_fails_alone(site, tmp_path, monkeypatch):
    """The registry's columns become fetch partitions (registry_sensor), the weekly schedule asks for each, a dead
    host fails its own partition only, and what each fetch found reaches 数据质量 through the warehouse."""
    import yaml
    from dagster import DagsterInstance, build_schedule_context, build_sensor_context, materialize

    from pipelines.defs.automation import registry_sensor, weekly_fetch
    from pipelines.defs.fetch import SOURCES_NAME, fetched_documents
    from pipelines.defs.resources import NianbaoSettings

    from .test_assets import run, settings_for

    registry = tmp_path / "sources.yaml"
    entries = [
        {"code": "350300", "name": "好栏目", "column": f"{site}/trs/index.htm"},
        {"code": "350400", "name": "坏栏目", "column": "http://127.0.0.1:9/col/"},
    ]
    registry.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    inbox = tmp_path / "inbox"
    base = settings_for(tmp_path, inbox)
    settings = NianbaoSettings(
        inbox_dirs=base.inbox_dirs,
        store_dir=base.store_dir,
        warehouse_path=base.warehouse_path,
        published_path=base.published_path,
        province=base.province,
        sources_file=str(registry),
        fetched_inbox=str(inbox / "fetched"),
    )
    (tmp_path / "dagster").mkdir()
    instance = DagsterInstance.local_temp(tempdir=str(tmp_path / "dagster"))  # schedules read it by reference
    added = registry_sensor(build_sensor_context(instance=instance, resources={"settings": settings}))
    keys = added.dynamic_partitions_requests[0].partition_keys
    instance.add_dynamic_partitions(SOURCES_NAME, list(keys))
    from datetime import datetime

    monday = datetime(2026, 12, 7, 2, 0)
    requests = weekly_fetch(
        build_schedule_context(instance=instance, scheduled_execution_time=monday, resources={"settings": settings})
    )
    assert sorted(r.partition_key for r in requests) == sorted(keys) and len(keys) == 2
    outcomes = {}
    for key in keys:
        result = materialize(
            [fetched_documents],
            partition_key=key,
            instance=instance,
            resources={"settings": settings},
            raise_on_error=False,
        )
        outcomes[key] = result.success
    assert sorted(outcomes.values()) == [False, True]  # the dead host's partition alone failed
    assert run(settings).success
    import duckdb

    con = duckdb.connect(settings.published_path, read_only=True)
    runs = dict(con.execute("SELECT source, errors FROM fetch_runs").fetchall())
    con.close()
    assert runs["好栏目"] == 0 and runs["坏栏目"] >= 1
    from streamlit.testing.v1 import AppTest

    from warehouse.paths import CHECKOUT

    monkeypatch.setenv("NIANBAO_PUBLISHED", settings.published_path)
    quality = AppTest.from_file(str(CHECKOUT / "dashboard" / "views" / "quality.py"), default_timeout=60).run()
    assert not quality.exception
    assert any("网站栏目抓取情况" in s.value for s in quality.subheader)
