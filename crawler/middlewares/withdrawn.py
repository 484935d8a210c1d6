"""A report that redirects to its column, or is gone (404, 410), has been withdrawn: recorded, not parsed.

Portals take a document down by redirecting its URL to the column that listed it
(``t20240130_123.html`` → ``../``, ``index.html``, Hanweb's ``/col/col123/``). Followed,
the redirect would hand the listing page to the report parser, or, because the listing
was fetched already, vanish in the duplicate filter without a trace.

This middleware sits at 610, before ``RedirectMiddleware`` (600) in the response path,
so it sees every 3xx of a report request: when the ``Location`` is the report's column,
the request ends here with a ``skipped`` row, reason ``WITHDRAWN``. The 3xx itself is
already archived by the snapshot middleware.

A report page or attachment the archive holds a report from that now answers 404 or 410
has been taken down too: a ``skipped`` row, reason ``GONE``, not an error (a month of
nights over a column that retires its old reports is not a month of failing error
rates). A link that never served a report and answers 404 is a dead link: an error.

Either way the URL's versions stay, none of them current (``mark_current_version``): a
report republished under a new URL is counted from there, one withdrawn for good keeps
its last version counted. Fetched again on a later night, the URL is current again.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from archive.records import mark_current_version

from ..crawl_archive import crawl_archive
from ..drops import WithdrawnDocument, drop
from . import CrawlerMiddleware, redirect_target, without_fragment

WITHDRAWN = "withdrawn: redirects to its column"
GONE = "withdrawn: answers 404 or 410 where a report was archived"
GONE_STATUSES = (404, 410)
_INDEX_NAME = re.compile(r"(index|default|list)(_\d+)?\.(s?html?|jsp|aspx?|php)", re.IGNORECASE)
_HANWEB_ARTICLE = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_\d+\.")
_HANWEB_COLUMN = re.compile(r"/col/col(\d+)/")


def _directory(path: str) -> str:
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def is_column_of(target: str, report_url: str, found_on: str | None = None) -> bool:
    """Is ``target`` the column of the report at ``report_url`` (listed on ``found_on``)?"""
    target = without_fragment(target)
    if found_on and target == without_fragment(found_on):
        return True
    t, r = urlsplit(target), urlsplit(report_url)
    if t.hostname != r.hostname:
        return False
    name = t.path.rsplit("/", 1)[-1]
    if name and not _INDEX_NAME.fullmatch(name):
        return False
    column = _directory(t.path or "/")
    if found_on and column == _directory(urlsplit(found_on).path) and urlsplit(found_on).hostname == t.hostname:
        return True  # another page of the listing it was found on
    hanweb = _HANWEB_ARTICLE.search(r.path)
    if hanweb and (col := _HANWEB_COLUMN.search(column)) and col.group(1) == hanweb.group(1):
        return True
    # A directory above the report's own, but not the site root (that is the home page).
    return column != "/" and _directory(r.path).startswith(column)


def found_on_of(request) -> str | None:
    found_on = (request.cb_kwargs or {}).get("found_on") or request.meta.get("nianbao_found_on")
    if found_on:
        return found_on
    referer = request.headers.get("Referer")
    return referer.decode("latin-1") if referer else None


class WithdrawnMiddleware(CrawlerMiddleware):
    def process_response(self, request, response):
        if response.status in GONE_STATUSES and request.meta.get("nianbao_kind") in ("report", "attachment"):
            report_url = (request.meta.get("redirect_urls") or [request.url])[0]
            if self._archived_report(report_url):
                self._withdraw(request, GONE, report_url)
            return response
        target = redirect_target(response) if request.meta.get("nianbao_kind") == "report" else None
        if not target:
            return response
        report_url = (request.meta.get("redirect_urls") or [request.url])[0]
        if is_column_of(target, report_url, found_on_of(request)):
            self._withdraw(request, WITHDRAWN, report_url)
        return response

    def _withdraw(self, request, reason: str, url: str):
        """Record the drop; then none of the URL's report versions is current (the site
        serves none), so its logical report counts another URL's, or keeps its last."""
        self.crawler.stats.inc_value("nianbao/withdrawn")
        try:
            drop(self.crawler, request, WithdrawnDocument, reason, url=url)
        finally:  # the skipped row is written: the versions follow it
            mark_current_version(crawl_archive(self.crawler).db, url)

    def _archived_report(self, url: str) -> bool:
        db = crawl_archive(self.crawler).db
        return db.execute("select 1 from reports where url = ? limit 1", [url]).fetchone() is not None
