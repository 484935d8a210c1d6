"""Checking registry entries: each on its own (its keys and their values), then names unique
and each column page one site's across everything read together. A refused entry is one
problem line naming the file, the line, the entry and the key; the others are kept.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..flavours import FLAVOURS, gkmlpt
from ..flavours.detect import detect_flavour
from ..listing import column_page, is_url
from ..spiders.reports import COMMAND_LINE
from ..site_hosts import host_name
from .entries import Entry, RegistryError, kind, text_entries

KEYS = ("name", "start_urls", "flavour", "agency", "region", "hosts", "verified", "notes")
_REGION = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
_HOST = re.compile(r"[\w.-]+")  # letters (any script), digits, dots, hyphens: no commas, no spaces


@dataclass
class Registry:
    sites: list[dict] = field(default_factory=list)  # the good entries, checked
    problems: list[str] = field(default_factory=list)  # one line per refused entry or unreadable file

    def error(self, lister: str | None = None) -> RegistryError:
        """Its problems as one line: the first, and how many more (``lister`` lists them)."""
        more = len(self.problems) - 1
        listed = f": {lister} lists them" if lister else ""
        return RegistryError(self.problems[0] + (f" (and {more} more{listed})" if more else ""))


class _Refused(Exception):
    """What is wrong with an entry, and under which key (None: the entry as a whole)."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key = key


def checked(entries: list[Entry], start_urls=()) -> Registry:
    """The good entries as sites, and one problem line for each refused entry. ``start_urls``
    (``nianbao crawl --start-url``) are one more site, ``COMMAND_LINE``, checked as an entry is,
    after the others: a RegistryError when it is refused (URLs given by hand are not left out
    with a warning, as a file's entry is)."""
    registry = Registry()
    names: dict[str, Entry] = {}
    columns: dict[str, list] = {}  # column page -> (entry, start URL, gkmlpt category) of each site listing it
    for entry in entries:
        try:
            site = _unique(entry, _site(entry), names, columns)
        except _Refused as refused:
            registry.problems.append(_where(entry, refused.key) + f": {refused}")
            continue
        registry.sites.append(site)
    if start_urls:
        entry = Entry("--start-url", len(entries) + 1, {"name": COMMAND_LINE, "start_urls": list(start_urls)}, line=0)
        try:
            site = _unique(entry, _site(entry), names, columns)
        except _Refused as refused:
            raise RegistryError(f"--start-url: {refused}") from None
        registry.sites.append(site)
    return registry


def file_sites(text: str, path) -> list[dict]:
    """The sites of the registry file ``path`` whose text is ``text`` (read once); its first
    problem as a ``RegistryError`` when it has any."""
    registry = checked(text_entries(text, str(path)))
    if registry.problems:
        raise registry.error(f"`nianbao check-sites {path}`")
    return registry.sites


def _where(entry: Entry, key: str | None = None) -> str:
    """``FILE:LINE: site N (NAME)``, at the key's line when it has one."""
    line = entry.key_lines.get(key, entry.line)
    name = entry.value.get("name") if isinstance(entry.value, dict) else None
    named = f" ({name})" if isinstance(name, str) and name.strip() else ""
    return f"{entry.source}:{line}: site {entry.number}{named}" + (f": {key}" if key else "")


def _place(entry: Entry, other: Entry) -> str:
    """Where ``other`` is, as seen from ``entry``: ``line 3``, or ``a.yaml:3`` in another file."""
    return f"{other.source}:{other.line}" if other.source != entry.source else f"line {other.line}"


def _unique(entry: Entry, site: dict, names: dict, columns: dict) -> dict:
    """``site``, when it is unique: one site per name, and each column page one site's, across everything read together.
    A site may list a page again with another fragment: one request, each fragment read. Two
    sites may share a page only as two categories of a gkmlpt shell (``/gkmlpt/index#2580``
    one body's, ``#2581`` another's): the shell is fetched once and each category crawled
    for its own site (``crawler.listing.start_pages``)."""
    if site["name"] in names:
        other = names[site["name"]]
        raise _Refused("name", f"{site['name']!r} is already the name of site {other.number} ({_place(entry, other)})")
    own = {}  # this entry's start URLs: (column page, fragment) -> URL
    for url in site["start_urls"]:
        column, fragment = column_page(url), url.partition("#")[2]
        category = _category(site, url)
        if (column, fragment) in own:
            raise _Refused("start_urls", _twice(url, own[column, fragment], "this site",
                                                "the crawl fetches a page once, for one site"))
        for other, other_url, other_category in columns.get(column, ()):
            if category and other_category and category != other_category:
                continue  # another body's category of the same gkmlpt shell
            whose = f"site {other.number} ({other.value['name'].strip()}, {_place(entry, other)})"
            if category and category == other_category:
                reason = "a gkmlpt category is crawled for one site"
            else:
                reason = "the crawl fetches a page once, for one site" + (
                    " (sites may share a gkmlpt shell page only by naming each its own category, #…)"
                    if _is_gkmlpt(site, url) else "")
            raise _Refused("start_urls", _twice(url, other_url, whose, reason))
        own[column, fragment] = url
    names[site["name"]] = entry
    for (column, _), url in own.items():
        columns.setdefault(column, []).append((entry, url, _category(site, url)))
    return site


def _twice(url: str, first_url: str, whose: str, reason: str) -> str:
    """The problem of a start URL whose page (and category) ``first_url`` already holds."""
    what = "is already" if first_url == url else f"is the same page as {first_url},"
    return f"{url} {what} a start URL of {whose}; {reason}"


def _is_gkmlpt(site: dict, url: str) -> bool:
    """Is the start URL a gkmlpt shell: by the site's flavour, or its URL when it names none
    (as the crawl detects it)?"""
    return site.get("flavour", detect_flavour(url, "")) == gkmlpt.NAME


def _category(site: dict, url: str) -> str | None:
    """The gkmlpt category a start URL names (``/gkmlpt/index#2580``: 2580), or None: another
    flavour's page, or a shell whose fragment names no category (the crawl takes the tree's
    report column then, which could be another site's)."""
    return gkmlpt.category_of(url.partition("#")[2], "") if _is_gkmlpt(site, url) else None


def _site(entry: Entry) -> dict:
    value = entry.value
    if not isinstance(value, dict):
        raise _Refused(None, f"expected keys (`name: …`, `start_urls: […]`), got {kind(value)}")
    if entry.repeated_key:
        key, first, second = entry.repeated_key
        raise _Refused(key, f"given twice in this entry, at lines {first} and {second}")
    unknown = [key for key in value if key not in KEYS]
    if unknown:
        key = str(unknown[0])
        close = difflib.get_close_matches(key.lower(), KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"the keys are {', '.join(KEYS)}"
        raise _Refused(key, f"unknown key; {hint}")
    name = value.get("name")
    if name is None:
        raise _Refused(None, "no name: each site needs `name: …`")
    if not isinstance(name, str):
        raise _Refused("name", f"must be text, got {kind(name)} (quote it: name: \"{name}\")")
    if not name.strip():
        raise _Refused("name", "is empty")
    site = {"name": name.strip(), "start_urls": _urls(value.get("start_urls"))}
    flavour = value.get("flavour")
    if flavour is not None:
        if flavour not in FLAVOURS:
            lower = flavour.lower() if isinstance(flavour, str) else None
            hint = f"did you mean {lower}?" if lower in FLAVOURS else f"choose from {', '.join(FLAVOURS)}"
            raise _Refused("flavour", f"unknown flavour {flavour!r}; {hint} (or leave it out: detected)")
        site["flavour"] = flavour
    for key in ("agency", "notes"):
        if value.get(key) is not None:
            if not isinstance(value[key], str):
                raise _Refused(key, f"must be text, got {kind(value[key])}")
            site[key] = value[key]
    region = value.get("region")
    if region is not None:
        if isinstance(region, bool) or not _REGION.fullmatch(str(region)):
            quote = "" if isinstance(region, str) else " (quote it: a number with a leading 0 reads as octal)"
            raise _Refused("region", f"must be a 6, 9 or 12-digit division code, got {region!r}{quote}")
        site["region"] = str(region)
    hosts = _text_list(value.get("hosts"), "hosts", "host names, e.g. [xxgk.example.gov.cn]")
    for host in hosts:
        if not _HOST.fullmatch(host_name(host) or ""):
            raise _Refused("hosts", f"not a host name: {host!r}")
    if hosts:
        site["hosts"] = hosts
    if "verified" in value:
        if not isinstance(value["verified"], bool):
            raise _Refused("verified", f"must be true or false, got {value['verified']!r}")
        site["verified"] = value["verified"]
    return site


def _urls(value) -> list[str]:
    urls = _text_list(value, "start_urls", "URLs of the report column page(s)")
    if not urls:
        raise _Refused("start_urls", "missing: each site needs the URL(s) of its report column, "
                                     "start_urls: [http://…/index.html]")
    for url in urls:
        if problem := url_problem(url):
            raise _Refused("start_urls", problem)
    return urls


def _text_list(value, key: str, what: str) -> list[str]:
    """A list of text (one text alone is a list of one); refused when a text holds a space:
    ``start_urls: a, b`` is one text, not a list."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise _Refused(key, f"must be a list of {what}, got {kind(value)}")
    for item in items:
        if re.search(r"\s", item.strip()):
            raise _Refused(key, f"{item!r} is not one item: write a list, [a, b], or one `- a` line each")
    return [item.strip() for item in items]


def url_problem(url) -> str | None:
    """Why ``url`` is no http(s) URL with a host, or None."""
    if not isinstance(url, str):
        return f"not an http(s) URL: {url!r}"
    if re.search(r",\s*https?://", url):
        return f"not one URL: {url!r} (several? write a list: [URL, URL])"
    # A request can be made for it, as the crawl judges links (crawler.listing.is_url)
    if is_url(url) and urlsplit(url).scheme in ("http", "https") and not re.search(r"\s", url):
        return None
    hint = ": begin it with http:// or https://" if "://" not in url and "." in url.split("/", 1)[0] else ""
    return f"not an http(s) URL: {url!r}{hint}"
