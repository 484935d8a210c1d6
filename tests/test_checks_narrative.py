"""R8, the soft rule: numbers the report's prose states against its own tables.

A narrative number may count something else than it seems (seed 000's "共受理…59件"
is everything handled, new plus carried over), so a claim passes when it equals
any quantity it may mean, and otherwise warns. It never fails a report and never
changes a number.
"""

from __future__ import annotations

from conftest import get_test_file
from parsers import parse_report
from parsers.checks import narrative_checks
from parsers.narrative import find_claims


def r8(report):
    return {c.where: c for c in report.checks if c.rule == "R8"}


def seed(name):
    path = next(get_test_file("seeds").glob(f"{name}_*.txt"))
    return parse_report(path.read_bytes())


def test_seed_000s_59_is_the_total_handled_not_the_47_newly_received():
    checks = r8(seed("000"))
    handled = checks["applications received: handled"]
    assert (handled.status, handled.left, handled.right) == ("pass", 59, 59)
    assert "共受理依申请公开事项59件" in handled.detail
    assert checks["applications newly received: new_received"].status == "pass"


def test_a_narrative_that_disagrees_warns_and_changes_nothing():
    report = seed("002")  # the prose says 2 applications, the table 6
    check = r8(report)["applications received: new_received"]
    assert (check.status, check.left, check.right, check.delta) == ("warn", 2, 6, -4)
    assert report.applications["new_received"]["total"] == 6
    assert "R8" not in report.failing_rules


def test_claims_name_what_they_count():
    text = ("全年收到政府信息公开申请 34 件，上年结转政府信息公开\n申请 2 件。其中同意公开答复 9 件，"
            "转下一年度办理答复的有 1 件。有 1 件涉及政府信息公开工作的行政复\n议。较上年增加12件。")
    found = {c.what: c.number for c in find_claims(text)}
    assert found == {
        "applications received": 34, "applications carried over": 2, "applications granted": 9,
        "applications carried forward": 1, "administrative reviews": 1,
    }


def test_no_table_no_r8():
    claims = find_claims("共收到政府信息公开申请80件")
    assert narrative_checks(claims, None, None) == []
    assert not r8(seed("001"))  # seed 001's tables are missing


def test_an_empty_cell_makes_the_claim_not_assessable():
    claims = find_claims("共收到政府信息公开申请8件")
    apps = {"new_received": {"total": None}}
    (check,) = narrative_checks(claims, apps, None)
    assert check.status == "not_assessable"
