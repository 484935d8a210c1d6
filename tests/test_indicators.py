"""Pre-2019 统计表 rows become indicator rows: indicator, unit, this year, cumulative."""

from __future__ import annotations

from parsers import parse_report
from parsers.indicators import glued_indicator_rows

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>XX县人民政府2012年政府信息公开工作年度报告</title></head>
<body><div class="TRS_Editor">
<p>XX县人民政府2012年政府信息公开工作年度报告</p>
<p>一、概述</p><p>2012年，XX县人民政府认真贯彻《中华人民共和国政府信息公开条例》，推进政府信息公开。</p>
<p>二、主动公开政府信息情况</p><p>全年主动公开政府信息425条。</p>
<p>附件：XX县人民政府2012年政府信息公开情况统计表</p>
<table class="MsoNormalTable" border="1">
<tr><td><p><span>指标名称</span></p></td><td>计量单位</td><td>2012年度</td><td>历年累计</td></tr>
<tr><td>一、主动公开情况</td><td>&nbsp;</td><td>&nbsp;</td><td>&nbsp;</td></tr>
<tr><td>（一）主动公开政府信息数</td><td>条</td><td>425</td><td>1,516</td></tr>
<tr><td>其中：主动公开规章和规范性文件数</td><td>条</td><td>21</td><td>103</td></tr>
<tr><td>其中：1.网站公开</td><td>条</td><td>418</td><td>1509</td></tr>
<tr><td>2.政府公报公开</td><td>条</td><td>7</td><td>&nbsp;</td></tr>
<tr><td>二、依申请公开情况</td><td>&nbsp;</td><td>&nbsp;</td><td>&nbsp;</td></tr>
<tr><td>（一）收到申请数</td><td>件</td><td>12</td><td>40</td></tr>
<tr><td>其中：1.当面申请数</td><td>件</td><td>0</td><td>—</td></tr>
<tr><td>（二）行政许可决定公开数</td><td>件</td><td>5</td><td>20</td></tr>
<tr><td>三、收取费用</td><td>万元</td><td>0.12</td><td>0.5</td></tr>
</table>
<p>二○一三年三月二十日</p>
</div></body></html>"""

EXPECTED = [
    {"indicator": "(一)主动公开政府信息数", "unit": "条", "this_year": 425, "cumulative": 1516},
    {"indicator": "其中:主动公开规章和规范性文件数", "unit": "条", "this_year": 21, "cumulative": 103},
    {"indicator": "其中:1.网站公开", "unit": "条", "this_year": 418, "cumulative": 1509},
    {"indicator": "2.政府公报公开", "unit": "条", "this_year": 7, "cumulative": None},
    {"indicator": "(一)收到申请数", "unit": "件", "this_year": 12, "cumulative": 40},
    {"indicator": "其中:1.当面申请数", "unit": "件", "this_year": 0, "cumulative": None},
    {"indicator": "(二)行政许可决定公开数", "unit": "件", "this_year": 5, "cumulative": 20},
    {"indicator": "三、收取费用", "unit": "万元", "this_year": 0.12, "cumulative": 0.5},
]


def test_html_statistics_table_gives_indicator_rows():
    # it names 规章 and 行政许可, as table 二 does: the 指标名称 header decides
    report = parse_report(PAGE.encode("utf-8"))
    assert report.layout == "pre2019"
    assert report.indicators == EXPECTED
    assert report.applications is None and report.failing_rules is None
    assert not [p for p in report.problems if p["kind"] == "tables_missing"]
    assert report.to_dict()["indicators"] == EXPECTED


def test_indicator_cells_keep_their_kind_and_place():
    report = parse_report(PAGE.encode("utf-8"))
    cells = {(c["row"], c["column"]): c for c in report.cells if c["table"] == "indicators"}
    assert len(cells) == 2 * len(EXPECTED)
    assert cells[("2.政府公报公开", "cumulative")]["kind"] == "empty"          # blank, not 0
    assert cells[("其中:1.当面申请数", "this_year")]["kind"] == "zero"
    assert cells[("其中:1.当面申请数", "cumulative")]["kind"] == "not_applicable"
    cell = cells[("(一)主动公开政府信息数", "cumulative")]
    assert (cell["value"], cell["text"]) == (1516, "1,516")
    assert cell["where"].startswith("table ") and cell["where"].endswith("col 4")


def test_text_rows_give_indicator_rows():
    text = "\n".join([
        "XX县人民政府2012年政府信息公开工作年度报告",
        "一、概述",
        "2012年，XX县人民政府认真贯彻《中华人民共和国政府信息公开条例》。",
        "附件：政府信息公开情况统计表",
        "指标名称\t计量单位\t本年度\t历年累计",
        "主动公开信息数\t条\t425\t1516",
        "其中：1.网站公开\t条\t418\t",
        "行政复议数 件 0 2",
    ])
    report = parse_report(text.encode("utf-8"))
    assert report.indicators == [
        {"indicator": "主动公开信息数", "unit": "条", "this_year": 425, "cumulative": 1516},
        {"indicator": "其中:1.网站公开", "unit": "条", "this_year": 418, "cumulative": None},
        {"indicator": "行政复议数", "unit": "件", "this_year": 0, "cumulative": 2},
    ]
    where = next(c["where"] for c in report.cells if c["row"] == "行政复议数" and c["column"] == "cumulative")
    assert where == "line 8"


def test_glued_rows_keep_indicator_and_unit_but_no_values():
    rows = glued_indicator_rows("附件1：统计表 指标名称计量单位2011年度历年累计主动公开信息数条4251516"
                                "其中：1.网站公开条41815092.政府公报公开条77", "line 10")
    assert [(r.labels, [c.text for c in r.cells]) for r in rows] == [
        (["主动公开信息数", "条"], ["4251516"]),
        (["其中：1.网站公开", "条"], ["4181509"]),
        (["2.政府公报公开", "条"], ["77"]),
    ]


def test_reports_after_2019_have_no_indicators():
    report = parse_report("XX县2023年政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n".encode("utf-8"))
    assert report.indicators is None and report.to_dict()["indicators"] is None
