"""The national report format: canonical keys and the label patterns that name them.

Keys follow docs/report-format.md. Patterns are matched against a
label after ``normalize.label_key`` and ``strip_numbering`` (simplified, no
spaces, no "(三)"/"1." numbering), so they describe meaning, not layout.
"""

from __future__ import annotations

import re

try:  # the regular-expression parser, to read what a label pattern requires
    from re import _constants as re_constants, _parser as re_parser
except ImportError:  # Python < 3.11
    import sre_constants as re_constants
    import sre_parse as re_parser

ACTIVE_DISCLOSURE = "active_disclosure"
APPLICATIONS = "applications"
REVIEWS_LITIGATION = "reviews_litigation"
TABLES = (ACTIVE_DISCLOSURE, APPLICATIONS, REVIEWS_LITIGATION)


def _patterns(pairs):
    return [(key, re.compile(pattern)) for key, pattern in pairs]


# ---- Table 二 (主动公开) -------------------------------------------------------

ACTIVE_ROWS = _patterns([
    ("regulations", r"^规章$"),
    ("normative_documents", r"^(行政)?规范性文件$"),
    ("licensing", r"^行政许可$"),
    ("other_services", r"^其他对外管理服务事项$"),
    ("penalty", r"^行政处罚$"),
    ("coercion", r"^行政强制$"),
    ("fees", r"^行政事业性收费$"),
    ("procurement", r"^政府集中采购$"),
])

# Column headers. 本年度止件数 (seed 002) is a misprint of 本年废止件数.
ACTIVE_COLUMNS = _patterns([
    ("issued", r"制发"),
    ("repealed", r"废止|止件数"),
    ("in_force", r"现行有效"),
    ("decisions", r"处理决定"),
    ("amount_10k_yuan", r"收费金额"),
    ("made", r"新制作"),
    ("published", r"新公开"),
    ("public_total", r"对外公开总"),
    ("items_prev_year", r"上一?年项目"),
    ("items_change", r"增/?减"),
    ("items", r"采购项目"),
    ("amount", r"采购总?金额|总金额"),
])

# Columns by row when the header row is missing or unreadable.
ACTIVE_DEFAULT_COLUMNS = {
    "2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_documents": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "penalty": ("decisions",),
        "coercion": ("decisions",),
        "fees": ("amount_10k_yuan",),
    },
    "2019": {
        "regulations": ("made", "published", "public_total"),
        "normative_documents": ("made", "published", "public_total"),
        "licensing": ("items_prev_year", "items_change", "decisions"),
        "other_services": ("items_prev_year", "items_change", "decisions"),
        "penalty": ("items_prev_year", "items_change", "decisions"),
        "coercion": ("items_prev_year", "items_change", "decisions"),
        "fees": ("items_prev_year", "items_change"),
        "procurement": ("items", "amount"),
    },
}

# The unit each amount column holds: 万元 by the 2021 table 二's header (本年收费金额（单位：万元）),
# 元 the usual one of the 2019 （九） 采购总金额. A value printed in another is kept as printed
# and noted (``amount_unit``), never converted.
AMOUNT_UNITS = {"amount_10k_yuan": "万元", "amount": "元"}
LAYOUT_2019_COLUMNS = {"made", "published", "public_total", "items_prev_year", "items_change", "items", "amount"}
LAYOUT_2021_COLUMNS = {"issued", "repealed", "in_force", "amount_10k_yuan"}

# ---- Table 三 (申请) --------------------------------------------------------------

APPLICANT_COLUMNS = (
    "natural_person", "commercial_enterprise", "research_institution",
    "social_welfare_org", "legal_service_org", "other_org", "total",
)

# Group headings (三)–(六): alone on a row with values they are subtotals.
APPLICATION_GROUPS = _patterns([
    ("withheld", r"^不予公开$"),
    ("unable", r"^无法提供$"),
    ("rejected", r"^不予处理$"),
    ("other", r"^其他处理$"),
])

APPLICATION_ROWS = _patterns([
    ("new_received", r"本年新收"),
    ("carried_over", r"上年结转"),
    ("granted", r"^予以公开"),
    ("partially_granted", r"^部分公开"),
    ("withheld_state_secret", r"国家秘密"),
    ("withheld_prohibited_by_law", r"法律行政法规禁止公开|其他法律"),
    ("withheld_three_safeties_one_stability", r"三安全一稳定"),
    ("withheld_third_party_rights", r"第三方合法权益"),
    ("withheld_internal_affairs", r"内部事务"),
    ("withheld_process_information", r"过程性信息"),
    ("withheld_enforcement_files", r"行政执法案卷"),
    ("withheld_administrative_inquiry", r"行政查询事项"),
    ("unable_not_held", r"不掌握"),
    ("unable_needs_creation", r"另行制作"),
    ("unable_unclear", r"仍不明确|补正后申请内容"),
    ("rejected_petition_complaint", r"信访|举报投诉"),
    ("rejected_duplicate", r"^重复申请"),
    ("rejected_publication", r"公开出版物"),
    ("rejected_excessive", r"大量反复"),
    ("rejected_confirmation", r"重新出具|确认或"),
    ("other_no_correction", r"逾期不补正|不补正"),
    ("other_unpaid_fee", r"缴纳费用|收费通知"),
    ("total", r"^总计$"),
    ("carried_forward", r"结转下年"),
])

# Rows every table 三 has (（六） may be one row or three, so it is checked apart).
APPLICATION_REQUIRED_ROWS = (
    "new_received", "carried_over", "granted", "partially_granted",
    "withheld_state_secret", "withheld_prohibited_by_law", "withheld_three_safeties_one_stability",
    "withheld_third_party_rights", "withheld_internal_affairs", "withheld_process_information",
    "withheld_enforcement_files", "withheld_administrative_inquiry",
    "unable_not_held", "unable_needs_creation", "unable_unclear",
    "rejected_petition_complaint", "rejected_duplicate", "rejected_publication",
    "rejected_excessive", "rejected_confirmation", "total", "carried_forward",
)

# "3.其他" is other_other only inside (六)其他处理.
OTHER_OTHER = ("other_other", re.compile(r"^其他$"))

SUBTOTAL_OF = {"withheld": "withheld_", "unable": "unable_", "rejected": "rejected_", "other": "other_"}
OTHER_ITEM_ROWS = ("other_no_correction", "other_unpaid_fee", "other_other")  # (六) as three items (2021)

# ---- Table 四 (复议、诉讼) ---------------------------------------------------------

REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
REVIEW_CELL_COUNT = len(REVIEW_GROUPS) * len(REVIEW_OUTCOMES)


def columns_named(label: str) -> list[str]:
    """Table 二 column keys a header label names, in reading order.

    Usually one; a PDF line "信息内容 本年制发件数 本年废止件数 现行有效件数" names three.
    """
    found = {}
    for key, pattern in ACTIVE_COLUMNS:
        match = pattern.search(label)
        if match and key not in found:
            found[key] = match.start()
    return sorted(found, key=found.get)


def required_characters(pattern: str) -> list[str]:
    """For each top-level alternative of a label pattern, the characters every match of it
    holds (``"^(行政)?规范性文件$"`` -> ``["规范性文件"]``). Used to rule tables out cheaply."""
    parsed = re_parser.parse(pattern)
    if len(parsed) == 1 and parsed[0][0] is re_constants.BRANCH:
        return ["".join(sorted(_required(branch))) for branch in parsed[0][1][1]]
    return ["".join(sorted(_required(parsed)))]


def _required(sequence) -> set[str]:
    required: set[str] = set()
    for op, argument in sequence:
        if op is re_constants.LITERAL:
            required.add(chr(argument))
        elif op is re_constants.SUBPATTERN:
            required |= _required(argument[-1])
        elif op in (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT) and argument[0] >= 1:
            required |= _required(argument[2])
        elif op is re_constants.BRANCH:  # what every alternative needs
            required |= set.intersection(*(_required(branch) for branch in argument[1]))
        # anything else (classes, anchors, lookarounds, optional parts) requires nothing
    return required


def first_match(patterns, label: str) -> str | None:
    for key, pattern in patterns:
        if pattern.search(label):
            return key
    return None


# ---- Printed labels, for text whose cells ran together -----------------------------
# A crawler that flattened the page leaves "…（一）予以公开6000017（二）部分公开…":
# labels are found in the text in format order, so they are the whole printed
# label up to where its numbers start. Numbering ("1.", "（三）") is not part
# of them: it sits between one row's digits and the next label.

def _printed(word: str) -> str:
    """A printed label as a pattern: spaces may fall between characters, brackets and
    quotes may be full- or half-width."""
    parts = []
    for char in word:
        parts.append({"（": "[（(]", "）": "[）)]", "“": "[“\"]?", "”": "[”\"]?", "，": "[，,、]?",
                      "、": "[、，,]?"}.get(char, re.escape(char)))
    return r"\s*".join(parts)


def _printed_patterns(pairs):
    return [(key, re.compile(_printed(word) + tail)) for key, word, tail in pairs]


PRINTED_APPLICATION_LABELS = _printed_patterns([
    ("new_received", "本年新收政府信息公开申请数量", ""),
    ("carried_over", "上年结转政府信息公开申请数量", ""),
    ("granted", "予以公开", ""),
    ("partially_granted", "部分公开", r"(?:\s*[（(][^）)]{0,30}[）)])?"),
    ("withheld", "不予公开", ""),
    ("withheld_state_secret", "属于国家秘密", ""),
    ("withheld_prohibited_by_law", "其他法律行政法规禁止公开", ""),
    ("withheld_three_safeties_one_stability", "危及“三安全一稳定”", ""),
    ("withheld_third_party_rights", "保护第三方合法权益", ""),
    ("withheld_internal_affairs", "属于三类内部事务信息", ""),
    ("withheld_process_information", "属于四类过程性信息", ""),
    ("withheld_enforcement_files", "属于行政执法案卷", ""),
    ("withheld_administrative_inquiry", "属于行政查询事项", ""),
    ("unable", "无法提供", ""),
    ("unable_not_held", "本机关不掌握相关政府信息", ""),
    ("unable_needs_creation", "没有现成信息需要另行制作", ""),
    ("unable_unclear", "补正后申请内容仍不明确", ""),
    ("rejected", "不予处理", ""),
    ("rejected_petition_complaint", "信访举报投诉类申请", ""),
    ("rejected_duplicate", "重复申请", ""),
    ("rejected_publication", "要求提供公开出版物", ""),
    ("rejected_excessive", "无正当理由大量反复申请", ""),
    ("rejected_confirmation", "要求行政机关确认或重新出具已获取信息", ""),
    ("other", "其他处理", ""),
    ("other_no_correction", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", ""),
    ("other_unpaid_fee", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", ""),
    ("other_other", "其他", r"(?!\s*处理)"),
    ("total", "总计", ""),
    ("carried_forward", "结转下年度继续办理", ""),
])

PRINTED_ACTIVE_LABELS = _printed_patterns([
    ("regulations", "规章", ""),
    ("normative_documents", "规范性文件", ""),
    ("licensing", "行政许可", ""),
    ("other_services", "其他对外管理服务事项", ""),
    ("penalty", "行政处罚", ""),
    ("coercion", "行政强制", ""),
    ("fees", "行政事业性收费", ""),
    ("procurement", "政府集中采购", ""),
])
