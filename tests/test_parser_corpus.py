"""Real report pages from the development corpus against goldens written by hand.

Each ``tests/data/corpus/*.golden.json`` was written by reading the source page, not by
accepting the parser's output. Where the source breaks its own arithmetic, the golden
spells the arithmetic out and the test re-does it from the golden's numbers.
"""

from __future__ import annotations

import json

import pytest

from conftest import get_test_file
from parsers import parse_report

GOLDENS = sorted(get_test_file("corpus").glob("*.golden.json"))
TABLES = ("active_disclosure", "applications", "reviews_litigation")
OUTCOME_ROWS_2019 = (
    "granted", "partially_granted", "withheld_state_secret", "withheld_prohibited_by_law",
    "withheld_three_safeties_one_stability", "withheld_third_party_rights", "withheld_internal_affairs",
    "withheld_process_information", "withheld_enforcement_files", "withheld_administrative_inquiry",
    "unable_not_held", "unable_needs_creation", "unable_unclear", "rejected_petition_complaint",
    "rejected_duplicate", "rejected_publication", "rejected_excessive", "rejected_confirmation", "other",
)


def load(golden_path):
    golden = json.loads(golden_path.read_text(encoding="utf-8"))
    source = get_test_file("corpus", golden["source_file"]).read_bytes()
    return golden, parse_report(source).to_dict()


@pytest.mark.parametrize("golden_path", GOLDENS, ids=[g.name.split(".")[0] for g in GOLDENS])
def test_corpus_page_matches_its_golden(golden_path):
    golden, report = load(golden_path)
    for key in ("title", "agency", "year", "published", "layout"):
        assert report[key] == golden[key], key
    for table in TABLES:
        assert report[table] == golden[table], table
    assert set(report["failing_rules"]) == set(golden["failing_rules"])


@pytest.mark.parametrize("golden_path", GOLDENS, ids=[g.name.split(".")[0] for g in GOLDENS])
def test_failures_are_the_sources_own_arithmetic(golden_path):
    golden, report = load(golden_path)
    failed = {(c["rule"], c["where"]): c for c in report["checks"] if c["status"] == "fail"}
    stated = golden.get("source_inconsistencies", [])
    assert set(failed) == {(s["rule"], s["where"]) for s in stated}
    apps = golden["applications"]
    for s in stated:
        if s["rule"] == "R3":  # redo the sum from the hand-written numbers
            outcomes = sum(apps[row][s["where"]] for row in OUTCOME_ROWS_2019 if row in apps)
            assert (apps["total"][s["where"]], outcomes) == (s["left"], s["right"])
        assert (failed[(s["rule"], s["where"])]["left"], failed[(s["rule"], s["where"])]["right"]) == (s["left"], s["right"])
