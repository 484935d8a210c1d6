"""The five imitation sites, one per flavour: TRS WCM, Hanweb jcms, gkmlpt, generic, legacy GB2312.

Each ``build_*`` takes the site's own base URL, the department host's base URL (another host
of the same body) and the bytes of the PDF a PDF-only report links, and returns a
``FlavourSite``. ``department_site`` serves the cross-host reports all five link to.
"""

from __future__ import annotations

import html
import json
from urllib.parse import parse_qs

from . import pages
from .flavours import (
    CROSS_HOST_TITLE, Builder, FlavourSite, Item, beijing_time, article_metas, column_items, encode,
    home_pages, item_body, plain_page,
)
from .report_body import report_body
from .seed_text import read_seed
from .site import Resource
from .synthetic import TEMPLATE_SEEDS, SyntheticReport, synthetic_body

PDF_TYPE = "application/pdf"


def _shown(title: str, limit: int = 18) -> str:
    """Anchor text cut short as list templates do; the title attribute keeps it whole."""
    return title if len(title) <= limit + 2 else title[:limit] + "..."


# ---- TRS WCM ---------------------------------------------------------------------------------

TRS_COLUMN = "/zwgk/zfxxgknb/"


def _trs_doc_path(item: Item, column: str) -> str:
    day = item.date.replace("-", "")
    return f"{column}{day[:6]}/t{day}_{item.docid}.html"


def build_trs(base_url: str, department_url: str, pdf: bytes) -> FlavourSite:
    """Column paged by createPageHTML (classic form), two year sub-columns (newer form)."""
    b = Builder(base_url, department_url, pdf)
    items = column_items(200000)
    groups = [  # (column path, items, items per page, call form)
        (TRS_COLUMN, items[:9], 3, "classic"),
        (TRS_COLUMN + "2024n/", items[9:13], 2, "newer"),
        (TRS_COLUMN + "2023n/", items[13:], 4, "newer"),
    ]
    for column, group, per_page, form in groups:
        count = -(-len(group) // per_page)
        for index in range(count):
            chunk = group[index * per_page:(index + 1) * per_page]
            name = "index.html" if index == 0 else f"index_{index}.html" if form == "classic" else f"index_{index + 1}.html"
            links = []
            for item in chunk:
                own = _trs_doc_path(item, column)
                url = b.item_url(item, own)
                href = "./" + own[len(column):] if url == own else url
                links.append(pages.Link(href, item.title, item.date))
                pdf_url = _trs_document(b, item, own) if url == own else None
                b.note(item, base_url + own if url == own else url, pdf_url)
            page = pages.listing_page(index, count, links)
            if form == "newer":
                page = page.replace(f'createPageHTML({count}, {index}, "index", "html");',
                                    f"createPageHTML('page_div', {count}, {index + 1}, 'index', 'html', {len(group)});")
            if column == TRS_COLUMN and index == 0:
                page = page.replace('<ul class="list">', '<div class="sub-columns"><a href="./2024n/">2024年</a> '
                                    '<a href="./2023n/index.html">2023年</a></div>\n<ul class="list">')
            b.add_page(column + name, page, "listing", title=pages.COLUMN_NAME)
    home_pages(b, [(TRS_COLUMN + "index.html", "政府信息公开年报")])
    b.robots()
    return b.site(TRS_COLUMN + "index.html")


def _trs_document(b: Builder, item: Item, path: str) -> str | None:
    pdf_url = None
    link = ""
    if item.kind == "pdf_only":
        name = f"P0{item.date.replace('-', '')}342787864103.pdf"
        pdf_path = path.rsplit("/", 1)[0] + "/" + name
        link = (f'<p class="insertfileTag"><a appendix="true" href="./{name}" title="{item.title}.pdf" '
                f'OLDSRC="/protect/P0202503/{name}">{item.title}.pdf</a></p>')
        b.add(pdf_path, b.pdf, PDF_TYPE, "attachment")
        pdf_url = b.base_url + pdf_path
    article = pages.Article(title=item.title, published=item.published, source="示范区人民政府办公室",
                            docid=item.docid, url=path, hits=item.docid % 997)
    b.add_page(path, pages.article_page(article, item_body(item, link), []), _kind(item),
               title=item.title, seed=item.seed, published=item.published)
    return pdf_url


def _kind(item: Item) -> str:
    return "non_report" if item.kind == "non_report" else "report"


# ---- Hanweb jcms -----------------------------------------------------------------------------

HANWEB_POST_COLUMN, HANWEB_GET_COLUMN = 12377, 12378
HANWEB_PER_PAGE, HANWEB_GROUP = 2, 2
HANWEB_POST_PROXY = "/module/web/jpage/dataproxy.jsp"
HANWEB_GET_PROXY = "/module/jslib/jquery/jpage/dataproxy.jsp"


def _record(href: str, item: Item) -> str:
    return (f'<record><![CDATA[\n<li class="clearfix">    <a target="_blank" href="{html.escape(href)}" '
            f'title="{html.escape(item.title)}">{html.escape(_shown(item.title))}</a>    <b>{item.date}</b></li>]]></record>')


def _datastore(records: list[str], nextgroup: str = "", total: tuple[int, int] | None = None) -> str:
    head = f"<totalrecord>{total[0]}</totalrecord><totalpage>{total[1]}</totalpage>" if total else ""
    return (f"<datastore>{head}<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n<recordset>\n"
            + "\n".join(records) + "\n</recordset>\n</datastore>")


def build_hanweb(base_url: str, department_url: str, pdf: bytes) -> FlavourSite:
    """Column 12377: inline batch + POST batches; column 12378: inline page + GET pages."""
    b = Builder(base_url, department_url, pdf)
    items = column_items(300000)
    columns = {HANWEB_POST_COLUMN: items[:12], HANWEB_GET_COLUMN: items[12:]}
    records: dict[int, list[str]] = {}
    for column, group in columns.items():
        records[column] = []
        for item in group:
            d = beijing_time(item.published)
            own = f"/art/{d.year}/{d.month}/{d.day}/art_{column}_{item.docid}.html"
            url = b.item_url(item, own)
            records[column].append(_record(own if url == own else url, item))
            b.note(item, base_url + own if url == own else url, _hanweb_document(b, item, own) if url == own else None)

    inline = HANWEB_PER_PAGE * HANWEB_GROUP
    post = records[HANWEB_POST_COLUMN]
    jpage = (f"$('#div{HANWEB_POST_COLUMN}').jpage({{totalRecord:{len(post)}, perPage:{HANWEB_PER_PAGE}, "
             f"groupSize:{HANWEB_GROUP}, proxyUrl:'{HANWEB_POST_PROXY}', dataStore:'{HANWEB_POST_COLUMN}', "
             f"ajaxParam:{{col:1, appid:'1', webid:'110', path:'/', columnid:{HANWEB_POST_COLUMN}, "
             f"sourceContentType:'1', unitid:'38486', webname:'示范区人民政府', permissiontype:0}}}});")
    b.add_page(f"/col/col{HANWEB_POST_COLUMN}/index.html", _hanweb_column(
        "政府信息公开年报", _datastore(post[:inline]), jpage), "listing", title="政府信息公开年报")

    get = records[HANWEB_GET_COLUMN]
    pages_total = -(-len(get) // HANWEB_PER_PAGE)
    nextgroup = (f'<a href="{HANWEB_GET_PROXY}?page=2&appid=1&webid=110&path=/&columnid={HANWEB_GET_COLUMN}'
                 f'&unitid=38486&permissiontype=0"></a>')
    b.add_page(f"/col/col{HANWEB_GET_COLUMN}/index.html", _hanweb_column(
        "年度报告", _datastore(get[:HANWEB_PER_PAGE], nextgroup, (len(get), pages_total)), ""),
        "listing", title="年度报告")

    def respond(method, path, query, form, headers):
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path == HANWEB_POST_PROXY and method == "POST":
            fields = {k: v[0] for k, v in parse_qs(form.decode("utf-8", "replace")).items()}
            chosen = []      # a request without the ajaxParam fields or the Referer gets nothing
            if fields.get("columnid") == str(HANWEB_POST_COLUMN) and "Referer" in headers:
                start, end = int(params.get("startrecord", 1)), int(params.get("endrecord", 0))
                chosen = post[start - 1:end]
            return _xml(_datastore(chosen, total=(len(post), -(-len(post) // HANWEB_PER_PAGE))))
        if path == HANWEB_GET_PROXY and method in ("GET", "HEAD") and params.get("columnid") == str(HANWEB_GET_COLUMN):
            page = int(params.get("page", "1"))
            chunk = get[(page - 1) * HANWEB_PER_PAGE:page * HANWEB_PER_PAGE]
            following = nextgroup.replace("page=2", f"page={page + 1}") if page < pages_total else ""
            return _xml(_datastore(chunk, following, (len(get), pages_total)))
        return None

    home_pages(b, [(f"/col/col{HANWEB_POST_COLUMN}/index.html", "政府信息公开年报"),
                   (f"/col/col{HANWEB_GET_COLUMN}/index.html", "信息公开年报（部门）")])
    b.robots()
    return b.site(f"/col/col{HANWEB_POST_COLUMN}/index.html", respond,
                  start_paths=[f"/col/col{HANWEB_POST_COLUMN}/index.html", f"/col/col{HANWEB_GET_COLUMN}/index.html"])


def _xml(text: str) -> Resource:
    body = ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode("utf-8")
    return Resource(body, "text/xml; charset=UTF-8", "Thu, 20 Mar 2025 02:00:00 GMT", "listing")


def _hanweb_column(name: str, datastore: str, jpage: str) -> str:
    script = f"<script>{jpage}</script>" if jpage else ""
    body = (f'<div class="bt-position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/index.html">政府信息公开</a>'
            f' &gt; {name}</div>\n<div id="div{HANWEB_POST_COLUMN}"><script type="text/xml">{datastore}</script></div>'
            f'\n<script language="javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>{script}')
    return plain_page(name, body, metas={"SiteName": "示范区人民政府", "ColumnName": name})


def _hanweb_document(b: Builder, item: Item, path: str) -> str | None:
    pdf_url, link = None, ""
    if item.kind == "pdf_only":
        target = "/module/download/downfile.jsp?classid=0&filename=0f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c.pdf"
        link = f'<p><a href="{html.escape(target)}" target="_blank">{item.title}.pdf</a></p>'
        b.add(target, b.pdf, "application/octet-stream", "attachment")
        pdf_url = b.base_url + target
    body = (f'<h1 class="title">{html.escape(item.title)}</h1>\n<div class="info">发布日期：{item.published} '
            f"信息来源：<!--<$[信息来源]>begin-->示范区人民政府办公室<!--<$[信息来源]>end--></div>\n"
            f'<div id="zoom"><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><meta name="ContentStart">'
            f'{item_body(item, link)}<meta name="ContentEnd"><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end--></div>')
    b.add_page(path, plain_page(item.title, body, metas=article_metas(item)), _kind(item),
               title=item.title, seed=item.seed, published=item.published)
    return pdf_url


# ---- gkmlpt ----------------------------------------------------------------------------------

GKMLPT_SID, GKMLPT_CATEGORY, GKMLPT_PER_PAGE = "755031", 2580, 6
# A second report category of the same shell: the departments' reports, crawled from
# /gkmlpt/index#2581 beside /gkmlpt/index#2580 (one shell page, fetched once).
GKMLPT_DEPARTMENT_CATEGORY = 2581
GKMLPT_DEPARTMENTS = ("教育局", "民政局", "卫生健康局", "交通运输局")
# What else departments file there, each named so a reader sees it is no report.
GKMLPT_DEPARTMENT_OTHERS = ("{agency}2024年部门决算公开", "{agency}2025年政务公开工作要点",
                            "{agency}2024年法治政府建设年度报告")


def _script_json(value) -> str:
    """JSON as gkmlpt inlines it: markup escaped as \\u003C…, safe inside <script>."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003C").replace(">", "\\u003E")


def build_gkmlpt(base_url: str, department_url: str, pdf: bytes) -> FlavourSite:
    """Category 2580 (政府信息公开年报: the seeds, three API pages) and category 2581
    (部门信息公开年报: synthetic department reports, two API pages) of one shell page."""
    b = Builder(base_url, department_url, pdf)
    items = column_items(400000)
    articles = {GKMLPT_CATEGORY: [], GKMLPT_DEPARTMENT_CATEGORY: _gkmlpt_department_articles(b)}
    for item in items:
        own = f"/gkmlpt/content/2/{GKMLPT_CATEGORY}/post_{item.docid}.html"
        url = b.item_url(item, own)
        absolute = base_url + own if url == own else url
        attachment = _gkmlpt_document(b, item, own) if url == own else []
        b.note(item, absolute, base_url + attachment[0]["url"] if attachment else None)
        articles[GKMLPT_CATEGORY].append(_gkmlpt_article(item.docid, item.title, absolute, item.published,
                                                         attachment))
    tree = [{"id": 2578, "name": "政策文件"}, {"id": GKMLPT_CATEGORY, "name": "政府信息公开年报"},
            {"id": GKMLPT_DEPARTMENT_CATEGORY, "name": "部门信息公开年报"}, {"id": 2582, "name": "统计信息"}]
    tree_js = ",".join(f"{{id:{n['id']},name:'{n['name']}',children:[]}}" for n in tree)
    shell = plain_page("政府信息公开目录", '<div id="app"></div>',
                       head_extra=f"<script>window._CONFIG = {{SID:'{GKMLPT_SID}', TREE:[{tree_js}]}};</script>\n"
                                  '<script src="/gkmlpt/static/js/app.js"></script>\n')
    b.add_page("/gkmlpt/index", shell, "listing", title="政府信息公开目录")

    def respond(method, path, query, form, headers):
        if method not in ("GET", "HEAD") or not path.startswith("/gkmlpt/api/all/"):
            return None
        params = {k: v[0] for k, v in parse_qs(query).items()}
        category = path.rsplit("/", 1)[-1]
        listed = articles.get(int(category)) if category.isdigit() and params.get("sid") == GKMLPT_SID else None
        page = int(params.get("page", "1")) if params.get("page", "1").isdigit() else 1
        chunk = (listed or [])[(page - 1) * GKMLPT_PER_PAGE:page * GKMLPT_PER_PAGE]
        answer = {"articles": chunk, "total": len(listed or ()), "page": page}
        return Resource(json.dumps(answer, ensure_ascii=False).encode("utf-8"), "application/json;charset=UTF-8",
                        "Thu, 20 Mar 2025 02:00:00 GMT", "listing")

    home_pages(b, [("/gkmlpt/index", "政府信息公开年报")])
    b.robots()
    starts = [f"/gkmlpt/index#{category}" for category in articles]
    return b.site("/gkmlpt/index", respond, start_paths=starts,
                  api_pages={category: -(-len(listed) // GKMLPT_PER_PAGE) for category, listed in articles.items()})


def _gkmlpt_article(docid: int, title: str, url: str, published: str, attachment: list) -> dict:
    """An item of the list API, as gkmlpt answers it."""
    return {"id": docid, "title": title, "url": url, "publisher": "示范区人民政府办公室",
            "display_publish_time": int(beijing_time(published).timestamp()), "attachment": attachment}


def _gkmlpt_department_articles(b: Builder) -> list[dict]:
    """Category 2581: a synthetic 2024 report per department (``portal.synthetic``: a seed's
    tables scaled, so what the parser must read back is known), and the departments'
    other documents, interleaved, newest first."""
    documents = []
    for n, department in enumerate(GKMLPT_DEPARTMENTS):
        report = SyntheticReport("示范区" + department, 2024, TEMPLATE_SEEDS[n % 2], factor=51 + n)
        documents.append((report.title, "report", synthetic_body(report), report.agency))
        if n < len(GKMLPT_DEPARTMENT_OTHERS):
            title = GKMLPT_DEPARTMENT_OTHERS[n].format(agency=report.agency)
            body = "".join(f"<p>{p}</p>" for p in (title, "现将有关情况公开如下。", "特此公告。"))
            documents.append((title, "non_report", body, report.agency))
    articles = []
    for n, (title, kind, body, agency) in enumerate(documents):
        docid, published = 410001 + n, f"2025-02-{20 - n:02d} 09:30"
        path = f"/gkmlpt/content/2/{GKMLPT_DEPARTMENT_CATEGORY}/post_{docid}.html"
        detail = {"id": docid, "title": title, "publisher": agency,
                  "display_publish_time": int(beijing_time(published).timestamp()), "content": body, "attachment": []}
        config = f"<script>window._CONFIG = {{SID:'{GKMLPT_SID}', DETAIL:{_script_json(detail)}}};</script>\n"
        metas = {"ArticleTitle": title, "PubDate": published, "ContentSource": agency,
                 "ColumnName": "部门信息公开年报"}
        page = plain_page(title + "_政府信息公开目录", '<div id="app"></div>', metas=metas, head_extra=config)
        b.add_page(path, page, kind, title=title, published=published)
        if kind == "report":
            b.reports.append(b.base_url + path)
        else:
            b.skipped[b.base_url + path] = title
        articles.append(_gkmlpt_article(docid, title, b.base_url + path, published, []))
    return articles


def _gkmlpt_document(b: Builder, item: Item, path: str) -> list[dict]:
    attachment = []
    if item.kind == "pdf_only":
        pdf_path = f"/attachment/0/512/512{item.docid % 1000:03d}/{item.docid}.pdf"
        b.add(pdf_path, b.pdf, PDF_TYPE, "attachment")
        attachment = [{"name": item.title + ".pdf", "url": pdf_path, "size": len(b.pdf)}]
    detail = {"id": item.docid, "title": item.title, "publisher": "示范区人民政府办公室",
              "display_publish_time": int(beijing_time(item.published).timestamp()),
              "content": item_body(item), "attachment": attachment}
    config = f"<script>window._CONFIG = {{SID:'{GKMLPT_SID}', DETAIL:{_script_json(detail)}}};</script>\n"
    page = plain_page(item.title + "_政府信息公开目录", '<div id="app"></div>',
                      metas=article_metas(item), head_extra=config)
    b.add_page(path, page, _kind(item), title=item.title, seed=item.seed, published=item.published)
    return attachment


# ---- generic (UTF-8, JS page count) and legacy (GB2312, list.asp?page=N) -----------------------

GENERIC_COLUMN = "/xxgk/ndbg/"


def build_generic(base_url: str, department_url: str, pdf: bytes) -> FlavourSite:
    """Table-row items, pages index.html, index_1.html … named only by ``var countPage``."""
    b = Builder(base_url, department_url, pdf)
    items = column_items(500000)
    per_page = 6
    count = -(-len(items) // per_page)
    for index in range(count):
        rows = []
        for item in items[index * per_page:(index + 1) * per_page]:
            own = f"{GENERIC_COLUMN}content_{item.docid}.html"
            url = b.item_url(item, own)
            pdf_url = _simple_document(b, item, own, "pages_content", f"/uploadfiles/2025/03/{item.docid}.pdf") \
                if url == own else None
            b.note(item, base_url + own if url == own else url, pdf_url)
            rows.append(f'<tr><td class="title"><a href="{html.escape(url)}" target="_blank">{html.escape(item.title)}</a>'
                        f'</td><td class="date">{item.date}</td></tr><tr class="spacer"><td colspan="2"></td></tr>')
        pager = (f"<script>var countPage = {count};var currentPage = {index};"
                 "function goPage(n){location.href = n == 0 ? 'index.html' : 'index_' + n + '.html';}"
                 "document.write('<span>共' + countPage + '页</span>');</script>")
        body = (f'<div class="position">当前位置：<a href="/">首页</a> » 信息公开 » 年度报告</div>\n'
                f'<table class="list">{"".join(rows)}</table>\n<div class="pager">{pager}</div>')
        name = "index.html" if index == 0 else f"index_{index}.html"
        b.add_page(GENERIC_COLUMN + name, plain_page("年度报告", body), "listing", title="年度报告")
    home_pages(b, [(GENERIC_COLUMN + "index.html", "政府信息公开工作年度报告")], "/xxgk/index.html")
    b.robots()
    return b.site(GENERIC_COLUMN + "index.html")


def build_legacy(base_url: str, department_url: str, pdf: bytes) -> FlavourSite:
    """An old ASP site in GB2312 (GB18030 bytes, no header charset): list.asp?classid=12&page=N."""
    b = Builder(base_url, department_url, pdf)
    items = column_items(600000)
    per_page = 6
    count = -(-len(items) // per_page)
    for page in range(1, count + 1):
        lis = []
        for item in items[(page - 1) * per_page:page * per_page]:
            own = f"/show.asp?id={item.docid}"
            url = b.item_url(item, own)
            pdf_url = _simple_document(b, item, own, "ivs_content", f"/upload/2025/{item.docid}.pdf",
                                       charset="gb2312") if url == own else None
            b.note(item, base_url + own if url == own else url, pdf_url)
            href = "show.asp?id=%d" % item.docid if url == own else url
            lis.append(f'<li>·<a href="{html.escape(href)}" title="{html.escape(item.title)}">'
                       f"{html.escape(_shown(item.title, 14))}</a> ({item.date})</li>")
        link = lambda n: f"list.asp?classid=12&amp;page={n}"  # noqa: E731
        nav = (f'<a href="{link(1)}">首页</a> <a href="{link(page - 1)}">上一页</a> ' if page > 1 else "首页 上一页 ")
        nav += (f'<a href="{link(page + 1)}">下一页</a> <a href="{link(count)}">尾页</a>' if page < count else "下一页 尾页")
        body = f'<ul class="list">{"".join(lis)}</ul>\n<div class="pages">共{count}页 {nav}</div>'
        b.add_page(f"/list.asp?classid=12&page={page}", plain_page("信息公开年报", body, charset="gb2312"),
                   "listing", charset="gb2312", title="信息公开年报")
    home_pages(b, [("/list.asp?classid=12&page=1", "信息公开年报")], "/gk.asp")
    b.robots()
    return b.site("/list.asp?classid=12&page=1")


def _simple_document(b: Builder, item: Item, path: str, container: str, pdf_path: str,
                     charset: str = "utf-8") -> str | None:
    pdf_url, link = None, ""
    if item.kind == "pdf_only":
        link = f'<p>附件：<a href="{pdf_path}">{html.escape(item.title)}.pdf</a></p>'
        b.add(pdf_path, b.pdf, PDF_TYPE, "attachment")
        pdf_url = b.base_url + pdf_path
    attr = "id" if container == "ivs_content" else "class"
    body = (f'<h1>{html.escape(item.title)}</h1><div class="info">发布时间：{item.published}　来源：示范区人民政府办公室</div>\n'
            f'<div {attr}="{container}">{item_body(item, link)}</div>')
    b.add_page(path, plain_page(item.title, body, charset=charset, metas=article_metas(item)), _kind(item),
               charset=charset, title=item.title, seed=item.seed, published=item.published)
    return pdf_url


# ---- the department host: other host of the same body ----------------------------------------

DEPARTMENT_SEED = "002_47717d3cd7e0ea5b"


def department_site(base_url: str, urls: list[str]) -> FlavourSite:
    """The cross-host reports the flavour sites link to (``urls`` on this host), TRS-style."""
    resources = {}
    seed = read_seed(DEPARTMENT_SEED)
    for docid, url in enumerate(urls, start=700001):
        path = url[len(base_url):]
        article = pages.Article(title=CROSS_HOST_TITLE, published="2025-03-01 09:00", source="示范区财政局",
                                docid=docid, url=path, hits=docid % 991)
        body, ctype = encode(pages.article_page(article, report_body(seed), []))
        resources[path] = Resource(body, ctype, "Sat, 01 Mar 2025 01:00:00 GMT", "report", CROSS_HOST_TITLE,
                                   DEPARTMENT_SEED)
    resources["/robots.txt"] = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8",
                                        "Sat, 01 Mar 2025 01:00:00 GMT", "robots")
    return FlavourSite(resources, "/robots.txt")


BUILDERS = {"trs": build_trs, "hanweb": build_hanweb, "gkmlpt": build_gkmlpt,
            "generic": build_generic, "legacy": build_legacy}
