"""The 2021 national format's tables 二, 三, 四 as grids with Word's spans, filled from canonical values.

Written from the format (国办公开办函〔2021〕30号), not from the parser: the fixtures built from these
grids test the parser against values that never went through it. A grid is a list of ``Span``s
placed on a rectangle; each document writer (PDF, DOCX, XLSX, XLS) draws the same grid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Span:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    value: object = None  # the number a spreadsheet stores (None: the text is stored)


@dataclass
class SpanTable:
    columns: int
    rows: int
    spans: list[Span]

    def split(self, at: int) -> tuple[SpanTable, SpanTable]:
        """Rows [0, at) and [at, rows): a cell spanning the cut continues, blank, below it,
        as Word prints a merged cell broken by a page end."""
        top, bottom = [], []
        for s in self.spans:
            if s.row < at:
                top.append(replace(s, rowspan=min(s.rowspan, at - s.row)))
                if s.row + s.rowspan > at:
                    bottom.append(Span(0, s.col, "", s.row + s.rowspan - at, s.colspan))
            else:
                bottom.append(replace(s, row=s.row - at))
        return SpanTable(self.columns, at, top), SpanTable(self.columns, self.rows - at, bottom)

    def texts(self) -> list[list[str]]:
        """Plain rows: a span's text at its top-left, "" elsewhere."""
        grid = [[""] * self.columns for _ in range(self.rows)]
        for s in self.spans:
            grid[s.row][s.col] = s.text
        return grid


def printed(value) -> str:
    """A cell as a report prints it: 6, 668.57, 1681 (not 1681.0); None is a blank cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Builder:
    def __init__(self, columns: int):
        self.columns, self.row, self.spans = columns, 0, []

    def add(self, col: int, text: str, rowspan: int = 1, colspan: int = 1, value=None, row: int | None = None):
        self.spans.append(Span(self.row if row is None else row, col, text, rowspan, colspan, value))

    def values(self, col: int, numbers, colspan: int = 1):
        for i, number in enumerate(numbers):
            self.add(col + i * colspan, printed(number), colspan=colspan, value=number)

    def next_row(self, count: int = 1):
        self.row += count

    def table(self) -> SpanTable:
        return SpanTable(self.columns, self.row, self.spans)


# ---- table 二 ----

ACTIVE_BLOCKS = [
    ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
     [("规章", "regulations"), ("行政规范性文件", "normative_documents")], ["issued", "repealed", "in_force"]),
    ("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "licensing")], ["decisions"]),
    ("第二十条第（六）项", ["本年处理决定数量"], [("行政处罚", "penalty"), ("行政强制", "coercion")], ["decisions"]),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", "fees")], ["amount_10k_yuan"]),
]


def active_disclosure(values: dict) -> SpanTable:
    b = _Builder(4)
    for heading, headers, rows, keys in ACTIVE_BLOCKS:
        b.add(0, heading, colspan=4)
        b.next_row()
        width = 3 // len(headers)
        b.add(0, "信息内容")
        for i, header in enumerate(headers):
            b.add(1 + i * width, header, colspan=width)
        b.next_row()
        for label, key in rows:
            b.add(0, label)
            b.values(1, [values[key][k] for k in keys], colspan=width)
            b.next_row()
    return b.table()


# ---- table 三 ----

APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
              "legal_service_org", "other_org", "total"]
GROUPS = [
    ("（三）不予公开", [("1.属于国家秘密", "withheld_state_secret"), ("2.其他法律行政法规禁止公开", "withheld_prohibited_by_law"),
                  ("3.危及“三安全一稳定”", "withheld_three_safeties_one_stability"),
                  ("4.保护第三方合法权益", "withheld_third_party_rights"), ("5.属于三类内部事务信息", "withheld_internal_affairs"),
                  ("6.属于四类过程性信息", "withheld_process_information"), ("7.属于行政执法案卷", "withheld_enforcement_files"),
                  ("8.属于行政查询事项", "withheld_administrative_inquiry")]),
    ("（四）无法提供", [("1.本机关不掌握相关政府信息", "unable_not_held"), ("2.没有现成信息需要另行制作", "unable_needs_creation"),
                  ("3.补正后申请内容仍不明确", "unable_unclear")]),
    ("（五）不予处理", [("1.信访举报投诉类申请", "rejected_petition_complaint"), ("2.重复申请", "rejected_duplicate"),
                  ("3.要求提供公开出版物", "rejected_publication"), ("4.无正当理由大量反复申请", "rejected_excessive"),
                  ("5.要求行政机关确认或重新出具已获取信息", "rejected_confirmation")]),
    ("（六）其他处理", [("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction"),
                  ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_unpaid_fee"),
                  ("3.其他", "other_other")]),
]


def applications(values: dict) -> SpanTable:
    """Three label columns, seven applicant columns; （六） as one row when ``values`` has ``other``."""
    b = _Builder(10)
    b.add(0, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3)
    b.add(3, "申请人情况", colspan=7)
    b.next_row()
    b.add(3, "自然人", rowspan=2)
    b.add(4, "法人或其他组织", colspan=5)
    b.add(9, "总计", rowspan=2)
    b.next_row()
    for i, name in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]):
        b.add(4 + i, name)
    b.next_row()

    def row(key: str):
        b.values(3, [values[key][c] for c in APPLICANTS])
        b.next_row()

    b.add(0, "一、本年新收政府信息公开申请数量", colspan=3)
    row("new_received")
    b.add(0, "二、上年结转政府信息公开申请数量", colspan=3)
    row("carried_over")
    results_start = b.row
    b.add(1, "（一）予以公开", colspan=2)
    row("granted")
    b.add(1, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2)
    row("partially_granted")
    for heading, items in GROUPS:
        if heading.endswith("其他处理") and "other" in values:
            b.add(1, heading, colspan=2)
            row("other")
            continue
        b.add(1, heading, rowspan=len(items))
        for label, key in items:
            b.add(2, label)
            row(key)
    b.add(1, "（七）总计", colspan=2)
    row("total")
    b.add(0, "三、本年度办理结果", rowspan=b.row - results_start, row=results_start)
    b.add(0, "四、结转下年度继续办理", colspan=3)
    row("carried_forward")
    return b.table()


# ---- table 四 ----

REVIEW_GROUPS = ["review", "litigation_direct", "litigation_after_review"]
OUTCOMES = [("结果维持", "upheld"), ("结果纠正", "corrected"), ("其他结果", "other"), ("尚未审结", "pending"), ("总计", "total")]


def reviews_litigation(values: dict) -> SpanTable:
    b = _Builder(15)
    b.add(0, "行政复议", colspan=5)
    b.add(5, "行政诉讼", colspan=10)
    b.next_row()
    for i, (name, _) in enumerate(OUTCOMES):
        b.add(i, name, rowspan=2)
    b.add(5, "未经复议直接起诉", colspan=5)
    b.add(10, "复议后起诉", colspan=5)
    b.next_row()
    for g in (1, 2):
        for i, (name, _) in enumerate(OUTCOMES):
            b.add(g * 5 + i, name)
    b.next_row()
    b.values(0, [values[group][key] for group in REVIEW_GROUPS for _, key in OUTCOMES])
    b.next_row()
    return b.table()


TABLE_BUILDERS = {"active_disclosure": active_disclosure, "applications": applications,
                  "reviews_litigation": reviews_litigation}
HEADINGS = {"active_disclosure": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况",
            "reviews_litigation": "四、政府信息公开行政复议、行政诉讼情况"}
