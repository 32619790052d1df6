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
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class Source:
    code: str
    name: str
    column: str

    @property
    def host(self) -> str:
        return urlsplit(self.column).netloc.lower()


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


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).netloc.lower() != urlsplit(req.full_url).netloc.lower():
            raise urllib.error.HTTPError(newurl, code, f"redirect to another host refused: {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


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
        self.opener = urllib.request.build_opener(_SameHostRedirects())
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
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
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if host not in self._robots:
            robots = urllib.robotparser.RobotFileParser()
            try:
                status, body, _ = self._get(f"{parts.scheme}://{parts.netloc}/robots.txt", check_robots=False)
                robots.parse(body.decode("utf-8", "replace").splitlines() if status == 200 else [])
            except FetchError:
                robots.parse([])  # no robots.txt to be had: the default is allowed
            self._robots[host] = robots
        return self._robots[host].can_fetch(USER_AGENT, url)

    def _get(self, url: str, headers: dict | None = None, check_robots: bool = True) -> tuple[int, bytes, dict]:
        """(status, body, headers); 304 gives an empty body. Retries timeouts and 5xx with backoff."""
        if check_robots and not self._allowed(url):
            raise FetchError(url, "robots.txt disallows it")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
        for attempt in range(self.retries + 1):
            self._polite_wait(urlsplit(url).netloc.lower())
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    length = int(response.headers.get("Content-Length") or 0)
                    if length > self.max_bytes:
                        raise FetchError(url, f"too large ({length / 2**20:.0f} MB)")
                    body = response.read(self.max_bytes + 1)
                    if len(body) > self.max_bytes:
                        raise FetchError(url, f"too large (over {self.max_bytes // 2**20} MB)")
                    return response.status, body, dict(response.headers)
            except urllib.error.HTTPError as exc:
                if exc.code == 304:
                    return 304, b"", dict(exc.headers or {})
                if exc.code < 500 or attempt == self.retries:
                    raise FetchError(url, f"HTTP {exc.code} {exc.reason}") from None
            except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise FetchError(url, f"unreachable ({type(reason).__name__}: {reason})") from None
            time.sleep(min(8.0, 0.5 * 2**attempt))
        raise FetchError(url, "gave up")

    # ------------------------------------------------------------ a column
    def fetch_source(self, source: Source, report: FetchReport | None = None) -> FetchReport:
        report = report or FetchReport()
        try:
            for title, url in self._report_links(source, report):
                self._fetch_document(source, url, title, report, parent=None)
        except FetchError as exc:
            report.errors.append(f"{source.name}: {exc}")
        return report

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


def fetch_all(sources: list[Source], inbox: str | Path, **options) -> FetchReport:
    """Every source in turn; a host that fails is reported and the others proceed."""
    fetcher = Fetcher(inbox, **options)
    report = FetchReport()
    for source in sources:
        fetcher.fetch_source(source, report)
    return report


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
