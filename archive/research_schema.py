"""The researcher's layer of the schema (5, 6): logical reports, agency aliases, corrections,
trigram full-text search, the wide tables, and the views that count each (agency, year) once.

    agency_aliases   every name a body used (agencies.name is the first one seen)
    report_groups    one logical report per (agency, year); report_id is the version counted
    corrections      a researcher's value for one cell, over whatever the parser read
    reports_fts      FTS5 over reports.title and reports.text, trigram tokenizer
    applications, reviews_litigation, active_disclosure
                     wide: one row per counted report and table row, kept up to date as
                     their inputs change (archive/wide_tables.py)

Views (created by ``archive/schema.py``):
    current_reports       the counted version of each logical report
    report_list           the counted reports with their body's level and province (what
                          Datasette facets on)
    corrections_in_effect the newest correction of each cell of each logical report
    current_cells         the counted versions' cells with corrections applied (and the
                          corrected cells the parser never read)
    corrections_flagged   corrections whose parsed cell changed since they were made

A database from schema 4 gets all of it on open: its agencies are folded by normalized
name, every report version is put in its logical report, and the search index is built.
One from schema 5 has its wide views replaced by the tables, filled from the cells.
"""

from __future__ import annotations

from . import wide_tables
from .agencies import merge_agencies
from .report_groups import ATTACHMENT, PAGE, refresh_report_groups


def ensure(db) -> None:
    from .cross_checks import run_cross_checks

    _tables(db)
    _indexes(db)  # first: report_groups.key's uniqueness is what grouping relies on
    with db.atomic():
        # Schema 5's wide views become tables, filled in the same transaction: a migration
        # cut short leaves the views (or nothing new) behind, never empty tables.
        created = wide_tables.create(db)
        if created:
            wide_tables.rebuild(db, created)
        fill_older_rows(db)
        if refresh_report_groups(db):  # versions from before schema 5: their R6/R7 too
            for name, sql in VIEWS.items():
                db.create_view(name, sql.rstrip(), replace=True)  # as schema._views
            run_cross_checks(db)
        _fill_agency_regions(db)
    _foreign_keys(db)
    _triggers(db)
    _search_index(db)


def _tables(db):
    db["agency_aliases"].create(
        {"id": int, "agency_id": int, "name": str},
        pk="id",
        foreign_keys=[("agency_id", "agencies", "id")],
        if_not_exists=True,
    )
    db["report_groups"].create(
        {
            "id": int,
            "key": str,  # "<agency_id>/<year>", or "url:<url>" when either is unknown
            "label": str,  # agency name and year, for Datasette links
            "agency_id": int,
            "year": int,
            "report_id": int,  # the version the views count; null when none is current
            "versions": int,  # report rows in the group (all URLs, all versions)
            "sources": int,  # distinct URLs: the page, its attachment, copies elsewhere
        },
        pk="id",
        foreign_keys=[("agency_id", "agencies", "id"), ("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["corrections"].create(
        {
            "id": int,
            "report_id": int,  # the version it was made on; it applies to the logical report
            "table_name": str,
            "row_key": str,
            "column_key": str,
            "value": float,  # the corrected number; null for an empty or not-applicable cell
            "text": str,  # the corrected cell as given
            "kind": str,  # number | zero | empty | not_applicable | text, read like a printed cell
            "parsed_value": float,  # what the parser had read when the correction was made
            "parsed_text": str,
            "parsed_kind": str,  # null when the parser had read no such cell
            "who": str,
            "why": str,
            "made_at": str,  # ISO 8601 UTC
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )


def fill_older_rows(db) -> int:
    """What a row of a database older than schema 5 lacks: an agency's normalized name, level
    and aliases (folding bodies whose names normalize alike), a report's source kind. Here on
    open, and in ``nianbao merge`` for the rows an older input brings. Returns how many
    agencies were folded into another."""
    folded = merge_agencies(db)
    _backfill_source_kind(db)
    return folded


def _backfill_source_kind(db):
    # Older rows: an attachment snapshot, or a body that is not HTML or text, is an attachment.
    # (Asked first: an UPDATE of no row still takes the write lock, on every open.)
    if db.execute("select 1 from reports where source_kind is null limit 1").fetchone() is None:
        return
    db.execute(
        f"update reports set source_kind = coalesce((select case when s.kind = '{ATTACHMENT}' "
        f"or (s.content_type is not null and lower(s.content_type) not like '%html%' "
        f"and lower(s.content_type) not like 'text/%') then '{ATTACHMENT}' end "
        f"from snapshots s where s.id = reports.snapshot_id), '{PAGE}') where source_kind is null"
    )


_REGION_OF_AGENCY = ("select s.region from reports r join sites s on s.id = r.site_id "
                     "where r.agency_id = agencies.id and s.region is not null order by r.id limit 1")


def _fill_agency_regions(db):
    # Only bodies a region is known for: opening the archive writes nothing when none is new.
    wanting = f"select id from agencies where region_code is null and exists ({_REGION_OF_AGENCY})"
    if db.execute(wanting + " limit 1").fetchone() is None:
        return
    db.execute(f"update agencies set region_code = ({_REGION_OF_AGENCY}) where id in ({wanting})")


def _foreign_keys(db):
    # reports and report_groups point at each other: the second key can only be added once
    # both tables exist (a table rebuild; once per database).
    if not any(fk.column == "group_id" for fk in db["reports"].foreign_keys):
        db["reports"].add_foreign_key("group_id", "report_groups", "id")


def _indexes(db):
    for table, columns, unique in [
        ("agencies", ["normalized_name"], True),
        ("agencies", ["level"], False),
        ("agencies", ["region_code"], False),
        ("agency_aliases", ["name"], True),
        ("agency_aliases", ["agency_id"], False),
        ("report_groups", ["key"], True),
        ("report_groups", ["agency_id", "year"], False),
        ("report_groups", ["year"], False),
        ("report_groups", ["report_id"], False),
        ("reports", ["group_id"], False),
        ("reports", ["layout"], False),
        # Asked on every open (_backfill_source_kind), which without it reads the whole table.
        ("reports", ["source_kind"], False),
        ("corrections", ["report_id", "table_name", "row_key", "column_key"], False),
    ]:
        db[table].create_index(columns, unique=unique, if_not_exists=True)


def _triggers(db):
    # A body's region is its registry site's: filled when a report is tied to a site
    # (archive/sites.py), whoever writes the row; a region already known is kept.
    for event in ("insert", "update of site_id, agency_id"):
        name = "reports_agency_region_" + event.split()[0]
        db.execute(
            f"create trigger if not exists [{name}] after {event} on reports "
            "when new.site_id is not null and new.agency_id is not null begin "
            "update agencies set region_code = (select region from sites where id = new.site_id) "
            "where id = new.agency_id and region_code is null; end"
        )


FTS_COLUMNS = ["title", "text"]


def _search_index(db):
    """FTS5 with the trigram tokenizer: the default tokenizer splits on spaces and finds
    nothing inside Chinese text. Terms of 1-2 characters need archive/search.py's fallback."""
    triggers = {t.name for t in db["reports"].triggers}
    if "reports_fts" not in db.table_names() or not {"reports_ai", "reports_ad", "reports_au"} <= triggers:
        # (Re)built when missing, or when a table rebuild dropped its triggers.
        db["reports"].enable_fts(FTS_COLUMNS, tokenize="trigram", create_triggers=True, replace=True)
        # sqlite-utils' update trigger re-indexes on every update; this one only when the
        # text changed (a reparse rewrites every row, mostly with the same text).
        db.execute("drop trigger [reports_au]")
        old = ", ".join(f"old.[{c}]" for c in FTS_COLUMNS)
        new = ", ".join(f"new.[{c}]" for c in FTS_COLUMNS)
        names = ", ".join(f"[{c}]" for c in FTS_COLUMNS)
        changed = " or ".join(f"old.[{c}] is not new.[{c}]" for c in FTS_COLUMNS)
        db.execute(
            f"create trigger [reports_au] after update of {names} on [reports] when {changed} begin "
            f"insert into [reports_fts] ([reports_fts], rowid, {names}) values ('delete', old.rowid, {old}); "
            f"insert into [reports_fts] (rowid, {names}) values (new.rowid, {new}); end"
        )


# 行政区划代码: the first two digits name the province-level division.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}


def province_sql(region: str, agency_id: str) -> str:
    """A SQL expression: the province of a body from its region code ``region``, else from the
    name of the agency ``agency_id`` (both SQL expressions; the name is looked up only then)."""
    by_code = " ".join(f"when '{code}' then '{province}'" for code, province in PROVINCES.items())
    by_name = " ".join(f"when a.name like '{province}%' then '{province}'" for province in PROVINCES.values())
    return (f"coalesce(case substr({region}, 1, 2) {by_code} end, "
            f"(select case {by_name} end from agencies a where a.id = {agency_id}))")


def _agency(column: str) -> str:
    return f"(select {column} from agencies where id = r.agency_id)"


_REGION = f"coalesce({_agency('region_code')}, (select region from sites where id = r.site_id))"

# Each counted report with its body's level and province, for Datasette to facet on. The
# province comes from the region code (its first two digits) when the body has one, else
# from a name that begins with a province's full name (广东省…, 北京市…); nothing else is
# guessed (合作市 names no province). It reads no cells, so counts and facets stay fast; and it
# starts from the groups, each joined to its counted version (what current_reports holds):
# joined the other way round, SQLite (which keeps no statistics here) reads every version of
# every report (pages, attachments, older bodies) for a facet, not one per logical report.
# The body's and the site's columns are subqueries on their primary key, not LEFT JOINs (the
# same rows): SQLite computes a subquery only for a column a query asks for, but walks every
# LEFT JOIN of a count or a facet, and a report's site_id lies past its text (overflow pages).
# So the row count and the facets on the report's own columns read only the groups and the
# reports' first columns (110-150 ms -> 14-38 ms each at national scale: bench/README.md).
REPORT_LIST = f"""
select r.id as report_id, r.title, {_agency('name')} as agency, r.agency_id, {_agency('level')} as level,
  {_REGION} as region_code,
  {province_sql(_REGION, "r.agency_id")} as province,
  r.year, r.layout, r.has_tables, r.failing_rules, r.published,
  g.versions, g.sources, r.source_kind, (select name from sites where id = r.site_id) as site, r.url,
  r.snapshot_id, '/-/raw/' || r.snapshot_id as raw_page
from report_groups g
join reports r on r.id = g.report_id
""".strip()

_SAME_CELL = "k.table_name = c.table_name and k.row_key = c.row_key and k.column_key = c.column_key"

VIEWS = {
    # The counted version of each logical report: one row per (agency, year).
    "current_reports": "select r.* from report_groups g join reports r on r.id = g.report_id",
    "report_list": REPORT_LIST,
    "corrections_in_effect": """
select * from (
  select k.*, r.group_id,
    row_number() over (partition by r.group_id, k.table_name, k.row_key, k.column_key order by k.id desc) as newest
  from corrections k join reports r on r.id = k.report_id
) where newest = 1
""",
    "current_cells": f"""
select g.id as group_id, g.report_id, g.agency_id, g.year, c.table_name, c.row_key, c.column_key,
  iif(k.id is null, c.value, k.value) as value,
  iif(k.id is null, c.text, k.text) as text,
  iif(k.id is null, c.kind, k.kind) as kind,
  c.location, c.value as parsed_value, c.text as parsed_text, c.kind as parsed_kind, k.id as correction_id
from report_groups g
join cells c on c.report_id = g.report_id
left join corrections_in_effect k on k.group_id = g.id and {_SAME_CELL}
union all
select g.id, g.report_id, g.agency_id, g.year, k.table_name, k.row_key, k.column_key,
  k.value, k.text, k.kind, null, null, null, null, k.id
from corrections_in_effect k
join report_groups g on g.id = k.group_id and g.report_id is not null
where not exists (select 1 from cells c where c.report_id = g.report_id and {_SAME_CELL})
""",
    "corrections_flagged": f"""
select k.id as correction_id, k.report_id as corrected_report_id, g.report_id as current_report_id,
  a.name as agency, g.year, k.table_name, k.row_key, k.column_key, k.value,
  k.parsed_value as parsed_value_then, k.parsed_kind as parsed_kind_then,
  c.value as parsed_value_now, c.kind as parsed_kind_now, c.text as parsed_text_now,
  k.who, k.why, k.made_at
from corrections_in_effect k
join report_groups g on g.id = k.group_id
left join agencies a on a.id = g.agency_id
left join cells c on c.report_id = g.report_id and {_SAME_CELL}
where c.value is not k.parsed_value or c.kind is not k.parsed_kind
""",
}
