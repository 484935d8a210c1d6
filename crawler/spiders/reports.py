"""Walk each site's 政府信息公开年报 column: every listing page, every report in it,
every document a report page links to.

The spider only dispatches: the site's flavour adapter (``crawler.flavours``, detected
from the page when the registry names none) reads items and further pages; report
recognition is ``parsers.classify_listing_title``; which hosts are followed is
``crawler.site_hosts.belongs_to_site`` (a start URL that moved permanently to another
host takes that host into its site for the run: ``moved_to``); which links are followed is
``unfollowed`` below. Every link the spider does not follow is a ``skipped`` row with the
reason: items that are not reports, and any link (a listed report, a next page, a year
column, a page of a JS or XML/JSON pager, an attachment) to an unrelated host, in another
scheme than http(s) (a page may link ``file:///etc/passwd``), that is no URL a request can be
made for (``http://[endif]/``, a port of 99999), longer than ``URLLENGTH_LIMIT``, or a listing
page past the column's bound. (Requests a downloader middleware drops are recorded there too:
crawler/drops.py.)
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DownloadFailedError, ResponseDataLossError
from twisted.internet.error import ConnectionDone, ConnectionLost
from w3lib.url import safe_url_string

from parsers import classify_listing_title, detect_encoding
from parsers.attachments import is_attachment

from ..drops import RequestDropped
from ..flavours import flavour_module
from ..flavours.common import FOR_FRAGMENT, START_FRAGMENTS
from ..flavours.detect import detect_flavour
from ..items import REGISTRY_STAGE, WRONG_FLAVOUR, FailedPage, ReportPage, SkippedPage
from ..listing import directory_url, is_url, start_pages
from ..middlewares import PERMANENT_REDIRECTS
from ..settings import NIANBAO_MAX_LISTING_PAGES
from ..site_hosts import HOSTS_TAKEN_ON, belongs_to_site, taking_on

# Why a link is not followed: the ``skipped`` reasons of the spider (a middleware's are its own;
# each a fixed sentence, the URL is the row's: archive/skip_reasons.py).
UNRELATED_HOST = "on an unrelated host (not followed)"
NOT_HTTP = "not an http(s) URL (not followed)"
NOT_A_URL = "not a URL anyone could fetch, e.g. a bracketed host that is no IP address (not followed)"
TOO_LONG = "URL longer than URLLENGTH_LIMIT characters (not followed)"
PAST_THE_BOUND = "listing page past the column's bound, NIANBAO_MAX_LISTING_PAGES (not followed)"
COMMAND_LINE = "command line"  # the site of start URLs given without a registry
# Meta of every request made for a site whose start URL moved to another host: that host, the
# site's for this run. In the request, not the spider: on a shared queue another process reads
# the pages (crawler/distributed/).
TAKEN_ON = "nianbao_hosts_taken_on"


def response_text(response) -> str:
    """Decode a (content-decoded) body with nianbao's own encoding rules.

    The snapshot middleware has already detected the encoding; detect only when it
    could not (e.g. the middleware is switched off, or the body is binary).
    """
    return response.body.decode(page_encoding(response), errors="replace")


def page_encoding(response) -> str:
    """The encoding of the page's text (as the snapshot middleware detected it, when it did;
    else detected here once, and kept where the middleware keeps it: every link asks)."""
    encoding = response.meta.get("nianbao_encoding")
    if not encoding:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        encoding = response.meta["nianbao_encoding"] = detect_encoding(response.body, content_type).encoding
    return encoding


_GB = {"gb2312", "gbk", "gb18030", "cp936"}


def query_encoding(response) -> str:
    """How a browser encodes the query of a link on this page: in the page's encoding (a GBK
    portal's ``download.jsp?name=年报.pdf`` wants the GBK bytes; the path is UTF-8 either way).
    The GB family as GB18030, which holds every character the other two do, and more."""
    encoding = page_encoding(response).lower()
    return "gb18030" if encoding in _GB else encoding


def failure_message(failure) -> str:
    """One line that says what went wrong with a fetch (Scrapy's own text is often a class
    name, or the repr of a list of Twisted failures)."""
    value = failure.value
    response = getattr(value, "response", None)
    if response is not None:
        return f"HTTP {response.status}"
    if failure.check(ResponseDataLossError):
        return "body cut short: the connection closed before the announced Content-Length arrived"
    reasons = getattr(value.__cause__, "reasons", None) or []  # ResponseFailed wraps Twisted failures
    if failure.check(DownloadFailedError) and any(r.check(ConnectionLost, ConnectionDone) for r in reasons):
        return "connection lost before the answer was complete (reset or closed by the server)"
    return str(value)[:500] or failure.type.__name__


def unfollowed(site: dict, url: str, max_length: int = 0) -> str | None:
    """Why a link found on one of ``site``'s pages is not followed, or None: it is.
    ``max_length``: Scrapy's ``URLLENGTH_LIMIT`` (0: none), which its UrlLengthMiddleware
    would otherwise enforce by dropping the request unseen."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError:  # a link kept as the page wrote it (crawler.listing.link_url)
        return NOT_A_URL
    if not scheme:  # a link kept as written, not joined to its page's URL: a JSON list's number
        return NOT_A_URL
    if scheme not in ("http", "https"):
        return NOT_HTTP
    if not is_url(url):
        return NOT_A_URL
    if max_length and len(safe_url_string(url)) > max_length:  # as the request will spell it
        return TOO_LONG
    if not belongs_to_site(site, url):
        return UNRELATED_HOST
    return None


def moved_to(response) -> str | None:
    """Where the permanent redirects (301, 308) this response's request followed first led,
    the last of them; None when the first redirect was not permanent, or there was none. A
    temporary redirect after them ends the walk, as for the run check "start URLs moved"
    (crawler/monitoring.py), which names the same URL."""
    reached = [*response.meta.get("redirect_urls", ())[1:], response.url]
    target = None
    for reason, url in zip(response.meta.get("redirect_reasons", ()), reached):
        if reason not in PERMANENT_REDIRECTS:  # a temporary one, or a meta refresh
            break
        target = url
    return target


def listing_key(request) -> tuple:
    """Listing requests that fetch the same page: ``col/`` and ``col/index.html`` are one."""
    url = directory_url(request.url) if request.method == "GET" else request.url.split("#", 1)[0]
    return (request.method, url, request.body)


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, sites=None, start_urls=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u]
        if isinstance(sites, str):  # `scrapy crawl reports -a sites=FILE`: a registry is read and checked by nianbao
            raise ValueError("ReportSpider's sites are registry entries, not a file: crawl a registry with "
                             "`nianbao crawl --sites FILE`, or give `-a start_urls=URL,URL`")
        self.sites = list(sites or [])
        if start_urls:
            self.sites.append({"name": COMMAND_LINE, "start_urls": list(start_urls)})
        if not self.sites:
            raise ValueError("ReportSpider needs sites=[...] or start_urls=...")
        self.sites_by_name = {site["name"]: site for site in self.sites}
        self.listing_pages: dict[str, set] = {}  # per site: listing requests made, for the bound

    # -- requests -------------------------------------------------------------------------

    def _meta(self, kind: str, site: dict, flavour: str | None) -> dict:
        taken_on = {TAKEN_ON: site[HOSTS_TAKEN_ON]} if site.get(HOSTS_TAKEN_ON) else {}
        return {"nianbao_kind": kind, "nianbao_site": site["name"], "nianbao_flavour": flavour, **taken_on}

    async def start(self):
        # One request per page, whatever fragments name parts of it, for whichever sites:
        # Scrapy's duplicate filter ignores fragments, so /gkmlpt/index#2580 and #2581 would be
        # one request and the second category never read. The flavour reads the fragments from
        # meta; what it asks for one fragment is crawled for that fragment's site.
        for url, fragments in start_pages(self.sites):
            site = self.sites_by_name[next(iter(fragments.values()))]  # the first to list the page
            request = scrapy.Request(
                url, callback=self.parse_listing, errback=self.record_failure,
                meta={**self._meta("listing", site, site.get("flavour")), "nianbao_column_start": True,
                      START_FRAGMENTS: fragments},
            )
            for name in dict.fromkeys(fragments.values()):
                self.listing_pages.setdefault(name, set()).add(listing_key(request))
            yield request

    def _max_pages(self) -> int:
        # (The default of crawler/settings.py also where the crawl's settings are Scrapy's alone: tests.)
        return self.settings.getint("NIANBAO_MAX_LISTING_PAGES", NIANBAO_MAX_LISTING_PAGES)

    def _unfollowed(self, site: dict, url: str) -> str | None:
        return unfollowed(site, url, self.settings.getint("URLLENGTH_LIMIT"))

    def _listing_request(self, request, site: dict, flavour: str, found_on: str):
        """An adapter's request for another listing page (or a ``LinkAsWritten``): the request
        to make, a ``SkippedPage`` saying why not, or None when it was asked for already (as
        itself, or as its directory). Bounded per site. A ``LinkAsWritten`` is no URL (``is_url``),
        which ``unfollowed`` always says why."""
        if reason := self._unfollowed(site, request.url):
            return SkippedPage(url=request.url, title=None, reason=reason, found_on=found_on)
        seen = self.listing_pages.setdefault(site["name"], set())
        key = listing_key(request)
        if key in seen:
            return None
        if len(seen) >= self._max_pages() * len(site["start_urls"]):
            self.crawler.stats.inc_value("nianbao/listing_pages_over_bound")
            return SkippedPage(url=request.url, title=None, reason=PAST_THE_BOUND, found_on=found_on)
        seen.add(key)
        request.meta.update(self._meta("listing", site, flavour))
        return request.replace(callback=self.parse_listing, errback=self.record_failure)

    def _document_request(self, url: str, site: dict, flavour: str | None, title: str, found_on,
                          attachment_of: str | None = None):
        """The request for a report or attachment ``url`` linked from the page ``found_on``
        (a response), its query encoded as the page's (``query_encoding``); in UTF-8 where that
        encoding cannot spell a character of it (Big5 has no 报), as a browser's would fall back."""
        kind = "attachment" if attachment_of or is_attachment(url) else "report"
        arguments = dict(
            callback=self.parse_attachment if kind == "attachment" else self.parse_report,
            errback=self.record_failure,
            meta=self._meta(kind, site, flavour),
            cb_kwargs={"listing_title": title, "found_on": found_on.url, "attachment_of": attachment_of},
        )
        try:
            return scrapy.Request(url, encoding=query_encoding(found_on), **arguments)
        except (UnicodeEncodeError, LookupError):
            return scrapy.Request(url, **arguments)

    # -- callbacks ------------------------------------------------------------------------

    def _as_crawled(self, site: dict | None, response) -> dict | None:
        """The registry's ``site`` with the hosts taken on for it this run (``TAKEN_ON``)."""
        taken_on = response.meta.get(TAKEN_ON)
        return taking_on(site, taken_on) if site and taken_on else site

    def _site(self, response) -> dict:
        name = response.meta.get("nianbao_site")
        return self._as_crawled(self.sites_by_name.get(name), response) or {"name": name,
                                                                             "start_urls": [response.url]}

    def _fragment_site(self, response, request) -> dict | None:
        """The site that gave the start URL fragment an adapter's request was made for (a
        gkmlpt category of a shell two sites share), or None: the request is the page's."""
        fragment = getattr(request, "meta", {}).get(FOR_FRAGMENT)  # a LinkAsWritten has no meta
        return self._as_crawled(self.sites_by_name.get(response.meta.get(START_FRAGMENTS, {}).get(fragment)),
                                response)

    def _take_on_moved_host(self, response) -> None:
        """A start URL that moved permanently to a host outside its site's (a county column gone to
        the prefecture's platform): that host is the site's for the rest of this run, or every
        report there would be "on an unrelated host" until the registry is updated. The run check
        "start URLs moved" says so each night. (A move to an address the crawl refuses never gets
        here: crawler/middlewares/private_addresses.py drops the redirected request.)"""
        target = moved_to(response)
        names = dict.fromkeys(response.meta.get(START_FRAGMENTS, {}).values())  # the sites asking this page
        if target is None or all(belongs_to_site(self.sites_by_name[name], target) for name in names):
            return
        host = urlsplit(target).hostname
        response.meta[TAKEN_ON] = [host]
        self.logger.warning("Start URL of %s moved permanently to %s: %s is crawled as the site's host for this run "
                            "(update the registry)", ", ".join(map(repr, names)), target, host)

    def parse_listing(self, response):
        if response.meta.get("nianbao_column_start"):
            self._take_on_moved_host(response)
        text = response_text(response)
        site = self._site(response)
        flavour = response.meta.get("nianbao_flavour") or detect_flavour(response.url, text)
        adapter = flavour_module(flavour)
        found = False
        for item in adapter.listing_items(response, text):
            found = True
            recognition = classify_listing_title(item.title)
            if not recognition.is_report:
                yield SkippedPage(url=item.url, title=item.title, reason=recognition.reason, found_on=response.url)
            elif reason := self._unfollowed(site, item.url):
                yield SkippedPage(url=item.url, title=item.title, reason=reason, found_on=response.url)
            else:
                yield self._document_request(item.url, site, flavour, item.title, response)
        for request in adapter.listing_requests(response, text, self._max_pages()):
            found = True
            if (made := self._listing_request(request, self._fragment_site(response, request) or site, flavour,
                                              response.url)) is not None:
                yield made
        if not found and response.meta.get("nianbao_column_start") and site.get("flavour") == flavour:
            if (detected := detect_flavour(response.url, text)) != flavour:
                # The registry's flavour read nothing here: a night of no reports would pass unnoticed.
                yield FailedPage(url=response.url, error=WRONG_FLAVOUR, stage=REGISTRY_STAGE,
                                 snapshot_id=response.meta.get("nianbao_snapshot_id"),
                                 message=f"flavour {flavour} found nothing here, a {detected} page: correct the "
                                 f"flavour of site {site['name']!r} in the registry, or leave it out (detected)")

    def parse_report(self, response, listing_title=None, found_on=None, attachment_of=None):
        snapshot_id = response.meta.get("nianbao_snapshot_id")
        if snapshot_id is None:  # the snapshot middleware is switched off
            self.logger.warning("No snapshot for %s; report not parsed", response.url)
            return
        yield ReportPage(url=response.url, snapshot_id=snapshot_id, listing_title=listing_title, found_on=found_on,
                         site=response.meta.get("nianbao_site"))
        text = response_text(response)
        site = self._site(response)
        flavour = response.meta.get("nianbao_flavour") or detect_flavour(response.url, text)
        for document in flavour_module(flavour).attachments(response, text):
            if reason := self._unfollowed(site, document.url):
                yield SkippedPage(url=document.url, title=document.title, reason=reason, found_on=response.url)
                continue
            yield self._document_request(document.url, site, flavour, document.title, response,
                                         attachment_of=response.url)

    def parse_attachment(self, response, listing_title=None, found_on=None, attachment_of=None):
        snapshot_id = response.meta.get("nianbao_snapshot_id")
        if snapshot_id is None:
            self.logger.warning("No snapshot for %s; attachment not parsed", response.url)
            return
        yield ReportPage(url=response.url, snapshot_id=snapshot_id, listing_title=listing_title,
                         found_on=found_on, kind="attachment", attachment_of=attachment_of,
                         site=response.meta.get("nianbao_site"))

    def record_failure(self, failure):
        """A request failed for good (HTTP error status, or download error after retries).
        A request dropped on purpose is no failure: its reason is already in ``skipped``."""
        if failure.check(RequestDropped):
            return
        request = failure.request
        yield FailedPage(
            # The URL the spider asked for, not where its redirects led.
            url=(request.meta.get("redirect_urls") or [request.url])[0],
            error=failure.type.__name__,
            message=failure_message(failure),
            snapshot_id=request.meta.get("nianbao_snapshot_id"),
        )
