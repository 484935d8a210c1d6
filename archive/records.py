"""Write the normalized rows of one parsed report: reports, cells, checks, problems, indicators.

A report's rows are replaced as a whole, in one transaction, so a crawl and a later
reparse of the same snapshot leave the same rows behind and a reader never sees half
a report (nor a crawl killed mid-write). Everything a researcher queries is derived
from a snapshot and can be rebuilt from the archive; nothing here is the only copy.

Versions: one ``reports`` row per (url, payload digest) whose content changed. A body
seen for the first time adds version N+1 beside the older ones, unless it parses to
the content of the version the URL's last fetch brought: then it is tied to that version
(``version_bodies``, archive/report_content.py). Parsing a body again (a reparse, a
resumed crawl) replaces that version's rows. ``is_current`` marks the version whose
body the URL's newest fetch brought.

Idempotent records: ``skipped`` holds one row per URL (the latest reason; each run's own
skips are counted in ``skipped_counts`` as it ends: archive/skipped_counts.py); ``errors``
holds one row per (url, stage, error, message) per logical crawl, i.e. a run and the
runs that resumed it after it was killed (``crawl_runs.resumes``). A parse error is
tied to its payload, which is not parsed again until it changes (or a reparse).
"""

from __future__ import annotations

import json

import sqlite_utils

from . import agencies, report_content, report_groups
from .cross_checks import run_cross_checks, with_next_years
from .killpoints import kill_point
from .runs import logical_run_ids
from .timestamps import utc_now
from .transactions import write_transaction

TABLES = ("active_disclosure", "applications", "reviews_litigation")


def agency_id(db: sqlite_utils.Database, name: str | None) -> int | None:
    """The id of the publishing body, creating its row (or an alias) on first sight."""
    return agencies.agency_id(db, name)


def store_report(
    db: sqlite_utils.Database,
    *,
    url: str,
    snapshot_id: int,
    report: dict,
    parser_version: str,
    text: str | None = None,
) -> int:
    """Replace the normalized rows of the version of ``url`` read from the snapshot's
    payload (adding the version if new); return its id.

    ``report`` is ``Report.to_dict(include_cells=True)`` from ``parsers``.
    """
    has_tables = any(report.get(t) is not None for t in TABLES + ("indicators",))
    failing = report.get("failing_rules")
    rows = _parsed_rows(report)
    with write_transaction(db):
        digest, snapshot_url, snapshot_kind, content_type = db.execute(
            "select payload_digest, url, kind, content_type from snapshots where id = ?", [snapshot_id]
        ).fetchone()
        existing = db.execute(
            "select id from reports where url = ? and payload_digest = ?", [url, digest]
        ).fetchone()
        row = {
            "url": url,
            "snapshot_id": snapshot_id,
            "agency_id": agency_id(db, report.get("agency")),
            "title": report.get("title"),
            "year": report.get("year"),
            "published": report.get("published"),
            "source": report.get("source"),
            "layout": report.get("layout"),
            "has_tables": int(has_tables),
            "failing_rules": None if failing is None else json.dumps(failing),
            "text_form": report.get("text_form"),
            "parser_version": parser_version,
            "parsed_at": utc_now(),
            "source_kind": report_groups.source_kind(snapshot_kind, content_type),
            "text": text,
        }
        row["content_digest"] = report_content.content_digest(row, report.get("agency"), rows)
        if not existing:
            # A body with the content of a version already here (a hit counter moved) is
            # tied to that version instead of becoming one (archive/report_content.py).
            same = _version_with_same_content(db, url, snapshot_url, digest, row, parser_version)
            if same is not None:
                mark_current_version(db, url)
                return same
        if existing:
            report_id = existing[0]
            # Plain SQL (sqlite-utils' update first reads the whole row back), and title and
            # text only when they changed: writing them re-indexes the report's full text.
            (same,) = db.execute("select title is ? and text is ? from reports where id = ?",
                                 [row["title"], row["text"], report_id]).fetchone()
            changed = {k: v for k, v in row.items() if not (same and k in ("title", "text"))}
            db.execute(f"update reports set {', '.join(f'[{c}] = ?' for c in changed)} where id = ?",
                       [*changed.values(), report_id])
        else:
            (latest,) = db.execute("select max(version) from reports where url = ?", [url]).fetchone()
            row.update(payload_digest=digest, version=(latest or 0) + 1, is_current=0)
            report_id = db["reports"].insert(row).last_pk
        # A version parsed again (a reparse, a resumed crawl) mostly reads what it read
        # before: its rows are rewritten only where they differ (see _write_rows).
        for table, values in rows.items():
            _write_rows(db, table, values, report_id=report_id, again=bool(existing))
        kill_point("report")
        # Its logical report (agency, year), then which version each group counts.
        mark_current_version(db, url, groups=report_groups.assign_group(db, report_id))
    return report_id


def _parsed_rows(report: dict) -> dict[str, list[tuple]]:
    """table -> the values of the rows a parse writes there, in order (without the report id,
    which ``_write_rows`` adds): what the version reads, and part of its content digest."""
    return {
        "cells": [(c["table"], c["row"], c["column"], c.get("value"), c.get("text"), c.get("kind"),
                   c.get("where")) for c in report.get("cells") or ()],
        "checks": [(c["rule"], c.get("where"), c["status"], c.get("left"), c.get("right"), c.get("delta"),
                    c.get("detail")) for c in report.get("checks") or ()],
        "indicators": [(position, i.get("indicator"), i.get("unit"), i.get("this_year"), i.get("cumulative"))
                       for position, i in enumerate(report.get("indicators") or (), start=1)],
        "problems": [(p.get("kind"), p.get("table"), p.get("detail")) for p in report.get("problems") or ()],
    }


def _version_with_same_content(db, url, snapshot_url, digest, row, parser_version) -> int | None:
    """The version of ``url`` this body (not a version's own) reads the same as, after
    tying the body to it; None when the body is to be a version of its own.

    A body tied before (a reparse, a resumed crawl) stays with its version while it reads
    the same, or while its version was read by another parser (nothing to compare with
    yet: the tie keeps its parser version, still to be read by this one); one that reads
    otherwise now is untied (report_content.py). A new body is
    compared with the version the URL's last fetch brought (withdrawn or not)."""
    tied = db.execute("select id, report_id from version_bodies where url = ? and payload_digest = ?",
                      [snapshot_url, digest]).fetchone()
    if tied is not None:
        link_id, report_id = tied
        version_content, version_parser = db.execute(
            "select content_digest, parser_version from reports where id = ?", [report_id]).fetchone()
        if version_parser != parser_version:
            # Nothing to compare with yet: the tie stays as its parser left it, so a reparse
            # still selects this body once its version has been read by this parser.
            return report_id
        if version_content == row["content_digest"]:
            db.execute("update version_bodies set parser_version = ? where id = ?", [parser_version, link_id])
            return report_id
        db.execute("delete from version_bodies where id = ?", [link_id])
        return None
    versions = version_fetches(db, url)
    if not versions:
        return None
    last = newest_fetched(versions)
    (last_content,) = db.execute("select content_digest from reports where id = ?", [last]).fetchone()
    if last_content != row["content_digest"]:
        return None
    db.execute("insert into version_bodies (url, payload_digest, report_id, parser_version) values (?, ?, ?, ?)",
               [snapshot_url, digest, last, parser_version])
    return last


def version_fetches(db, url: str) -> list[tuple]:
    """Each report version of ``url``: (report id, when its body was first fetched, when it
    was last fetched and in which snapshot: a 200 or a revisit bringing its body, or a
    body tied to it, a last-seen snapshot)."""
    return db.execute(
        "select r.id, first.fetched_at, max(s.fetched_at), max(s.id) "
        "from reports r join snapshots first on first.id = r.snapshot_id "
        "left join (select r2.id as report_id, first2.url, r2.payload_digest from reports r2"
        "  join snapshots first2 on first2.id = r2.snapshot_id where r2.url = :url"
        "  union all select b.report_id, b.url, b.payload_digest from version_bodies b"
        "  join reports r3 on r3.id = b.report_id where r3.url = :url) body on body.report_id = r.id "
        "left join snapshots s on s.url = body.url and s.payload_digest = body.payload_digest "
        "  and (s.status = 200 or s.revisit_of is not null) "
        "where r.url = :url group by r.id",
        {"url": url},
    ).fetchall()


def newest_fetched(versions: list[tuple]) -> int:
    """Of ``version_fetches``, the version the newest fetch brought (by fetch time, then
    snapshot: ids say nothing about time in a merged archive)."""
    return max(versions, key=lambda v: (v[2] or "", v[3] or 0, v[1] or "", v[0]))[0]


def mark_current_version(db, url: str, groups=()) -> None:
    """Make current the version of ``url`` whose body its newest fetch brought; none, when
    the URL was recorded withdrawn since (``withdrawn_since_fetched``).

    The fetch is looked up at the URL of each version's snapshot, so a version parsed
    from another URL's snapshot (an attachment) works too. A newest fetch that could
    not be parsed leaves the last parsed version current.
    """
    versions = version_fetches(db, url)
    if not versions:
        return
    current = current_version(db, url, versions)
    if not groups and _only_current(db, url) == current:
        # The common nightly case (an unchanged page, a 304): nothing its groups, wide
        # tables or cross-report checks depend on has changed, so nothing is re-chosen.
        return
    with write_transaction(db):
        db.execute("update reports set is_current = (id = ?) where url = ?", [current, url])
        # The logical reports of this URL (and ``groups`` a version just left) may now count
        # another version: re-choose (which refreshes their rows in the wide tables), and
        # re-run R6/R7 there and in the following years.
        touched = report_groups.groups_of_url(db, url) | set(groups)
        # The following years first: a group a version left may be left empty and go in
        # choose_current, and the year after it must not keep R6/R7 made against it.
        checked = with_next_years(db, touched)
        report_groups.choose_current(db, touched)
        run_cross_checks(db, checked)


def current_version(db, url: str, versions: list[tuple]) -> int | None:
    """Which of ``url``'s versions (``version_fetches``) is current: the one whose body its
    newest fetch brought (by fetch time, then snapshot: ids say nothing about time in a
    merged archive), or none while the URL is withdrawn. A crawl and a merge both ask here."""
    if withdrawn_since_fetched(db, url):
        return None
    return newest_fetched(versions)


def _only_current(db, url: str) -> int | None:
    """The id of the version of ``url`` marked current, when exactly one is (None: none is,
    or several are)."""
    marked = db.execute("select id from reports where url = ? and is_current = 1 limit 2", [url]).fetchall()
    return marked[0][0] if len(marked) == 1 else None


def withdrawn_since_fetched(db, url: str) -> bool:
    """Whether ``url`` was recorded withdrawn (crawler/middlewares/withdrawn.py: a ``skipped``
    row) in a run after the last one that fetched a report body there (a 200 or a revisit):
    the site serves none of its versions now. A run that fetches it again ends this."""
    # Runs are compared by their start (then id), not by id alone: in a merged archive the
    # ids of runs from different inputs say nothing about which came first.
    return db.execute(
        "select 1 from skipped k join crawl_runs kr on kr.id = k.run_id"
        " where k.url = ? and k.reason like 'withdrawn%' and not exists ("
        "  select 1 from snapshots s join crawl_runs sr on sr.id = s.run_id"
        "  where s.url = k.url and (s.status = 200 or s.revisit_of is not null)"
        "  and (sr.started > kr.started or (sr.started = kr.started and sr.id > kr.id)))",
        [url],
    ).fetchone() is not None


def parsed_already(db, snapshot_id: int) -> bool:
    """Whether this snapshot's body, at its URL, has been parsed: a report version, a body tied
    to one (report_content.py) or a parse error."""
    found = db.execute(
        "select 1 from snapshots s where s.id = ? and ("
        " exists (select 1 from reports r join snapshots rs on rs.id = r.snapshot_id"
        "  where rs.url = s.url and r.payload_digest = s.payload_digest)"
        " or exists (select 1 from version_bodies b where b.url = s.url and b.payload_digest = s.payload_digest)"
        " or exists (select 1 from errors e join snapshots es on es.id = e.snapshot_id"
        "  where e.stage = 'parse' and es.url = s.url and es.payload_digest = s.payload_digest))",
        [snapshot_id],
    ).fetchone()
    return found is not None


# The rows of each table that a version's parse writes. R6 and R7 in checks are the
# cross-report rules': run_cross_checks replaces them after every store_report.
_PARSED_ROWS = {
    "cells": "report_id = ?",
    "checks": "report_id = ? and +rule not in ('R6', 'R7')",
    "indicators": "report_id = ?",
    "problems": "report_id = ?",
}


# The columns of each table's parsed rows, as _parsed_rows gives their values.
_COLUMNS = {
    "cells": ("table_name", "row_key", "column_key", "value", "text", "kind", "location"),
    "checks": ("rule", "where", "status", "left", "right", "delta", "detail"),
    "indicators": ("position", "indicator", "unit", "this_year", "cumulative"),
    "problems": ("kind", "table_name", "detail"),
}


def _write_rows(db, table: str, rows: list[tuple], *, report_id: int, again: bool) -> None:
    """Make ``table``'s parsed rows of the version exactly ``rows`` (``_parsed_rows``), in
    order. ``again``: the version has rows already.

    Rows already stored so stay as they are, ids included: a reparse after a parser
    change mostly reads what it read before, and deleting and inserting the same rows
    in indexes as large as the archive was most of its writing. If anything differs,
    the version's rows there are replaced as a whole. (A stored REAL 3.0 equals the
    parser's 3; a value that does not read back equal is simply written again.)"""
    where = _PARSED_ROWS[table]
    columns = ("report_id", *_COLUMNS[table])
    values = [(report_id, *row) for row in rows]
    names = ", ".join(f"[{c}]" for c in columns)
    if again:
        if values and db.execute(f"select {names} from [{table}] where {where} order by id",
                                 [report_id]).fetchall() == values:
            return
        db.execute(f"delete from [{table}] where {where}", [report_id])
    if values:
        # One prepared statement (sqlite-utils' insert_all inspects every value for JSON;
        # on ~250 rows a report that was a fifth of a reparse's time).
        db.conn.executemany(f"insert into [{table}] ({names}) values ({', '.join('?' * len(columns))})", values)


def record_skipped(db, *, url, title, reason, found_on, run_id=None, detail=None) -> None:
    """Remember a link not followed or a request dropped, and why: one row per URL, which a
    later run's skip of the URL takes over (reason, run and all). ``reason`` is one of a few
    fixed sentences; what varies per URL goes in ``detail`` (archive/skip_reasons.py)."""
    with write_transaction(db):
        db.execute(
            "insert into skipped (url, title, reason, detail, found_on, run_id) values (?, ?, ?, ?, ?, ?) "
            "on conflict(url) do update set title=excluded.title, reason=excluded.reason, "
            "detail=excluded.detail, found_on=excluded.found_on, run_id=excluded.run_id",
            [url, title, reason, detail, found_on, run_id],
        )


def record_error(db, *, url, stage, error, message, snapshot_id=None, run_id=None) -> None:
    """Record a failure for one page; the crawl goes on. Once per logical crawl."""
    with write_transaction(db):
        if run_id is not None:
            runs = logical_run_ids(db, run_id)
            marks = ",".join("?" * len(runs))
            seen = db.execute(
                f"select 1 from errors where url = ? and stage = ? and error = ? and message is ? "
                f"and run_id in ({marks})",
                [url, stage, error, message, *runs],
            ).fetchone()
            if seen:
                return
        db["errors"].insert(
            {
                "run_id": run_id,
                "snapshot_id": snapshot_id,
                "url": url,
                "stage": stage,
                "error": error,
                "message": message,
                "at": utc_now(),
            }
        )
