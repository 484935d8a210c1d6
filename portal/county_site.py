"""A county portal's big column: every department's reports for three years, TRS WCM style.

What grows the imitation portal past 200 pages: 45 synthetic reports (``portal.synthetic``:
the national format's tables with new values) and 15 other documents departments file
in the same column (budgets, other annual reports, work plans), 20 to a listing page,
paged by the classic ``createPageHTML`` call. Pure and deterministic.
"""

from __future__ import annotations

from . import pages
from .flavours import Builder, FlavourSite, home_pages
from .synthetic import TEMPLATE_SEEDS, SyntheticReport, synthetic_body

COUNTY = "示范县"
COLUMN = "/xxgk/bmxxgknb/"
PER_PAGE = 20
DEPARTMENTS = (
    "人民政府办公室", "发展和改革局", "教育局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局",
    "农业农村局", "卫生健康局", "市场监督管理局",
)
YEARS = (2024, 2023, 2022)
# What else departments file in the column, each named so a reader sees it is no report.
OTHER_DOCUMENTS = ("{agency}{year}年部门决算公开", "{agency}{year}年法治政府建设年度报告",
                   "{agency}{next}年政务公开工作要点")


def county_reports() -> list[SyntheticReport]:
    """Newest year first, departments in order; tables scaled 2×, 3×, … so no two repeat."""
    return [SyntheticReport(COUNTY + department, year, TEMPLATE_SEEDS[n % 2], factor=n + 2)
            for n, (year, department) in enumerate((y, d) for y in YEARS for d in DEPARTMENTS)]


def _doc_path(docid: int, published: str) -> str:
    day = published[:10].replace("-", "")
    return f"{COLUMN}{day[:6]}/t{day}_{docid}.html"


def build_county(base_url: str, department_url: str, pdf: bytes) -> FlavourSite:
    b = Builder(base_url, department_url, pdf)
    entries = []   # (title, path, kind, body, published, docid, agency), newest first
    for n, report in enumerate(county_reports()):
        published = f"{report.year + 1}-{1 + n % 3:02d}-{10 + n % 15:02d} 09:{n % 60:02d}"
        docid = 800001 + n
        path = _doc_path(docid, published)
        entries.append((report.title, path, "report", synthetic_body(report), published, docid, report.agency))
        if n % 3 == 2:   # every third report, another document of the same department
            template = OTHER_DOCUMENTS[(n // 3) % len(OTHER_DOCUMENTS)]
            title = template.format(agency=report.agency, year=report.year, next=report.year + 1)
            docid = 810001 + n
            other = published[:11] + "16:30"
            body = "".join(f"<p>{p}</p>" for p in (title, "现将有关情况公开如下。", "特此公告。"))
            entries.append((title, _doc_path(docid, other), "non_report", body, other, docid, report.agency))
    count = -(-len(entries) // PER_PAGE)
    for index in range(count):
        chunk = entries[index * PER_PAGE:(index + 1) * PER_PAGE]
        links = []
        for title, path, kind, body, published, docid, agency in chunk:
            links.append(pages.Link("./" + path[len(COLUMN):], title, published[:10]))
            article = pages.Article(title=title, published=published, source=agency,
                                    docid=docid, url=path, hits=docid % 997)
            b.add_page(path, pages.article_page(article, body, []), kind, title=title, published=published)
            if kind == "report":
                b.reports.append(base_url + path)
            else:
                b.skipped[base_url + path] = title
        name = "index.html" if index == 0 else f"index_{index}.html"
        b.add_page(COLUMN + name, pages.listing_page(index, count, links, max_title=40), "listing",
                   title="部门政府信息公开年报")
    home_pages(b, [(COLUMN + "index.html", "部门政府信息公开年报")])
    b.robots()
    return b.site(COLUMN + "index.html")
