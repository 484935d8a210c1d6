"""Page chrome of the imitation TRS WCM site: home, section, listing, article and 404 pages.

Everything around a report's body lives here: meta tags, navigation, breadcrumbs, the 发布时间 line,
字号/分享到/打印 widgets, related articles and the footer, so parsers are tested on pages that
carry the noise real pages carry. Listing pages reach each other only through the inline
`createPageHTML(...)` call, never through an `<a>`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

SITE_NAME = "政务公开示范网"
SITE_DOMAIN = "portal.nianbao.test"
SITE_ID_CODE = "0000000000"
COLUMN_NAME = "政府信息公开年报"
DEFAULT_NAV = ("政府信息公开指南", "政府信息公开制度", "法定主动公开内容", COLUMN_NAME, "依申请公开")

ROBOTS_TXT = "User-agent: *\nDisallow: /search/\n"


def attr(text: str) -> str:
    return html.escape(text, quote=True).replace("\u00a0", "&nbsp;")


def text(value: str) -> str:
    return html.escape(value, quote=False).replace("\u00a0", "&nbsp;")


@dataclass(frozen=True)
class Link:
    href: str          # relative to the page it appears on
    title: str
    date: str          # YYYY-MM-DD


def _head(title: str, charset: str, metas: dict[str, str] | None = None) -> str:
    meta_tags = "".join(f'<meta name="{k}" content="{attr(v)}" />\n' for k, v in (metas or {}).items())
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />\n'
        f"<title>{text(title)}</title>\n{meta_tags}"
        '<link href="/images/style.css" type="text/css" rel="stylesheet" />\n'
        "</head>\n<body>\n"
    )


def _nav_item(name: str, prefix: str, in_column: bool) -> str:
    if name != COLUMN_NAME:
        return f'<li><a href="javascript:void(0);" title="{attr(name)}">{text(name)}</a></li>'
    if in_column:       # a listing page marks its own column instead of linking another listing page
        return f'<li class="on"><span>{text(name)}</span></li>'
    return f'<li><a href="{prefix}zwgk/zfxxgknb/" title="{attr(name)}">{text(name)}</a></li>'


def _header(prefix: str, nav: tuple[str, ...] | list[str] = (), *, in_column: bool = False) -> str:
    items = "".join(_nav_item(n, prefix, in_column) for n in nav)
    return (
        '<div class="header"><div class="top-bar">'
        '<a href="javascript:void(0);" onclick="SetHome(this);">设为首页</a> | '
        '<a href="javascript:void(0);" onclick="AddFavorite();">加入收藏</a> | '
        '<a href="javascript:void(0);" id="StranLink">繁體</a></div>\n'
        f'<div class="logo"><a href="{prefix}">{text(SITE_NAME)}</a></div>\n'
        '<form name="SearchForm" method="get" action="/search/" target="_blank">'
        '<input type="text" name="searchword" value="" /><input type="submit" value="搜索" /></form>\n'
        f'<ul class="nav"><li><a href="{prefix}">首页</a></li><li><a href="{prefix}zwgk/">政务公开</a></li></ul>\n'
        f'<ul class="left-nav">{items}</ul>\n</div>\n'
    )


def _footer() -> str:
    return (
        '<div class="footer">\n<p>主办：政务公开示范网编辑部　承办：示范市大数据中心</p>\n'
        f"<p>网站标识码：{SITE_ID_CODE}　示ICP备00000000号-1　"
        '<a href="javascript:void(0);">示公网安备 00000000000000号</a></p>\n'
        '<p>建议使用1024×768分辨率浏览　<a href="javascript:void(0);">网站地图</a>　'
        '<a href="javascript:void(0);">联系我们</a></p>\n</div>\n'
        '<script type="text/javascript" src="/images/count.js"></script>\n</body>\n</html>\n'
    )


def home_page(column_href: str) -> str:
    return (
        _head(SITE_NAME, "utf-8") + _header("./", DEFAULT_NAV)
        + f'<div class="main"><h3>政务公开</h3><ul><li><a href="{column_href}">{COLUMN_NAME}</a></li>'
        '<li><a href="javascript:void(0);">政策文件</a></li><li><a href="javascript:void(0);">'
        "重点领域信息公开</a></li></ul></div>\n" + _footer()
    )


def section_page(column_href: str) -> str:
    return (
        _head("政务公开_" + SITE_NAME, "utf-8") + _header("../", DEFAULT_NAV)
        + '<div class="crumbs">当前位置：<a href="../" class="CurrChnlCls">首页</a>&nbsp;&gt;&nbsp;政务公开</div>\n'
        + f'<div class="main"><ul><li><a href="{column_href}">{COLUMN_NAME}</a></li></ul></div>\n'
        + _footer()
    )


# The WCM pager. Its body differs per site; only the call is stable. File names are built at run
# time from the call's arguments, so the HTML itself names no other listing page.
_PAGER_FUNCTION = r"""<script>
<!--
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt)
{
//WCM翻页函数
var styleDIY = "fystyle";
if(_nPageCount == null || _nPageCount<=1){
return;
}
var nPrev = _nCurrIndex - 1;
var nNext = _nCurrIndex + 1;
function pageFile(n){ return n == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + n + "." + _sPageExt; }
if(_nCurrIndex == 0)
	document.write("<font class=\"" + styleDIY + "\">首页</font>&nbsp;<font class=\"" + styleDIY + "\">上一页</font>&nbsp;");
else
	document.write("<a class=\"" + styleDIY + "\" href=\"" + pageFile(0) + "\">首页</a>&nbsp;<a class=\"" + styleDIY + "\" href=\"" + pageFile(nPrev) + "\">上一页</a>&nbsp;");
if(nNext >= _nPageCount)
	document.write("<font class=\"" + styleDIY + "\">下一页</font>&nbsp;<font class=\"" + styleDIY + "\">尾页</font>");
else
	document.write("<a class=\"" + styleDIY + "\" href=\"" + pageFile(nNext) + "\">下一页</a>&nbsp;<a class=\"" + styleDIY + "\" href=\"" + pageFile(_nPageCount - 1) + "\">尾页</a>");
document.write("　<font class=\"" + styleDIY + "\">总共" + _nPageCount + "页</font>　");
document.write("<font class=\"" + styleDIY + "\">当前第" + (_nCurrIndex+1) + "页</font>");
} //WCM置标
-->
</script>"""


def listing_page(page_index: int, page_count: int, items: list[Link], *, max_title: int = 20) -> str:
    lis = []
    for item in items:
        shown = item.title if len(item.title) <= max_title + 2 else item.title[:max_title] + "..."
        lis.append(
            f'<li><a href="{attr(item.href)}" title="{attr(item.title)}" target="_blank">'
            f"{text(shown)}</a><span>{item.date}</span></li>"
        )
    return (
        _head(COLUMN_NAME + "_" + SITE_NAME, "utf-8", {
            "SiteName": SITE_NAME, "SiteDomain": SITE_DOMAIN, "SiteIDCode": SITE_ID_CODE,
            "ColumnName": COLUMN_NAME, "ColumnType": COLUMN_NAME,
        })
        + _header("../../", DEFAULT_NAV, in_column=True)
        + '<div class="crumbs">当前位置：<a href="../../" class="CurrChnlCls">首页</a>&nbsp;&gt;&nbsp;'
        f'<a href="../" class="CurrChnlCls">政务公开</a>&nbsp;&gt;&nbsp;<span>{COLUMN_NAME}</span></div>\n'
        f'<div class="list-box"><div class="list-title">{COLUMN_NAME}</div>\n'
        f'<ul class="list">\n' + "\n".join(lis) + "\n</ul>\n"
        f'<div class="page">{_PAGER_FUNCTION}\n'
        f'<script>createPageHTML({page_count}, {page_index}, "index", "html");</script></div>\n'
        "</div>\n" + _footer()
    )


@dataclass(frozen=True)
class Article:
    title: str
    published: str               # YYYY-MM-DD HH:MM[:SS]
    source: str
    docid: int
    url: str                     # absolute path on the site
    hits: int
    nav: tuple[str, ...] = DEFAULT_NAV


def article_page(article: Article, body_html: str, related: list[Link], *, charset: str = "utf-8") -> str:
    day, _, clock = article.published.partition(" ")
    shown_time = f"{day} {clock[:5]}".strip()
    related_items = "".join(
        f'<li><a href="{attr(r.href)}" title="{attr(r.title)}" target="_blank">{text(r.title)}</a>'
        f"<span>{r.date}</span></li>" for r in related
    )
    return (
        _head(article.title + "_" + SITE_NAME, charset, {
            "SiteName": SITE_NAME, "SiteDomain": SITE_DOMAIN, "SiteIDCode": SITE_ID_CODE,
            "ColumnName": COLUMN_NAME, "ColumnType": COLUMN_NAME,
            "ArticleTitle": article.title, "PubDate": article.published,
            "ContentSource": article.source, "Keywords": "", "Author": "",
            "Url": f"http://{SITE_DOMAIN}{article.url}",
            "contentid": str(article.docid), "publishdate": day,
        })
        + _header("../../../", article.nav)
        + '<div class="crumbs">当前位置：<a href="../../../" class="CurrChnlCls">首页</a>&nbsp;&gt;&nbsp;'
        '<a href="../../" class="CurrChnlCls">政务公开</a>&nbsp;&gt;&nbsp;'
        f'<a href="../" class="CurrChnlCls">{COLUMN_NAME}</a></div>\n'
        '<div class="article">\n'
        f'<h2 class="article-title">{text(article.title)}</h2>\n'
        f'<div class="article-info">发布时间：{shown_time}&nbsp;&nbsp;来源：{text(article.source)}'
        f'&nbsp;&nbsp;点击率：<span id="hiscount">{article.hits}</span>'
        '&nbsp;&nbsp;<span class="font-size">字号：<a href="javascript:doZoom(16);">[大]</a> '
        '<a href="javascript:doZoom(14);">[中]</a> <a href="javascript:doZoom(12);">[小]</a></span>'
        '&nbsp;&nbsp;<span class="share">分享到：<a class="bshare-weixin" title="分享到微信"></a>'
        '<a class="bshare-sinaminiblog" title="分享到新浪微博"></a></span></div>\n'
        f'<div class="article-content"><div class="TRS_Editor">{body_html}</div></div>\n'
        '<div class="article-tools"><a href="javascript:window.print();">【打印本页】</a>'
        '<a href="javascript:window.close();">【关闭窗口】</a>'
        '<a href="javascript:scroll(0,0);">【返回顶部】</a></div>\n'
        f'<div class="related"><h4>相关文章</h4><ul>{related_items}</ul></div>\n'
        "</div>\n" + _footer()
    )


def not_found_page(path: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>404 Not Found</title></head>'
        f"<body><h1>404</h1><p>您访问的页面不存在：{text(path)}</p></body></html>\n"
    )
