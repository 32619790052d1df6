"""Fetch reports from the official 年报 columns in the source registry, politely, and remember what changed.

For each registered column: read its list pages, find the links whose title names a 政府信息公开 annual report
(年度报告 / 年报 and a year; 解读, 法治政府建设年度报告 and other annual reports are refused and logged), download each
report page and its attachments (PDF, Word, WPS, OFD, spreadsheets) and write them into the inbox with one line per document in `fetch_log.jsonl` beside them: the URL, the page's title
and 发布时间, when it was fetched, HTTP Last-Modified and ETag, the SHA-256. Nothing outside the column's host is
followed (links, redirects); robots.txt is obeyed; each host is asked at most once per `delay` seconds; requests
time out and are retried with backoff; bodies over the size cap are dropped. A second fetch sends conditional
requests and stores nothing it already has; a changed report is stored beside the old one (both kept by hash).
How pages are read — titles, pagination, attachments, as real CMSs write them — is `pipelines.links`.
Network lives here only: the parser never fetches anything.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml

from . import links
from .report.readers import MAX_BYTES

USER_AGENT = "nianbao/1.0 (+https://github.com/; government annual-report reader)"
TAG = re.compile(r"<[^>]+>")
PAGE_DATE = re.compile(
    r"(?:发布时间|发布日期|发文日期|PubDate\"\s+content=\")[:：\s]*(20\d\d)[-年/.](\d{1,2})[-月/.](\d{1,2})"
)
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
LOG_NAME = "fetch_log.jsonl"
RUNS_NAME = "fetch_runs.jsonl"  # one line per source per fetch: what it found, for 数据质量


@dataclass(frozen=True)
class Source:
    code: str
    name: str
    column: str

    @property
    def host(self) -> str:
        return urlsplit(self.column).netloc.lower()

    @property
    def key(self) -> str:
        """A stable partition key: the division code and a digest of the column's URL (a body may have several)."""
        return f"{self.code}-{hashlib.sha256(self.column.encode()).hexdigest()[:8]}"


def load_sources(path: str | Path) -> list[Source]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return [Source(str(s["code"]), s["name"], s["column"]) for s in raw.get("sources", [])]


@dataclass
class FetchReport:
    """What one fetch did, per source and in total (the CLI prints it; the Dagster asset records it)."""

    pages: int = 0
    new_documents: int = 0
    unchanged: int = 0
    revised: int = 0
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # links titled as another kind of annual report, with why

    def add(self, other: FetchReport) -> None:
        self.pages += other.pages
        self.new_documents += other.new_documents
        self.unchanged += other.unchanged
        self.revised += other.revised
        self.errors += other.errors
        self.refused += other.refused


MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 30.0  # a server asking to wait longer is given up on for this fetch (and said so)
RETRY_STATUSES = (429, 500, 502, 503, 504)


def _session(retries: int):
    """Kept-alive connections; retries with backoff on connection errors and on 429/5xx, honouring Retry-After
    (capped at MAX_RETRY_AFTER). Redirects are followed by hand: only within the registered host."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        def get_retry_after(self, response):
            seconds = super().get_retry_after(response)
            return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        redirect=0,
        backoff_factor=0.5,
        backoff_max=8.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=("GET",),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Fetcher:
    def __init__(
        self,
        inbox: str | Path,
        delay: float = 1.0,
        timeout: float = 15.0,
        retries: int = 2,
        max_bytes: int = MAX_BYTES,
        max_list_pages: int = 20,
    ):
        self.inbox = Path(inbox)
        self.delay, self.timeout, self.retries = delay, timeout, retries
        self.max_bytes, self.max_list_pages = max_bytes, max_list_pages
        self.session = _session(retries)
        self._last_request: dict[str, float] = {}
        self._robots: dict = {}  # host → protego.Protego
        self._lock = threading.Lock()
        self.known = self._read_log()

    # ------------------------------------------------------------ state
    def _read_log(self) -> dict[str, dict]:
        """The latest entry per URL from earlier fetches (for conditional requests and change detection)."""
        known: dict[str, dict] = {}
        log = self.inbox / LOG_NAME
        if log.exists():
            for line in log.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    known[entry["url"]] = entry
        return known

    def _log(self, entry: dict) -> None:
        with self._lock:  # hosts are fetched in parallel; the log is one file
            self.inbox.mkdir(parents=True, exist_ok=True)
            with open(self.inbox / LOG_NAME, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.known[entry["url"]] = entry

    # ------------------------------------------------------------ HTTP
    def _polite_wait(self, host: str) -> None:
        with self._lock:
            wait = self._last_request.get(host, 0.0) + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request[host] = time.monotonic()

    def _allowed(self, url: str) -> bool:
        """robots.txt with the wildcards the standard library's parser ignores (`Disallow: /*.pdf$`), via protego."""
        from protego import Protego

        parts = urlsplit(url)
        host = parts.netloc.lower()
        if host not in self._robots:
            try:
                status, body, _ = self._get(f"{parts.scheme}://{parts.netloc}/robots.txt", check_robots=False)
                rules = body.decode("utf-8", "replace") if status == 200 else ""
            except FetchError:
                rules = ""  # no robots.txt to be had: the default is allowed
            self._robots[host] = Protego.parse(rules)
        return self._robots[host].can_fetch(url, USER_AGENT)

    def _get(self, url: str, headers: dict | None = None, check_robots: bool = True) -> tuple[int, bytes, dict]:
        """(status, body, headers); 304 gives an empty body. Retries (in the session) connection errors and
        429/5xx with backoff and Retry-After; follows redirects only within the host."""
        import requests

        if check_robots and not self._allowed(url):
            raise FetchError(url, "robots.txt disallows it")
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            self._polite_wait(urlsplit(target).netloc.lower())
            try:
                response = self.session.get(
                    target,
                    headers={"User-Agent": USER_AGENT, **(headers or {})},
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                reason = getattr(exc, "reason", None) or exc
                raise FetchError(url, f"unreachable ({type(exc).__name__}: {str(reason)[:120]})") from None
            with response:
                if response.is_redirect:
                    following = urljoin(target, response.headers.get("Location", ""))
                    if urlsplit(following).netloc.lower() != urlsplit(url).netloc.lower():
                        raise FetchError(url, f"redirect to another host refused: {following}")
                    target = following
                    continue
                return self._body(url, response)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _body(self, url: str, response) -> tuple[int, bytes, dict]:
        headers = dict(response.headers)
        if response.status_code == 304:
            return 304, b"", headers
        if response.status_code >= 400:
            raise FetchError(url, f"HTTP {response.status_code} {response.reason}")
        length = int(response.headers.get("Content-Length") or 0)
        if length > self.max_bytes:
            raise FetchError(url, f"too large ({length / 2**20:.0f} MB)")
        chunks, total = [], 0
        for chunk in response.iter_content(1 << 16):
            chunks.append(chunk)
            total += len(chunk)
            if total > self.max_bytes:
                raise FetchError(url, f"too large (over {self.max_bytes // 2**20} MB)")
        return response.status_code, b"".join(chunks), headers

    # ------------------------------------------------------------ a column
    def fetch_source(self, source: Source, report: FetchReport | None = None) -> FetchReport:
        report = report or FetchReport()
        own = FetchReport()
        try:
            for title, url in self._report_links(source, own):
                self._fetch_document(source, url, title, own, parent=None)
        except FetchError as exc:
            own.errors.append(f"{source.name}: {exc}")
        self._record_run(source, own)
        report.add(own)
        return report

    def _record_run(self, source: Source, run: FetchReport) -> None:
        entry = {
            "source_key": source.key,
            "source": source.name,
            "code": source.code,
            "column": source.column,
            "finished_at": datetime.now().isoformat(timespec="seconds"),
            "pages": run.pages,
            "new_documents": run.new_documents,
            "revised": run.revised,
            "unchanged": run.unchanged,
            "refused": len(run.refused),
            "errors": len(run.errors),
            "first_error": (run.errors or [""])[0],
        }
        with self._lock:
            self.inbox.mkdir(parents=True, exist_ok=True)
            with open(self.inbox / RUNS_NAME, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _report_links(self, source: Source, report: FetchReport) -> list[tuple[str, str]]:
        seen_pages, queue, found = set(), [source.column], {}
        while queue and len(seen_pages) < self.max_list_pages:
            page = queue.pop(0)
            if page in seen_pages:
                continue
            seen_pages.add(page)
            status, body, headers = self._get(page)
            report.pages += 1
            text = _decode(body, headers)
            listed = links.json_list_page(text, page) if _is_json(text, headers) else None
            listed = listed or links.list_page(text, page)
            for link in listed.reports:
                if _same_host(link.url, source):  # nothing outside the registered host
                    found.setdefault(link.url, link.title)
            for link, why in listed.refused:
                if _same_host(link.url, source):
                    self._refuse(source, link, why, report)
            queue += [p for p in listed.pages if _same_host(p, source) and p not in seen_pages]
        return [(title, url) for url, title in found.items()]

    def _refuse(self, source: Source, link: links.Link, why: str, report: FetchReport) -> None:
        report.refused.append(f"{source.name}: {link.title} ({link.url}): {why}")
        if self.known.get(link.url, {}).get("refused") != why:
            self._log(
                {
                    "url": link.url,
                    "title": link.title,
                    "source": source.name,
                    "code": source.code,
                    "fetched_at": datetime.now().isoformat(timespec="seconds"),
                    "refused": why,
                }
            )

    def _fetch_document(self, source: Source, url: str, title: str, report: FetchReport, parent: dict | None) -> None:
        """A report page (`parent` None: its attachments follow) or an attachment of one (dated by its page)."""
        previous = self.known.get(url)
        if previous and not previous.get("sha256"):
            previous = None  # logged as refused before, not as a document
        conditional = {}
        if previous and previous.get("etag"):
            conditional["If-None-Match"] = previous["etag"]
        if previous and previous.get("last_modified"):
            conditional["If-Modified-Since"] = previous["last_modified"]
        try:
            status, body, headers = self._get(url, conditional)
        except FetchError as exc:
            report.errors.append(f"{source.name}: {exc}")
            return
        if status == 304:
            report.unchanged += 1
            body = None
        else:
            sha = hashlib.sha256(body).hexdigest()
            if previous and previous["sha256"] == sha:
                report.unchanged += 1
            else:
                self._store(source, url, title, body, headers, sha, previous, report, parent)
        if parent is None and body:
            page = _decode(body, headers)
            about = {"published_at": _page_date(page), "title": title}
            for link in links.attachments(page, url):
                if _same_host(link.url, source) and link.url != url:
                    self._fetch_document(source, link.url, link.title or title, report, parent=about)

    def _store(
        self,
        source: Source,
        url: str,
        title: str,
        body: bytes,
        headers: dict,
        sha: str,
        previous: dict | None,
        report: FetchReport,
        parent: dict | None,
    ) -> None:
        suffix = _suffix(url, headers)
        folder = self.inbox / source.host
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha[:20]}{suffix}"
        if not target.exists():
            temporary = target.with_name(target.name + ".part")
            temporary.write_bytes(body)
            temporary.replace(target)
        text = _decode(body, headers) if suffix in (".html", ".htm", ".shtml") else ""
        self._log(
            {
                "url": url,
                "sha256": sha,
                "file": str(target.relative_to(self.inbox)),
                "source": source.name,
                "code": source.code,
                "title": title or _page_title(text),
                "fetched_at": datetime.now().isoformat(timespec="seconds"),
                "last_modified": headers.get("Last-Modified"),
                "etag": headers.get("ETag"),
                "published_at": _page_date(text) or (parent or {}).get("published_at"),
                "previous_sha256": previous["sha256"] if previous else None,
            }
        )
        if previous:
            report.revised += 1
        else:
            report.new_documents += 1


class FetchError(Exception):
    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


MAX_PARALLEL_HOSTS = 8


def fetch_all(sources: list[Source], inbox: str | Path, **options) -> FetchReport:
    """Hosts in parallel (one polite worker each: a host is still asked at most once per delay), the sources of one
    host in turn; 3,000 registered columns take about as long as the slowest host. A host that fails is reported
    and the others proceed."""
    fetcher = Fetcher(inbox, **options)
    by_host: dict[str, list[Source]] = {}
    for source in sources:
        by_host.setdefault(source.host, []).append(source)

    def one_host(host_sources: list[Source]) -> FetchReport:
        report = FetchReport()
        for source in host_sources:
            fetcher.fetch_source(source, report)
        return report

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_HOSTS, len(by_host)))) as pool:
        reports = list(pool.map(one_host, by_host.values()))
    total = FetchReport()
    for report in reports:
        total.add(report)
    return total


# ------------------------------------------------------------ page helpers
def _decode(body: bytes, headers: dict) -> str:
    from .report.errors import ReportError
    from .report.readers import _META_CHARSET, decode_text

    declared = re.search(r"charset=([\w-]+)", headers.get("Content-Type", "") or "", re.I)
    meta = _META_CHARSET.search(body[:8192])
    charset = declared.group(1) if declared else (meta.group(1).decode("ascii") if meta else None)
    try:
        return decode_text(body, charset)[0]
    except ReportError:
        return body.decode("utf-8", "replace")


def _plain(html: str) -> str:
    return " ".join(unescape(TAG.sub("", html)).split())


def _page_title(text: str) -> str:
    match = TITLE.search(text)
    return _plain(match.group(1)) if match else ""


def _page_date(text: str) -> str | None:
    """The page's own 发布时间 (or its PubDate meta), as an ISO date."""
    match = PAGE_DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day).date().isoformat()
    except ValueError:
        return None


def _is_json(text: str, headers: dict) -> bool:
    kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    return "json" in kind.lower() or text.lstrip()[:1] in ("{", "[")


def _same_host(url: str, source: Source) -> bool:
    return urlsplit(url).netloc.lower() == source.host


def _suffix(url: str, headers: dict) -> str:
    match = re.search(r"\.(pdf|docx?|wps|ofd|xlsx?|et|s?html?)$", urlsplit(url).path.lower())
    if match:
        return ".html" if "htm" in match.group(1) else "." + match.group(1)
    named = links.disposition_suffix(headers)  # download.jsp?id=…: the server names the file
    if named:
        return named
    kind = (headers.get("Content-Type") or "").lower()
    return ".pdf" if "pdf" in kind else ".docx" if "officedocument" in kind else ".doc" if "msword" in kind else ".html"


def read_logs(folders) -> list[dict]:
    """Every fetch-log entry found in the inbox folders (the warehouse keeps where each document came from)."""
    entries = []
    for folder in folders:
        for log in sorted(Path(folder).rglob(LOG_NAME)) if Path(folder).is_dir() else []:
            for line in log.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line) if line.strip() else {}
                if entry.get("sha256"):  # refused links are logged too, but are no document
                    entries.append(entry)
    return entries


def read_runs(folders) -> list[dict]:
    """The latest fetch record of every registered source found in the inbox folders."""
    latest: dict[str, dict] = {}
    for folder in folders:
        for log in sorted(Path(folder).rglob(RUNS_NAME)) if Path(folder).is_dir() else []:
            for line in log.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    latest[entry["source_key"]] = entry
    return list(latest.values())
