"""Four portal templates around a report body, modelled on the pages in shared/corpus/.

- ``trs``: TRS WCM detail page (the pingtan page, the mee.gov.cn excerpt): meta tags, header
  with a mega-menu, breadcrumbs, 信息公开 index table, ``div.TRS_Editor``, 【打印本页】【关闭窗口】,
  related reports, footer with ICP备.
- ``hanweb``: 大汉 jcms article in a table layout: ``div#zoom`` between ``<!--<$[信息内容]>begin-->``
  and ``<!--ZJEG_RSS.content.begin-->`` markers, 信息来源 markers, link-list side tables.
- ``govcn``: gov.cn style: big inline ``<style>`` and ``<script>``, long navigation lists,
  ``div.pages_content#UCAP-CONTENT``.
- ``word``: a small CMS page whose body is Word's HTML pasted whole (conditional comments,
  Word's ``<style>``, ``div.WordSection1``) in a container no selector knows.

``page_style`` draws every choice for a page; ``render`` then uses no randomness, so the page
can be re-rendered with more chrome (``filler`` blocks) or less narrative to fit a size.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import chrome_bits as cb
import page_bodies as pb
from format_grids import Grid
from report_content import ReportContent
from table_markup import text

TEMPLATES = ("trs", "hanweb", "govcn", "word")
_GB2312_SHARE = {"trs": 0.1, "hanweb": 0.4, "govcn": 0.0, "word": 0.2}
_FILLER_BLOCKS = 160


@dataclass
class PageStyle:
    template: str
    charset: str                   # "utf-8" or "gb2312"
    body: pb.BodyStyle
    site: str
    domain: str
    code: str
    hits: int
    related: list[cb.Link]
    news: list[cb.Link]
    footer: list[str]
    filler: list[str] = field(default_factory=list)      # chrome blocks, used as the size needs
    options: dict = field(default_factory=dict)


def page_style(rng: random.Random, template: str, report: ReportContent) -> PageStyle:
    site, domain, code = cb.site_name(rng, report.place)
    style = PageStyle(
        template=template, charset="gb2312" if rng.random() < _GB2312_SHARE[template] else "utf-8",
        body=_body_style(rng, template), site=site, domain=domain, code=code, hits=rng.randint(50, 9000),
        related=cb.related_reports(rng, report.year, rng.randint(3, 10)),
        news=cb.news_links(rng, report.year, rng.randint(4, 12)), footer=cb.footer_lines(rng, site, code),
    )
    style.filler = [_FILLERS[template](rng, report.year, i) for i in range(_FILLER_BLOCKS)]
    style.options = {
        "split_title": rng.random() < 0.3, "attachment": rng.random() < 0.3,
        "container": rng.choice(("con_text", "article-body", "detail_content", "wz_content")),
        "editor": rng.choice(("张敏", "王丽", "李强", "陈静", "刘洋")),
        "pdf": f"P0{report.year + 1}0{rng.randint(1, 3)}{rng.randint(10**11, 10**12 - 1)}.pdf",
    }
    return style


def _body_style(rng: random.Random, template: str) -> pb.BodyStyle:
    if template == "trs":
        return pb.trs_body_style(mso=rng.random() < 0.5, lean=rng.random() < 0.5)
    if template == "hanweb":
        return pb.hanweb_body_style(rng.choice(("full", "lean", "bare")))
    if template == "govcn":
        return pb.govcn_body_style(trs_tables=rng.random() < 0.3)
    return pb.word_body_style(lean=rng.random() < 0.6)


def render(report: ReportContent, grids: dict[str, Grid], style: PageStyle, *, filler: int, narrative: int) -> str:
    return _RENDERERS[style.template](report, grids, style, style.filler[:filler], narrative)


def _charset_meta(style: PageStyle) -> str:
    return f'<meta http-equiv="Content-Type" content="text/html; charset={style.charset}" />'


def _metas(report: ReportContent, style: PageStyle) -> str:
    day = report.published[:10].replace("-", "")
    pairs = {"SiteName": style.site, "SiteDomain": style.domain, "SiteIDCode": style.code,
             "ColumnName": "政府信息公开年报", "ArticleTitle": report.title, "PubDate": report.published[:16],
             "ContentSource": report.agency, "Keywords": "", "Author": "",
             "Url": f"http://{style.domain}/zwgk/zfxxgknb/{day[:6]}/t{day}_{report.docid}.html"}
    return "\n".join(f'<meta name="{k}" content="{text(v)}" />' for k, v in pairs.items())


def _menu() -> str:
    return "".join(f'<li><a href="/{i}/">{m}</a></li>' for i, m in enumerate(cb.MENU))


def _links(links: list[cb.Link], *, dates: bool = True) -> str:
    return "\n".join(f'<li><a href="{link.href}" target="_blank" title="{text(link.title)}">{text(link.title)}</a>'
                     + (f"<span>{link.date}</span>" if dates and link.date else "") + "</li>" for link in links)


# ---- TRS WCM ----------------------------------------------------------------------------

def _trs_filler(rng: random.Random, year: int, i: int) -> str:
    links = cb.column_links(rng, rng.randint(8, 14), "https://www.example.gov.cn/zwgk/")
    items = "".join(f'\n                 \n                    <a href="{link.href}" target="_blank" '
                    f'title="{text(link.title)}">{text(link.title)}</a>' for link in links)
    return f'\t<div class="row">\n\t\t<div class="submenu_{i % 7}">{items}\n\t\t</div>\n\t</div>\n'


def _trs(report, grids, style, filler, narrative) -> str:
    day = report.published[:10]
    attachment = ""
    if style.options["attachment"]:
        pdf = style.options["pdf"]
        attachment = (f'<p class="insertfileTag"><a appendix="true" href="./{pdf}" title="{text(report.title)}.pdf" '
                      f'OLDSRC="/protect/{pdf[:7]}/{pdf}">{text(report.title)}.pdf</a></p>')
    body = pb.render_body(report, grids, style.body, narrative)
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n" + _charset_meta(style) + "\n" + _metas(report, style) + "\n"
        f"<title>{text(report.title)}_政府信息公开年报_{text(style.site)}</title>\n"
        + "".join(f'<link rel="stylesheet" type="text/css" href="/images/{n}.css" />\n'
                  for n in ("trt_ui_v2", "trt_component_v2", "header", "footer", "info_public_style"))
        + "</head>\n<body>\n<div class=\"header\">\n<div class=\"header_link\">"
        '<a href="https://www.gov.cn/" target="_blank">国务院</a><a href="javascript:;">省政府</a>'
        '<a href="javascript:;" id="StranLink">繁体</a><a href="javascript:;">无障碍</a></div>\n'
        f'<div class="logo"><a href="/">{text(style.site)}</a></div>\n'
        '<form method="get" action="/search/" target="_blank"><input type="text" name="searchword" '
        'placeholder="请输入搜索内容" /><button>搜索</button></form>\n'
        '<ul class="menu" role="navigation">' + _menu()
        + "</ul>\n<div class=\"submenu menu_bd\">\n" + "".join(filler) + "</div>\n</div>\n"
        '<div class="crumbs">当前位置：<a href="../../../" class="CurrChnlCls">首页</a>&nbsp;&gt;&nbsp;'
        '<a href="../../" class="CurrChnlCls">政务公开</a>&nbsp;&gt;&nbsp;'
        '<a href="../" class="CurrChnlCls">政府信息公开年报</a></div>\n'
        '<div class="xxgk_info"><table class="xxgk_table"><tbody>'
        f'<tr><td>索引号：</td><td>{style.code}/{report.year + 1}-{report.docid % 100000:05d}</td>'
        f'<td>发布机构：</td><td>{text(report.agency)}</td></tr>'
        f'<tr><td>生成日期：</td><td>{day}</td><td>体裁分类：</td><td>政府信息公开年报</td></tr>'
        '<tr><td>文号：</td><td></td><td>主题分类：</td><td>综合政务</td></tr></tbody></table></div>\n'
        f'<div class="article">\n<h1 class="article-title">{text(report.title)}</h1>\n'
        f'<div class="article-info">发布时间：{report.published[:16]}&nbsp;&nbsp;来源：{text(report.agency)}'
        f'&nbsp;&nbsp;点击率：<span id="hiscount">{style.hits}</span>&nbsp;&nbsp;<span class="font-size">字号：'
        '<a href="javascript:doZoom(16);">[大]</a> <a href="javascript:doZoom(14);">[中]</a> '
        '<a href="javascript:doZoom(12);">[小]</a></span>&nbsp;&nbsp;<span class="share">分享到：'
        '<a class="bshare-weixin" title="分享到微信"></a><a class="bshare-sinaminiblog" title="分享到新浪微博"></a></span></div>\n'
        '<div class="article_content article_content_01"><div class="TRS_Editor"><style type="text/css">'
        + "".join(f".TRS_Editor {t}{{margin-top:0px;margin-bottom:0px;line-height:2;font-family:宋体;font-size:12pt;}}"
                  for t in ("P", "DIV", "TD", "TH", "SPAN", "FONT", "UL", "LI", "A"))
        + "</style>" + body + "</div></div>\n" + attachment
        + '\n<div class="article-tools"><a href="javascript:window.print();">【打印本页】</a>'
        '<a href="javascript:window.close();">【关闭窗口】</a><a href="javascript:scroll(0,0);">【返回顶部】</a></div>\n'
        f'<div class="related"><h4>相关文章</h4><ul>{_links(style.related)}</ul></div>\n</div>\n'
        '<div class="footer">\n' + "\n".join(f"<p>{text(line)}</p>" for line in style.footer) + "\n</div>\n"
        f'<script type="text/javascript">var docid = "{report.docid}"; '
        '$.ajax({url:"/wcm-like/query.jsp?docid="+docid});</script>\n'
        "</body>\n</html>\n"
    )


# ---- Hanweb ------------------------------------------------------------------------------

def _hanweb_filler(rng: random.Random, year: int, i: int) -> str:
    links = cb.news_links(rng, year, rng.randint(5, 9)) if i % 2 else cb.column_links(rng, rng.randint(6, 10), "/col/")
    rows = "".join(f'<TR>\r\n<TD height=24>&middot;<A href="{link.href}" target=_blank title="{text(link.title)}">'
                   f"{text(link.title[:16])}</A></TD></TR>\r\n" for link in links)
    name = "工作动态" if i % 2 else "信息公开"
    return (f"<TABLE cellSpacing=0 cellPadding=0 width=\"100%\" border=0>\r\n<TBODY>\r\n<TR>\r\n"
            f"<TD class=lm_title background=/images/lm_bg.gif height=30>{name}</TD></TR>\r\n{rows}</TBODY></TABLE>\r\n")


def _hanweb(report, grids, style, filler, narrative) -> str:
    body = pb.render_body(report, grids, style.body, narrative)
    left, right = filler[::2], filler[1::2]
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\r\n<HTML><HEAD>\r\n'
        f'<META http-equiv=Content-Type content="text/html; charset={style.charset}">\r\n'
        f'<meta name="ArticleTitle" content="{text(report.title)}">\r\n'
        f'<meta name="PubDate" content="{report.published[:16]}">\r\n'
        f'<meta name="ContentSource" content="{text(report.agency)}">\r\n'
        f"<TITLE>{text(report.title)}</TITLE>\r\n"
        '<LINK href="/images/style.css" type=text/css rel=stylesheet>\r\n'
        '<SCRIPT language=javascript src="/script/jquery.js"></SCRIPT>\r\n</HEAD>\r\n<BODY>\r\n'
        '<TABLE cellSpacing=0 cellPadding=0 width=1000 align=center border=0>\r\n<TBODY>\r\n<TR>\r\n'
        f'<TD><IMG src="/images/banner.jpg" alt="{text(style.site)}"></TD></TR>\r\n<TR>\r\n<TD class=nav>'
        + " | ".join(f'<A href="/col/col{1000 + i}/index.html">{m}</A>' for i, m in enumerate(cb.MENU))
        + "</TD></TR></TBODY></TABLE>\r\n"
        '<TABLE cellSpacing=0 cellPadding=0 width=1000 align=center border=0>\r\n<TBODY>\r\n<TR>\r\n'
        '<TD vAlign=top width=240>\r\n' + "".join(left) + "</TD>\r\n<TD vAlign=top>\r\n"
        '<TABLE width="100%"><TBODY><TR><TD class=bt_link>当前位置：<A href="/">首页</A> &gt; '
        '<A href="/col/col1001/index.html">信息公开</A> &gt; <A href="/col/col1229/index.html">政府信息公开年报</A>'
        "</TD></TR></TBODY></TABLE>\r\n"
        '<TABLE width="100%"><TBODY>\r\n<TR>\r\n<TD class=title align=center><!--<$[标题名称]>begin-->'
        f"{text(report.title)}<!--<$[标题名称]>end--></TD></TR>\r\n<TR>\r\n<TD align=center>"
        f"发布日期：<!--<$[发布日期]>begin-->{report.published[:10]}<!--<$[发布日期]>end-->　"
        f"信息来源：<!--<$[信息来源]>begin-->{text(report.agency)}<!--<$[信息来源]>end-->　"
        f"浏览次数：<SPAN id=hits>{style.hits}</SPAN></TD></TR>\r\n<TR>\r\n<TD>"
        "<DIV id=zoom><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin-->\r\n<META name=ContentStart>"
        + body + "\r\n<META name=ContentEnd><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end--></DIV>"
        "</TD></TR></TBODY></TABLE>\r\n"
        '<TABLE width="100%"><TBODY><TR><TD align=right>【<A href="javascript:window.print()">打印本页</A>】'
        '【<A href="javascript:window.close()">关闭窗口</A>】</TD></TR></TBODY></TABLE>\r\n'
        "</TD>\r\n<TD vAlign=top width=200>\r\n" + "".join(right) + "</TD></TR></TBODY></TABLE>\r\n"
        '<TABLE width=1000 align=center><TBODY><TR><TD align=center>友情链接：<SELECT onchange="window.open(this.value)">'
        + "".join(f'<OPTION value="{link.href}">{text(link.title[:12])}</OPTION>' for link in style.news)
        + "</SELECT><BR>" + "<BR>".join(text(line) for line in style.footer) + "</TD></TR></TBODY></TABLE>\r\n"
        "</BODY></HTML>\r\n"
    )


# ---- gov.cn --------------------------------------------------------------------------------

_GOVCN_SCRIPT = """
$(function(){
  var fontSize = 16;
  $(".index_switchsize span").click(function(){
    var size = {"大": 18, "中": 16, "小": 14}[$(this).text()];
    $("#UCAP-CONTENT, #UCAP-CONTENT p, #UCAP-CONTENT span").css("font-size", size + "px");
  });
  $(".shareBox a").click(function(){ var to = $(this).attr("data-to"); share(to, document.title, location.href); });
  if (/mobile/i.test(navigator.userAgent)) { $("body").addClass("mobile"); $(".mhide").removeClass("mhide"); }
});
function share(to, title, url){
  var targets = {weibo: "https://service.weibo.com/share/share.php?title=",
                 qzone: "https://sns.qzone.qq.com/cgi-bin/qzshare/cgi_qzshare_onekey?title="};
  window.open(targets[to] + encodeURIComponent(title) + "&url=" + encodeURIComponent(url));
}
"""


def _govcn_filler(rng: random.Random, year: int, i: int) -> str:
    if i % 2 == 0:
        rules = []
        for k in range(rng.randint(14, 24)):
            name = rng.choice(("nav", "list", "box", "tab", "news", "side", "pub", "zfxxgk", "index", "foot"))
            rules.append(f".{name}_{i}_{k} {rng.choice(('li', 'a', 'span', 'ul', 'p', 'h3'))}"
                         f"{{margin:{rng.randint(0, 20)}px {rng.randint(0, 20)}px;padding:0 {rng.randint(0, 12)}px;"
                         f"font-size:{rng.choice((12, 14, 16))}px;color:#{rng.randint(0, 0xFFFFFF):06x};"
                         f"line-height:{rng.randint(20, 36)}px;}}")
        return "<style>" + "\n".join(rules) + "</style>\n"
    links = cb.column_links(rng, rng.randint(10, 18), "https://www.example.gov.cn/zhengce/")
    return f'<ul class="nav_list nav_list_{i}">\n{_links(links, dates=False)}\n</ul>\n'


def _govcn(report, grids, style, filler, narrative) -> str:
    css = "".join(f for f in filler if f.startswith("<style>"))
    navs = "".join(f for f in filler if not f.startswith("<style>"))
    body = pb.render_body(report, grids, style.body, narrative)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8" />\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
        f"<title>{text(report.title)}_{text(style.site)}</title>\n" + _metas(report, style) + "\n"
        + css.replace("</style>\n<style>", "\n")
        + '<script type="text/javascript" src="/images/jquery.min.js"></script>\n'
        f'<script type="text/javascript">{_GOVCN_SCRIPT}</script>\n</head>\n<body>\n'
        f'<div class="header"><div class="logo"><a href="/">{text(style.site)}</a></div>\n'
        '<div class="header_nav"><ul>' + _menu()
        + "</ul></div>\n<div class=\"nav_more\">\n" + navs + "</div></div>\n"
        '<div class="BreadcrumbNav">当前位置：<a href="/">首页</a> &gt; <a href="/zhengce/">政务公开</a> &gt; '
        '<a href="../">政府信息公开年报</a></div>\n'
        f'<div class="article oneColumn pub_border">\n<h1 id="ti">{text(report.title)}</h1>\n'
        f'<div class="pages-date">{report.published[:16]}<span class="font">来源：{text(report.agency)}</span>'
        '<span class="font index_switchsize">【字体：<span>大</span> <span>中</span> <span>小</span>】</span>'
        '<span class="font"><a href="javascript:void(0)" onclick="window.print()">打印</a></span></div>\n'
        f'<div class="pages_content mhide" id="UCAP-CONTENT">\n{body}\n</div>\n'
        f'<div class="editor">责任编辑：{style.options["editor"]}</div>\n'
        '<div class="shareBox">分享到：<a data-to="weibo">微博</a><a data-to="qzone">QQ空间</a></div>\n'
        f'<div class="related"><h3>相关稿件</h3><ul>{_links(style.related)}</ul></div>\n</div>\n'
        '<div class="footer">\n' + "\n".join(f"<p>{text(line)}</p>" for line in style.footer) + "\n</div>\n"
        f"<script type=\"text/javascript\">var _hmt = _hmt || []; var pageId = '{report.docid}';</script>\n"
        "</body>\n</html>\n"
    )


# ---- a Word paste in a small CMS ----------------------------------------------------------

_WORD_XML = ("<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom>"
             "<w:PunctuationKerning/><w:DrawingGridVerticalSpacing>7.8 磅</w:DrawingGridVerticalSpacing>"
             "<w:DisplayHorizontalDrawingGridEvery>0</w:DisplayHorizontalDrawingGridEvery>"
             "<w:Compatibility><w:SpaceForUL/><w:BalanceSingleByteDoubleByteWidth/><w:DoNotLeaveBackslashAlone/>"
             "<w:UseFELayout/></w:Compatibility></w:WordDocument></xml><![endif]-->\n")
_WORD_STYLE = """<style>
<!--
 /* Font Definitions */
 @font-face {font-family:宋体; panose-1:2 1 6 0 3 1 1 1 1 1; mso-font-charset:134; mso-generic-font-family:auto;}
 @font-face {font-family:仿宋_GB2312; mso-font-charset:134; mso-generic-font-family:modern; mso-font-pitch:fixed;}
 @font-face {font-family:黑体; panose-1:2 1 6 0 3 1 1 1 1 1; mso-font-charset:134;}
 /* Style Definitions */
 p.MsoNormal, li.MsoNormal, div.MsoNormal {mso-style-parent:""; margin:0cm; margin-bottom:.0001pt;
   text-align:justify; text-justify:inter-ideograph; mso-pagination:none; font-size:10.5pt;
   mso-bidi-font-size:12.0pt; font-family:"Times New Roman"; mso-fareast-font-family:宋体; mso-font-kerning:1.0pt;}
 table.MsoNormalTable {mso-style-name:普通表格; mso-tstyle-rowband-size:0; mso-tstyle-colband-size:0;
   mso-style-noshow:yes; mso-padding-alt:0cm 5.4pt 0cm 5.4pt; mso-para-margin:0cm; font-size:10.0pt;}
 @page WordSection1 {size:595.3pt 841.9pt; margin:72.0pt 90.0pt 72.0pt 90.0pt; layout-grid:15.6pt;}
 div.WordSection1 {page:WordSection1;}
-->
</style>
"""


def _word_filler(rng: random.Random, year: int, i: int) -> str:
    links = cb.news_links(rng, year, rng.randint(5, 10)) if i % 3 else cb.column_links(rng, 8, "/news/")
    return f'<div class="side_box"><h3>{"最新动态" if i % 3 else "栏目导航"}</h3><ul>\n{_links(links)}\n</ul></div>\n'


def _word(report, grids, style, filler, narrative) -> str:
    title_lines = None
    if style.options["split_title"]:
        cut = report.title.find(str(report.year))
        if cut > 0:
            title_lines = [report.title[:cut], report.title[cut:]]
    body = pb.render_body(report, grids, style.body, narrative, title_lines=title_lines)
    container = style.options["container"]
    return (
        "<html>\n<head>\n" + _charset_meta(style) + f"\n<title>{text(report.title)}</title>\n"
        '<link rel="stylesheet" href="/css/main.css" type="text/css" />\n</head>\n<body>\n'
        '<div id="top"><ul class="menu">' + _menu()
        + "</ul></div>\n"
        '<div class="location">您的位置：<a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a> &gt; 年度报告</div>\n'
        '<div class="main"><div class="left">\n' + "".join(filler) + "</div>\n"
        f'<div class="detail">\n<div class="detail_title">{text(report.title)}</div>\n'
        f"<div class=\"detail_info\">发布日期：{report.published[:10]}　来源：{text(report.agency)}　作者：　"
        f"点击数：<span>{style.hits}</span></div>\n"
        f'<div class="{container}">\n' + _WORD_XML + _WORD_STYLE
        + f"<div class=WordSection1 style='layout-grid:15.6pt'>\n{body}\n</div>\n</div>\n"
        '<div class="detail_tools">【<a href="javascript:window.print()">打印本页</a>】'
        '【<a href="javascript:window.close()">关闭窗口</a>】</div>\n</div></div>\n'
        '<div id="bottom">' + "<br />".join(text(line) for line in style.footer) + "</div>\n</body>\n</html>\n"
    )


_FILLERS = {"trs": _trs_filler, "hanweb": _hanweb_filler, "govcn": _govcn_filler, "word": _word_filler}
_RENDERERS = {"trs": _trs, "hanweb": _hanweb, "govcn": _govcn, "word": _word}
