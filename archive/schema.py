"""The SQLite layout: raw snapshots and the normalized rows researchers query.

One file, ``nianbao.db``, holds both, so a researcher who opens it in Datasette can
follow every number (``cells``) back to the report (``reports``) and the exact bytes
it was read from (``snapshots`` -> ``payloads``).

Raw side (owned by the archive, never rewritten):
    crawl_runs, snapshots, payloads
Normalized side (derived; replaced when the parsers are re-run):
    agencies, reports, cells, checks, problems, indicators, skipped, errors, blocks

Incremental crawls: a snapshot whose body the archive already holds for that URL (a 304
answer, or a 200 with the same payload digest) is a *revisit* (``revisit_of``); it points
at the payload already stored and is not parsed again. A report whose body changed gets
a new ``reports`` row (``version`` 2, 3, …) beside the old one; ``is_current`` marks the
version the site serves now, and the views count current versions only.
"""

from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 3  # 2: checks.detail, indicators; 3: revisits, report versions, interrupted runs


def open_database(path) -> sqlite_utils.Database:
    """Open (creating if needed) a nianbao database with the full schema."""
    db = sqlite_utils.Database(path)
    # WAL lets Datasette read while a crawl writes; NORMAL is durable across
    # process crashes (only an OS crash can lose the last transactions).
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and view that is missing. Idempotent."""
    _raw_tables(db)
    _normalized_tables(db)
    _add_missing_columns(db)
    _report_versions(db)
    _views(db)
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
            "skipped": int,
            "errors": int,
            "stats": str,  # JSON: the Scrapy stats at close
            "pid": int,  # the crawling process, while it runs
            "resumes": int,  # the interrupted run this run continues (one logical crawl)
        },
        pk="id",
        if_not_exists=True,
    )
    db["payloads"].create(
        {
            "digest": str,  # "sha1:<BASE32>" of the body as received (WARC payload digest)
            "size": int,  # bytes as received
            "codec": str,  # how `data` is compressed for storage
            "stored_size": int,
            "data": bytes,
        },
        pk="digest",
        if_not_exists=True,
    )
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
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("payload_digest", "payloads", "digest")],
        if_not_exists=True,
    )
    db["snapshots"].create_index(["url"], if_not_exists=True)
    db["snapshots"].create_index(["payload_digest"], if_not_exists=True)


def _normalized_tables(db):
    db["agencies"].create({"id": int, "name": str}, pk="id", if_not_exists=True)
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
        },
        pk="id",
        foreign_keys=[("snapshot_id", "snapshots", "id"), ("agency_id", "agencies", "id")],
        if_not_exists=True,
    )
    db["reports"].create_index(["agency_id", "year"], if_not_exists=True)
    db["reports"].create_index(["year"], if_not_exists=True)
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
    db["skipped"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "title": str,
            "reason": str,
            "found_on": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
        if_not_exists=True,
    )
    db["skipped"].create_index(["url"], unique=True, if_not_exists=True)
    db["errors"].create(
        {
            "id": int,
            "run_id": int,
            "snapshot_id": int,
            "url": str,
            "stage": str,  # fetch | parse | store
            "error": str,
            "message": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("snapshot_id", "snapshots", "id")],
        if_not_exists=True,
    )
    db["errors"].create_index(["url"], if_not_exists=True)
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
            "reason": str,
            "snapshot_id": int,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("snapshot_id", "snapshots", "id")],
        if_not_exists=True,
    )


# Columns added after a table first shipped: (table, column, type). A database made by
# an older version gets them on open; its rows keep NULL there until a reparse.
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
    db["reports"].create_index(["url"], if_not_exists=True)
    db["reports"].create_index(["payload_digest"], if_not_exists=True)
    db["snapshots"].create_index(["revisit_of"], if_not_exists=True)
    db["errors"].create_index(["snapshot_id"], if_not_exists=True)


# One wide view per statistical table, so researchers don't have to pivot `cells`.
_APPLICANT_COLUMNS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
)
_REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")


def _wide_view_sql(table_name: str, columns) -> str:
    pivots = ",\n  ".join(
        f"max(case when c.column_key = '{col}' then c.value end) as {col}" for col in columns
    )
    return f"""
select r.id as report_id, a.name as agency, r.year, c.row_key,
  {pivots}
from cells c
join reports r on r.id = c.report_id and r.is_current = 1
left join agencies a on a.id = r.agency_id
where c.table_name = '{table_name}'
group by r.id, c.row_key
"""


def _views(db):
    views = {
        # One row per report as the site serves it now: older versions are left out.
        "current_reports": "select * from reports where is_current = 1",
        "applications": _wide_view_sql("applications", _APPLICANT_COLUMNS),
        "reviews_litigation": _wide_view_sql("reviews_litigation", _REVIEW_COLUMNS),
        "active_disclosure": """
select r.id as report_id, a.name as agency, r.year, c.row_key, c.column_key, c.value, c.text, c.kind
from cells c
join reports r on r.id = c.report_id and r.is_current = 1
left join agencies a on a.id = r.agency_id
where c.table_name = 'active_disclosure'
""",
    }
    for name, sql in views.items():
        db.create_view(name, sql, replace=True)
