"""Tables 二, 三 and 四 of a generated report as grids with the national format's spans.

A grid is rows of ``Cell``s with rowspan/colspan, laid out as the format's Word templates
(2019 trial and 2021) print them; ``table_markup`` renders a grid in a portal's dialect.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from report_content import ReportContent


@dataclass
class Cell:
    lines: list[str]          # one Word paragraph (or <br>-separated line) each
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"       # title | header | label | value


Grid = list[list[Cell]]

_ACTIVE_BLOCKS = {
    "2021": (
        ("（一）", "本年制发件数|本年废止件数|现行有效件数",
         (("规章", "regulations"), ("行政规范性文件", "normative_documents"))),
        ("（五）", "本年处理决定数量", (("行政许可", "licensing"),)),
        ("（六）", "本年处理决定数量", (("行政处罚", "penalty"), ("行政强制", "coercion"))),
        ("（八）", "本年收费金额（单位：万元）", (("行政事业性收费", "fees"),)),
    ),
    "2019": (
        ("（一）", "本年新制作数量|本年新公开数量|对外公开总数量",
         (("规章", "regulations"), ("规范性文件", "normative_documents"))),
        ("（五）", "上一年项目数量|本年增/减|处理决定数量",
         (("行政许可", "licensing"), ("其他对外管理服务事项", "other_services"))),
        ("（六）", "上一年项目数量|本年增/减|处理决定数量", (("行政处罚", "penalty"), ("行政强制", "coercion"))),
        ("（八）", "上一年项目数量|本年增/减", (("行政事业性收费", "fees"),)),
        ("（九）", "采购项目数量|采购总金额", (("政府集中采购", "procurement"),)),
    ),
}
_ACTIVE_WIDTH = 4


def _header_lines(rng: random.Random, text: str) -> list[str]:
    """Word wraps long header words; about a third of the pages keep the break as two paragraphs."""
    if len(text) >= 6 and rng.random() < 0.3:
        return [text[:3], text[3:]]
    return [text]


def active_grid(rng: random.Random, report: ReportContent) -> Grid:
    grid: Grid = []
    for block, headers, rows in _ACTIVE_BLOCKS[report.layout]:
        names = headers.split("|")
        grid.append([Cell([f"第二十条第{block}项"], colspan=_ACTIVE_WIDTH, kind="title")])
        header = [Cell(["信息内容"], kind="header")] + [Cell(_header_lines(rng, n), kind="header") for n in names]
        header[-1].colspan = _ACTIVE_WIDTH - len(names)
        grid.append(header)
        for label, key in rows:
            values = [Cell([text], kind="value") for text in report.active[key].values()]
            values[-1].colspan = _ACTIVE_WIDTH - len(values)
            grid.append([Cell([label])] + values)
    return grid


_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_ORGANISATIONS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
_GROUPS = {  # first leaf of a group → (group label, its leaves' labels)
    "withheld_state_secret": ("（三）不予公开", (
        "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
        "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项")),
    "unable_not_held": ("（四）无法提供", (
        "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确")),
    "rejected_petition_complaint": ("（五）不予处理", (
        "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
        "5.要求行政机关确认或重新出具已获取信息")),
    "other_no_correction": ("（六）其他处理", (
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他")),
}
_SINGLE = {  # rows labelled across the result columns
    "granted": "（一）予以公开", "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "other": "（六）其他处理", "total": "（七）总计",
}
_TOP = {"new_received": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
        "carried_forward": "四、结转下年度继续办理"}


def applications_grid(rng: random.Random, report: ReportContent) -> Grid:
    half_width = rng.random() < 0.3        # (一) instead of （一）: both are common
    def label(text: str) -> list[str]:
        return [text.replace("（", "(").replace("）", ")") if half_width else text]

    grid: Grid = [
        [Cell([_CORNER], rowspan=3, colspan=3, kind="header"), Cell(["申请人情况"], colspan=7, kind="header")],
        [Cell(["自然人"], rowspan=2, kind="header"), Cell(["法人或其他组织"], colspan=5, kind="header"),
         Cell(["总计"], rowspan=2, kind="header")],
        [Cell([name], kind="header") for name in _ORGANISATIONS],
    ]
    rows = report.applications
    keys = list(rows)
    results = keys[keys.index("granted"):keys.index("total") + 1]     # 三、本年度办理结果
    leaves = iter(())
    for key, values in rows.items():
        cells = [Cell([str(v)], kind="value") for v in values]
        if key in _TOP:
            head = [Cell(label(_TOP[key]), colspan=3)]
        elif key in _SINGLE:
            head = [Cell(label(_SINGLE[key]), colspan=2)]
        elif key in _GROUPS:
            group, names = _GROUPS[key]
            leaves = iter(names)
            head = [Cell(label(group), rowspan=len(names)), Cell(label(next(leaves)))]
        else:
            head = [Cell(label(next(leaves)))]
        if key == "granted":
            head.insert(0, Cell(label("三、本年度办理结果"), rowspan=len(results)))
        grid.append(head + cells)
    return grid


def reviews_grid(report: ReportContent) -> Grid:
    outcomes = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    grid: Grid = [
        [Cell(["行政复议"], colspan=5, kind="header"), Cell(["行政诉讼"], colspan=10, kind="header")],
        [Cell([o], rowspan=2, kind="header") for o in outcomes]
        + [Cell(["未经复议直接起诉"], colspan=5, kind="header"), Cell(["复议后起诉"], colspan=5, kind="header")],
        [Cell([o], kind="header") for o in outcomes * 2],
        [Cell([str(v)], kind="value") for group in report.reviews.values() for v in group.values()],
    ]
    return grid


def report_grids(rng: random.Random, report: ReportContent) -> dict[str, Grid]:
    """Section numeral → its table."""
    return {"二": active_grid(rng, report), "三": applications_grid(rng, report), "四": reviews_grid(report)}
