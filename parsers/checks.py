"""Consistency rules (勾稽关系) R1, R3, R4, R5 of report-format.md.

Every evaluation is recorded (pass, fail, or not_assessable when a side has
an EMPTY or missing value). Checks never change a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import national_format as fmt

HARD_RULES = ("R1", "R3", "R4", "R5")
PASS, FAIL, NOT_ASSESSABLE = "pass", "fail", "not_assessable"


@dataclass(frozen=True)
class Check:
    rule: str
    where: str
    status: str
    left: int | float | None
    right: int | float | None
    delta: int | float | None

    def to_dict(self) -> dict:
        return {"rule": self.rule, "where": self.where, "status": self.status,
                "left": self.left, "right": self.right, "delta": self.delta}


def run_checks(applications: dict | None, reviews: dict | None) -> list[Check]:
    checks: list[Check] = []
    if applications:
        checks += [_r1(applications, column) for column in fmt.APPLICANT_COLUMNS]
        checks += [_r3(applications, column) for column in fmt.APPLICANT_COLUMNS]
        checks += [_r4(applications, row) for row in applications]
    if reviews:
        checks += [_r5(reviews, group) for group in fmt.REVIEW_GROUPS if group in reviews]
    return checks


def failing_rules(checks: list[Check]) -> list[str]:
    return sorted({c.rule for c in checks if c.status == FAIL and c.rule in HARD_RULES})


def _r1(apps: dict, column: str) -> Check:
    """new_received + carried_over = total + carried_forward."""
    left = _sum([_get(apps, "new_received", column), _get(apps, "carried_over", column)])
    right = _sum([_get(apps, "total", column), _get(apps, "carried_forward", column)])
    return _compare("R1", column, left, right)


def _r3(apps: dict, column: str) -> Check:
    """total = granted + partially_granted + the leaves of (三)–(六)."""
    outcome_rows = ["granted", "partially_granted"] + _leaf_rows(apps)
    return _compare("R3", column, _get(apps, "total", column), _sum([_get(apps, r, column) for r in outcome_rows]))


def _r4(apps: dict, row: str) -> Check:
    """The 总计 column equals the six applicant columns."""
    parts = [_get(apps, row, column) for column in fmt.APPLICANT_COLUMNS[:-1]]
    return _compare("R4", row, _get(apps, row, "total"), _sum(parts))


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
    return apps.get(row, {}).get(column) if row in apps else None


def _sum(values):
    if any(v is None for v in values):
        return None
    return sum(values)


def _compare(rule: str, where: str, left, right) -> Check:
    if left is None or right is None:
        return Check(rule, where, NOT_ASSESSABLE, left, right, None)
    delta = left - right
    if isinstance(delta, float):
        delta = round(delta, 6)
    return Check(rule, where, PASS if delta == 0 else FAIL, left, right, delta)
