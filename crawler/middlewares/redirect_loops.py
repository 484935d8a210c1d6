"""A redirect that leads back to a URL of its own chain is a loop: an ``errors`` row.

Followed, the loop's repeat would vanish in the duplicate filter without a trace (the
first URL was scheduled already), so the report would be neither stored nor recorded.
This middleware sits at 605, before ``RedirectMiddleware`` (600) in the response path:
when a 3xx's ``Location`` is the request itself or an earlier URL of its chain, the
request fails with ``RedirectLoop`` naming the chain, which the spider's errback records
against the URL first asked for. (A chain that never repeats ends at ``REDIRECT_MAX_TIMES``.)
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from . import CrawlerMiddleware, redirect_target, without_fragment


class RedirectLoop(IgnoreRequest):
    """The redirects lead back to a URL already on the chain."""


class RedirectLoopMiddleware(CrawlerMiddleware):
    def process_response(self, request, response):
        target = redirect_target(response)
        if not target or request.meta.get("dont_redirect"):
            return response
        target = without_fragment(target)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in map(without_fragment, chain):
            self.crawler.stats.inc_value("nianbao/redirect_loops")
            raise RedirectLoop("redirect loop: " + " -> ".join([*chain, target]))
        return response
