"""Logical reports: one per body and year, however many pages and files carried it.

A body's 2021 report can reach the archive as its HTML page, the PDF attached to that
page, a copy on another portal, and later versions of any of them: each is a ``reports``
row (one version of one URL). ``report_groups`` ties them into one logical report per
(agency, year) and names the version the views count (``report_groups.report_id``), so
nothing is counted twice.

The counted version is chosen among the URLs' current versions (``is_current``): one with
tables first, then an HTML page before an attachment (the page's grid is read cell by cell;
a PDF's text is a reconstruction), then the first archived. A report withdrawn from every
URL (none current) is still counted: its newest version. A report whose agency or year
the parser could not read is a logical report of its own URL.

Whenever a group's counted version is (re)chosen, its rows in the wide tables are
refreshed (archive/wide_tables.py): its version or that version's cells may have changed.
"""

from __future__ import annotations

from . import wide_tables

ATTACHMENT, PAGE = "attachment", "page"


def source_kind(snapshot_kind: str | None, content_type: str | None) -> str:
    """page or attachment, from how the crawler fetched the body and what it was."""
    content_type = (content_type or "").lower()
    if snapshot_kind == ATTACHMENT or (content_type and "html" not in content_type and "text/" not in content_type):
        return ATTACHMENT
    return PAGE


def group_key(agency_id: int | None, year: int | None, url: str) -> str:
    if agency_id is not None and year is not None:
        return f"{agency_id}/{year}"
    return f"url:{url}"


def assign_group(db, report_id: int) -> set[int]:
    """Put one report version in its logical report; return the groups whose members changed."""
    agency, year, url, old = db.execute(
        "select agency_id, year, url, group_id from reports where id = ?", [report_id]
    ).fetchone()
    key = group_key(agency, year, url)
    db.execute(
        "insert or ignore into report_groups (key, agency_id, year) values (?, ?, ?)",
        [key, agency, year],
    )
    (group,) = db.execute("select id from report_groups where key = ?", [key]).fetchone()
    if group != old:
        db.execute("update reports set group_id = ? where id = ?", [group, report_id])
    return {g for g in (group, old) if g is not None}


def choose_current(db, group_ids) -> None:
    """Name each group's counted version, and its counts; drop groups left empty. The
    groups' rows in the wide tables follow (their counted version, or its cells, may have
    changed)."""
    kept = set()
    for group in group_ids:
        versions, sources = db.execute(
            "select count(*), count(distinct url) from reports where group_id = ?", [group]
        ).fetchone()
        if not versions:
            wide_tables.forget(db, [group])
            db.execute("delete from report_groups where id = ?", [group])
            continue
        kept.add(group)
        # A group whose every URL was withdrawn (none current) still counts its newest
        # version: the archive keeps what the site took down.
        best = db.execute(
            "select id from reports where group_id = ? and (is_current = 1 or not exists ("
            " select 1 from reports c where c.group_id = ? and c.is_current = 1)) "
            "order by has_tables desc, source_kind = 'attachment', case when is_current = 1 then id else -id end "
            "limit 1",
            [group, group],
        ).fetchone()
        db.execute(
            "update report_groups set report_id = ?, versions = ?, sources = ?, label = ("
            " select coalesce(a.name || ' ' || g.year, r.title, r.url) from report_groups g"
            " left join agencies a on a.id = g.agency_id"
            " left join reports r on r.id = coalesce(?, (select min(id) from reports where group_id = g.id))"
            " where g.id = ?) where id = ?",
            [best[0] if best else None, versions, sources, best[0] if best else None, group, group],
        )
    wide_tables.refresh(db, kept)


def regroup(db, report_ids) -> set[int]:
    """Assign these versions to their groups and re-choose the groups' counted versions."""
    touched = set()
    for report_id in report_ids:
        touched |= assign_group(db, report_id)
    choose_current(db, touched)
    return touched


def refresh_report_groups(db) -> set[int]:
    """Group every version not yet in a group (a database from before schema 5)."""
    ids = [r[0] for r in db.execute("select id from reports where group_id is null order by id")]
    return regroup(db, ids)


def groups_of_url(db, url: str) -> set[int]:
    return {r[0] for r in db.execute("select distinct group_id from reports where url = ?", [url]) if r[0]}


def rebuild_report_groups(db) -> None:
    """Group every version again from scratch. Corrections name report versions, so they
    follow. Only the tests call it (that grouping again gives the same groups); ``nianbao
    merge`` regroups just the versions it copied (``regroup``)."""
    with db.atomic():
        db.execute("update reports set group_id = null")
        wide_tables.forget(db)
        db.execute("delete from report_groups")
        refresh_report_groups(db)
