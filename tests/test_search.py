"""Full-text search that works for Chinese: trigram FTS5, and a fallback for 1-2 characters."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import nianbao
from archive.schema import open_database
from archive.search import SEARCH_SQL, search_reports
from reports_db import store, v3_database

BASE = "http://127.0.0.1:8000/zwgk/"
TEXTS = {
    "a": ("甲县人民政府", "本年度做好疫情防控信息公开，依申请公开办理及时。"),
    "b": ("乙县人民政府", "推进水务工程信息公开，行政复议案件2件。"),
    "c": ("丙县人民政府", "重点领域信息公开：教育、医疗卫生。"),
}


@pytest.fixture
def db(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    ids = {key: store(db, BASE + f"{key}.html", agency=agency, year=2022, text=text, body=key.encode())
           for key, (agency, text) in TEXTS.items()}
    db.ids = {v: k for k, v in ids.items()}
    return db


def found(db, term):
    return sorted(db.ids[r["report_id"]] for r in search_reports(db, term))


@pytest.mark.parametrize("term, reports", [
    ("复议", ["b"]),  # two characters: below what a trigram index holds
    ("水务", ["b"]),
    ("疫情防控", ["a"]),  # four characters: the trigram index
    ("信息公开", ["a", "b", "c"]),
    ("医疗卫生", ["c"]),
    ("依申请公开", ["a"]),
    ("丙", ["c"]),  # one character, in the title
    ("交通运输", []),
])
def test_two_and_four_character_chinese_terms_find_the_right_reports(db, term, reports):
    assert found(db, term) == reports


def test_the_default_tokenizer_would_find_nothing(db):
    # Why trigram: unicode61 takes a run of Chinese as one token, so a word inside it is never found.
    db.execute("create virtual table plain using fts5(text)")
    db.execute("insert into plain select text from reports")
    assert db.execute("select count(*) from plain where plain match '疫情防控'").fetchone()[0] == 0
    assert db.execute("select count(*) from reports_fts where reports_fts match '疫情防控'").fetchone()[0] == 1


def test_the_index_follows_reparse_and_counts_current_versions_only(db):
    # A reparse of the same body whose text came out differently: the index follows.
    store(db, BASE + "b.html", agency="乙县人民政府", year=2022, text="推进交通运输信息公开。", body=b"b")
    assert found(db, "交通运输") == ["b"]
    assert found(db, "水务工程") == found(db, "水务") == []
    # A new version of the page: only the counted version is found.
    newer = store(db, BASE + "b.html", agency="乙县人民政府", year=2022, text="河道治理信息公开。", body=b"v2")
    assert [r["report_id"] for r in search_reports(db, "河道治理")] == [newer]
    assert found(db, "交通运输") == []
    assert db["reports_fts"].count == db["reports"].count  # the index holds every version


def test_quotes_and_operators_in_a_term_are_plain_text(db):
    assert found(db, '"信息') == []
    assert found(db, "信息 OR 水务") == []
    assert found(db, "") == []


def test_a_migrated_database_is_searchable(tmp_path):
    db = v3_database(tmp_path)
    assert [r["report_id"] for r in search_reports(db, "水务")] == [2]  # not the PDF (3): one report
    assert [r["report_id"] for r in search_reports(db, "疫情防控")] == [1]
    assert [r["report_id"] for r in search_reports(db, "更正后")] == [6]
    assert search_reports(db, "旧版本") == []  # version 1 of a changed page


def test_the_canned_query_is_the_library_search(db):
    metadata = yaml.safe_load(Path(nianbao.__file__).with_name("datasette_metadata.yaml").read_text("utf-8"))
    assert metadata["databases"]["nianbao"]["queries"]["search_reports"]["sql"] == SEARCH_SQL
    for term in ("复议", "疫情防控"):
        rows = [r["report_id"] for r in db.query(SEARCH_SQL, {"term": term})]
        assert rows == [r["report_id"] for r in search_reports(db, term)]
