"""Hostile hosts for the crawler tests: challenges, refusals, robots.txt, mirrors, withdrawals.

    portals, entries = start_hostile_sites(tmp_path)   # also writes tmp_path/hostile-sites.yaml
    ...  # run_crawl(entries, data) or nianbao crawl --sites tmp_path/hostile-sites.yaml
    for portal in portals.values(): portal.stop()

Each host is a ``DemoPortal`` on its own loopback address (Scrapy keys its per-host slots
by host name, so distinct hosts need distinct IPs). A ``HostileSite`` is an ordinary
``Site`` plus rules that may answer a request themselves, with any status, headers and
body (the server asks ``site.answer`` first):

- ``challenge-412``: every path answers 412 with a Ruishu ``$_ts`` page and an ``…S`` cookie;
- ``challenge-521``: every path answers 521 with Jiasule's cookie-setting script;
- ``challenge-200``: robots.txt is fine, the column answers 200 with a ``$_ts`` page;
- ``robots-disallow``: robots.txt disallows the report column, with a Crawl-delay;
- ``rate-limited``: the column answers 429 with ``Retry-After`` twice, then 200;
- ``refusing``: the column lists reports that all answer 403;
- ``hostile-column``: a report, a withdrawn report (302 to its column), a report whose
  tables are images, links to a ``/gate/big5/`` mirror and a ``big5.`` host, a report
  published only as an oversize PDF, and an oversize attachment.

Addresses start at 127.0.0.20, clear of the flavour sites (``portal.world``, 127.0.0.2-7).
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from pathlib import Path

import yaml

from . import pages
from .report_body import EDITOR_STYLE, report_body
from .seed_text import TABLE_SECTIONS, is_title_line, read_seed
from .server import DemoPortal
from .site import COLUMN_PATH, START_PATH, Resource, Site, build_site
from .word_html import paragraph

ADDRESSES = {
    "challenge-412": "127.0.0.20",
    "challenge-521": "127.0.0.21",
    "challenge-200": "127.0.0.22",
    "robots-disallow": "127.0.0.23",
    "hostile-column": "127.0.0.24",
    "rate-limited": "127.0.0.25",
    "refusing": "127.0.0.26",
}
AGENCY = "示范区人民政府"
LAST_MODIFIED = "Mon, 20 Jan 2025 02:12:00 GMT"
HTML = "text/html; charset=utf-8"
OVERSIZE_BYTES = 1_500_000

# A Ruishu (瑞数) answer: the skeleton of a real one, seeds and VM code cut short.
RUISHU_PAGE = (
    '<!DOCTYPE html>\n<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
    '<meta id="13JnD7t9MzWf" content="KszeWp.PSsEFpfp.U5uGy8PSBuml0f4X" r=\'m\'>\n'
    '<!--[if lt IE 9]><script r=\'m\'>document.createElement("section")</script><![endif]-->\n'
    '<script type="text/javascript" r=\'m\'>$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=52206;'
    '$_ts.cd="qtJDrpAltcLqlqVmiaqjrnLllkg4rGqWrqEmcqLlqsAmrpAlqGqmDsLlcs";</script>\n'
    '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVI/c.FxJzG50F.b6a7b1b.js" r=\'m\'></script>\n'
    "</head>\n<body>\n</body></html>\n<script type=\"text/javascript\" r='m'>_$gW();</script>\n"
).encode("utf-8")
RUISHU_COOKIES = [
    ("Set-Cookie", "NfBCSins2OywS=60f9.Yz1u2c8lqMZ3_kb6UBqVvKcUn.HhJbzBZ8Ivs5NAn0I2Nw3dS; Path=/; expires=Thu, 17 Jan 2035 05:20:11 GMT; HttpOnly"),
    ("Set-Cookie", "acw_tc=2f624a2117372714113471219e3a5ec4d0f5e2b4b0b3e4a1a1f0c7c4d4d11a; path=/; HttpOnly; Max-Age=1800"),
]
# A Jiasule (加速乐) answer: the cookie name is assembled from single characters.
JSL_PAGE = (
    "<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')"
    "+('c')+('e')+('=')+(+!+[]+'')+(2+7+'')+(1+6+'')+('.')+(8+'')+(-~[3]+'')+('|')+('0')+('|')"
    "+(-~false+'')+('f')+('K')+('%')+(2+'')+('B')+('q')+('F')+('Y')+(1+7+'')+('r')+('z')+('o')"
    "+(';')+('m')+('a')+('x')+('-')+('a')+('g')+('e')+('=')+(3+'')+(6+'')+(0+'')+(0+'')"
    "+(';path=/');location.href=location.pathname+location.search</script>"
).encode("ascii")
JSL_COOKIES = [("Set-Cookie", "__jsluid_h=5b8ae6e0e8c5b1f5f1f8a6c3e2b1c0d9; max-age=31536000; path=/; HttpOnly")]
FORBIDDEN_PAGE = b"<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>\n"
TOO_MANY_PAGE = b"<html><body><h1>429 Too Many Requests</h1><p>\xe8\xae\xbf\xe9\x97\xae\xe8\xbf\x87\xe4\xba\x8e\xe9\xa2\x91\xe7\xb9\x81</p></body></html>\n"


class HostileSite(Site):
    """A ``Site`` whose ``rules`` may answer a request before the normal lookup.

    A rule is ``rule(method, path, headers) -> (status, headers, body) | None``."""

    def __init__(self, resources, start_path: str = START_PATH, rules=()):
        super().__init__(resources, start_path)
        self.rules = list(rules)

    @classmethod
    def from_site(cls, site: Site, rules=(), robots_txt: str | None = None) -> "HostileSite":
        resources = dict(site.items())
        if robots_txt is not None:
            resources["/robots.txt"] = Resource(robots_txt.encode("ascii"), "text/plain; charset=utf-8",
                                                LAST_MODIFIED, "robots")
        return cls(resources, site.start_path, rules)

    def answer(self, method: str, path: str, headers: dict):
        for rule in self.rules:
            reply = rule(method, path, headers)
            if reply is not None:
                return reply
        return None


# -- rules ----------------------------------------------------------------------------------

def challenge_412(method, path, headers):
    return 412, [("Content-Type", "text/html"), *RUISHU_COOKIES], RUISHU_PAGE


def challenge_521(method, path, headers):
    return 521, [("Content-Type", "text/html"), *JSL_COOKIES], JSL_PAGE


def at(paths, status: int, body: bytes, extra_headers=()):
    """Answer ``status`` at these paths."""
    paths = set(paths)

    def rule(method, path, headers):
        if path in paths:
            return status, [("Content-Type", HTML), *extra_headers], body
        return None
    return rule


def redirect(from_path: str, location: str, status: int = 302):
    def rule(method, path, headers):
        if path == from_path:
            return status, [("Location", location), ("Content-Type", HTML)], b""
        return None
    return rule


def first_times(path: str, times: int, status: int, headers, body: bytes):
    """Answer ``status`` to the first ``times`` requests for ``path``, then step aside."""
    lock, count = threading.Lock(), [0]

    def rule(method, requested, request_headers):
        if requested != path:
            return None
        with lock:
            count[0] += 1
            if count[0] > times:
                return None
        return status, [("Content-Type", HTML), *headers], body
    return rule


def slow(seconds: float):
    """Every answer takes at least ``seconds`` (to make concurrent requests overlap)."""
    def rule(method, path, headers):
        time.sleep(seconds)
        return None
    return rule


# -- pages ----------------------------------------------------------------------------------

def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


def fake_pdf(size: int) -> bytes:
    """A PDF-looking body of ``size`` bytes (only its size matters: it is never parsed)."""
    head, tail = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
    return head + b"0" * max(0, size - len(head) - len(tail)) + tail


def body_with_table_images(seed, image_src) -> str:
    """A seed's report body with each statistical table pasted as a picture."""
    parts = [EDITOR_STYLE]
    for line in seed.preface:
        parts.append(paragraph(line, centered=is_title_line(line)))
    for section in seed.sections:
        parts.append(paragraph(section.heading, heading=True))
        if section.number in TABLE_SECTIONS:
            parts.append(f'<p style="text-align:center"><img src="{image_src(section.number)}" '
                         'width="640" height="420" border="0" /></p>')
            continue
        parts.extend(paragraph(ln.strip()) for ln in section.lines if ln.strip())
    return "".join(parts)


def _article(path: str, title: str, docid: int, published: str, body: str) -> Resource:
    article = pages.Article(title=title, published=published, source=AGENCY, docid=docid, url=path,
                            hits=docid % 997 + 100)
    page = pages.article_page(article, body, [])
    return Resource(page.encode("utf-8"), HTML, LAST_MODIFIED, "report", title)


def hostile_column_site(base_url: str, oversize_bytes: int = OVERSIZE_BYTES, pdf: bytes | None = None) -> HostileSite:
    """The column with the withdrawn report, images for tables, mirrors and oversize files
    (or, given ``pdf``, that PDF at both file links: a column without oversize downloads)."""
    host = base_url.split("//", 1)[1]
    col = COLUMN_PATH
    report = col + "202501/t20250120_300001.html"
    attachment = col + "202501/P020250120300001000001.pdf"
    withdrawn = col + "202402/t20240205_300002.html"
    images = col + "202502/t20250210_300003.html"
    pdf_only = col + "202503/P020250301300006.pdf"
    gate = f"/gate/big5/{host}{report}"
    big5_host = f"http://big5.hostile.nianbao.test/gate/big5/www.hostile.nianbao.test{report}"

    seed = read_seed("000_a7e6a703afb669e1")
    main_body = report_body(seed) + (
        '<p>附件：<a appendix="true" href="./P020250120300001000001.pdf">'
        "示范区2024年政府信息公开工作年度报告（全文）.pdf</a></p>")
    image_seed = read_seed("002_47717d3cd7e0ea5b")
    image_paths = {n: f"{col}202502/W020250210300003_{i}.png" for i, n in enumerate(TABLE_SECTIONS, 1)}
    resources = {
        report: _article(report, "示范区人民政府2024年政府信息公开工作年度报告", 300001, "2025-01-20 10:12:00",
                         main_body),
        attachment: Resource(pdf or fake_pdf(oversize_bytes), "application/pdf", LAST_MODIFIED, "attachment"),
        images: _article(images, image_seed.title or "2024年政府信息公开工作年度报告", 300003,
                         "2025-02-10 09:38:00",
                         body_with_table_images(image_seed, lambda n: "./" + image_paths[n].rsplit("/", 1)[1])),
        pdf_only: Resource(pdf or fake_pdf(oversize_bytes), "application/pdf", LAST_MODIFIED, "attachment"),
        "/robots.txt": Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8", LAST_MODIFIED,
                                "robots"),
    }
    for path in image_paths.values():
        resources[path] = Resource(tiny_png(), "image/png", LAST_MODIFIED, "image")
    links = [
        pages.Link("./202503/P020250301300006.pdf", "示范区2024年政府信息公开工作年度报告（全文）", "2025-03-01"),
        pages.Link("./202502/t20250210_300003.html", image_seed.title, "2025-02-10"),
        pages.Link("./202501/t20250120_300001.html", "示范区人民政府2024年政府信息公开工作年度报告", "2025-01-20"),
        pages.Link(gate, "示范区人民政府2024年政府信息公开工作年度报告（繁体版）", "2025-01-20"),
        pages.Link(big5_host, "示范区人民政府2024年政府信息公开工作年度报告（繁体）", "2025-01-20"),
        pages.Link("./202402/t20240205_300002.html", "示范区人民政府2023年政府信息公开工作年度报告", "2024-02-05"),
    ]
    listing = pages.listing_page(0, 1, links, max_title=40)
    resources[START_PATH] = Resource(listing.encode("utf-8"), HTML, LAST_MODIFIED, "listing", pages.COLUMN_NAME)
    site = HostileSite(resources, START_PATH, [redirect(withdrawn, col)])
    site.extra = {"report": report, "attachment": attachment, "withdrawn": withdrawn, "images": images,
                  "pdf_only": pdf_only, "gate": gate, "big5_host": big5_host}
    return site


def _report_paths(site: Site) -> list[str]:
    return site.paths("report") + site.paths("non_report")


def build_hostile_sites(base_urls: dict[str, str], oversize_bytes: int = OVERSIZE_BYTES,
                        pdf: bytes | None = None) -> dict[str, HostileSite]:
    """Every hostile site by name; ``base_urls`` is where each will be served."""
    demo = build_site()
    column = [p for p in demo if p.startswith(COLUMN_PATH) and "/index" in p]
    return {
        "challenge-412": HostileSite.from_site(demo, [challenge_412]),
        "challenge-521": HostileSite.from_site(demo, [challenge_521]),
        "challenge-200": HostileSite.from_site(demo, [at(column, 200, RUISHU_PAGE)]),
        "robots-disallow": HostileSite.from_site(
            demo, robots_txt=f"User-agent: *\nCrawl-delay: 0.2\nDisallow: {COLUMN_PATH}\nDisallow: /search/\n"),
        "hostile-column": hostile_column_site(base_urls["hostile-column"], oversize_bytes, pdf),
        "rate-limited": HostileSite.from_site(
            demo, [first_times(START_PATH, 2, 429, [("Retry-After", "1")], TOO_MANY_PAGE)]),
        "refusing": HostileSite.from_site(demo, [at(_report_paths(demo), 403, FORBIDDEN_PAGE)]),
    }


def registry_entries(portals: dict[str, DemoPortal]) -> list[dict]:
    return [
        {"name": f"{name} site", "start_urls": [portal.start_url], "flavour": "trs", "agency": AGENCY}
        for name, portal in portals.items()
    ]


def start_hostile_sites(directory, addresses: dict | None = None, oversize_bytes: int = OVERSIZE_BYTES,
                        pdf: bytes | None = None):
    """Start every hostile host; return (portals by name, registry entries).

    The entries are also written to DIRECTORY/hostile-sites.yaml for ``nianbao crawl --sites``.
    """
    addresses = {**ADDRESSES, **(addresses or {})}
    portals = {name: DemoPortal(Site({}), host=address).start() for name, address in addresses.items()}
    sites = build_hostile_sites({name: p.base_url for name, p in portals.items()}, oversize_bytes, pdf)
    for name, portal in portals.items():
        portal.site = sites[name]
    entries = registry_entries(portals)
    path = Path(directory) / "hostile-sites.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return portals, entries
