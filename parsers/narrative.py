"""Numbers the report's prose states about its own tables, for the soft rule R8.

"全年收到政府信息公开申请34件", "有1件涉及政府信息公开工作的行政复议": each claim
names what it counts and the number printed. What a sentence counts is not always
what it seems to say: seed 000's "共受理依申请公开事项59件" is the total handled
(new + carried over), not the 47 newly received. So a claim lists every table
quantity it may mean, and R8 passes when the number equals one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A claim never spans two clauses. Line breaks are not clause ends: PDF text breaks
# lines mid-sentence ("…的行政复\n议").
_CLAUSE = re.compile(r"[。；;！!？?，,]")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_NUMBER = r"(\d[\d,，]*)\s*(?:件|宗|起|个)"
_GAP = r"[^，,。；;、\d]{0,24}?"


@dataclass(frozen=True)
class Claim:
    what: str          # a short name of the quantity, e.g. "applications received"
    meanings: tuple    # candidate table quantities, by name (see checks._narrative_value)
    number: int
    text: str          # the clause it was read from, as printed


def _pattern(prefix: str, suffix: str = "") -> re.Pattern:
    return re.compile(prefix + _GAP + _NUMBER + suffix)


# (what, meanings, pattern). Order matters: the first pattern that matches a stretch
# of a clause claims it, so the specific phrasings come before the general ones.
_CLAIMS = [
    ("applications carried over", ("carried_over",),
     _pattern(r"上年(?:度)?结转")),
    ("applications carried forward", ("carried_forward",),
     _pattern(r"(?:结转|转)(?:至|到)?下一?年度?")),
    ("applications newly received", ("new_received",),
     _pattern(r"新收(?:到)?")),
    ("applications received", ("new_received", "handled", "total"),
     _pattern(r"(?:收到|受理|接收|接到|办理)(?=[^，,。；;]{0,20}申请)")),
    ("applications granted", ("granted",), _pattern(r"(?:同意公开|予以公开)")),
    ("applications partially granted", ("partially_granted",), _pattern(r"部分公开")),
    ("applications withheld", ("withheld",), _pattern(r"不予公开")),
    ("applications unable", ("unable",), _pattern(r"无法提供")),
    ("applications rejected", ("rejected",), _pattern(r"不予处理")),
    ("applications otherwise handled", ("other",), _pattern(r"其他处理")),
    ("administrative reviews", ("review",),
     re.compile(r"(?:行政复议" + _GAP + _NUMBER + r"|" + _NUMBER + r"[^，,。；;\d]{0,16}行政复议)")),
    ("administrative litigation", ("litigation",),
     re.compile(r"(?:行政诉讼" + _GAP + _NUMBER + r"|" + _NUMBER + r"[^，,。；;\d]{0,16}行政诉讼)")),
]

# Words that make a clause about something else: other years, shares, comparisons.
_NOT_A_CLAIM = re.compile(r"较上一?年|同比|增加|减少|占|%|％|上一年度|累计")


def find_claims(text: str) -> list[Claim]:
    """Every claim in the report's prose, in reading order, each quantity once (the first)."""
    claims: list[Claim] = []
    seen: set[str] = set()
    # Every claim counts 件: the other clauses (most of a report) are dropped in one pass.
    for clause in [c for c in _CLAUSE.split(_LINE_BREAK.sub("", text)) if "件" in c]:
        clause = clause.strip()
        if len(clause) > 200 or _NOT_A_CLAIM.search(clause):
            continue
        taken: list[tuple[int, int]] = []
        for what, meanings, pattern in _CLAIMS:
            for match in pattern.finditer(clause):
                if what in seen or any(a < match.end() and match.start() < b for a, b in taken):
                    continue
                number = next(g for g in match.groups() if g)
                taken.append(match.span())
                seen.add(what)
                claims.append(Claim(what, meanings, int(re.sub(r"[,，]", "", number)), clause))
    return claims
