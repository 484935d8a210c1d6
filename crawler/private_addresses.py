"""The crawling machine's own networks are not crawled: loopback, private, link-local ….

A government page chooses where it redirects (Scrapy follows a redirect to any host) and a
registry host name chooses what it resolves to: ``302 → http://169.254.169.254/latest/
meta-data/`` (a cloud VM's credentials), ``http://10.0.0.5/``, or a name whose DNS answers
127.0.0.1 would otherwise be fetched on the operator's machine, archived and published.
With ``NIANBAO_REFUSE_PRIVATE_ADDRESSES`` on (the default; off in the ``demo`` and ``test``
profiles, which crawl 127.0.0.x) an address is refused when ``address_kind`` names it:

- unspecified (0.0.0.0, ::), loopback (127/8, ::1), link-local (169.254/16, fe80::/10),
  multicast (224/4, ff00::/8), carrier-grade NAT (100.64/10), private (10/8, 172.16/12,
  192.168/16, unique-local fc00::/7), and every other address Python's ``ipaddress`` does not
  call global (documentation, benchmarking, 0/8, 240/4, broadcast …: "special-purpose");
- an IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
  ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4 address it carries;
- the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215), which Python calls global, is
  special-purpose whatever it carries: it exists only inside an operator's own network.

``NIANBAO_ALLOWED_PRIVATE_NETWORKS`` lists addresses and networks that are crawled all the
same (an intranet mirror; the tests' portals): addresses only, never host names, whose answers
could change.

Two checks. ``PrivateAddressRefusingResolver`` (Scrapy's resolver, ``TWISTED_DNS_RESOLVER``)
refuses an answer the policy refuses, so the address refused is the one that would be
connected to (no DNS rebinding between a check and the connection). With Scrapy's HTTP/1.1
handler every host goes through it, address literals too (Twisted's HostnameEndpoint asks it
even for 127.0.0.1; the system resolver reads ``2852039166`` as 169.254.169.254). The
middleware (``crawler.middlewares.private_addresses``) refuses an address literal, in any
spelling the system resolver reads (``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``,
``[::ffff:169.254.169.254]``), before the request is queued for the downloader: no robots.txt is
asked for, the ``skipped`` row names the address (its ``detail``), redirects are caught as they are scheduled,
and it holds whatever the download handler does with literals (IPv6 ones never reach the
IPv4-only resolver).

Behind an HTTP(S) proxy (``http_proxy``, ``https_proxy`` in the environment, which Scrapy's
HttpProxyMiddleware reads) the proxy resolves the host names of the URLs it is asked for, and
connects where its own DNS says: they are not checked here, only address literals are (the
crawl's log says so as it starts). Resolving them here first would check another answer than
the one the proxy connects to (a name can answer a public address here and a private one there,
and a proxy's DNS sees names inside its own network that ours does not), and would stop
every crawl on a machine whose only way out, DNS included, is the proxy. Refuse private
destinations at the proxy (Squid: ``http_access deny`` an ``acl … dst`` of them). The proxy's
own address is no target: the resolver lets the proxies' hosts through, so it need not be
allowed (allowing it would let a URL name it, and reach the proxy machine's own services), and
the middleware refuses a URL whose host is a proxy's. The proxies are read once per crawl, by
the middleware (``crawl_proxies``), which the resolver asks.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.misc import load_object
from twisted.internet.error import DNSLookupError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
_RFC1918_AND_UNIQUE_LOCAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                                "fc00::/7")]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_USE_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# What inet_aton reads as an IPv4 address besides dotted quads: 1 to 4 parts, each decimal,
# octal (leading 0) or hex (0x): 2852039166, 0xa9fea9fe, 0251.0376.0251.0376, 169.254.43518.
_INET_ATON_FORM = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, the one a connection to it reaches."""
    if address.version != 6:
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_kind(address: Address) -> str | None:
    """What kind of non-public address this is ("loopback", "private" …); None for a public one."""
    address = embedded_ipv4(address) or address
    for kind, test in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                       ("carrier-grade NAT", address in _CARRIER_GRADE_NAT),
                       ("private", any(address in network for network in _RFC1918_AND_UNIQUE_LOCAL)),
                       ("special-purpose", not address.is_global or address in _LOCAL_USE_NAT64)):
        if test:
            return kind
    return None


def literal_address(host: str) -> Address | None:
    """The address a URL's host names literally, as the system resolver reads it; None for a
    host name. (``urlsplit(url).hostname``: lower case, IPv6 without its brackets.)"""
    host = host.rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of it
    except ValueError:
        pass
    if _INET_ATON_FORM.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class AddressPolicy:
    """Which addresses a crawl refuses: every non-public one outside ``allowed`` networks."""

    def __init__(self, allowed=()):
        self.allowed = list(allowed)

    @classmethod
    def from_settings(cls, settings) -> AddressPolicy | None:
        """The crawl's policy; None when ``NIANBAO_REFUSE_PRIVATE_ADDRESSES`` is off. Raises
        ``ValueError`` for an allowed network that cannot be read."""
        if not settings.getbool("NIANBAO_REFUSE_PRIVATE_ADDRESSES"):
            return None
        return cls(allowed_networks(settings.getlist("NIANBAO_ALLOWED_PRIVATE_NETWORKS")))

    def refused_kind(self, address) -> str | None:
        """The kind of non-public address ``address`` is, when it is not allowed; None: it may be connected to."""
        address = ipaddress.ip_address(address)
        carried = embedded_ipv4(address)
        if any(a in network for network in self.allowed for a in (address, carried) if a is not None):
            return None
        return address_kind(address)


def a_kind(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"


def allowed_networks(values) -> list:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(f"NIANBAO_ALLOWED_PRIVATE_NETWORKS: {value!r} is not an address or network "
                             "(e.g. 10.1.2.0/24; host names are not accepted)") from None
    return networks


def check_settings(settings) -> None:
    """Raise ``ValueError`` when the settings would not refuse what they say they do: an allowed
    network that cannot be read, another DNS resolver than ours or an HTTP download handler that
    does not use it (host names would go unchecked)."""
    if AddressPolicy.from_settings(settings) is None:
        return
    resolver = settings["TWISTED_DNS_RESOLVER"]
    if settings.getpriority("DNS_RESOLVER") > settings.getpriority("TWISTED_DNS_RESOLVER"):
        resolver = settings["DNS_RESOLVER"]  # Scrapy's deprecated name, when it was set above the new one
    if not issubclass(load_object(resolver), PrivateAddressRefusingResolver):
        raise ValueError(f"NIANBAO_REFUSE_PRIVATE_ADDRESSES needs TWISTED_DNS_RESOLVER to be "
                         f"crawler.private_addresses.PrivateAddressRefusingResolver (or a subclass), not {resolver}: "
                         "host names are checked there")
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    for scheme in ("http", "https"):  # other handlers (httpx, aiohttp) resolve names without Twisted's resolver
        handler = handlers.get(scheme)
        if handler is not None and not issubclass(load_object(handler), HTTP11DownloadHandler):
            raise ValueError(f"NIANBAO_REFUSE_PRIVATE_ADDRESSES needs Scrapy's HTTP/1.1 download handler for {scheme}, "
                             f"not {handler}: host names are checked by the resolver it uses")


def proxy_hosts(settings) -> dict[str, str]:
    """scheme -> host of the proxy the crawl sends its HTTP(S) requests through, as Scrapy's
    HttpProxyMiddleware reads them from the environment (``http_proxy``, ``https_proxy``)."""
    if not settings.getbool("HTTPPROXY_ENABLED"):
        return {}
    hosts = {}
    for scheme, url in getproxies().items():
        try:  # http://user:pw@proxy:3128, or proxy:3128 without a scheme
            host = urlsplit(url if "://" in url else f"//{url}").hostname
        except ValueError:  # not a URL: Scrapy does not use it either
            host = None
        if scheme in ("http", "https") and host:
            hosts[scheme] = host
    return hosts


# Host name -> why it is refused, for the middleware to record against the request whose
# lookup failed (the reactor's resolver is one per process, like this).
refused_names: dict[str, str] = {}
# The hosts of the proxies the crawl sends its requests through (``proxy_hosts``), read once as
# the crawl starts by the middleware, which refuses them as pages, for the resolver to connect to
# them as proxies. The middleware reads them: Scrapy builds it (per crawl) before any request is
# sent, and the resolver (per process) later, from the process's settings, not the crawl's.
crawl_proxies: set[str] = set()


class PrivateAddressRefusingResolver(CachingThreadedResolver):
    """Scrapy's default resolver (IPv4, cached), failing a lookup whose answer the crawl's
    ``AddressPolicy`` refuses: Twisted then has no address to connect to."""

    policy: AddressPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy.from_settings(crawler.settings)
        refused_names.clear()  # a crawl's own refusals: another crawl in this process has its own policy
        return resolver

    def getHostByName(self, name, timeout=()):
        lookup = super().getHostByName(name, timeout)
        # The proxies' hosts are connected to as proxies, never as targets (the middleware refuses those).
        if self.policy is not None and name.lower() not in crawl_proxies:
            lookup.addCallback(self._refuse_private, name)
        return lookup

    def _refuse_private(self, address: str, name: str) -> str:
        kind = self.policy.refused_kind(address)
        if kind is None:
            return address
        refused_names[name.lower()] = reason = f"{name} resolves to {address}, {a_kind(kind)}"
        raise DNSLookupError(reason)
