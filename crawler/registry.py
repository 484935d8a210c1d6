"""The site registry: which report columns to crawl, read from YAML and checked.

    - name: 城中区人民政府
      start_urls: [http://www.example.gov.cn/zwgk/zfxxgknb/index.html]
      flavour: trs            # optional: trs | hanweb | gkmlpt | generic (detected when absent)
      agency: 城中区人民政府    # optional
      region: "630103"        # optional: administrative division code
      hosts: [xxgk.example.gov.cn]   # optional: other hosts of the same body, followed
      verified: false         # optional: nobody has fetched it from here yet

Each entry is checked on its own: a bad one is refused with one line naming the file, the
line, the entry and the key (``sites.yaml:7: site 2 (城中区人民政府): flavor: unknown key; did
you mean flavour?``), and the others are kept. Names, and the column pages the start URLs
fetch, are unique across all the files read together: a page is crawled for one site (which
may list it once per fragment: gkmlpt's categories, ``/gkmlpt/index#2580`` and ``#2581``).
``read_registries`` gives the sites and the problems (``nianbao check-sites``, and
``nianbao crawl``, which crawls the good entries and fails its run checks for the refused);
``load_registry`` refuses a file with any problem.

Which hosts belong to a site is ``crawler.site_hosts``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .flavours import FLAVOURS
from .listing import column_page, is_url
from .site_hosts import host_name

KEYS = ("name", "start_urls", "flavour", "agency", "region", "hosts", "verified", "notes")
_REGION = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
_HOST = re.compile(r"[\w.-]+")  # letters (any script), digits, dots, hyphens: no commas, no spaces


class RegistryError(ValueError):
    """A registry that cannot be used; the message is one line naming the file, entry and key."""


@dataclass
class Registry:
    sites: list[dict] = field(default_factory=list)  # the good entries, checked
    problems: list[str] = field(default_factory=list)  # one line per refused entry or unreadable file

    def error(self, lister: str | None = None) -> RegistryError:
        """Its problems as one line: the first, and how many more (``lister`` lists them)."""
        more = len(self.problems) - 1
        listed = f": {lister} lists them" if lister else ""
        return RegistryError(self.problems[0] + (f" (and {more} more{listed})" if more else ""))


@dataclass
class _Entry:
    """One entry as the YAML gives it, and where it is."""
    source: str
    number: int  # its place in its file, from 1
    value: object
    line: int | None = None  # None: not read from a file
    key_lines: dict = field(default_factory=dict)  # key -> line
    repeated_key: tuple | None = None  # (key, first line, second line): YAML would keep the last silently


class _Refused(Exception):
    """What is wrong with an entry, and under which key (None: the entry as a whole)."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key = key


def read_registries(paths) -> Registry:
    """Read and check registry files as one registry: each entry on its own (a bad one is
    listed in ``problems`` and left out), names and column pages unique across the files.
    A file that cannot be read or parsed is one problem; the other files are still read."""
    entries, problems = [], []
    read = set()
    for path in paths:
        if Path(path).resolve() in read:  # a file named twice (sites/*.yaml sites/demo.yaml) is read once
            continue
        read.add(Path(path).resolve())
        try:
            entries += _text_entries(_file_text(path), str(path))
        except RegistryError as exc:
            problems.append(str(exc))
    registry = _checked(entries)
    registry.problems[:0] = problems
    return registry


def load_registry(path) -> list[dict]:
    """The sites of one registry file; ``RegistryError`` with its first problem when it has any."""
    return _sites_of(_file_text(path), path)


def text_to_add_to(path) -> str:
    """The text of the registry file ``path``, to add entries to: "" when it is missing; a
    file of comments alone is fine. ``RegistryError`` when it has a problem."""
    path = Path(path)
    if not path.exists():
        return ""
    text = _file_text(path)
    try:
        empty = yaml.safe_load(text) is None
    except yaml.YAMLError:
        empty = False  # _sites_of says where
    if not empty:
        _sites_of(text, path)
    return text + ("" if text.endswith("\n") or not text else "\n")


def _sites_of(text: str, path) -> list[dict]:
    """The sites of the registry file ``path`` whose text is ``text`` (read once); its first
    problem as a ``RegistryError`` when it has any."""
    registry = _checked(_text_entries(text, str(path)))
    if registry.problems:
        raise registry.error(f"`nianbao check-sites {path}`")
    return registry.sites


def add_entries(path, entries: list[dict]) -> None:
    """Add ``entries`` at the end of the registry file ``path`` (made when missing), keeping
    what it holds, comments included. ``RegistryError`` when the file has a problem already,
    or would with them (a name or start URL it holds): then nothing is written."""
    text = text_to_add_to(path) + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    try:
        registry = _checked(_text_entries(text, str(path)))
    except RegistryError as exc:  # e.g. a file in the ``sites:`` form: a list cannot follow it
        raise RegistryError(f"{exc}; nothing added to {path}") from None
    if registry.problems:
        raise RegistryError(f"{registry.error()}; nothing added to {path}")
    Path(path).write_text(text, encoding="utf-8")


# ---- reading: entries with their lines --------------------------------------------------------


def _file_text(path) -> str:
    """The file's text, or a RegistryError: unreadable, not UTF-8, not YAML."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is no part of the text
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RegistryError(f"{path}:{line}: not UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8, "
                            f"e.g. iconv -f gb18030 -t utf-8") from None
    return text


def _text_entries(text: str, source: str) -> list[_Entry]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
        if "\\t" in problem:
            problem += " (indent with spaces: YAML refuses tabs)"
        elif "got '?'" in problem:  # PyYAML ends an unquoted text inside [ ] at a ?
            problem += ' (inside [ ], quote a URL with a ? in it: ["http://…/list.asp?page=1"])'
        raise RegistryError(f"{where}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    entries = _entries(data, source)
    if isinstance(node, yaml.MappingNode):  # the ``sites:`` form
        node = next((v for k, v in node.value if k.value == "sites"), None)
    if isinstance(node, yaml.SequenceNode):
        for entry, entry_node in zip(entries, node.value):
            entry.line = entry_node.start_mark.line + 1
            if isinstance(entry_node, yaml.MappingNode):
                for key_node, _ in entry_node.value:
                    key, line = str(key_node.value), key_node.start_mark.line + 1
                    if key in entry.key_lines and entry.repeated_key is None:
                        entry.repeated_key = (key, entry.key_lines[key], line)
                        entry.key_lines[key] = line  # the problem is told where the key comes again
                    entry.key_lines.setdefault(key, line)
    return entries


def _entries(data, source: str) -> list[_Entry]:
    if isinstance(data, dict) and "sites" in data:
        data = data["sites"]
    if not isinstance(data, list) or not data:
        raise RegistryError(f"{source}: expected a list of sites, each beginning `- name: …`, got {_kind(data)}")
    return [_Entry(source, number, value) for number, value in enumerate(data, start=1)]


# ---- checking ---------------------------------------------------------------------------------


def _checked(entries: list[_Entry]) -> Registry:
    registry = Registry()
    names: dict[str, _Entry] = {}
    columns: dict[str, tuple[_Entry, str]] = {}  # column page -> the entry whose start URL it is, and the URL
    for entry in entries:
        try:
            site = _site(entry)
            _unique(entry, site, names, columns)
        except _Refused as refused:
            registry.problems.append(_where(entry, refused.key) + f": {refused}")
            continue
        registry.sites.append(site)
    return registry


def _where(entry: _Entry, key: str | None = None) -> str:
    """``FILE:LINE: site N (NAME)``, at the key's line when it has one."""
    line = entry.key_lines.get(key, entry.line) if key else entry.line
    name = entry.value.get("name") if isinstance(entry.value, dict) else None
    named = f" ({name})" if isinstance(name, str) and name.strip() else ""
    return f"{entry.source}{f':{line}' if line else ''}: site {entry.number}{named}" + (f": {key}" if key else "")


def _place(entry: _Entry, other: _Entry) -> str:
    """Where ``other`` is, as seen from ``entry``: ``line 3``, or ``a.yaml:3`` in another file."""
    if other.source != entry.source:
        return f"{other.source}:{other.line}" if other.line else other.source
    return f"line {other.line}" if other.line else "this registry"


def _unique(entry: _Entry, site: dict, names: dict, columns: dict) -> None:
    """One site per name and one per column page, across everything read together. A site
    may list a page again only with another fragment: gkmlpt's categories of one shell page
    (``/gkmlpt/index#2580``, ``#2581``), fetched once and read for each."""
    if site["name"] in names:
        other = names[site["name"]]
        raise _Refused("name", f"{site['name']!r} is already the name of site {other.number} ({_place(entry, other)})")
    own = {}  # this entry's start URLs: (column page, fragment) -> URL
    for url in site["start_urls"]:
        column, fragment = column_page(url), url.partition("#")[2]
        if column in columns:
            other, first_url = columns[column]
            whose = f"site {other.number} ({other.value['name'].strip()}, {_place(entry, other)})"
            hint = " (list all its categories, #…, in that site)" if fragment != first_url.partition("#")[2] else ""
        elif (column, fragment) in own:
            first_url, whose, hint = own[column, fragment], "this site", ""
        else:
            own[column, fragment] = url
            continue
        what = "is already" if first_url == url else f"is the same page as {first_url},"
        raise _Refused("start_urls", f"{url} {what} a start URL of {whose}; "
                                     f"the crawl fetches a page once, for one site{hint}")
    names[site["name"]] = entry
    for (column, _), url in own.items():
        columns.setdefault(column, (entry, url))


def _site(entry: _Entry) -> dict:
    value = entry.value
    if not isinstance(value, dict):
        raise _Refused(None, f"expected keys (`name: …`, `start_urls: […]`), got {_kind(value)}")
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
        raise _Refused("name", f"must be text, got {_kind(name)} (quote it: name: \"{name}\")")
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
                raise _Refused(key, f"must be text, got {_kind(value[key])}")
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
        raise _Refused(key, f"must be a list of {what}, got {_kind(value)}")
    for item in items:
        if re.search(r"\s", item.strip()):
            raise _Refused(key, f"{item!r} is not one item: write a list, [a, b], or one `- a` line each")
    return [item.strip() for item in items]


def _kind(value) -> str:
    """What a YAML value is, in a contributor's words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return {dict: "keys", list: "a list", str: "text", type(None): "nothing"}.get(type(value), type(value).__name__)


def http_url(url, where: str) -> str:
    """``url`` when it is an http(s) URL with a host; else a RegistryError saying ``where``."""
    if problem := url_problem(url):
        raise RegistryError(f"{where}: {problem}")
    return url


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
