"""The imitation portal's content: every URL path and the bytes served there.

`build_site()` is pure and deterministic (no clock, no randomness): dates, document ids and hit
counts are fixed below, page bodies come from the seed texts. The column 政府信息公开年报 lists
the five seed reports among non-reports that real columns also carry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from . import pages
from .report_body import report_body
from .seed_text import read_seed
from .word_html import paragraph, render_table
from .seed_tables import Cell

COLUMN_PATH = "/zwgk/zfxxgknb/"
START_PATH = COLUMN_PATH + "index.html"
ITEMS_PER_PAGE = 3
_BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    last_modified: str           # HTTP date
    kind: str                    # robots | home | section | listing | report | non_report
    title: str | None = None
    seed: str | None = None      # seed id, for report pages

    @property
    def etag(self) -> str:
        """Strong validator of the identity body."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


class Site(Mapping[str, Resource]):
    """URL path → Resource, plus lookups the tests and the demo need."""

    def __init__(self, resources: dict[str, Resource], start_path: str = START_PATH):
        self._resources = dict(resources)
        self.start_path = start_path

    def __getitem__(self, path: str) -> Resource:
        return self._resources[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)

    def paths(self, kind: str) -> list[str]:
        return [p for p, r in self._resources.items() if r.kind == kind]

    def report_path(self, seed_id: str) -> str:
        return next(p for p, r in self._resources.items() if r.seed == seed_id)

    def add(self, path: str, resource: Resource) -> None:
        """Publish a new page at ``path`` (a report added to the column between two crawls)."""
        self._resources[path] = resource

    def replace(self, path: str, body: bytes, last_modified: str | None = None) -> Resource:
        """Publish a new body at ``path`` (a corrected report), as a CMS does between two
        crawls: a new ETag follows from the body, Last-Modified moves a day on unless given."""
        old = self._resources[path]
        if last_modified is None:
            moved = parsedate_to_datetime(old.last_modified) + timedelta(days=1)
            last_modified = format_datetime(moved, usegmt=True)
        new = replace(old, body=body, last_modified=last_modified)
        self._resources[path] = new      # one dict assignment: a serving thread sees old or new
        return new


@dataclass(frozen=True)
class Entry:
    """One document in the column."""
    docid: int
    published: str               # YYYY-MM-DD HH:MM[:SS], Beijing time
    title: str | None = None     # None: the seed's own title line
    source: str | None = None    # None: the seed's own 来源
    seed: str | None = None
    charset: str = "utf-8"       # "gbk": served as GBK bytes, declared gb2312, no header charset
    paragraphs: tuple[str, ...] = ()      # non-reports: body text
    table: tuple[tuple[str, ...], ...] = ()

    @property
    def path(self) -> str:
        day = self.published[:10].replace("-", "")
        return f"{COLUMN_PATH}{day[:6]}/t{day}_{self.docid}.html"


# Publication dates: the seed's own where it prints one (003, 004), otherwise chosen in early 2025.
ENTRIES = (
    Entry(100001, "2022-02-18 15:15", seed="004_cbaa75f9e60907ca"),
    Entry(100002, "2024-01-30 11:41:29", source="", seed="003_1cf59b4176a625ae", charset="gbk"),
    Entry(100003, "2025-01-10 17:45:00", title="城中区2024年法治政府建设年度报告", source="城中区司法局",
          paragraphs=(
              "2024年，城中区深入学习贯彻习近平法治思想，全面落实法治政府建设实施纲要，现将有关情况报告如下。",
              "一、主要举措和成效。持续推进依法行政制度建设，规范行政执法行为，深化政务公开。",
              "二、存在的不足和原因。法治宣传的针对性有待增强，基层执法力量仍显不足。",
              "三、下一年度工作安排。进一步健全依法决策机制，加强行政执法监督。",
          )),
    Entry(100004, "2025-01-15 11:02:00", title="2024年政府网站工作年度报表", source="城中区人民政府办公室",
          paragraphs=("政府网站工作年度报表（2024年度）",),
          table=(("网站名称", "城中区人民政府门户网站"), ("首页网址", "http://portal.nianbao.test"),
                 ("主办单位", "城中区人民政府办公室"), ("独立用户访问总量（单位：个）", "316520"),
                 ("网站总访问量（单位：次）", "1204377"), ("信息发布总数（单位：条）", "2424"))),
    Entry(100005, "2025-01-20 10:12:00", title="城中区人民政府2024年政府信息公开工作年度报告",
          source="城中区人民政府", seed="000_a7e6a703afb669e1"),
    Entry(100006, "2025-01-24 16:05:00", source="吴川市人民政府办公室", seed="001_120ec37bf10fb6e7"),
    Entry(100007, "2025-02-10 09:38:00", source="湛河区轻工路街道办事处", seed="002_47717d3cd7e0ea5b"),
    Entry(100008, "2025-03-05 15:20:00", title="2025年政务公开工作要点", source="城中区人民政府办公室",
          paragraphs=(
              "为深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，结合实际，制定本要点。",
              "一、围绕稳预期强信心加强政策发布解读。",
              "二、围绕优化营商环境做好信息公开。",
              "三、围绕加强政府自身建设夯实公开基础。",
          )),
)


def _http_date(published: str) -> str:
    fmt = "%Y-%m-%d %H:%M:%S" if published.count(":") == 2 else "%Y-%m-%d %H:%M"
    moment = datetime.strptime(published, fmt).replace(tzinfo=_BEIJING)
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _relative(from_path: str, to_path: str) -> str:
    """Link between pages of the column, as TRS writes them (./YYYYMM/… or ../YYYYMM/…)."""
    rel = to_path[len(COLUMN_PATH):]
    return "./" + rel if from_path.count("/") == COLUMN_PATH.count("/") else "../" + rel


def _html(page: str, charset: str) -> tuple[bytes, str]:
    if charset == "gbk":
        try:
            return page.encode("gbk"), "text/html"      # the header names no charset
        except UnicodeEncodeError as exc:
            raise ValueError(f"GBK page holds a character GBK can't encode: "
                             f"{page[exc.start:exc.end]!r} near {page[exc.start - 40:exc.start]!r}") from exc
    return page.encode("utf-8"), "text/html; charset=utf-8"


def _document(entry: Entry, newest_first: list[Entry]) -> tuple[str, Resource]:
    seed = read_seed(entry.seed) if entry.seed else None
    title = entry.title or (seed.title if seed else None)
    source = entry.source if entry.source is not None else (seed.source if seed else "") or ""
    if seed:
        body = report_body(seed)
    else:
        body = "".join(paragraph(p, centered=(i == 0 and bool(entry.table)))
                       for i, p in enumerate(entry.paragraphs))
        if entry.table:
            body += render_table([[Cell([k]), Cell([v], kind="value")] for k, v in entry.table])
    others = [e for e in newest_first if e is not entry]
    related = [pages.Link(_relative(entry.path, e.path), _title_of(e), e.published[:10]) for e in others[:3]]
    article = pages.Article(
        title=title, published=entry.published, source=source, docid=entry.docid, url=entry.path,
        hits=(entry.docid * 37) % 3000 + 100, nav=tuple(seed.nav) if seed and seed.nav else pages.DEFAULT_NAV,
    )
    charset_label = "gb2312" if entry.charset == "gbk" else "utf-8"
    body_bytes, content_type = _html(pages.article_page(article, body, related, charset=charset_label),
                                     entry.charset)
    kind = "report" if seed else "non_report"
    return entry.path, Resource(body_bytes, content_type, _http_date(entry.published), kind, title, entry.seed)


def _title_of(entry: Entry) -> str:
    return entry.title or read_seed(entry.seed).title


def build_site(items_per_page: int = ITEMS_PER_PAGE) -> Site:
    newest_first = sorted(ENTRIES, key=lambda e: e.published, reverse=True)
    resources: dict[str, Resource] = {}
    for entry in newest_first:
        path, resource = _document(entry, newest_first)
        resources[path] = resource

    newest = _http_date(newest_first[0].published)
    page_count = -(-len(newest_first) // items_per_page)
    for index in range(page_count):
        chunk = newest_first[index * items_per_page:(index + 1) * items_per_page]
        name = "index.html" if index == 0 else f"index_{index}.html"
        links = [pages.Link(_relative(COLUMN_PATH + name, e.path), _title_of(e), e.published[:10]) for e in chunk]
        body, ctype = _html(pages.listing_page(index, page_count, links), "utf-8")
        resources[COLUMN_PATH + name] = Resource(body, ctype, newest, "listing", pages.COLUMN_NAME)

    home, ctype = _html(pages.home_page("./zwgk/zfxxgknb/index.html"), "utf-8")
    resources["/"] = Resource(home, ctype, newest, "home", pages.SITE_NAME)
    section, ctype = _html(pages.section_page("./zfxxgknb/index.html"), "utf-8")
    resources["/zwgk/index.html"] = Resource(section, ctype, newest, "section", "政务公开")
    resources["/robots.txt"] = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8",
                                        newest, "robots")
    return Site(resources)
