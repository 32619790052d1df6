"""What a government CMS page links to, read with an HTML parser (lxml), not a regex: the report links of a 年报
column's list page with their full titles, the column's other list pages, and a report page's attachments.

The habits handled, each seen on real sites: anchor text cut short with the full title only in `title=` (TRS WCM,
大汉 JCMS); pagination written by script (`createPageHTML(N, i, "index", "htm")`, `var countPage = N`), `尾页`/`下一页`
links, `index_N.html`, `column-index-N.shtml`, page parameters (`pageNo=`, `pageIndex=`, `page=`); `<base href>`;
attachments behind a pdf.js viewer (`viewer.html?file=…`), in `<iframe>`/`<embed>`/`<object data>`, opened by
`onclick="window.open('…')"`, or served by a `download.jsp?id=` link whose type only its Content-Disposition says.
Pure functions of the page text: nothing here touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

REPORT_WORDS = re.compile(r"年度报告|年报")
YEAR = re.compile(r"(20[1-9]\d)")
# Annual reports of other kinds, and writings about the report: refused, and said so in the fetch log.
NOT_A_DISCLOSURE_REPORT = re.compile(r"解读|图解|一图读懂|法治政府|预算|决算|统计公报|审计工作|述职|工作要点|新闻发布")
NEXT_PAGE = re.compile(r"^(?:下一页|下页|后页|尾页|末页|next|last|>|»)$", re.I)
PAGINATED_PATH = re.compile(r"(?:index|column-index|list)[_-]\d+\.s?html?$", re.I)
PAGE_PARAMETERS = ("pageNo", "pageIndex", "page", "pageNum", "curPage", "currentPage")
CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
COUNT_PAGE = re.compile(r"\bvar\s+countPage\s*=\s*['\"]?(\d+)")
WINDOW_OPEN = re.compile(r"window\.open\(\s*['\"]([^'\"]+)['\"]")
ATTACHMENT = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|et)$", re.I)
DOWNLOAD_WORDS = re.compile(r"附件|下载|原文|全文|扫描件")
DOWNLOAD_PATH = re.compile(r"download|attach|getfile|fileDown", re.I)
ELLIPSIS = ("...", "…", "..")
MAX_SCRIPT_PAGES = 50  # a page count written by script is believed up to this many pages


@dataclass
class Link:
    url: str
    title: str


@dataclass
class ListPage:
    reports: list[Link] = field(default_factory=list)
    refused: list[tuple[Link, str]] = field(default_factory=list)  # (link, why) — annual reports of another kind
    pages: list[str] = field(default_factory=list)


def _tree(html: str):
    import lxml.html

    try:
        return lxml.html.fromstring(html or "<html></html>")
    except Exception:  # lxml refuses some bytes-like or empty input: an empty page
        return lxml.html.fromstring("<html></html>")


def _base(tree, page_url: str) -> str:
    base = tree.xpath("//base/@href")
    return urljoin(page_url, base[0].strip()) if base else page_url


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def anchor_title(anchor) -> str:
    """The link's title: its text, unless that is cut short (…) or empty and `title=` holds more."""
    text, attribute = _text(anchor), " ".join((anchor.get("title") or "").split())
    if attribute and (not text or text.endswith(ELLIPSIS) or len(attribute) > len(text)):
        return attribute
    return text


def title_verdict(title: str) -> str | None:
    """None when the title names a 政府信息公开 annual report; otherwise why not (empty: not a report at all)."""
    if not (REPORT_WORDS.search(title) and YEAR.search(title)):
        return ""
    if NOT_A_DISCLOSURE_REPORT.search(title):
        return f"not a 政府信息公开 annual report: {NOT_A_DISCLOSURE_REPORT.search(title).group(0)}"
    return None


def list_page(html: str, page_url: str) -> ListPage:
    """Report links (full titles), refused annual-report links and further list pages of one list page."""
    tree = _tree(html)
    base = _base(tree, page_url)
    out = ListPage()
    seen: set[str] = set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base, href).split("#")[0]
        title = anchor_title(anchor)
        verdict = title_verdict(title)
        if verdict is None and url not in seen:
            seen.add(url)
            out.reports.append(Link(url, title))
        elif verdict:
            out.refused.append((Link(url, title), verdict))
        elif NEXT_PAGE.match(title) or _is_list_page(url, page_url, title):
            out.pages.append(url)
    out.pages += scripted_pages(html, page_url)
    return out


TITLE_KEYS = ("title", "docTitle", "name", "subject", "vc_title", "fileTitle")
URL_KEYS = ("url", "link", "href", "docUrl", "pageUrl", "linkUrl", "vc_url", "fileUrl")
TOTAL_PAGE_KEYS = ("totalPage", "pageCount", "totalPages", "pages", "countPage")


def json_list_page(body: str, page_url: str) -> ListPage | None:
    """A column whose list the page's script loads from its API as JSON ({"data": [{"title": …, "url": …}], "totalPage":
    N}, under whatever nesting): the records that carry a title and a link, and the API's other pages (its page
    parameter counted up to the total). None when the body is no JSON."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return None
    out, total = ListPage(), 0
    for record in _records(data):
        title = next((str(record[k]) for k in TITLE_KEYS if isinstance(record.get(k), str)), "")
        link = next((str(record[k]) for k in URL_KEYS if isinstance(record.get(k), str)), "")
        if not (title and link):
            total = max([total] + [int(record[k]) for k in TOTAL_PAGE_KEYS if str(record.get(k, "")).isdigit()])
            continue
        url, title = urljoin(page_url, link), " ".join(title.split())
        verdict = title_verdict(title)
        if verdict is None:
            out.reports.append(Link(url, title))
        elif verdict:
            out.refused.append((Link(url, title), verdict))
    out.pages = _api_pages(page_url, min(total, MAX_SCRIPT_PAGES))
    return out


def _records(data):
    """Every JSON object in the document, outermost first."""
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            yield item
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item


def _api_pages(page_url: str, total: int) -> list[str]:
    from urllib.parse import urlencode

    parts = urlsplit(page_url)
    query = parse_qs(parts.query)
    parameter = next((p for p in PAGE_PARAMETERS if p in query), None)
    if parameter is None or total <= 1:
        return []
    pages = []
    for number in range(1, total + 1):
        query[parameter] = [str(number)]
        pages.append(parts._replace(query=urlencode(query, doseq=True)).geturl())
    return pages


def _is_list_page(url: str, page_url: str, title: str) -> bool:
    """Another page of the same column: index_N / column-index-N, or a page parameter on the same path or behind a
    page-number link (`<a href="list.jsp?pageNo=3">3</a>`)."""
    parts, here = urlsplit(url), urlsplit(page_url)
    if PAGINATED_PATH.search(parts.path):
        return True
    query = parse_qs(parts.query)
    return any(p in query for p in PAGE_PARAMETERS) and (parts.path == here.path or title.isdigit())


def scripted_pages(html: str, page_url: str) -> list[str]:
    """List pages that exist only through a script: TRS WCM's createPageHTML(count, current, "index", "htm") and
    `var countPage = N` (pages index_1 … index_{N-1} beside the first)."""
    match = CREATE_PAGE.search(html)
    if match:
        count, stem, extension = int(match.group(1)), match.group(3), match.group(4)
    else:
        counted = COUNT_PAGE.search(html)
        if not counted:
            return []
        count = int(counted.group(1))
        path = urlsplit(page_url).path
        extension = path.rsplit(".", 1)[1] if "." in path.rsplit("/", 1)[-1] else "html"
        stem = "index"
    count = min(count, MAX_SCRIPT_PAGES)
    return [urljoin(page_url, f"{stem}_{i}.{extension}") for i in range(1, count)]


def attachments(html: str, page_url: str) -> list[Link]:
    """A report page's attachments: linked files, files shown by a pdf.js viewer or embedded in the page, files a
    script opens, and download links whose type the server will name (Content-Disposition)."""
    tree = _tree(html)
    base = _base(tree, page_url)
    found: dict[str, str] = {}

    def add(target: str, title: str) -> None:
        url = urljoin(base, target.strip())
        viewer = _viewer_file(url)
        found.setdefault(urljoin(url, viewer) if viewer else url, title)

    for anchor in tree.iter("a"):
        href, title = (anchor.get("href") or "").strip(), anchor_title(anchor)
        opened = WINDOW_OPEN.search(anchor.get("onclick") or "")
        if opened:
            add(opened.group(1), title)
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        path = urlsplit(urljoin(base, href)).path
        if (
            ATTACHMENT.search(path)
            or _viewer_file(urljoin(base, href))
            or (DOWNLOAD_PATH.search(path) and DOWNLOAD_WORDS.search(title + (anchor.get("title") or "")))
        ):
            add(href, title)
    for element, attribute in (("iframe", "src"), ("embed", "src"), ("object", "data")):
        for node in tree.iter(element):
            target = (node.get(attribute) or "").strip()
            if target and (
                ATTACHMENT.search(urlsplit(urljoin(base, target)).path) or _viewer_file(urljoin(base, target))
            ):
                add(target, "")
    return [Link(url, title) for url, title in found.items()]


def _viewer_file(url: str) -> str | None:
    """The document a pdf.js-style viewer shows (`…/viewer.html?file=/files/a.pdf`)."""
    parts = urlsplit(url)
    if "viewer" not in parts.path.lower():
        return None
    files = parse_qs(parts.query).get("file")
    return unquote(files[0]) if files else None


def disposition_suffix(headers: dict) -> str | None:
    """The file type a download names in its Content-Disposition (filename= or filename*=UTF-8'')."""
    value = next((v for k, v in headers.items() if k.lower() == "content-disposition"), "") or ""
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)", value, re.I)
    if not match:
        return None
    name = unquote(match.group(1))
    suffix = ATTACHMENT.search(name)
    return "." + suffix.group(1).lower() if suffix else None
