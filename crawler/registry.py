"""The site registry: which report columns to crawl, read from YAML and checked.

    - name: 城中区人民政府
      start_urls: [http://www.example.gov.cn/zwgk/zfxxgknb/index.html]
      flavour: trs            # optional: trs | hanweb | gkmlpt | generic (detected when absent)
      agency: 城中区人民政府    # optional
      region: "630103"        # optional: administrative division code
      hosts: [xxgk.example.gov.cn]   # optional: other hosts of the same body, followed
      verified: false         # optional: nobody has fetched it from here yet

Also here: which hosts belong to a site (its start URLs' hosts, its ``hosts``, and any
host under the same registered domain, by the bundled public-suffix list).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .flavours import FLAVOURS
from .offline_psl import offline_extract

KEYS = {"name", "start_urls", "flavour", "agency", "region", "hosts", "verified", "notes"}
_REGION = re.compile(r"\d{6}(\d{3}(\d{3})?)?")


class RegistryError(ValueError):
    """A registry file that cannot be used; the message is one line naming the site and field."""


def load_registry(path) -> list[dict]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise RegistryError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    return validate_registry(data, str(path))


def validate_registry(data, source: str = "registry") -> list[dict]:
    if isinstance(data, dict) and "sites" in data:
        data = data["sites"]
    if not isinstance(data, list) or not data:
        raise RegistryError(f"{source}: expected a non-empty list of sites")
    sites, names = [], set()
    for number, entry in enumerate(data, start=1):
        site = _site(entry, f"{source}: site {number}")
        if site["name"] in names:
            raise RegistryError(f"{source}: site {number}: duplicate name {site['name']!r}")
        names.add(site["name"])
        sites.append(site)
    return sites


def _site(entry, where: str) -> dict:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a mapping with name and start_urls")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{where}: missing name")
    where = f"{where} ({name})"
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise RegistryError(f"{where}: unknown field {unknown[0]!r}; fields are {', '.join(sorted(KEYS))}")
    start_urls = entry.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not start_urls:
        raise RegistryError(f"{where}: start_urls must be a non-empty list of URLs")
    site = {"name": name.strip(), "start_urls": [http_url(url, f"{where}: start_urls") for url in start_urls]}
    flavour = entry.get("flavour")
    if flavour is not None:
        if flavour not in FLAVOURS:
            raise RegistryError(f"{where}: unknown flavour {flavour!r}; choose from {', '.join(FLAVOURS)}")
        site["flavour"] = flavour
    for key in ("agency", "notes"):
        if entry.get(key) is not None:
            if not isinstance(entry[key], str):
                raise RegistryError(f"{where}: {key} must be text")
            site[key] = entry[key]
    region = entry.get("region")
    if region is not None:
        region = str(region)
        if not _REGION.fullmatch(region):
            raise RegistryError(f"{where}: region must be a 6, 9 or 12-digit division code, got {region!r}")
        site["region"] = region
    hosts = entry.get("hosts") or []
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, list) or not all(isinstance(h, str) and host_name(h) for h in hosts):
        raise RegistryError(f"{where}: hosts must be a list of host names")
    if hosts:
        site["hosts"] = list(hosts)
    if "verified" in entry:
        if not isinstance(entry["verified"], bool):
            raise RegistryError(f"{where}: verified must be true or false")
        site["verified"] = entry["verified"]
    return site


def http_url(url, where: str) -> str:
    """``url`` when it is an http(s) URL with a host; else a RegistryError saying ``where``."""
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise RegistryError(f"{where}: not an http(s) URL: {url!r}")
    return url


def host_name(value: str) -> str | None:
    """``www.example.gov.cn``, ``127.0.0.2:8000`` or a URL → the lower-case host name."""
    value = value.strip()
    return urlsplit(value if "//" in value else "//" + value).hostname


def _registered_domain(host: str) -> str:
    return offline_extract(host).top_domain_under_public_suffix or ""


def site_hosts(site: dict) -> set[str]:
    hosts = {urlsplit(u).hostname for u in site.get("start_urls", ())}
    hosts |= {host_name(h) for h in site.get("hosts", ())}
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
