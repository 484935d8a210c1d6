"""Which hosts belong to a registry site: its start URLs' hosts, its ``hosts``, and any host
under the same registered domain, by the bundled public-suffix list (``www.gd.gov.cn`` and
``zwgk.gd.gov.cn`` are one body's; ``gov.cn`` is a public suffix, so ``www.ndrc.gov.cn`` is
another's). The crawl follows links to these hosts only (``crawler.spiders.reports``), and,
for one run, to the host a start URL moved to permanently (``taking_on``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .offline_psl import offline_extract


def host_name(value: str) -> str | None:
    """``www.example.gov.cn``, ``127.0.0.2:8000`` or a URL → the lower-case host name."""
    value = value.strip()
    try:
        return urlsplit(value if "//" in value else "//" + value).hostname
    except ValueError:
        return None


def _registered_domain(host: str) -> str:
    return offline_extract(host).top_domain_under_public_suffix or ""


# A site's key, set for one run only: the hosts its start URLs moved to permanently (``taking_on``).
HOSTS_TAKEN_ON = "hosts_taken_on"


def site_hosts(site: dict) -> set[str]:
    hosts = {urlsplit(u).hostname for u in site.get("start_urls", ())}
    hosts |= {host_name(h) for h in [*site.get("hosts", ()), *site.get(HOSTS_TAKEN_ON, ())]}
    return {h for h in hosts if h}


def belongs_to_site(site: dict, url: str) -> bool:
    """Is ``url`` on one of the site's hosts, or under the same registered domain?"""
    host = urlsplit(url).hostname
    if not host:
        return False
    hosts = site_hosts(site)
    if host in hosts:
        return True
    domain = _registered_domain(host)
    return bool(domain) and domain in {_registered_domain(h) for h in hosts}


def taking_on(site: dict, hosts) -> dict:
    """``site`` with ``hosts`` among its own for this run (its start URL moved there): a copy,
    the registry's entry unchanged."""
    return {**site, HOSTS_TAKEN_ON: list(dict.fromkeys([*site.get(HOSTS_TAKEN_ON, ()), *hosts]))}
