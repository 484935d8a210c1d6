"""The researcher's schema: migration from schema 3, logical reports counted once, agencies
with aliases and levels, foreign keys with label columns, indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archive.agencies import agency_level, normalized_agency_name
from archive.report_groups import rebuild_report_groups
from archive.schema import SCHEMA_VERSION, open_database
from archive.sites import attach_site, record_sites
import nianbao
from reports_db import store, v3_database

BASE = "http://127.0.0.1:8000/zwgk/"
METADATA_PATH = Path(nianbao.__file__).with_name("datasette_metadata.yaml")


def rows(db, sql, params=()):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


# -- migration from a database schema 3 wrote ---------------------------------------------

def test_a_schema_3_database_is_migrated_on_open(tmp_path):
    db = v3_database(tmp_path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    # 北京市海淀区人民政府, 北京市海淀区政府 and 北京市海淀区 are one body with three names.
    assert rows(db, "select id, name, normalized_name, level from agencies order by id") == [
        (1, "北京市海淀区人民政府", "北京市海淀区", "county"),
        (4, "城中区人民政府", "城中区", "county"),
    ]
    assert rows(db, "select name from agency_aliases where agency_id = 1 order by id") == [
        ("北京市海淀区人民政府",), ("北京市海淀区政府",), ("北京市海淀区",)]
    assert rows(db, "select count(*) from reports where agency_id = 1") == [(4,)]
    # One logical report per body and year: the 2021 page and its PDF are one, counted once (the page).
    assert rows(db, "select key, report_id, versions, sources from report_groups order by id") == [
        ("1/2020", 1, 1, 1),
        ("1/2021", 2, 2, 2),
        ("1/2022", 4, 1, 1),
        ("4/2023", 6, 2, 1),  # the changed page: version 2 counts
        (f"url:{BASE}unknown.html", 7, 1, 1),  # no agency, no year: a logical report of its own
    ]
    assert rows(db, "select id, source_kind from reports where url like '%.pdf'") == [(3, "attachment")]
    assert rows(db, "select id from current_reports order by id") == [(1,), (2,), (4,), (6,), (7,)]


def test_migration_is_idempotent_and_keeps_the_search_index(tmp_path):
    db = v3_database(tmp_path)
    before = {t: db[t].count for t in ("agencies", "agency_aliases", "report_groups", "checks", "reports_fts")}
    db.close()
    db = open_database(tmp_path / "nianbao.db")
    assert {t: db[t].count for t in before} == before
    assert {"reports_ai", "reports_ad", "reports_au"} <= {t.name for t in db["reports"].triggers}


def test_the_wide_views_count_each_body_and_year_once(tmp_path):
    db = v3_database(tmp_path)
    # The 2021 PDF (natural_person 21) and czq's version 1 (total 5) are not counted.
    assert rows(db, "select agency, year, natural_person, total from applications "
                    "where row_key = 'new_received' order by year") == [
        ("北京市海淀区人民政府", 2020, 10.0, 12.0),
        ("北京市海淀区人民政府", 2021, 20.0, 25.0),
        ("城中区人民政府", 2023, None, 6.0),
    ]
    assert rows(db, "select year, layout, issued, repealed, in_force, made, public_total from active_disclosure "
                    "where row_key = 'regulations' order by year") == [
        (2020, "2019", None, None, None, 1.0, 5.0),
        (2021, "2021", 2.0, 0.0, 7.0, None, None),
        (2022, "2021", 1.0, 2.0, 6.0, None, None),
    ]


# -- logical reports as a crawl stores them -----------------------------------------------

def test_the_page_counts_before_its_attachment_and_the_attachment_stands_in_without_it(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    pdf = store(db, BASE + "a.pdf", agency="示范县人民政府", year=2022, attachment=True,
                applications={"new_received": {"total": 7}})
    (group,) = rows(db, "select id, report_id, sources from report_groups")
    assert group[1:] == (pdf, 1)
    page = store(db, BASE + "a.html", agency="示范县人民政府", year=2022,
                 applications={"new_received": {"total": 8}})
    assert rows(db, "select id, report_id, sources from report_groups") == [(group[0], page, 2)]
    assert rows(db, "select total from applications where row_key = 'new_received'") == [(8.0,)]
    # A page whose tables are images: its PDF's numbers are the ones counted.
    store(db, BASE + "a.html", agency="示范县人民政府", year=2022, body=b"tables as images")
    assert rows(db, "select report_id from report_groups") == [(pdf,)]
    assert rows(db, "select total from applications where row_key = 'new_received'") == [(7.0,)]


def test_a_body_named_differently_next_year_is_the_same_agency(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    store(db, BASE + "1.html", agency="示范县人民政府", year=2021)
    store(db, BASE + "2.html", agency="示范县政府", year=2022)
    store(db, BASE + "3.html", agency="示范县人民政府办公室", year=2022)
    assert rows(db, "select a.name, g.year from report_groups g join agencies a on a.id = g.agency_id "
                    "order by g.id") == [("示范县人民政府", 2021), ("示范县人民政府", 2022),
                                         ("示范县人民政府办公室", 2022)]
    assert rows(db, "select a.name, group_concat(x.name, '|') from agency_aliases x "
                    "join agencies a on a.id = x.agency_id group by a.id order by a.id") == [
        ("示范县人民政府", "示范县人民政府|示范县政府"), ("示范县人民政府办公室", "示范县人民政府办公室")]


def test_a_report_whose_year_changes_on_reparse_moves_to_its_group(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    report = store(db, BASE + "1.html", agency="示范县人民政府", year=2012, body=b"x")
    store(db, BASE + "1.html", agency="示范县人民政府", year=2021, body=b"x")  # the same body, parsed better
    assert rows(db, "select key, report_id from report_groups") == [("1/2021", report)]


def test_region_code_comes_from_the_registry_site(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    (site,) = record_sites(db, [{"name": "示范县", "start_urls": [BASE], "region": "630103"}]).values()
    store(db, BASE + "1.html", agency="示范县人民政府", year=2021)
    assert rows(db, "select region_code from agencies") == [(None,)]
    attach_site(db, BASE + "1.html", site)
    assert rows(db, "select region_code from agencies") == [("630103",)]


def test_rebuilding_the_groups_gives_the_same_groups(tmp_path):
    db = v3_database(tmp_path)
    before = rows(db, "select key, report_id, versions, sources, label from report_groups order by key")
    rebuild_report_groups(db)
    assert rows(db, "select key, report_id, versions, sources, label from report_groups order by key") == before


@pytest.mark.parametrize("name, normalized, level", [
    ("北京市海淀区人民政府", "北京市海淀区", "county"),
    ("北京市 海淀区 政府", "北京市海淀区", "county"),
    ("北京市人民政府", "北京市", "province"),
    ("广东省人民政府", "广东省", "province"),
    ("新疆维吾尔自治区人民政府", "新疆维吾尔自治区", "province"),
    ("深圳市人民政府", "深圳市", "city"),
    ("苏州市昆山市人民政府", "苏州市昆山市", "county"),
    ("合作市", "合作市", "city"),
    ("示范县城关镇人民政府", "示范县城关镇", "township"),
    ("湛河区轻工路街道办事处", "湛河区轻工路街道办事处", "township"),
    ("吴川市人民政府办公室", "吴川市人民政府办公室", "department"),
    ("国家发展和改革委员会", "国家发展和改革委员会", "department"),
    ("某某", "某某", None),
])
def test_agency_names_and_levels(name, normalized, level):
    assert normalized_agency_name(name) == normalized
    assert agency_level(name) == level


# -- what Datasette needs ----------------------------------------------------------------

FOREIGN_KEYS = {
    ("reports", "group_id"): "report_groups",
    ("reports", "agency_id"): "agencies",
    ("report_groups", "agency_id"): "agencies",
    ("report_groups", "report_id"): "reports",
    ("agency_aliases", "agency_id"): "agencies",
    ("corrections", "report_id"): "reports",
    ("cells", "report_id"): "reports",
    ("checks", "report_id"): "reports",
}


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "migrated"])
def test_foreign_keys_point_at_tables_with_label_columns(tmp_path, fresh):
    db = open_database(tmp_path / "nianbao.db") if fresh else v3_database(tmp_path)
    found = {(fk.table, fk.column): fk.other_table for t in db.table_names() for fk in db[t].foreign_keys}
    assert FOREIGN_KEYS.items() <= found.items()
    tables = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))["databases"]["nianbao"]["tables"]
    for parent in set(FOREIGN_KEYS.values()):
        assert tables[parent]["label_column"] in db[parent].columns_dict, parent
    assert rows(db, "pragma foreign_key_check") == []


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "migrated"])
def test_indexes_for_the_common_filters(tmp_path, fresh):
    db = open_database(tmp_path / "nianbao.db") if fresh else v3_database(tmp_path)
    indexed = {(t, tuple(i.columns)) for t in db.table_names() for i in db[t].indexes}
    assert {
        ("reports", ("year",)), ("reports", ("layout",)), ("reports", ("group_id",)),
        ("reports", ("agency_id", "year")), ("report_groups", ("agency_id", "year")),
        ("report_groups", ("year",)), ("checks", ("rule", "status")), ("checks", ("report_id",)),
        ("agencies", ("level",)), ("agencies", ("region_code",)), ("agency_aliases", ("name",)),
        ("cells", ("report_id", "table_name")), ("corrections", ("report_id", "table_name", "row_key", "column_key")),
    } <= indexed
