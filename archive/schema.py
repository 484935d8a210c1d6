"""The SQLite layout: raw snapshots and the normalized rows researchers query.

One file, ``nianbao.db``, holds both, so a researcher who opens it in Datasette can
follow every number (``cells``) back to the report (``reports``) and the exact bytes
it was read from (``snapshots`` -> ``payloads``).

Raw side (owned by the archive, never rewritten):
    crawl_runs, snapshots, payloads, codec_dicts (the last two in a second file with
    ``--archive-db``: archive/raw_store.py)
    skipped_counts: what each run skipped, by reason, kept as it ended
    (archive/skipped_counts.py; ``skipped`` holds each URL's latest reason and its detail:
    archive/skip_reasons.py)
Normalized side (derived; replaced when the parsers are re-run):
    agencies, reports, cells, checks, problems, indicators, skipped, errors, blocks
    reparse_runs, reparse_changes: what each reparse did (archive/reparse_runs.py)
    oversize_files: files cancelled for their size, with the validators that let the next
    night ask for them conditionally (archive/oversize.py)
    the researcher's tables and views: archive/research_schema.py
    sites: the registry's sites as last crawled (agency and region as the registry names
    them); ``reports.site_id`` is the site a report was found for, beside the agency the
    parser read from the page (``reports.agency_id``)

Incremental crawls: a snapshot whose body the archive already holds for that URL (a 304
answer, or a 200 with the same payload digest) is a *revisit* (``revisit_of``); it points
at the payload already stored and is not parsed again. A report whose body changed gets
a new ``reports`` row (``version`` 2, 3, …) beside the old one; ``is_current`` marks the
version the site serves now, and the views count current versions only.
"""

from __future__ import annotations

import sqlite_utils

from . import (blocks, oversize, raw_store, report_content, reparse_runs, research_schema, rule_counts, skip_reasons,
               skipped_counts)
from .cross_checks import run_cross_checks
from .transactions import BUSY_SECONDS

SCHEMA_VERSION = 14  # 2: checks.detail, indicators; 3: revisits, report versions, interrupted runs; 4: sites;
# 5: logical reports (report_groups), agency aliases and levels, corrections, trigram search;
# 6: the wide tables stored instead of views, report_list, reparse_runs and reparse_changes;
# 7: R6/R7 made again once (before, merge and a report reparsed into another year could leave them stale);
# 8: skipped_counts, each run's skips by reason kept as it ends (before, a later run skipping a URL again
# took it from the earlier run's rows); 9: snapshots.ip_address (WARC-IP-Address; NULL for snapshots stored before);
# 10: skipped.detail, what varies per page, out of skipped.reason (archive/skip_reasons.py: older rows split);
# 11: indexes for Datasette's pages and canned queries at national scale (bench/README.md), reports(url) dropped;
# 12: blocks.detail, what varies per host, out of blocks.reason (archive/blocks.py: older rows split);
# 13: reports.content_digest and version_bodies, a version per change of content (archive/report_content.py);
# 14: covering and ordered indexes for the charts and rule_failures (applications by row_key, failing checks by delta),
# report_rule_counts for rules_summary, kept by triggers on checks (archive/rule_counts.py)


# What opening a database older than a schema version makes again from the cells
# (ensure_schema): `nianbao verify` does not check it in such a database, where it would
# report as damage what bringing the database up to date repairs.
REMADE_BELOW = {"the wide tables": 6, "R6/R7": 7}


def remade_on_upgrade(version: int) -> list[str]:
    """What opening a database at schema ``version`` makes again (``REMADE_BELOW``)."""
    return [what for what, below in REMADE_BELOW.items() if version < below]


# SQLite's answers when a file cannot be opened as a database at all (sqlite3.Error's
# sqlite_errorname): a wrong or damaged file, or a place that cannot hold one. Commands say
# so in one line; other errors are bugs or the disk.
NOT_OPENED = {"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"}


def open_database(path, archive=None) -> sqlite_utils.Database:
    """Open (creating if needed) a nianbao database with the full schema.

    ``archive``: the second SQLite file the raw bodies live in (``--archive-db``); a
    database that has one remembers it, so later opens need not name it again
    (archive/raw_store.py). Raises raw_store.RawStoreError when it cannot be paired.
    """
    db = sqlite_utils.Database(path)
    # WAL lets Datasette read while a crawl writes; NORMAL is durable across
    # process crashes (only an OS crash can lose the last transactions).
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")  # a write waits for another program's
    raw_store.attach(db, path, archive)
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and view that is missing. Idempotent."""
    version = db.execute("pragma user_version").fetchone()[0]
    _raw_tables(db)
    _normalized_tables(db)
    _add_missing_columns(db)
    _report_versions(db)
    _report_sites(db)
    report_content.ensure(db)  # schema 13
    rule_counts.ensure(db)  # schema 14
    reparse_runs.ensure_tables(db)
    oversize.ensure_table(db)
    skipped_counts.ensure_table(db, version)
    skip_reasons.split_old_reasons(db, version)  # after the counts kept above, which it splits too
    blocks.split_old_reasons(db, version)
    research_schema.ensure(db)
    _views(db)
    if "R6/R7" in remade_on_upgrade(version):
        # Checks R6/R7 made against a year another input held, or against a report since
        # reparsed into another year: made again from the cells (a fresh database has none).
        run_cross_checks(db)
    if version < SCHEMA_VERSION:  # setting it writes the file even when it is the same; a newer one stays
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _raw_tables(db):
    db["crawl_runs"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "spider": str,
            "status": str,  # running | finished | failed: <reason> | interrupted (killed; see resumes)
            "pages_fetched": int,
            "bytes_received": int,
            "reports_found": int,
            "skipped": int,  # URLs not followed or requests dropped, each once: its rows in skipped_counts
            "errors": int,
            "stats": str,  # JSON: the Scrapy stats at close
            "pid": int,  # the crawling process, while it runs
            "resumes": int,  # the interrupted run this run continues (one logical crawl)
        },
        pk="id",
        if_not_exists=True,
    )
    raw_store.ensure_raw_tables(db)  # payloads, codec_dicts: here or in the attached file
    db["snapshots"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "method": str,
            "request_headers": str,  # JSON list of [name, value], as sent
            "request_body": bytes,
            "status": int,
            "response_headers": str,  # JSON list of [name, value], as Scrapy received them
            "fetched_at": str,  # ISO 8601 UTC
            "payload_digest": str,
            "content_type": str,
            "content_encoding": str,  # the body is stored still content-encoded
            "encoding": str,  # detected text encoding of the decoded body
            "encoding_source": str,  # how: bom | http-header | meta | detected | default
            "kind": str,  # robots | listing | report | attachment | page
            "revisit_of": int,  # the snapshot whose payload this one repeats (not parsed again)
            "revisit_profile": str,  # server-not-modified (a 304) | identical-payload-digest (a 200)
            "ip_address": str,  # the server's address the crawl connected to; null when not known
        },
        pk="id",
        # SQLite keeps foreign keys within one file: none to an attached raw store's payloads.
        foreign_keys=[("run_id", "crawl_runs", "id")]
        + ([] if raw_store.is_attached(db) else [("payload_digest", "payloads", "digest")]),
        if_not_exists=True,
    )
    db["snapshots"].create_index(["url"], if_not_exists=True)
    db["snapshots"].create_index(["payload_digest"], if_not_exists=True)
    # A run's pages: counted as it ends and by its checks (archive/runs.py, crawler/monitoring.py),
    # which else read every snapshot of the archive, run after run.
    db["snapshots"].create_index(["run_id"], if_not_exists=True)


def _normalized_tables(db):
    db["agencies"].create(
        {
            "id": int,
            "name": str,  # the name first seen; every name used is in agency_aliases
            "normalized_name": str,  # matching key: no spaces, no trailing 人民政府/政府 (archive/agencies.py)
            "region_code": str,  # administrative division code, from the registry site
            "level": str,  # province | city | county | township | department; null when unknown
        },
        pk="id",
        if_not_exists=True,
    )
    db["agencies"].create_index(["name"], unique=True, if_not_exists=True)
    db["reports"].create(
        {
            "id": int,
            "url": str,
            "snapshot_id": int,
            "agency_id": int,
            "title": str,
            "year": int,
            "published": str,
            "source": str,
            "layout": str,
            "has_tables": int,
            "failing_rules": str,  # JSON list, or null when the report has no tables
            "text_form": str,
            "parser_version": str,
            "parsed_at": str,
            "text": str,  # report text without page chrome, for full-text search
            "payload_digest": str,  # the body this version was parsed from
            "version": int,  # 1, 2, … per URL, in the order the bodies were first parsed
            "is_current": int,  # 1 for the version the site serves now (the newest fetch)
            "group_id": int,  # the logical report (agency, year) this version belongs to
            "source_kind": str,  # page (an HTML page) | attachment (a PDF/DOC/XLS file)
        },
        pk="id",
        foreign_keys=[("snapshot_id", "snapshots", "id"), ("agency_id", "agencies", "id")],
        if_not_exists=True,
    )
    db["reports"].create_index(["agency_id", "year"], if_not_exists=True)
    db["reports"].create_index(["year"], if_not_exists=True)
    # The versions a run's snapshots brought (run_counts), and a snapshot's reports in Datasette.
    db["reports"].create_index(["snapshot_id"], if_not_exists=True)
    db["cells"].create(
        {
            "id": int,
            "report_id": int,
            "table_name": str,  # active_disclosure | applications | reviews_litigation
            "row_key": str,
            "column_key": str,
            "value": float,
            "text": str,  # as printed
            "kind": str,  # number | zero | empty | not_applicable | text | inferred
            "location": str,  # where in the snapshot it was read
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["cells"].create_index(["report_id", "table_name"], if_not_exists=True)
    db["checks"].create(
        {
            "id": int,
            "report_id": int,
            "rule": str,
            "where": str,
            "status": str,  # pass | fail | not_assessable | warn
            "left": float,
            "right": float,
            "delta": float,
            "detail": str,  # R8: the sentence the narrative number was read from
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["checks"].create_index(["report_id"], if_not_exists=True)
    db["checks"].create_index(["rule", "status"], if_not_exists=True)
    # The failing checks alone, a few in a hundred (schema 11): the canned query rule_failures
    # reads these, with a rule or without, instead of every check of the archive; in its order
    # (schema 14), so that the first page of rows reads only those (68,602 failing checks at
    # national scale: 91 -> 7 ms for the first 1,001 rows, instead of sorting each rule's all).
    db.execute("create index if not exists idx_checks_failing_delta on checks(rule, abs(delta) desc) "
               "where status in ('fail', 'warn')")
    if "idx_checks_failing" in {i.name for i in db["checks"].indexes}:
        db.execute("drop index idx_checks_failing")  # schema 11's, which the one above covers
    # A pre-2019 统计表 row by row, as printed (its rows vary by province). The same
    # numbers are in cells (table_name 'indicators') with their kind and location.
    db["indicators"].create(
        {
            "id": int,
            "report_id": int,
            "position": int,  # 1-based row order in the report's table
            "indicator": str,  # 指标名称 as printed (normalized to simplified)
            "unit": str,  # 计量单位: 条, 件, 人次, 万元 …
            "this_year": float,  # 本年度; null when blank, not applicable or unreadable — never 0
            "cumulative": float,  # 历年累计
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["indicators"].create_index(["report_id"], if_not_exists=True)
    db["problems"].create(
        {"id": int, "report_id": int, "kind": str, "table_name": str, "detail": str},
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["problems"].create_index(["report_id"], if_not_exists=True)  # a report's rows, rewritten on each parse
    db["skipped"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "title": str,
            "reason": str,  # one of a few sentences (archive/skip_reasons.py)
            "detail": str,  # what varies per URL: an address, where a redirect led; null for most reasons
            "found_on": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
        if_not_exists=True,
    )
    db["skipped"].create_index(["url"], unique=True, if_not_exists=True)
    db["skipped"].create_index(["run_id"], if_not_exists=True)  # a run's rows, counted every progress line
    db["errors"].create(
        {
            "id": int,
            "run_id": int,
            "snapshot_id": int,
            "url": str,
            "stage": str,  # fetch | parse | spider | store | registry (crawler/items.py)
            "error": str,
            "message": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("snapshot_id", "snapshots", "id")],
        if_not_exists=True,
    )
    db["errors"].create_index(["url"], if_not_exists=True)
    db["errors"].create_index(["run_id"], if_not_exists=True)
    # Hosts given up on for the rest of a run (script challenge, repeated refusals);
    # snapshot_id is the archived answer that decided it (archive/blocks.py).
    db["blocks"].create(
        {
            "id": int,
            "run_id": int,
            "site": str,  # the registry site the host was crawled for
            "host": str,
            "url": str,  # the request that got the deciding answer
            "status": int,
            "reason": str,  # one of a few sentences (archive/blocks.py)
            "detail": str,  # what this host's answer showed: its status, the challenge's markers, …
            "snapshot_id": int,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("snapshot_id", "snapshots", "id")],
        if_not_exists=True,
    )
    db["blocks"].create_index(["run_id"], if_not_exists=True)  # a run's blocks, counted as it ends
    db["blocks"].create_index(["snapshot_id"], if_not_exists=True)  # counted on a snapshot's Datasette page
    # Report pages and attachments a run did not ask for because the server was asked
    # within the recheck interval (`nianbao crawl --recheck-after DAYS`): the run went on
    # with the archived answer (snapshot_id), so a crawl's counts still include them.
    db["not_asked"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "kind": str,  # report | attachment
            "snapshot_id": int,
            "last_asked": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("snapshot_id", "snapshots", "id")],
        if_not_exists=True,
    )
    db["not_asked"].create_index(["run_id"], if_not_exists=True)
    # Datasette counts a snapshot's rows here on its page (reached from every report): with a
    # recheck interval, a row per report page and night, as many as the snapshots.
    db["not_asked"].create_index(["snapshot_id"], if_not_exists=True)


# Columns added after a table first shipped: (table, column, type). A database made by
# an older version gets them on open; its rows keep NULL there until a reparse. A new column
# goes here and in its table's create() above (a new database), with a new SCHEMA_VERSION
# saying what it brought, and a description in nianbao/datasette_metadata.yaml.
_LATER_COLUMNS = [
    ("checks", "detail", str),
    ("crawl_runs", "pid", int),
    ("crawl_runs", "resumes", int),
    ("snapshots", "revisit_of", int),
    ("snapshots", "revisit_profile", str),
    ("reports", "payload_digest", str),
    ("reports", "version", int),
    ("reports", "is_current", int),
    ("crawl_runs", "blocked", int),  # hosts blocked in the run (see blocks)
    ("crawl_runs", "monitor", str),  # JSON: end-of-run checks and per-site counts (crawler/monitoring.py)
    ("crawl_runs", "summary", str),  # the human summary printed at the end of the run
    ("agencies", "normalized_name", str),  # schema 5 (archive/research_schema.py)
    ("agencies", "region_code", str),
    ("agencies", "level", str),
    ("reports", "group_id", int),
    ("reports", "source_kind", str),
    ("snapshots", "ip_address", str),  # schema 9: older snapshots keep NULL (never known)
    ("skipped", "detail", str),  # schema 10: older rows' details are split out of their reasons
    ("blocks", "detail", str),  # schema 12: the same for blocks
]


def _add_missing_columns(db):
    for table, column, kind in _LATER_COLUMNS:
        if column not in db[table].columns_dict:
            db[table].add_column(column, kind)


def _report_versions(db):
    """Reports are unique by (url, payload digest), no longer by url (schema 2 -> 3).

    Rows of an older database become version 1, current, of the body they were read from.
    """
    old_unique = [i.name for i in db["reports"].indexes if i.unique and i.columns == ["url"]]
    if old_unique or db.execute("pragma user_version").fetchone()[0] < 3:
        with db.atomic():
            for name in old_unique:
                db.execute(f"drop index [{name}]")
            db.execute(
                "update reports set payload_digest = (select s.payload_digest from snapshots s "
                "where s.id = reports.snapshot_id) where payload_digest is null"
            )
            db.execute("update reports set version = 1 where version is null")
            db.execute("update reports set is_current = 1 where is_current is null")
    db["reports"].create_index(["url", "payload_digest"], unique=True, if_not_exists=True)
    # reports(url) alone, which schemas 3-10 made: the unique (url, payload_digest) index above
    # begins with url and answers every lookup by url; the second one only cost writes (schema 11).
    for index in db["reports"].indexes:
        if not index.unique and index.columns == ["url"]:
            db.execute(f"drop index [{index.name}]")
    db["reports"].create_index(["payload_digest"], if_not_exists=True)
    db["snapshots"].create_index(["revisit_of"], if_not_exists=True)
    db["errors"].create_index(["snapshot_id"], if_not_exists=True)


def _report_sites(db):
    """The registry's sites, and which one each report was found for (schema 3 -> 4).

    Reports of an older database keep a NULL ``site_id`` until a crawl of their site
    fetches them again; nothing else says which site they were crawled for.
    """
    db["sites"].create(
        {
            "id": int,
            "name": str,  # the registry's name, unique
            "agency": str,  # as the registry names it (the parser's own is reports.agency_id)
            "region": str,  # administrative division code, 6, 9 or 12 digits
            "flavour": str,  # as the registry names it; null when detected
            "start_urls": str,  # JSON list
            "hosts": str,  # JSON list: other hosts of the same body
            "updated": str,  # when a crawl last wrote this row from the registry
        },
        pk="id",
        if_not_exists=True,
    )
    db["sites"].create_index(["name"], unique=True, if_not_exists=True)
    if "site_id" not in db["reports"].columns_dict:
        db["reports"].add_column("site_id", int, fk="sites", fk_col="id")
    db["reports"].create_index(["site_id"], if_not_exists=True)


def _views(db):
    views = {
        # The logical reports' current versions, report_list, current_cells and the
        # corrections' views: archive/research_schema.py.
        **research_schema.VIEWS,
        # Each current report with the registry's agency and region of the site it was found for.
        "site_reports": """
select r.id as report_id, r.url, r.title, r.year, a.name as agency, s.name as site,
  s.agency as registry_agency, s.region
from current_reports r
join sites s on s.id = r.site_id
left join agencies a on a.id = r.agency_id
""",
    }
    for name, sql in views.items():
        # SQLite stores a view's SQL without trailing whitespace: given so, a view that has
        # not changed is found equal and left alone (no schema change on every open).
        db.create_view(name, sql.rstrip(), replace=True)
