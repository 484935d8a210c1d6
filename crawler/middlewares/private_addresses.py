"""Requests to the crawling machine's own networks are refused: a ``skipped`` row saying why.

With ``NIANBAO_REFUSE_PRIVATE_ADDRESSES`` on (crawler/private_addresses.py says what is
refused), a request is dropped before it is sent when its host is an address literal the
policy refuses, or a host name the resolver already refused in this run; a host name's first
refused lookup fails the download, and that failure is turned into the same drop here. A
redirected request passes here again (RedirectMiddleware schedules it anew), so a 3xx to such
an address is refused too, and recorded against the URL first asked for. The row's reason is
one of two sentences (archive/skip_reasons.py); which address, and where a redirect led, is
its ``detail``.

Sits at 555: in the request path after robots.txt (100), whose fetch for such a host is
dropped here like any request (silently: robots.txt fetches are not recorded); in the
exception path before RetryMiddleware (550), so a refused lookup is not retried.

Behind a proxy only address literals are refused (the proxy resolves host names): the crawl's
log says so as it starts.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import CannotResolveHostError, NotConfigured
from twisted.internet.error import DNSLookupError

from archive.skip_reasons import REDIRECT_TO_REFUSED_ADDRESS, REFUSED_ADDRESS

from ..drops import PrivateAddressRefused, drop, host_of, said
from ..private_addresses import AddressPolicy, a_kind, crawl_proxies, literal_address, proxy_hosts, refused_names
from . import CrawlerMiddleware

logger = logging.getLogger(__name__)

SETTING = "NIANBAO_REFUSE_PRIVATE_ADDRESSES"


def refused_reason(request, why: str) -> tuple[str, str, str]:
    """(URL the row belongs to, reason, detail): a redirect's refusal belongs to the URL first
    asked for, and its detail says where it led."""
    chain = request.meta.get("redirect_urls")
    if chain:
        return chain[0], REDIRECT_TO_REFUSED_ADDRESS, f"{request.url}: {why}"
    return request.url, REFUSED_ADDRESS, why


class PrivateAddressMiddleware(CrawlerMiddleware):
    def __init__(self, crawler, policy: AddressPolicy):
        super().__init__(crawler)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler):
        policy = AddressPolicy.from_settings(crawler.settings)
        if policy is None:
            raise NotConfigured(f"{SETTING} is off")
        proxies = proxy_hosts(crawler.settings)  # read here alone: the resolver asks crawl_proxies
        crawl_proxies.clear()
        crawl_proxies.update(proxies.values())
        for scheme, proxy in sorted(proxies.items()):
            logger.warning("%s requests go through the proxy on %s, which resolves their host names: only addresses "
                           "in URLs are refused here (%s); refuse private destinations at the proxy",
                           scheme.upper(), proxy, SETTING)
        return cls(crawler, policy)

    def process_request(self, request):
        host = host_of(request)
        address = literal_address(host)
        if address is not None:
            kind = self.policy.refused_kind(address)
            if kind is not None:
                self._refuse(request, f"{address} is {a_kind(kind)}")
        elif host in refused_names:
            self._refuse(request, refused_names[host])
        if host in crawl_proxies:  # the resolver lets it through, as the proxy: never as a page
            self._refuse(request, f"{host} is the crawl's proxy")
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, (CannotResolveHostError, DNSLookupError)) and host_of(request) in refused_names:
            self._refuse(request, refused_names[host_of(request)])
        return None

    def _refuse(self, request, why: str):
        url, reason, detail = refused_reason(request, why)
        logger.warning("Refused %s: %s", request.url, said(reason, detail))
        drop(self.crawler, request, PrivateAddressRefused, reason, url=url, detail=detail)
