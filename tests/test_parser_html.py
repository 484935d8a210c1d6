"""HTML pages: Word-pasted tables with rowspan/colspan, chrome around the body, real pages."""

import json
from pathlib import Path

import pytest
from lxml import etree

from parsers import parse_report

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
PINGTAN = DATA / "corpus" / "pingtan_2020_report_page.html"

ACTIVE_BLOCKS = [
    ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
     [("regulations", "规章"), ("normative_documents", "行政规范性文件")]),
    ("第二十条第（五）项", ["本年处理决定数量"], [("licensing", "行政许可")]),
    ("第二十条第（六）项", ["本年处理决定数量"], [("penalty", "行政处罚"), ("coercion", "行政强制")]),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("fees", "行政事业性收费")]),
]
GROUPS = [
    ("（三）不予公开", [
        ("withheld_state_secret", "1.属于国家秘密"), ("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开"),
        ("withheld_three_safeties_one_stability", "3.危及“三安全一稳定”"),
        ("withheld_third_party_rights", "4.保护第三方合法权益"), ("withheld_internal_affairs", "5.属于三类内部事务信息"),
        ("withheld_process_information", "6.属于四类过程性信息"), ("withheld_enforcement_files", "7.属于行政执法案卷"),
        ("withheld_administrative_inquiry", "8.属于行政查询事项")]),
    ("（四）无法提供", [
        ("unable_not_held", "1.本机关不掌握相关政府信息"), ("unable_needs_creation", "2.没有现成信息需要另行制作"),
        ("unable_unclear", "3.补正后申请内容仍不明确")]),
    ("（五）不予处理", [
        ("rejected_petition_complaint", "1.信访举报投诉类申请"), ("rejected_duplicate", "2.重复申请"),
        ("rejected_publication", "3.要求提供公开出版物"), ("rejected_excessive", "4.无正当理由大量反复申请"),
        ("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息")]),
    ("（六）其他处理", [
        ("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("other_other", "3.其他")]),
]
COLUMNS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
           "legal_service_org", "other_org", "total"]
OUTCOMES = ["upheld", "corrected", "other", "pending", "total"]


def td(text, rowspan=1, colspan=1):
    """A Word cell: text split over spans, <o:p>, long inline styles."""
    text = str(text)
    spans = "".join(
        f'<span style="font-family:仿宋_GB2312;font-size:12.0pt;mso-font-kerning:1.0pt">{text[i:i + 2]}</span>'
        for i in range(0, len(text), 2)
    ) or "&nbsp;"
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return (f'<td{attrs} width="64" valign="center" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt">'
            f'<p class="MsoNormal" align="center" style="text-align:center">{spans}<o:p></o:p></p></td>')


def table(rows):
    body = "".join("<tr>" + "".join(row) + "</tr>\n" for row in rows)
    return f'<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0"><tbody>\n{body}</tbody></table>'


def active_table(values):
    rows = []
    for block, headers, items in ACTIVE_BLOCKS:
        rows.append([td(block, colspan=4)])
        rows.append([td("信息内容")] + [td(h, colspan=3 // len(headers)) for h in headers])
        for key, label in items:
            cells = list(values[key].values())
            rows.append([td(label)] + [td(v, colspan=3 // len(cells)) for v in cells])
    return table(rows)


def applications_table(values):
    def vals(key):
        return [td("" if values[key][c] is None else values[key][c]) for c in COLUMNS]

    rows = [
        [td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         td("申请人情况", colspan=7)],
        [td("自然人", rowspan=2), td("法人或其他组织", colspan=5), td("总计", rowspan=2)],
        [td(x) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
        [td("一、本年新收政府信息公开申请数量", colspan=3)] + vals("new_received"),
        [td("二、上年结转政府信息公开申请数量", colspan=3)] + vals("carried_over"),
    ]
    outcome_rows = 3 + sum(len(items) if items[0][0] in values else 1 for _, items in GROUPS)
    rows.append([td("三、本年度办理结果", rowspan=outcome_rows), td("（一）予以公开", colspan=2)] + vals("granted"))
    rows.append([td("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2)] + vals("partially_granted"))
    for heading, items in GROUPS:
        if items[0][0] not in values:  # the single （六） row of seed 004 (2019 style)
            rows.append([td(heading, colspan=2)] + vals("other"))
            continue
        for i, (key, label) in enumerate(items):
            lead = [td(heading, rowspan=len(items))] if i == 0 else []
            rows.append(lead + [td(label)] + vals(key))
    rows.append([td("（七）总计", colspan=2)] + vals("total"))
    rows.append([td("四、结转下年度继续办理", colspan=3)] + vals("carried_forward"))
    return table(rows)


def reviews_table(values):
    outcome_labels = [td(x) for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")]
    rows = [
        [td("行政复议", colspan=5), td("行政诉讼", colspan=10)],
        [td(x, rowspan=2) for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")]
        + [td("未经复议直接起诉", colspan=5), td("复议后起诉", colspan=5)],
        outcome_labels + outcome_labels,
        [td(values[g][o]) for g in ("review", "litigation_direct", "litigation_after_review") for o in OUTCOMES],
        [td("") for _ in range(15)],  # the empty trailing row Word leaves behind
    ]
    return table(rows)


def report_page(expected, charset="utf-8"):
    """A TRS-style report page around the seed's numbers, with portal chrome."""
    title = expected.get("title") or f"{expected['agency']}{expected['year']}年政府信息公开工作年度报告"
    body = f"""
<p class="MsoNormal" align="center"><b><span>{title}</span></b></p>
<p class="MsoNormal"><span>一、总体情况</span></p>
<p class="MsoNormal"><span>{expected['year']}年，{expected['agency']}认真贯彻落实《中华人民共和国政府信息公开条例》。</span></p>
<p class="MsoNormal"><span>二、主动公开政府信息情况</span></p>
{active_table(expected['active_disclosure'])}
<p class="MsoNormal"><span>三、收到和处理政府信息公开申请情况</span></p>
{applications_table(expected['applications'])}
<p class="MsoNormal"><span>四、政府信息公开行政复议、行政诉讼情况</span></p>
{reviews_table(expected['reviews_litigation'])}
<p class="MsoNormal"><span>五、存在的主要问题及改进情况</span></p><p>无。</p>
<p class="MsoNormal"><span>六、其他需要报告的事项</span></p><p>无。</p>
<p>附件：<a appendix="true" href="./P020240308342787864103.pdf">年度报告.pdf</a></p>
"""
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="2024-03-08 15:34">
<meta name="ContentSource" content="">
<title>{title}_政府信息公开年报</title>
<style>.x{{color:red}}</style><script>var a = "二、主动公开政府信息情况";</script></head>
<body><div class="nav">当前位置：首页 &gt; 政务公开 &gt; 政府信息公开年报</div>
<table><tr><td>首页</td><td>政务公开</td></tr></table>
<div class="info">发布时间：2024-03-08 15:34 来源：{expected['agency']} 点击率：<span>1575</span></div>
<div class="TRS_Editor"><style>.TRS_Editor P{{line-height:2}}</style>{body}</div>
<div>【打印本页】【关闭窗口】</div><div class="footer">网站标识码：1234567890 ICP备12345678号</div>
</body></html>"""


def seed_expected(prefix):
    path = next(SEEDS.glob(f"{prefix}_*.expected.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def assert_tables_equal(report, expected):
    for name in ("active_disclosure", "applications", "reviews_litigation"):
        actual, wanted = getattr(report, name), expected[name]
        assert set(actual) == set(wanted), name
        for row in wanted:
            assert actual[row] == pytest.approx(wanted[row]), (name, row)


@pytest.mark.parametrize("prefix", ["000", "002", "003", "004"])
def test_word_html_gives_the_seed_numbers(prefix):
    expected = seed_expected(prefix)
    report = parse_report(report_page(expected).encode("utf-8"), url="http://example.gov.cn/zfxxgknb/t1.html")
    assert_tables_equal(report, expected)
    assert set(report.failing_rules) == set(expected["failing_rules"])
    assert report.text_form == "html"
    assert report.layout == "2021"
    assert report.agency == expected["agency"]
    assert report.year == expected["year"]
    assert report.published == "2024-03-08"


def test_gbk_page_with_meta_gb2312_and_no_header_charset():
    expected = seed_expected("000")
    data = report_page(expected, charset="gb2312").encode("gbk")
    report = parse_report(data, content_type="text/html")
    assert (report.encoding, report.encoding_source) == ("gb18030", "meta")
    assert_tables_equal(report, expected)


def test_cells_locate_the_grid_after_span_expansion():
    expected = seed_expected("000")
    report = parse_report(report_page(expected).encode("utf-8"))
    cells = report.to_dict(include_cells=True)["cells"]
    granted = next(c for c in cells if c["row"] == "granted" and c["column"] == "natural_person")
    # table 2 (二 is table 1; the chrome nav table is outside the body); the label spans cols 1-3
    assert granted["where"] == "table 2, row 6, col 4"
    assert (granted["value"], granted["text"], granted["kind"]) == (3, "3", "number")


def test_a_row_under_a_spanning_label_is_named_by_its_own_row():
    """三、本年度办理结果 spans table 三's outcome rows from row 6 down. A problem with a row
    below it (a cell missing, a row named twice) names that row: it named row 6, the label's
    top, where a reader finds 予以公开. A value printed once across two rows is at its top row."""
    expected = seed_expected("000")
    root = etree.fromstring(report_page(expected), etree.HTMLParser())
    rows = root.xpath("//div[@class='TRS_Editor']//table")[1].xpath(".//tr")  # table 2, as the where counts
    granted, partially_granted, prohibited_by_law = rows[5], rows[6], rows[8]
    granted[2].set("rowspan", "2")  # 予以公开's first value, printed across 部分公开's row too
    partially_granted.remove(partially_granted[1])
    partially_granted.remove(partially_granted[-1])  # and 部分公开 loses its 总计
    prohibited_by_law[0].clear()
    prohibited_by_law[0].text = "（一）予以公开"  # row 9 names 予以公开 again
    report = parse_report(etree.tostring(root, encoding="utf-8"))

    problems = [p["detail"] for p in report.problems if p["kind"] in ("cell_missing", "duplicate_row")]
    assert problems == ["partially_granted.total at table 2, row 7, col 1", "granted again at table 2, row 9, col 1"]
    cells = {c["column"]: c for c in report.cells if c["row"] == "partially_granted"}
    assert cells["total"]["where"] == "table 2, row 7, col 1" and cells["total"]["kind"] == "empty"
    spanning = expected["applications"]["granted"]["natural_person"]
    assert (cells["natural_person"]["where"], cells["natural_person"]["value"]) == ("table 2, row 6, col 4", spanning)


def test_chrome_is_not_in_report_text_and_attachments_resolve():
    report = parse_report(report_page(seed_expected("000")).encode("utf-8"), url="http://example.gov.cn/col/t1.html")
    assert "打印本页" not in report.text and "网站标识码" not in report.text
    assert "var a" not in report.text
    assert report.text.count("二、主动公开政府信息情况") == 1
    assert report.attachments == [{"url": "http://example.gov.cn/col/P020240308342787864103.pdf", "title": "年度报告.pdf"}]
    assert report.source == "城中区人民政府"


def test_empty_html_cells_stay_empty_not_zero():
    expected = seed_expected("000")
    expected["applications"]["granted"]["research_institution"] = None
    report = parse_report(report_page(expected).encode("utf-8"))
    assert report.applications["granted"]["research_institution"] is None
    cell = next(c for c in report.cells if c["row"] == "granted" and c["column"] == "research_institution")
    assert cell["kind"] == "empty"
    r4 = next(c for c in report.checks if c.rule == "R4" and c.where == "granted")
    assert r4.status == "not_assessable"


def test_pingtan_real_page_2019_layout():
    report = parse_report(PINGTAN.read_bytes())
    assert report.layout == "2019"
    assert report.year == 2020
    assert report.title == "平潭综合实验区2020年度政府信息公开工作年度报告"
    assert report.published == "2021-03-05"
    active = report.active_disclosure
    assert active["penalty"] == {"items_prev_year": 2648, "items_change": -18, "decisions": 538}
    assert active["fees"] == {"items_prev_year": 35, "items_change": -15}
    assert active["procurement"] == {"items": 395, "amount": pytest.approx(73802895.90)}
    assert active["regulations"] == {"made": 0, "published": 0, "public_total": 7}
    apps = report.applications
    assert "other" in apps and "other_other" not in apps
    assert apps["new_received"]["total"] == 21
    r3 = next(c for c in report.checks if c.rule == "R3" and c.where == "natural_person")
    assert (r3.status, r3.left, r3.right) == ("fail", 20, 26)
    assert report.failing_rules == ["R3"]
    assert report.reviews_litigation["review"] == {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}
    amount = next(c for c in report.cells if c["row"] == "procurement" and c["column"] == "amount")
    assert amount["text"] == "73802895.90元"
    assert "平潭综合实验区" in report.text and "网站标识码" not in report.text


def test_tables_split_into_one_html_table_per_block():
    expected = seed_expected("002")
    page = report_page(expected).replace(
        '<td colspan="4"', '</tbody></table><table class="MsoNormalTable"><tbody><tr><td colspan="4"'
    )
    report = parse_report(page.encode("utf-8"))
    assert report.active_disclosure == expected["active_disclosure"]


def _portal_site():
    site_module = pytest.importorskip("portal.site")
    return site_module.build_site()


def test_portal_report_pages_give_the_seed_numbers():
    site = _portal_site()
    reports = [(path, res) for path, res in site.items() if res.kind == "report"]
    assert {res.seed[:3] for _, res in reports} >= {"000", "001", "002", "003", "004"}
    for path, resource in reports:
        expected = json.loads((SEEDS / f"{resource.seed}.expected.json").read_text(encoding="utf-8"))
        report = parse_report(resource.body, url="http://portal.nianbao.test" + path,
                              content_type=resource.content_type)
        for name in ("active_disclosure", "applications", "reviews_litigation"):
            assert getattr(report, name) == expected[name], (resource.seed, name)
        wanted = expected["failing_rules"]
        assert report.failing_rules == (None if wanted is None else sorted(wanted)), resource.seed
        for key in ("title", "agency", "year", "layout", "published", "source"):
            if key in expected:
                assert getattr(report, key) == expected[key], (resource.seed, key)


def test_portal_non_reports_are_refused():
    from parsers import ParseError

    site = _portal_site()
    for path, resource in site.items():
        if resource.kind in ("non_report", "listing", "home", "section"):
            with pytest.raises(ParseError):
                parse_report(resource.body, content_type=resource.content_type)


def test_html_row_of_empty_cells_is_kept_as_empty_values():
    page = """<html><head><meta charset="utf-8"></head><body><div class="TRS_Editor">
<p>XX县2022年政府信息公开工作年度报告</p><p>一、总体情况</p><p>二、主动公开政府信息情况</p>
<table><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td></td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>&nbsp;</td><td>&nbsp;</td><td>/</td></tr>
<tr><td>行政规范性文件</td><td>2</td><td>55（含自然失效29件）</td><td>无</td></tr></table>
<p>三、收到和处理政府信息公开申请情况</p></div></body></html>"""
    report = parse_report(page.encode("utf-8"))
    assert report.active_disclosure["regulations"] == {"issued": None, "repealed": None, "in_force": None}
    assert report.active_disclosure["normative_documents"] == {"issued": 2, "repealed": 55, "in_force": None}
    kinds = {(c["row"], c["column"]): c["kind"] for c in report.cells}
    assert kinds[("regulations", "issued")] == "empty"
    assert kinds[("regulations", "in_force")] == "not_applicable"
    assert kinds[("normative_documents", "repealed")] == "text"
    assert kinds[("normative_documents", "in_force")] == "not_applicable"


def test_text_after_an_html_comment_is_kept():
    from lxml import etree

    from parsers.html_text import render_text

    tree = etree.fromstring(
        "<div><p>共收到申请<!--[if gte mso 9]><xml></xml><![endif]-->80件<?xml:namespace prefix=o ?>。</p></div>",
        etree.HTMLParser(),
    )
    assert render_text(tree).strip() == "共收到申请80件。"


def test_table_three_split_across_two_html_tables():
    """Word splits a long table at a page break: the second <table> has no header."""
    expected = seed_expected("000")
    page = report_page(expected)
    cut = page.rindex("<tr>", 0, page.index("（四</span>"))  # the row that opens （四）无法提供
    page = page[:cut] + '</tbody></table>\n<p>&nbsp;</p>\n<table class="MsoNormalTable"><tbody>' + page[cut:]
    report = parse_report(page.encode("utf-8"))
    assert report.applications == expected["applications"]


def test_report_tables_nested_in_a_layout_table():
    expected = seed_expected("004")
    page = report_page(expected).replace(
        '<div class="TRS_Editor">', '<table width="100%"><tr><td class="left">导航</td><td><div class="TRS_Editor">'
    ).replace('<div>【打印本页】', '</td></tr></table><div>【打印本页】')
    report = parse_report(page.encode("utf-8"))
    assert_tables_equal(report, expected)


def test_tables_published_as_images_are_null_with_the_reason():
    expected = seed_expected("002")
    page = report_page(expected)
    start = page.index("<table", page.index("三、收到和处理政府信息公开申请情况"))
    end = page.index("</table>", start) + len("</table>")
    page = page[:start] + '<p><img src="./W020240308_table3.png" width="620" height="900"></p>' + page[end:]
    report = parse_report(page.encode("utf-8"))
    assert report.applications is None
    (problem,) = [p for p in report.problems if p["table"] == "applications"]
    assert problem["kind"] == "tables_as_images"
    assert "W020240308_table3.png" in problem["detail"]
    assert report.active_disclosure == expected["active_disclosure"]


def test_a_page_that_only_links_the_report_file_says_attachment_only():
    page = """<html><head><meta charset="utf-8"><title>XX县人民政府2023年政府信息公开工作年度报告</title></head>
<body><div class="TRS_Editor"><p>XX县人民政府2023年政府信息公开工作年度报告</p>
<p>附件：<a href="/uploads/2024/nb2023.pdf">XX县人民政府2023年政府信息公开工作年度报告.pdf</a></p></div>
</body></html>"""
    report = parse_report(page.encode("utf-8"), url="http://portal.test/zwgk/nb/t20240110_1.html")
    kinds = {p["kind"] for p in report.problems}
    assert kinds == {"attachment_only"}
    assert "http://portal.test/uploads/2024/nb2023.pdf" in report.problems[0]["detail"]
    assert report.applications is None and report.failing_rules is None



@pytest.mark.parametrize("href", ["http://[endif]/nb2023.pdf", "http://[/nb2023.pdf", "//x]/nb2023.pdf",
                                  "http://[endif]/down.jsp?filename=nb2023.pdf"])
def test_a_link_whose_url_cannot_be_split_is_not_listed_as_an_attachment(href):
    """Found by fuzzing (a truncated <!--[if …]> around a link): urlsplit raises ValueError
    for a bracketed host that is no IP address, and it escaped parse_report. It names a
    document (``is_attachment``: the crawler records it in ``skipped``), but no URL."""
    page = f"""<html><head><meta charset="utf-8"><title>XX县人民政府2023年政府信息公开工作年度报告</title></head>
<body><div class="TRS_Editor"><p>XX县人民政府2023年政府信息公开工作年度报告</p>
<p>附件：<a href="{href}">年度报告.pdf</a> <a href="/uploads/2024/nb2023.pdf">年度报告.pdf</a></p></div>
</body></html>"""
    report = parse_report(page.encode("utf-8"), url="http://portal.test/zwgk/nb/t20240110_1.html")
    assert report.attachments == [{"url": "http://portal.test/uploads/2024/nb2023.pdf", "title": "年度报告.pdf"}]

# Amounts are kept as printed, never converted; one in another unit than its column's key
# names (元 under amount_10k_yuan) is noted, so that no one sums 元 with 万元.

def _unit_problems(report):
    return [p["detail"] for p in report.problems if p["kind"] == "amount_unit"]


def test_an_amount_in_yuan_under_the_10k_yuan_column_is_kept_and_noted():
    expected = seed_expected("003")  # fees: 1681.0 万元
    page = report_page(expected)
    fees = expected["active_disclosure"]["fees"]["amount_10k_yuan"]
    printed = td(fees, colspan=3)  # as active_table prints it
    assert page.count(printed) == 1
    header = td("本年收费金额（单位：万元）", colspan=3)
    assert page.count(header) == 1
    in_yuan = parse_report(page.replace(header, td("本年收费金额（单位：元）", colspan=3)).encode("utf-8"))
    assert in_yuan.active_disclosure["fees"]["amount_10k_yuan"] == fees  # as printed
    assert _unit_problems(in_yuan) == [
        f"fees.amount_10k_yuan = {fees} is in 元 (in the column's header), not 万元: kept as printed"]
    # The number printed with its unit beside it, under a 万元 header: noted from the cell.
    in_cell = parse_report(page.replace(printed, td(f"{fees}元", colspan=3)).encode("utf-8"))
    assert _unit_problems(in_cell) == [
        f"fees.amount_10k_yuan = {fees}元 is in 元 (in the cell), not 万元: kept as printed"]
    assert _unit_problems(parse_report(page.encode("utf-8"))) == []  # 万元, as the key says


def _procurement_page(header: str, amount: str) -> bytes:
    """A 2019-layout table 二 with its （九） block only."""
    rows = [[td("第二十条第（九）项", colspan=3)], [td("信息内容"), td("采购项目数量"), td(header)],
            [td("政府集中采购"), td("395"), td(amount)]]
    return (f"<html><head><title>某区2020年政府信息公开工作年度报告</title></head><body>"
            f"<p>一、总体情况</p><p>二、主动公开政府信息情况</p>{table(rows)}"
            f"<p>三、收到和处理政府信息公开申请情况</p></body></html>").encode("utf-8")


def test_a_2019_amount_in_10k_yuan_is_noted_by_its_header_or_its_cell():
    in_yuan = parse_report(_procurement_page("采购总金额", "73802895.90元"))
    assert in_yuan.active_disclosure["procurement"] == {"items": 395, "amount": pytest.approx(73802895.90)}
    assert _unit_problems(in_yuan) == []  # 元, as amount holds
    in_header = parse_report(_procurement_page("采购总金额（万元）", "7380.29"))
    assert in_header.active_disclosure["procurement"]["amount"] == pytest.approx(7380.29)
    assert _unit_problems(in_header) == [
        "procurement.amount = 7380.29 is in 万元 (in the column's header), not 元: kept as printed"]
    assert _unit_problems(parse_report(_procurement_page("采购总金额", "7380.29万元"))) == [
        "procurement.amount = 7380.29万元 is in 万元 (in the cell), not 元: kept as printed"]
    assert _unit_problems(parse_report(_procurement_page("采购总金额", "7380.29 万 元"))) == [  # PDF spacing
        "procurement.amount = 7380.29 万 元 is in 万元 (in the cell), not 元: kept as printed"]


def test_a_page_repeated_many_times_without_a_body_container_parses():
    """Found by fuzzing: each copy of a page is a root element of its own, and the search for
    heading texts (no container names the body) merged its matches quadratically: 100 copies
    of a 13 KB page took 7.4 s of CPU, now 0.05 s. Timings in tests fail on busy machines, so
    what is checked is what made the difference: the search finds every copy's headings with
    one descendant step (``//text()`` with a predicate is one child step per node, each
    node's matches merged into the result with a duplicate check), and the report is read
    from the body those headings anchor: the first copy, its six sections."""
    from parsers import chrome
    from parsers.html_page import _parse_page

    headings = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    body = "".join(f"<p><span>{heading}</span></p>" + "<p><span>本机关</span><span>认真贯彻</span></p>" * 40
                   for heading in headings)
    page = f"<html><head><title>2023年政府信息公开工作年度报告</title></head><body><div>{body}</div></body></html>"
    doc, _ = _parse_page(page * 100)
    assert len(list(doc.itersiblings())) == 99  # 100 root elements
    assert chrome._HEADING_TEXTS.path.startswith("//body/descendant::text()[")
    assert [el.text for el in chrome._heading_elements(doc)] == headings * 100
    assert chrome.body_from_anchors(doc, []) is doc  # the first copy's root

    report = parse_report((page * 100).encode("utf-8"))
    assert report.title == "2023年政府信息公开工作年度报告"
    assert [report.text.count(heading) for heading in headings] == [1] * 6
    assert [(p["kind"], p["detail"]) for p in report.problems] == [
        ("tables_missing", "heading present but no table: it may be an image or an attachment")] * 3


def test_cell_and_label_texts_longer_than_a_cell_are_not_kept_by_the_caches():
    """Found by fuzzing: the per-text caches kept every distinct text, however long. A cell
    holding pages of text (an unclosed tag swallowed the page) stayed in memory, up to
    8,192 of them per cache: 300 such pages grew a process by 126 MB. Long texts are now
    computed each time; the results are the same."""
    from parsers.cells import looks_like_value, read_cell
    from parsers.html_tables import _cell_kind
    from parsers.normalize import LONGEST_CACHED_TEXT, cell_text, label_key

    long_text = "5" * 10 + "本机关认真贯彻落实条例。" * (LONGEST_CACHED_TEXT // 10)
    for function in (read_cell, looks_like_value, label_key, cell_text, _cell_kind):
        misses = function.cache_info().misses
        assert function(long_text) == function.__wrapped__(long_text)
        assert function.cache_info().misses == misses, function.__name__  # the cache was not asked
        short = f"{function.__name__} 7"
        function(short)
        assert function.cache_info().misses == misses + 1  # short texts still are


def test_a_lost_other_item_row_is_reported_missing():
    """The three (六) items come together: one absent beside the others (a row lost on the
    way to the page) is rows_missing, not a row of nothing said."""
    rows = report_page(seed_expected("000")).split("<tr>")
    kept = [row for row in rows if "按收" not in row]  # 2.申请人逾期未按收费通知要求缴纳费用…
    assert len(kept) == len(rows) - 1
    report = parse_report("<tr>".join(kept).encode("utf-8"))
    assert "other_unpaid_fee" not in report.applications
    assert {"kind": "rows_missing", "table": "applications", "detail": "other_unpaid_fee"} in report.problems


REVIEW_COLUMNS = [(group, outcome) for group in ("review", "litigation_direct", "litigation_after_review")
                  for outcome in OUTCOMES]


def cells_by_column(report, table_name):
    return {(c["row"], c["column"]): c for c in report.cells if c["table"] == table_name}


def with_text(expected, table_name, places, text):
    """The seed's numbers with the cells at ``places`` (row, column) printed as ``text``."""
    table = {key: dict(values) for key, values in expected[table_name].items()}
    for row, column in places:
        table[row][column] = text
    return dict(expected, **{table_name: table})


def assert_only_those_cells_are_text(expected, table_name, places, text):
    """Text printed where a number belongs is a ``text`` cell in the column it was printed
    in, and every other cell of the table is read exactly as without it."""
    plain = parse_report(report_page(expected).encode("utf-8"))
    marked = parse_report(report_page(with_text(expected, table_name, places, text)).encode("utf-8"))
    before, after = cells_by_column(plain, table_name), cells_by_column(marked, table_name)
    for place in places:
        cell = after.pop(place)
        assert (cell["text"], cell["kind"], cell["value"]) == (text, "text", None)
        assert cell["where"] == before.pop(place)["where"]  # the grid position it was printed at
    assert after == before
    assert getattr(marked, table_name) == with_text(expected, table_name, places, None)[table_name]
    assert not [p for p in marked.problems if p["kind"] in ("cell_missing", "rows_missing", "cells_unplaced")]


@pytest.mark.parametrize("position, text", [(0, "约5"), (7, "五"), (14, "〇")], ids=["first", "middle", "last"])
def test_text_in_a_table_four_value_column_stays_in_that_column(position, text):
    """Found by fuzzing: a row's cells were told apart by their text alone, so text first
    in table 四's row of 15 values (no label of its own) was taken for its label, and the 14
    numbers after it were read one column to the left (only ``cell_missing`` and R5 showed
    it). In a grid the columns are known: a header cell (行政复议) spans that column with
    columns holding numbers, so it is a value column and the text a value."""
    assert_only_those_cells_are_text(seed_expected("000"), "reviews_litigation", [REVIEW_COLUMNS[position]], text)


@pytest.mark.parametrize("row, text", [("new_received", "约5"), ("other_unpaid_fee", "1e9")])
def test_text_in_a_table_three_value_column_stays_in_that_column(row, text):
    """Found by fuzzing (one value cell of a bench page changed to '1e9'): text in a row's
    first value column was read as the end of its label, no row key matched that label, and
    the row was lost (rows_missing). The other rows hold numbers in that column: it is a
    value column, and the text one of the row's values."""
    assert_only_those_cells_are_text(seed_expected("000"), "applications", [(row, "natural_person")], text)


def test_a_column_printing_text_in_several_rows_is_still_a_value_column():
    """Some reports print 〇 for nothing, in row after row. Where most rows hold numbers in
    a column, each 〇 there is a text cell of that column, not a label of its row."""
    places = [(row, "natural_person") for row in ("new_received", "granted", "unable_not_held", "carried_forward")]
    assert_only_those_cells_are_text(seed_expected("000"), "applications", places, "〇")


def test_a_heading_after_a_word_comment_in_a_page_of_no_known_container():
    """Found by fuzzing: the text after <!--[endif]--> (Word's list markup) is the comment's
    tail, and the search for headings asked the comment for its text: a ValueError out of
    parse_report, on any page whose body no container names and whose heading is so marked."""
    page = """<html><head><title>2023年政府信息公开工作年度报告</title></head><body><div class="x">
<p><!--[if !supportLists]-->一、<!--[endif]-->总体情况</p><p>本机关认真贯彻落实条例。</p>
<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p></div></body></html>"""
    report = parse_report(page.encode("utf-8"))
    assert report.title == "2023年政府信息公开工作年度报告"
    assert "总体情况" in report.text


def test_a_page_libxml2_stops_reading_says_where():
    """Found by fuzzing (10,000 nested tags): libxml2 drops everything after elements nested
    more than 256 deep (a <div> opened per line and never closed), tables included, and said
    so only in its error log: the tables were then 'missing', with no word of why."""
    page = ("<html><head><title>2023年政府信息公开工作年度报告</title></head><body><div class='TRS_Editor'>"
            "<p>一、总体情况</p>" + "<div>本机关认真贯彻落实条例。" * 300 + "<p>二、主动公开政府信息情况</p>"
            "<p>三、收到和处理政府信息公开申请情况</p></div></body></html>")
    report = parse_report(page.encode("utf-8"))
    (limit,) = [p for p in report.problems if p["kind"] == "document_limit"]
    assert limit["detail"].startswith("read the page up to line 1, column ")
    assert limit["detail"].endswith(" only: Excessive depth in document: 256")
    whole = parse_report(page.replace("<div>", "<p>").encode("utf-8"))
    assert not [p for p in whole.problems if p["kind"] == "document_limit"]


def test_an_integer_past_a_floats_range_is_text_not_a_number():
    """Found by fuzzing: a cell of 401 digits read as an int, and a '0.0' in the same column
    of table 三: R3's sum of an int past a float's range with a float raised OverflowError
    out of parse_report. No count is that long: the cell is text, its rules not assessable."""
    expected = seed_expected("000")
    apps = expected["applications"]
    apps = dict(apps, granted=dict(apps["granted"], commercial_enterprise="1" + "0" * 400),
                partially_granted=dict(apps["partially_granted"], commercial_enterprise="0.0"))
    report = parse_report(report_page(dict(expected, applications=apps)).encode("utf-8"))
    assert report.applications["granted"]["commercial_enterprise"] is None
    (cell,) = [c for c in report.cells if c["row"] == "granted" and c["column"] == "commercial_enterprise"]
    assert cell["kind"] == "text" and cell["text"] == "1" + "0" * 400
    r3 = [c for c in report.checks if c.rule == "R3" and c.where == "commercial_enterprise"]
    assert [c.status for c in r3] == ["not_assessable"]
