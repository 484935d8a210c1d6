"""What the imitation flavour sites share: their column's documents, pages and builder.

The sites themselves, one per CMS flavour (and a legacy GB2312 site), are built in
``portal.flavour_sites`` (``BUILDERS``) and started by ``portal.world``. Each site's report
column holds the same documents (``column_items``): the five seed reports among what real
columns carry, non-reports (政府网站工作年度报表, 工作要点, other annual reports, notices
about the format), a report published only as a PDF attachment, an item linking to another
host of the same body (the department host), and one linking to an unrelated host. Each
site pages its column its own CMS's way (see ``crawler.flavours``), over at least three
listing pages or batches. Built pure and deterministic from the seeds; served by
``DemoPortal`` (``portal.world`` starts them on distinct loopback addresses).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import pages
from .report_body import report_body
from .seed_text import read_seed
from .site import Resource, Site, _http_date
from .word_html import paragraph

_BEIJING = timezone(timedelta(hours=8))
SEED_TITLES = {
    "000_a7e6a703afb669e1": "城中区人民政府2024年政府信息公开工作年度报告",
}
SEEDS = ("000_a7e6a703afb669e1", "001_120ec37bf10fb6e7", "002_47717d3cd7e0ea5b",
         "003_1cf59b4176a625ae", "004_cbaa75f9e60907ca")
NON_REPORTS = (
    "2024年政府网站工作年度报表",
    "2025年政务公开工作要点",
    "城中区2024年法治政府建设年度报告",
    "关于印发政府信息公开工作年度报告格式的通知",
    "《2024年政府信息公开工作年度报告》图文解读",
    "2023年政府网站工作年度报表",
    "2024年度政务公开工作实施方案",
    "关于开展2024年度政务公开第三方评估的通知",
    "城中区2023年国民经济和社会发展统计公报",
)
PDF_ONLY_TITLE = "示范区2023年政府信息公开工作年度报告"
CROSS_HOST_TITLE = "示范区财政局2024年政府信息公开工作年度报告"
UNRELATED_TITLE = "外省某县2024年政府信息公开工作年度报告"
ROBOTS = pages.ROBOTS_TXT.encode("ascii")


@dataclass(frozen=True)
class Item:
    """One document of a column: what it is and where it lives."""
    title: str
    kind: str                  # report | pdf_only | non_report | cross_host | unrelated
    published: str             # YYYY-MM-DD HH:MM
    seed: str | None = None
    docid: int = 0

    @property
    def date(self) -> str:
        return self.published[:10]


def column_items(base_docid: int) -> list[Item]:
    """The column's 17 documents, newest first: 5 seeds, 1 PDF-only, 2 on other hosts, 9 others."""
    kinds = [("report", s) for s in SEEDS] + [("pdf_only", None), ("cross_host", None), ("unrelated", None)]
    kinds += [("non_report", t) for t in NON_REPORTS]
    # Interleave so every listing page holds reports and non-reports.
    order = [kinds[i] for i in (8, 0, 9, 1, 5, 10, 2, 11, 6, 3, 12, 13, 4, 7, 14, 15, 16)]
    items, start = [], datetime(2025, 3, 20, 10, 0)
    for n, (kind, value) in enumerate(order):
        when = (start - timedelta(days=4 * n)).strftime("%Y-%m-%d %H:%M")
        if kind == "report":
            title = SEED_TITLES.get(value) or read_seed(value).title
            items.append(Item(title, kind, when, seed=value, docid=base_docid + n))
        elif kind == "non_report":
            items.append(Item(value, kind, when, docid=base_docid + n))
        else:
            title = {"pdf_only": PDF_ONLY_TITLE, "cross_host": CROSS_HOST_TITLE, "unrelated": UNRELATED_TITLE}[kind]
            items.append(Item(title, kind, when, docid=base_docid + n))
    return items


def beijing_time(published: str) -> datetime:
    return datetime.strptime(published, "%Y-%m-%d %H:%M").replace(tzinfo=_BEIJING)


def item_body(item: Item, attachment_link: str = "") -> str:
    """The body HTML of a document: a seed report, a PDF link, or a few paragraphs."""
    if item.seed:
        return report_body(read_seed(item.seed))
    if item.kind == "pdf_only":
        return paragraph("根据《中华人民共和国政府信息公开条例》，现公布本年度报告，详见附件。") + attachment_link
    return "".join(paragraph(p) for p in (
        item.title, "为进一步做好相关工作，现将有关事项说明如下。", "一、总体安排。二、工作要求。"))


def plain_page(title: str, body: str, *, charset: str = "utf-8", metas: dict | None = None,
               head_extra: str = "") -> str:
    """A page with standard government meta tags and light chrome around ``body``."""
    meta = "".join(f'<meta name="{k}" content="{html.escape(v)}">\n' for k, v in (metas or {}).items())
    return (
        f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        f"<title>{html.escape(title)}</title>\n{meta}{head_extra}</head>\n<body>\n"
        '<div class="top">简体 | 繁體 | 无障碍</div>\n'
        f"{body}\n"
        '<div class="footer">网站标识码：0000000000　示ICP备00000000号-1</div>\n</body></html>\n'
    )


def article_metas(item: Item, source: str = "示范区人民政府办公室") -> dict:
    return {"ArticleTitle": item.title, "PubDate": item.published, "ContentSource": source,
            "ColumnName": "政府信息公开年报"}


def encode(page: str, charset: str = "utf-8") -> tuple[bytes, str]:
    if charset == "gb2312":   # declared gb2312, holds GBK-only characters: GB18030 bytes, no header charset
        return page.encode("gb18030"), "text/html"
    return page.encode("utf-8"), "text/html; charset=utf-8"


class FlavourSite(Site):
    """A Site whose list API answers depend on the query or form (``respond``)."""

    def __init__(self, resources, start_path, responder=None, **extra):
        super().__init__(resources, start_path)
        self._responder = responder
        self.extra = extra           # what tests need to know: report URLs, expected counts …

    def respond(self, method, path, query, form, headers):
        if self._responder is None:
            return None
        return self._responder(method, path, query, form, headers)


@dataclass
class Builder:
    """Collects a site's resources and the facts tests check."""
    base_url: str
    department_url: str          # the other host of the same body
    pdf: bytes
    resources: dict = field(default_factory=dict)
    reports: list = field(default_factory=list)        # report page URLs (HTML)
    attachments: list = field(default_factory=list)    # attachment URLs of reports
    skipped: dict = field(default_factory=dict)        # URL -> title of items that must be skipped
    last_modified: str = "Thu, 20 Mar 2025 02:00:00 GMT"

    def add(self, path: str, body: bytes, content_type: str, kind: str, title: str | None = None,
            seed: str | None = None, published: str | None = None):
        modified = _http_date(published) if published else self.last_modified
        self.resources[path] = Resource(body, content_type, modified, kind, title, seed)

    def add_page(self, path, page, kind, *, charset="utf-8", title=None, seed=None, published=None):
        body, ctype = encode(page, charset)
        self.add(path, body, ctype, kind, title, seed, published)

    def item_url(self, item: Item, own_path: str) -> str:
        """Where a listing links an item: its own page, the department host, or far away."""
        if item.kind == "cross_host":
            return cross_host_url(self.department_url, item.docid)
        if item.kind == "unrelated":
            return f"http://127.0.0.99:9/xxgk/t20250101_{item.docid}.html"
        return own_path

    def note(self, item: Item, url: str, pdf_url: str | None = None):
        if item.kind in ("report", "pdf_only", "cross_host"):
            self.reports.append(url)
        if pdf_url:
            self.attachments.append(pdf_url)
        if item.kind in ("non_report", "unrelated"):
            self.skipped[url] = item.title

    def robots(self):
        self.add("/robots.txt", ROBOTS, "text/plain; charset=utf-8", "robots")

    def site(self, start_path: str, responder=None, **extra) -> FlavourSite:
        return FlavourSite(self.resources, start_path, responder, base_url=self.base_url, reports=self.reports,
                           attachments=self.attachments, skipped=self.skipped, **extra)


def cross_host_url(department_url: str, docid: int) -> str:
    return f"{department_url}/bm/czj/xxgknb/202503/t20250301_{docid}.html"


def home_pages(b: Builder, column_links: list[tuple[str, str]], section_path: str = "/zwgk/index.html"):
    """A home page linking 政府信息公开, which links the report column(s): for discovery."""
    b.add_page("/", plain_page("示范区人民政府", f'<ul class="nav"><li><a href="/">首页</a></li>'
                               f'<li><a href="{section_path}">政府信息公开</a></li>'
                               '<li><a href="/hdjl/">互动交流</a></li></ul>'), "home")
    links = "".join(f'<li><a href="{href}">{html.escape(text)}</a></li>' for href, text in column_links)
    b.add_page(section_path, plain_page("政府信息公开", f'<ul class="gk-nav"><li><a href="/zwgk/zn/">政府信息公开指南</a></li>'
                                        f"{links}<li><a href=\"/zwgk/fdzdgk/\">法定主动公开内容</a></li></ul>"),
               "section")
