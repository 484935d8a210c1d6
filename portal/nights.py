"""A report column that changes between nightly crawls, as real columns do over a month.

    column = ChangingColumn()
    portal = DemoPortal(column.site(), host="127.0.0.9").start()
    ...                                  # night 1: crawl
    column.add_report("城中区审计局", 2024)
    column.edit(docid)                   # same URL, new bytes (a corrected table)
    column.withdraw(docid, 404)          # 404, 410, or "redirect" (to the column)
    portal.site = column.site()          # publish: the next request sees the new column
    ...                                  # night 2: crawl

The column is a TRS WCM column of synthetic reports (``portal.synthetic``): each report is
one (agency, year), three a listing page, newest first, paged by ``createPageHTML`` or, after
``pager = "anchors"``, by plain 下一页/尾页 links. What a night can change
(``docs/portals.md``): a new report, an edited one (its tables' numbers scaled
again, Last-Modified a day on), one withdrawn (404, 410, or a redirect to its column) and
back, the listing gaining a page, a PDF attachment replaced, the pager, the column moved
(its old listing URL redirects, 301, to the new), and report pages answering 500. A page that did not change keeps its bytes and
Last-Modified, so a conditional request gets its 304, unless ``visits`` moves the 点击率
counter every report page prints (as dynamic CMSs render it): new bytes, same report.

A host down for a night: ``portal.stop()``, and ``portal.start()`` brings it back at the
same address and port (connection refused while down).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from . import pages
from .site import Resource, Site
from .synthetic import TEMPLATE_SEEDS, SyntheticReport, synthetic_body

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
FIRST_COLUMN = "/zwgk/zfxxgknb/"
MOVED_COLUMN = "/zwgk/xxgk/ndbg/"
_BEIJING = timezone(timedelta(hours=8))


@dataclass
class ColumnReport:
    docid: int
    agency: str
    year: int
    published: str                    # YYYY-MM-DD HH:MM, Beijing time
    factor: int = 1                   # its tables: a template seed's numbers times this
    edits: int = 0                    # each edit scales the tables again, a day later
    gone: int | str | None = None     # 404 | 410 | "redirect": withdrawn tonight
    attachment: bytes | None = None   # a PDF-only report: the PDF its page links

    @property
    def path(self) -> str:
        day = self.published[:10].replace("-", "")
        return f"{FIRST_COLUMN}{day[:6]}/t{day}_{self.docid}.html"

    @property
    def attachment_path(self) -> str:
        return self.path.rsplit("/", 1)[0] + f"/P0{self.docid}342787864103.pdf"

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"

    @property
    def last_modified(self) -> str:
        return _last_modified(self.published, self.edits)


def _last_modified(published: str, days: int) -> str:
    """The HTTP date ``days`` after ``published`` (YYYY-MM-DD HH:MM, Beijing time): a page
    or attachment replaced ``days`` times, a day apart."""
    when = datetime.strptime(published, "%Y-%m-%d %H:%M").replace(tzinfo=_BEIJING) + timedelta(days=days)
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)


@dataclass
class ChangingColumn:
    agency_prefix: str = "示范县"
    per_page: int = 3
    column: str = FIRST_COLUMN
    pager: str = "trs"                            # "trs" (createPageHTML) | "anchors" (下一页 links)
    failing: set[int] = field(default_factory=set)   # docids whose pages answer 500 tonight
    reports: dict[int, ColumnReport] = field(default_factory=dict)
    attachment_modified: dict[int, int] = field(default_factory=dict)   # docid -> replacements
    visits: int = 0                               # added to every page's 点击率 (a counter in the HTML)
    _next_docid: int = 500001

    # -- what a night changes --------------------------------------------------------------

    def add_report(self, agency: str, year: int, attachment: bytes | None = None) -> ColumnReport:
        """A new report at the head of the column, published the day after the newest."""
        newest = max((r.published for r in self.reports.values()), default="2025-01-05 09:00")
        day = datetime.strptime(newest, "%Y-%m-%d %H:%M") + timedelta(days=1)
        docid = self._next_docid
        self._next_docid += 1
        report = ColumnReport(docid, self.agency_prefix + agency, year, day.strftime("%Y-%m-%d %H:%M"),
                              factor=2 + docid % 5, attachment=attachment)
        self.reports[docid] = report
        return report

    def edit(self, docid: int) -> None:
        """The page is republished with its tables corrected (same URL, new bytes)."""
        self.reports[docid].edits += 1

    def withdraw(self, docid: int, how: int | str) -> None:
        """404, 410, or "redirect" (to the column, as portals take a document down); the
        listing still links it, as a column's cached listing does for a while."""
        self.reports[docid].gone = how

    def republish(self, docid: int, how: int | str = 404) -> ColumnReport:
        """The report taken down (``how``) and published again, corrected, under a new
        docid: the same (agency, year) at a new URL, at the head of the column."""
        old = self.reports[docid]
        self.withdraw(docid, how)
        new = self.add_report(old.agency.removeprefix(self.agency_prefix), old.year)
        new.factor, new.edits = old.factor, old.edits + 1
        return new

    def restore(self, docid: int) -> None:
        self.reports[docid].gone = None

    def replace_attachment(self, docid: int, pdf: bytes) -> None:
        self.reports[docid].attachment = pdf
        self.attachment_modified[docid] = self.attachment_modified.get(docid, 0) + 1

    def move(self, column: str = MOVED_COLUMN) -> None:
        """The listing moves; its old URL redirects (301) to the new one."""
        self.column = column

    # -- the site --------------------------------------------------------------------------

    def site(self) -> "ChangingSite":
        resources: dict[str, Resource] = {}
        newest_first = sorted(self.reports.values(), key=lambda r: r.published, reverse=True)
        for report in newest_first:
            if report.gone in (404, 410):
                continue
            resources[report.path] = Resource(self._report_page(report), HTML, report.last_modified,
                                              "report", report.title)
            if report.attachment is not None:
                moved = report.edits + self.attachment_modified.get(report.docid, 0)
                modified = _last_modified(report.published, moved)
                resources[report.attachment_path] = Resource(report.attachment, PDF, modified, "attachment")
        newest = newest_first[0].last_modified if newest_first else "Mon, 06 Jan 2025 01:00:00 GMT"
        page_count = max(1, -(-len(newest_first) // self.per_page))
        for index in range(page_count):
            chunk = newest_first[index * self.per_page:(index + 1) * self.per_page]
            links = [pages.Link(r.path, r.title, r.published[:10]) for r in chunk]   # absolute paths
            resources[self.column + self._page_name(index)] = Resource(
                self._listing_page(index, page_count, links), HTML, newest, "listing", pages.COLUMN_NAME)
        resources["/robots.txt"] = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8",
                                            "Mon, 06 Jan 2025 01:00:00 GMT", "robots")
        site = ChangingSite(resources, FIRST_COLUMN + "index.html")
        site.column_state = self._night_rules(newest_first)
        return site

    def _night_rules(self, reports) -> dict:
        rules = {r.path: r.gone for r in reports if r.gone in (410, "redirect")}
        rules.update({self.reports[d].path: 500 for d in self.failing})
        if self.column != FIRST_COLUMN:
            rules[FIRST_COLUMN + "index.html"] = ("moved", self.column + "index.html")
        return {"rules": rules, "column": self.column}

    @staticmethod
    def _page_name(index: int) -> str:
        return "index.html" if index == 0 else f"index_{index}.html"

    def _listing_page(self, index: int, count: int, links: list[pages.Link]) -> bytes:
        page = pages.listing_page(index, count, links)
        if self.pager == "anchors":
            # The site's new template: the pager is plain links, the WCM script gone.
            start = page.index('<div class="page">')
            end = page.index("</div>", page.index("createPageHTML(", start))
            anchors = []
            if index + 1 < count:
                anchors.append(f'<a href="{self._page_name(index + 1)}">下一页</a>')
                anchors.append(f'<a href="{self._page_name(count - 1)}">尾页</a>')
            page = page[:start] + '<div class="page">' + " ".join(anchors) + page[end:]
        return page.encode("utf-8")

    def _report_page(self, report: ColumnReport) -> bytes:
        if report.attachment is not None:
            name = report.attachment_path.rsplit("/", 1)[1]
            body = (f'<p>{html.escape(report.title)}见附件。</p><p class="insertfileTag">'
                    f'<a appendix="true" href="./{name}" title="{html.escape(report.title)}.pdf">'
                    f'{html.escape(report.title)}.pdf</a></p>')
        else:
            template = TEMPLATE_SEEDS[report.docid % len(TEMPLATE_SEEDS)]
            body = synthetic_body(SyntheticReport(report.agency, report.year, template,
                                                  report.factor + report.edits))
        article = pages.Article(title=report.title, published=report.published, source=report.agency,
                                docid=report.docid, url=report.path, hits=report.docid % 997 + 100 + self.visits)
        return pages.article_page(article, body, []).encode("utf-8")


class ChangingSite(Site):
    """The column's pages, and tonight's answers that are not a page: 410, 500, a redirect."""

    column_state: dict

    def answer(self, method: str, path: str, headers: dict):
        state = self.column_state
        rule = state["rules"].get(path)
        if rule is None:
            return None
        if rule == "redirect":           # withdrawn: back to the column
            return 302, [("Location", state["column"] + "index.html"), ("Content-Type", HTML)], b""
        if isinstance(rule, tuple):      # the listing moved
            return 301, [("Location", rule[1]), ("Content-Type", HTML)], b""
        return rule, [("Content-Type", HTML)], f"<h1>{rule}</h1>".encode("ascii")
