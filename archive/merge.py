"""Merge nianbao databases (one per crawler process) into one, without duplicates.

Each input is read as it is (read-only, with its raw store if it keeps its bodies in a
second file) and copied table by table, parents before children, by column names, so
columns and tables added to the schema later come along. Row ids are per database;
every reference to one (declared foreign keys, and the few references the schema does
not declare) is remapped. Each row is recognised by a natural key:

- a table's own unique index: reports (url, payload digest), payloads (digest),
  skipped (url), agencies and sites (name), …
- ``NATURAL_KEYS`` (merge_tables.py): crawl_runs (started, spider, pid), snapshots (run, url,
  fetched_at, payload digest: two processes may fetch one robots.txt in the same
  millisecond, and both fetches are kept), codec_dicts (digest);
- otherwise a row belongs to the rows it references (cells, checks, problems and
  indicators to their report; errors and blocks to their run): it is copied when one of
  them is new here and skipped when they all were here already. A row that references
  nothing is compared with every column.

Two tables are merged by their meaning as well: ``skipped`` keeps each URL's latest skip, so
an input's row for a URL the output holds replaces it when its run is the later one (by the
runs' start, then end: ``merge_rows.run_order``); and an input older than schema 10 has its skip
reasons read as split since (archive/skip_reasons.py), its runs' counts of reasons that are now
one added up in ``skipped_counts``. Both are declared in ``merge_tables.MEANINGS``. An input
older than schema 3 has its reports' payload digests read from their snapshots (declared there
too), and one older than schema 5 its agencies recognised by name, then normalized and folded
as opening such a database does (research_schema.fill_older_rows); one older than schema 12 has its block reasons read as split since
(archive/blocks.py).

Bodies come with the bases their deltas are compressed against (``payloads.base_digest``: every
payload row of an input is copied); a delta whose base the output held as a delta itself is
stored whole again (payloads.store_whole_where_base_is_a_delta), so reads stay two steps.
A body the output holds damaged (it fails its digest check) is replaced by an input's copy
that passes, and so is a damaged dictionary by an input's of the same digest (merge_repair.py):
merging a backup into a damaged archive repairs it.

A body one input tied to a version (``version_bodies``: it read the same) that another input
holds as a version of its own stays a version, and its tie is removed (``_untie_versions``):
its fetches count for one version.

So merging the same input twice adds nothing. Report versions are recomputed afterwards
for every URL that gained one: ``version`` in the order the bodies were first fetched,
``is_current`` for the body of the URL's newest fetch, by ``fetched_at`` (ids say
nothing about time across databases), or none while the URL is withdrawn, as a crawl
decides it (``records.current_version``); then the logical reports (``report_groups``, not
copied: their keys hold agency ids) are regrouped, and the cross-year rules R6/R7 of the
logical reports touched and of their following years are made again. Full-text indexes
follow by trigger.

Here: the inputs taken one by one, each in one transaction, and what is recomputed after;
the tables as the merge sees them are merge_tables.py's, copying one table's rows merge_rows.py's.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import merge_repair, merge_rows, payloads, raw_store, report_groups
from .cross_checks import run_cross_checks, with_next_years
from .merge_tables import DERIVED, NOT_MERGED, describe, merge_order, tables_of
from .research_schema import fill_older_rows
from .records import current_version, version_fetches
from .schema import open_database

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class MergeResult:
    added: dict[str, int] = field(default_factory=dict)  # table -> rows added
    left_out: list[str] = field(default_factory=list)  # input tables the output has no place for
    repaired: dict[str, int] = field(default_factory=dict)  # input -> damaged output bodies it replaced
    repaired_dictionaries: dict[str, int] = field(default_factory=dict)  # input -> damaged output dictionaries

    @property
    def total(self) -> int:
        return sum(self.added.values())


def merge_databases(out_path, in_paths, *, archive=None, progress=None) -> MergeResult:
    """Merge the databases at ``in_paths`` into the one at ``out_path`` (created if needed;
    ``archive``: its raw store file, as ``open_database`` takes it). ``progress(n)`` is
    called as each ``n`` input rows are read (``rows_to_read`` counts them beforehand)."""
    check_paths(out_path, in_paths)
    db = open_database(out_path, archive)
    result = MergeResult()
    try:
        for path in in_paths:
            source = raw_store.open_read_only(path)
            try:
                with db.atomic():
                    _merge_one(db, source, result, progress, str(path))
            finally:
                source.close()
    finally:
        db.close()
    return result


def check_paths(out_path, in_paths) -> None:
    """Raise FileNotFoundError for a missing input, ValueError for an input that is the
    output or for a file (input or existing output) that is not an SQLite database."""
    for path in in_paths:
        if not Path(path).exists():
            raise FileNotFoundError(f"no database at {path}")
        if Path(path).resolve() == Path(out_path).resolve():
            raise ValueError(f"{path} is the output database")
    for path in [*in_paths, out_path]:
        _check_database_file(path)


def _check_database_file(path) -> None:
    """SQLite's own words, naming the file, for one that does not start as a database does
    (an empty file is an empty database)."""
    if Path(path).is_file():
        with open(path, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise ValueError(f"{path}: file is not a database")


def rows_to_read(in_paths) -> int:
    """The rows ``merge_databases`` reads from these inputs (for a progress bar)."""
    total = 0
    for path in in_paths:
        source = raw_store.open_read_only(path)
        try:
            for name, schema in tables_of(source).items():
                if name not in NOT_MERGED | DERIVED:
                    total += source.execute(f"select count(*) from [{schema}].[{name}]").fetchone()[0]
        finally:
            source.close()
    return total


def _merge_one(db, source: sqlite3.Connection, result: MergeResult, progress=None,
               input_name: str = "the input") -> None:
    out_tables = tables_of(db.conn)
    in_tables = tables_of(source)
    left_out = set(in_tables) - set(out_tables) - NOT_MERGED
    result.left_out = sorted(set(result.left_out) | left_out)
    if progress:  # rows_to_read counted their rows too: passed over, they still move the bar
        for name in sorted(left_out - DERIVED):
            progress(source.execute(f"select count(*) from [{in_tables[name]}].[{name}]").fetchone()[0])
    tables = {name: describe(db, name, out_tables[name], source, in_tables[name]) for name in in_tables
              if name in out_tables and name not in NOT_MERGED | DERIVED}
    id_columns = {name: table.integer_id for name, table in tables.items() if table.integer_id}
    ids: dict[str, dict[int, int]] = {name: {} for name in id_columns}  # table -> input id -> output id
    new: dict[str, set[int]] = {name: set() for name in id_columns}  # output ids added by this merge
    # Tables whose output ids something needs: the parents of others, and reports (renumbered below).
    parents = {parent for table in tables.values() for parent, _ in table.references.values()} | {"reports"}
    for name in merge_order(tables):
        result.added[name] = result.added.get(name, 0) + merge_rows.copy_table(
            db, source, tables[name], in_tables[name], ids, new, id_columns, name in parents, progress)
    if "codec_dicts" in tables:  # before the bodies: their check reads them
        result.repaired_dictionaries[input_name] = result.repaired_dictionaries.get(input_name, 0) + \
            merge_repair.repair_damaged_dictionaries(db, source, in_tables["codec_dicts"], input_name)
    if "payloads" in tables:
        # Repaired first: a base repaired lets a delta resting on it be rebuilt below.
        result.repaired[input_name] = result.repaired.get(input_name, 0) + merge_repair.repair_damaged_bodies(
            db, source, in_tables["payloads"], tables["payloads"].in_columns, input_name)
        # A delta whose base the output held as a delta: reads stay two steps.
        payloads.store_whole_where_base_is_a_delta(db)
    # Agencies and reports of an input older than schema 5, before they are grouped by agency;
    # a name it used that the output knows as another's is folded into that body, not added.
    folded = fill_older_rows(db)
    if folded:
        result.added["agencies"] -= folded
    untied = _untie_versions(db, new) if "version_bodies" in tables else set()
    urls = sorted(set(_urls_to_renumber(db, new)) | untied) if "reports" in tables else []
    if urls:
        for url in urls:
            renumber_versions(db, url)
        if "report_groups" in out_tables:  # logical reports: the new versions, and the URLs' groups
            touched = report_groups.regroup(db, sorted(new["reports"]))
            others = set().union(*(report_groups.groups_of_url(db, u) for u in urls)) - touched
            # R6/R7 compare a logical report with the body's year before. Those copied in were
            # made against one input's reports alone (a year only another input holds was
            # missing, an older version counted): made again here, as a crawl would make them.
            # The following years are found first, as in records.mark_current_version.
            checked = with_next_years(db, touched | others)
            report_groups.choose_current(db, others)
            run_cross_checks(db, checked)


def _untie_versions(db, new: dict[str, set[int]]) -> set[str]:
    """Remove the ties (``version_bodies``) of bodies that are a version of the same URL
    themselves, and return those URLs. One input tied a body to a version (it read the same
    as the version its last fetch brought) while another first saw the URL with that body,
    a version there: the version is kept, and its fetches no longer count for the other
    too. Only ties or versions this input added are looked at."""
    found: set[tuple[int, str]] = set()
    tie_ids = sorted(new.get("version_bodies", ()))
    for start in range(0, len(tie_ids), 500):  # SQLite's limit on parameters
        chunk = tie_ids[start:start + 500]
        found |= set(db.execute(
            "select b.id, t.url from version_bodies b join reports t on t.id = b.report_id"
            " join reports r on r.url = t.url and r.payload_digest = b.payload_digest"
            f" where b.id in ({','.join('?' * len(chunk))})", chunk))
    report_ids = sorted(new.get("reports", ()))
    for start in range(0, len(report_ids), 500):
        chunk = report_ids[start:start + 500]
        found |= set(db.execute(
            "select b.id, r.url from reports r join reports t on t.url = r.url"
            " join version_bodies b on b.report_id = t.id and b.payload_digest = r.payload_digest"
            f" where r.id in ({','.join('?' * len(chunk))})", chunk))
    db.conn.executemany("delete from version_bodies where id = ?", [(tie_id,) for tie_id, _ in found])
    return {url for _, url in found}


def _urls_to_renumber(db, new: dict[str, set[int]]) -> list[str]:
    """The URLs whose versions' numbers or current one this input may change: those it
    brought a version of, a fetch of (a later fetch of an older body makes that one current
    again), or a withdrawal of (a skip it added, or one of its new runs that replaced the
    output's: its withdrawal may be the later). Looked up by what it added, so the cost
    follows the input, not the output."""
    def urls_of(table: str, column: str, ids: set[int], where: str = "") -> set[str]:
        ids = sorted(ids)
        found = set()
        for start in range(0, len(ids), 500):  # SQLite's limit on parameters
            chunk = ids[start:start + 500]
            found |= {u for (u,) in db.execute(
                f"select distinct url from [{table}] where [{column}] in ({','.join('?' * len(chunk))})"
                f"{where} and url in (select url from reports)", chunk)}
        return found
    withdrawn = " and reason like 'withdrawn%'"
    return sorted(urls_of("reports", "id", new.get("reports", set()))
                  | urls_of("snapshots", "id", new.get("snapshots", set()))
                  | urls_of("skipped", "id", new.get("skipped", set()), withdrawn)
                  | urls_of("skipped", "run_id", new.get("crawl_runs", set()), withdrawn))


def renumber_versions(db, url: str) -> None:
    """``version`` of ``url``'s reports by their first fetch times, and ``is_current`` as a crawl
    sets it (``records.current_version``: none while the URL is withdrawn)."""
    versions = version_fetches(db, url)  # snapshot ids say nothing about time across inputs: fetch times do
    if not versions:
        return
    by_first_fetch = sorted(versions, key=lambda v: (v[1] or "", v[0]))
    current = current_version(db, url, versions)
    for number, (report_id, *_) in enumerate(by_first_fetch, start=1):
        db.execute("update reports set version = ?, is_current = ? where id = ?",
                   [number, int(report_id == current), report_id])
