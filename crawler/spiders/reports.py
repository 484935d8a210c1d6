"""Walk each site's 政府信息公开年报 column: every listing page, every report in it.

Listing items whose titles are not information-disclosure annual reports are not
fetched; they are recorded in ``skipped`` with the reason.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy

from parsers import classify_listing_title, detect_encoding

from ..items import FailedPage, ReportPage, SkippedPage
from ..listing import extract_listing_items
from ..pagers import DEFAULT_MAX_PAGES, listing_page_urls


def response_text(response) -> str:
    """Decode a (content-decoded) body with nianbao's own encoding rules.

    The snapshot middleware has already detected the encoding; detect only when it
    could not (e.g. the middleware is switched off).
    """
    encoding = response.meta.get("nianbao_encoding")
    if not encoding:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        encoding = detect_encoding(response.body, content_type).encoding
    return response.body.decode(encoding, errors="replace")


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, sites=None, start_urls=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u]
        self.sites = list(sites or [])
        if start_urls:
            self.sites.append({"name": "command line", "start_urls": list(start_urls)})
        if not self.sites:
            raise ValueError("ReportSpider needs sites=[...] or start_urls=...")

    async def start(self):
        for site in self.sites:
            for url in site["start_urls"]:
                yield scrapy.Request(
                    url,
                    callback=self.parse_listing,
                    errback=self.record_failure,
                    meta={"nianbao_kind": "listing", "nianbao_site": site.get("name")},
                )

    def parse_listing(self, response):
        text = response_text(response)
        site = response.meta.get("nianbao_site")
        host = urlsplit(response.url).hostname
        for item in extract_listing_items(response.url, text):
            recognition = classify_listing_title(item.title)
            if not recognition.is_report:
                yield SkippedPage(url=item.url, title=item.title, reason=recognition.reason, found_on=response.url)
                continue
            if urlsplit(item.url).hostname != host:
                yield SkippedPage(
                    url=item.url, title=item.title, reason="on another host (not followed)", found_on=response.url
                )
                continue
            yield response.follow(
                item.url,
                callback=self.parse_report,
                errback=self.record_failure,
                meta={"nianbao_kind": "report", "nianbao_site": site},
                cb_kwargs={"listing_title": item.title, "found_on": response.url},
            )
        max_pages = self.settings.getint("NIANBAO_MAX_LISTING_PAGES", DEFAULT_MAX_PAGES)
        for url in listing_page_urls(response.url, text, max_pages=max_pages):
            # The dupe filter drops pages already seen, including this one.
            yield scrapy.Request(
                url, callback=self.parse_listing, errback=self.record_failure,
                meta={"nianbao_kind": "listing", "nianbao_site": site},
            )

    def parse_report(self, response, listing_title=None, found_on=None):
        snapshot_id = response.meta.get("nianbao_snapshot_id")
        if snapshot_id is None:  # the snapshot middleware is switched off
            self.logger.warning("No snapshot for %s; report not parsed", response.url)
            return
        yield ReportPage(url=response.url, snapshot_id=snapshot_id, listing_title=listing_title, found_on=found_on)

    def record_failure(self, failure):
        """A request failed for good (HTTP error status, or download error after retries)."""
        request = failure.request
        response = getattr(failure.value, "response", None)
        if response is not None:
            message = f"HTTP {response.status}"
        else:
            message = str(failure.value)[:500] or failure.type.__name__
        yield FailedPage(
            url=request.url,
            error=failure.type.__name__,
            message=message,
            snapshot_id=request.meta.get("nianbao_snapshot_id"),
        )
