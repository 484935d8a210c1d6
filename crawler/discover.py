"""Find a site's report column(s) from its home page or its 政府信息公开 page.

Nobody can hand-list 14,000 sites, so ``nianbao discover URL`` walks at most two levels
of links from the page it is given: links named 政府信息公开 / 政务公开 lead on; links
named like a report column (政府信息公开年报, 信息公开工作年度报告, 年度报告 — without a
year, which would make them one report) are the columns. Link titles are read as the
parser reads labels (``parsers.normalize.label_key``): 政府資訊公開年報 is a column too.
Each column page is fetched once to detect its flavour, and the result is a registry
entry per site (with the flavour when all its columns share one). A column linked both as
``col/`` and as ``col/index.html`` (or another default document) is one column, fetched
once. The walk is polite (the crawl's own settings: robots.txt, delays, private addresses
refused) and bounded in pages; every page fetched is archived like any other. A page that
fails is passed over; when the start URL fails nothing is walked, and ``run_discover`` raises
``StartFailed`` saying why (the reason its refusal recorded, or the fetch's error), not that
no column was found. Like ``demo``, it logs warnings and errors only, unless the profile or
overrides set ``LOG_LEVEL``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess

from archive import DATABASE_NAME
from archive.run_lock import hold_archive
from parsers.normalize import label_key
from parsers.recognize import title_year

from .drops import PrivateAddressRefused, RequestDropped
from .flavours.common import page_tree
from .flavours.detect import detect_flavour
from .listing import absolute_url, anchor_title, directory_url, is_url
from .interrupts import Interrupted, Interrupts
from .run import crawl_settings, run_spider
from .settings import NIANBAO_DISCOVER_MAX_PAGES
from .spiders.reports import failure_message, response_text

# Matched against a link title's label_key: simplified, no spaces, mainland wording.
COLUMN_TITLE = re.compile(r"信息公开.{0,4}年(?:度报告|报)|公开年报|^年度报告")
SECTION_TITLE = re.compile(r"政府信息公开|政务公开|信息公开")
MAX_DEPTH = 2
_SITE_NAME = re.compile(r"""<meta\s+name=["']SiteName["']\s+content=["']([^"']+)""", re.I)
_TITLE = re.compile(r"<title>\s*([^<]+?)\s*</title>", re.I | re.S)


class StartFailed(Exception):
    """The start URL was refused (a ``skipped`` row says why) or its fetch failed: nothing was walked."""

    def __init__(self, url: str, failure):
        if failure.check(RequestDropped):
            words = f"the start URL {url} was refused: {failure_message(failure)}"
        else:
            words = f"the start URL {url} failed: {failure_message(failure)}"
        if failure.check(PrivateAddressRefused):  # refused under polite, the default; demo and test fetch them
            words += (". For a portal on this machine or your network (such as `nianbao portal`'s), "
                      "give --profile demo or --profile test")
        super().__init__(words)


def is_column_link(title: str) -> bool:
    key = label_key(title)
    return bool(key) and len(key) <= 24 and bool(COLUMN_TITLE.search(key)) and title_year(key) is None


def is_section_link(title: str) -> bool:
    """A link to a 政府信息公开 / 政务公开 page, where report columns are linked."""
    return bool(SECTION_TITLE.search(label_key(title)))


def site_name(text: str) -> str | None:
    m = _SITE_NAME.search(text) or _TITLE.search(text)
    return m.group(1).split("_")[-1].strip() if m else None


def page_links(url: str, text: str):
    """(absolute URL, title) of every followable anchor on the page: one that is no URL a
    request can be made for (a port of 99999 on the site's own host) is passed over, not
    made a request that raises and costs the page its other links."""
    tree = page_tree(text)
    if tree is None:
        return
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        absolute = absolute_url(url, href) if href and not href.startswith(("javascript:", "#", "mailto:")) else None
        if absolute and is_url(absolute):
            yield absolute, anchor_title(anchor)


class DiscoverSpider(scrapy.Spider):
    name = "discover"

    def __init__(self, url: str, **kwargs):
        super().__init__(**kwargs)
        self.url = url
        self.host = urlsplit(url).hostname
        self.requested: set[str] = set()  # directory_url() of each page asked for
        self.site_name: str | None = None
        self.columns: dict[str, str] = {}       # column URL -> flavour
        self.start_failure = None               # the start URL's Failure, when it has one

    async def start(self):
        yield self._request(self.url, self.parse_page, depth=0)

    def _request(self, url: str, callback, depth: int):
        limit = self.settings.getint("NIANBAO_DISCOVER_MAX_PAGES", NIANBAO_DISCOVER_MAX_PAGES)
        if directory_url(url) in self.requested or len(self.requested) >= limit:
            return None
        self.requested.add(directory_url(url))
        kind = "listing" if callback == self.parse_column else "page"
        return scrapy.Request(url, callback=callback, meta={"nianbao_kind": kind, "nianbao_depth": depth},
                              errback=self.failed)

    def failed(self, failure):
        """A page that fails is passed over, with a warning; the start URL's failure is kept,
        for the error."""
        if failure.request.meta["nianbao_depth"] == 0:
            self.start_failure = failure
        else:
            self.logger.warning("Passed over %s: %s", failure.request.url, failure_message(failure))

    def parse_page(self, response):
        text = response_text(response)
        depth = response.meta["nianbao_depth"]
        self.site_name = self.site_name or site_name(text)
        for url, title in page_links(response.url, text):
            if urlsplit(url).hostname != self.host:
                continue
            if is_column_link(title):
                request = self._request(url, self.parse_column, depth + 1)
            elif depth < MAX_DEPTH - 1 and is_section_link(title):
                request = self._request(url, self.parse_page, depth + 1)
            else:
                continue
            if request is not None:
                yield request

    def parse_column(self, response):
        text = response_text(response)
        self.columns[response.url] = detect_flavour(response.url, text)

    def entries(self) -> list[dict]:
        """Registry entries: one per site, its columns as start URLs, and their flavour when
        they share one (else none: the crawl detects each column's)."""
        if not self.columns:
            return []
        urls = sorted(self.columns)
        entry = {"name": self.site_name or self.host, "start_urls": urls}
        if len(set(self.columns.values())) == 1:
            entry["flavour"] = self.columns[urls[0]]
        return [entry]


def discover_settings(data_dir, profile: str = "polite", overrides: dict | None = None):
    """The crawl's settings, logging warnings and errors only unless the profile or overrides
    say otherwise (the polite profile keeps Scrapy's INFO log for nightly crawls)."""
    settings = crawl_settings(data_dir, profile, overrides)
    settings.set("LOG_LEVEL", "WARNING", priority="project")  # under a profile's or override's
    return settings


def run_discover(url: str, data_dir, profile: str = "polite", overrides: dict | None = None,
                 archive_db=None) -> list[dict]:
    """Discover the report columns reachable from ``url``; blocks; once per process. The
    pages are archived in DATA_DIR/nianbao.db (raw bodies in ``archive_db`` when given),
    opened before the walk starts so that its errors reach the caller (``run.prepare_archive``).

    Ctrl-C, SIGTERM or SIGHUP closes the walk as it closes a crawl (crawler/interrupts.py) and raises
    ``Interrupted``: the columns found so far are not all the site's, and are not returned.
    ``StartFailed`` when the start URL was refused or failed."""
    path = Path(data_dir) / DATABASE_NAME
    with Interrupts() as interrupts:
        process = CrawlerProcess(discover_settings(data_dir, profile, overrides))
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        with hold_archive(path, command="discover"):  # not beside a crawl or reparse writing the archive
            crawler, failed = run_spider(process, DiscoverSpider, interrupts, path, archive_db, url=url)
    if failed:
        failed[0].raiseException()
    if interrupts.count:
        raise Interrupted(f"{interrupts.name}: the walk from {url} stopped before its end, its report columns "
                          "not all found (the pages it fetched are archived)", interrupts.signum)
    if crawler.spider.start_failure is not None:
        raise StartFailed(url, crawler.spider.start_failure)
    return crawler.spider.entries()
