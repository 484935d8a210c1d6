"""Consistency rules (勾稽关系) of docs/report-format.md: hard R1, R3, R4, R5; soft R8.

Every evaluation is recorded (pass, fail, or not_assessable when a side has
an EMPTY or missing value; the soft rule says warn instead of fail). Checks
never change a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import national_format as fmt
from .narrative import Claim

HARD_RULES = ("R1", "R3", "R4", "R5")
PASS, FAIL, NOT_ASSESSABLE, WARN = "pass", "fail", "not_assessable", "warn"


@dataclass(frozen=True)
class Check:
    rule: str
    where: str
    status: str
    left: int | float | None
    right: int | float | None
    delta: int | float | None
    detail: str | None = None  # R8: the sentence the narrative number was read from

    def to_dict(self) -> dict:
        return {"rule": self.rule, "where": self.where, "status": self.status,
                "left": self.left, "right": self.right, "delta": self.delta, "detail": self.detail}


def run_checks(applications: dict | None, reviews: dict | None) -> list[Check]:
    checks: list[Check] = []
    if applications:
        checks += [_r1(applications, column) for column in fmt.APPLICANT_COLUMNS]
        outcome_rows = ["granted", "partially_granted"] + _leaf_rows(applications)
        checks += [_r3(applications, column, outcome_rows) for column in fmt.APPLICANT_COLUMNS]
        checks += [_r4(applications, row) for row in applications]
    if reviews:
        checks += [_r5(reviews, group) for group in fmt.REVIEW_GROUPS if group in reviews]
    return checks


def narrative_checks(claims: list[Claim], applications: dict | None, reviews: dict | None) -> list[Check]:
    """R8: each number the prose states against the table quantities it may mean.

    Passes when the number equals any of them (``where`` then says which);
    otherwise warns against the first. Claims about a table the report lacks
    are not checked at all: there is nothing to compare with.
    """
    checks = []
    for claim in claims:
        table = reviews if claim.meanings[0] in ("review", "litigation") else applications
        if not table:
            continue
        candidates = [(m, _narrative_value(m, applications or {}, reviews or {})) for m in claim.meanings]
        known = [(m, v) for m, v in candidates if v is not None]
        if not known:
            checks.append(Check("R8", f"{claim.what}: {claim.meanings[0]}", NOT_ASSESSABLE,
                                claim.number, None, None, claim.text))
            continue
        meaning, value = next(((m, v) for m, v in known if v == claim.number), known[0])
        delta = claim.number - value
        checks.append(Check("R8", f"{claim.what}: {meaning}", PASS if delta == 0 else WARN,
                            claim.number, value, delta, claim.text))
    return checks


def _narrative_value(meaning: str, apps: dict, reviews: dict):
    """The table quantity a narrative claim may mean, or None when the table cannot say."""
    if meaning == "review":
        return (reviews.get("review") or {}).get("total")
    if meaning == "litigation":
        return _sum([(reviews.get(g) or {}).get("total") for g in ("litigation_direct", "litigation_after_review")]) \
            if "litigation_direct" in reviews else None
    if meaning == "handled":
        return _sum([_get(apps, "new_received", "total"), _get(apps, "carried_over", "total")])
    if meaning in fmt.SUBTOTAL_OF:
        if meaning in apps:
            return _get(apps, meaning, "total")
        leaves = [r for r in apps if r.startswith(fmt.SUBTOTAL_OF[meaning])]
        return _sum([_get(apps, r, "total") for r in leaves]) if leaves else None
    return _get(apps, meaning, "total")


def failing_rules(checks: list[Check]) -> list[str]:
    return sorted({c.rule for c in checks if c.status == FAIL and c.rule in HARD_RULES})


def _r1(apps: dict, column: str) -> Check:
    """new_received + carried_over = total + carried_forward."""
    left = _sum([_get(apps, "new_received", column), _get(apps, "carried_over", column)])
    right = _sum([_get(apps, "total", column), _get(apps, "carried_forward", column)])
    return _compare("R1", column, left, right)


def _r3(apps: dict, column: str, outcome_rows: list[str]) -> Check:
    """total = granted + partially_granted + the leaves of (三)–(六) (``outcome_rows``)."""
    return _compare("R3", column, _get(apps, "total", column), _sum([_get(apps, r, column) for r in outcome_rows]))


def _r4(apps: dict, row: str) -> Check:
    """The 总计 column equals the six applicant columns."""
    values = apps[row]
    parts = [values.get(column) for column in _PARTS]
    return _compare("R4", row, values.get("total"), _sum(parts))


_PARTS = fmt.APPLICANT_COLUMNS[:-1]


def _r5(reviews: dict, group: str) -> Check:
    """total = upheld + corrected + other + pending."""
    parts = [reviews[group].get(k) for k in fmt.REVIEW_OUTCOMES[:-1]]
    return _compare("R5", group, reviews[group].get("total"), _sum(parts))


def _leaf_rows(apps: dict) -> list[str]:
    # A subtotal counts only where its sub-rows are absent (2019's single "other").
    rows = []
    for subtotal, prefix in fmt.SUBTOTAL_OF.items():
        leaves = [r for r in apps if r.startswith(prefix)]
        rows += leaves or [subtotal]
    return rows


def _get(apps: dict, row: str, column: str):
    values = apps.get(row)
    return values.get(column) if values is not None else None


def _sum(values):
    if None in values:
        return None
    return sum(values)


def _compare(rule: str, where: str, left, right) -> Check:
    if left is None or right is None:
        return Check(rule, where, NOT_ASSESSABLE, left, right, None)
    delta = left - right
    if isinstance(delta, float):
        delta = round(delta, 6)
    return Check(rule, where, PASS if delta == 0 else FAIL, left, right, delta)
