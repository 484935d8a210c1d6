"""Merge nianbao databases (one per crawler process) into one, without duplicates.

Each input is read as it is (read-only, with its raw store if it keeps its bodies in a
second file) and copied table by table, parents before children, by column names, so
columns and tables added to the schema later come along. Row ids are per database;
every reference to one (declared foreign keys, and the few references the schema does
not declare) is remapped. Each row is recognised by a natural key:

- a table's own unique index: reports (url, payload digest), payloads (digest),
  skipped (url), agencies and sites (name), …
- ``NATURAL_KEYS`` below: crawl_runs (started, spider, pid), snapshots (run, url,
  fetched_at, payload digest: two processes may fetch one robots.txt in the same
  millisecond, and both fetches are kept), codec_dicts (digest);
- otherwise a row belongs to the rows it references (cells, checks, problems and
  indicators to their report; errors and blocks to their run): it is copied when one of
  them is new here and skipped when they all were here already. A row that references
  nothing is compared with every column.

Two tables are merged by their meaning as well: ``skipped`` keeps each URL's latest skip, so
an input's row for a URL the output holds replaces it when its run is the later one (by the
runs' start, then end: ``run_order``); and an input older than schema 10 has its skip reasons
read as split since (archive/skip_reasons.py), its runs' counts of reasons that are now one
added up in ``skipped_counts``; one older than schema 12, its block reasons (archive/blocks.py).

So merging the same input twice adds nothing. Report versions are recomputed afterwards
for every URL that gained one: ``version`` in the order the bodies were first fetched,
``is_current`` for the body of the URL's newest fetch, by ``fetched_at`` (ids say
nothing about time across databases); then the logical reports (``report_groups``, not
copied: their keys hold agency ids) are regrouped, and the cross-year rules R6/R7 of the
logical reports touched and of their following years are made again. Full-text indexes
follow by trigger.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import blocks, raw_store, report_groups, skip_reasons
from .cross_checks import run_cross_checks, with_next_years
from .records import version_fetches
from .schema import open_database
from .wide_tables import WIDE_TABLES

NATURAL_KEYS = {
    "crawl_runs": ("started", "spider", "pid"),
    "snapshots": ("run_id", "url", "fetched_at", "payload_digest"),  # run_id as remapped
    "codec_dicts": ("digest",),
}
# References the schema does not declare as foreign keys: (table, column) -> parent table.
UNDECLARED_REFERENCES = {
    ("crawl_runs", "resumes"): "crawl_runs",
    ("snapshots", "revisit_of"): "snapshots",
}
SQLITE_HEADER = b"SQLite format 3\x00"
NOT_MERGED = {"raw_store"}  # each database's pairing with its own raw store file
# Derived from the merged rows afterwards; references to them are copied as NULL.
DERIVED = {"report_groups", *WIDE_TABLES}  # (the wide tables follow the regrouping)
# Tables whose row for a key is the one of the latest run: an input's row of a later run
# replaces the output's (skipped: one row per URL, its latest reason).
LATEST_RUN_WINS = {"skipped"}
# Tables of counts per run and key: a new run's rows that meet on one key are added up
# (skipped_counts of an input older than schema 10, whose reasons held a detail).
ADDED_UP = {"skipped_counts": "urls"}


@dataclass
class MergeResult:
    added: dict[str, int] = field(default_factory=dict)  # table -> rows added
    left_out: list[str] = field(default_factory=list)  # input tables the output has no place for

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
                    _merge_one(db, source, result, progress)
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
            for name, schema in _tables(source).items():
                if name not in NOT_MERGED | DERIVED:
                    total += source.execute(f"select count(*) from [{schema}].[{name}]").fetchone()[0]
        finally:
            source.close()
    return total


def _tables(conn) -> dict[str, str]:
    """Real tables by name -> their schema, virtual tables and their shadows left out."""
    schemas = [row[1] for row in conn.execute("pragma database_list")]
    found, virtual = {}, []
    for schema in schemas:
        for name, sql in conn.execute(f"select name, sql from [{schema}].sqlite_master where type = 'table'"):
            if (sql or "").lower().startswith("create virtual table"):
                virtual.append(name)
            elif not name.startswith("sqlite_"):
                found.setdefault(name, schema)
    return {n: s for n, s in found.items() if not any(n.startswith(v + "_") for v in virtual)}


@dataclass
class _Table:
    name: str
    columns: list[str]
    integer_id: str | None  # the INTEGER PRIMARY KEY column whose values are remapped
    references: dict[str, tuple[str, str | None]]  # column -> (parent table, parent column; None: its key)
    key: tuple[str, ...] | None  # natural key columns


def _describe(db, name: str, schema: str) -> _Table:
    info = db.execute(f"pragma [{schema}].table_info([{name}])").fetchall()
    columns = [row[1] for row in info]
    pks = [row for row in info if row[5]]
    integer_id = pks[0][1] if len(pks) == 1 and pks[0][2].upper() == "INTEGER" else None
    references = {row[3]: (row[2], row[4]) for row in db.execute(f"pragma [{schema}].foreign_key_list([{name}])")}
    references.update({col: (parent, None) for (table, col), parent in UNDECLARED_REFERENCES.items() if table == name})
    key = NATURAL_KEYS.get(name)
    if key is None:
        for index in db.execute(f"pragma [{schema}].index_list([{name}])").fetchall():
            _, index_name, unique, origin, partial = index[:5]
            if unique and origin != "pk" and not partial:
                key = tuple(row[2] for row in db.execute(f"pragma [{schema}].index_info([{index_name}])"))
                break
    if key is None and integer_id is None and pks:
        key = tuple(row[1] for row in sorted(pks, key=lambda row: row[5]))
    return _Table(name, columns, integer_id, references, key)


def _merge_order(tables: dict[str, _Table]) -> list[str]:
    """Parents before children (self-references aside)."""
    order, visiting = [], set()

    def visit(name):
        if name in order or name in visiting:
            return
        visiting.add(name)
        for parent, _ in tables[name].references.values():
            if parent in tables and parent != name:
                visit(parent)
        visiting.discard(name)
        order.append(name)

    for name in sorted(tables):
        visit(name)
    return order


def _merge_one(db, source: sqlite3.Connection, result: MergeResult, progress=None) -> None:
    out_tables = _tables(db.conn)
    in_tables = _tables(source)
    left_out = set(in_tables) - set(out_tables) - NOT_MERGED
    result.left_out = sorted(set(result.left_out) | left_out)
    if progress:  # rows_to_read counted their rows too: passed over, they still move the bar
        for name in sorted(left_out - DERIVED):
            progress(source.execute(f"select count(*) from [{in_tables[name]}].[{name}]").fetchone()[0])
    tables = {name: _describe(db, name, out_tables[name]) for name in in_tables
              if name in out_tables and name not in NOT_MERGED | DERIVED}
    id_columns = {name: table.integer_id for name, table in tables.items() if table.integer_id}
    ids: dict[str, dict[int, int]] = {name: {} for name in id_columns}  # table -> input id -> output id
    new: dict[str, set[int]] = {name: set() for name in id_columns}  # output ids added by this merge
    # Tables whose output ids something needs: the parents of others, and reports (renumbered below).
    parents = {parent for table in tables.values() for parent, _ in table.references.values()} | {"reports"}
    for name in _merge_order(tables):
        result.added[name] = result.added.get(name, 0) + _copy_table(
            db, source, tables[name], in_tables[name], ids, new, id_columns, name in parents, progress)
    if "reports" in tables and new["reports"]:
        marks = ",".join("?" * len(new["reports"]))
        urls = [row[0] for row in db.execute(f"select distinct url from reports where id in ({marks})",
                                             list(new["reports"]))]
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


_BATCH = 5000  # rows inserted per executemany, and read per progress call


# Tables whose reasons held their detail in an older schema (skipped before 10, blocks
# before 12), with those reasons' forms.
SPLIT_REASONS = {"skipped": skip_reasons.OLD_FORMS, "blocks": blocks.OLD_FORMS}


def _read_as(table: str, in_columns: set) -> dict[str, str]:
    """Input columns read through an SQL expression: an older input's values as the output's
    schema holds them (reasons that held their detail)."""
    if table in SPLIT_REASONS:
        forms = SPLIT_REASONS[table]
        return {"reason": skip_reasons.reason_sql(forms),
                "detail": skip_reasons.detail_sql("detail" if "detail" in in_columns else "null", forms)}
    if table == "skipped_counts":
        return {"reason": skip_reasons.REASON_SQL}
    return {}


def _copy_table(db, source, table: _Table, in_schema: str, ids, new, id_columns, ids_needed: bool,
                progress=None) -> int:
    in_columns = {row[1] for row in source.execute(f"pragma [{in_schema}].table_info([{table.name}])")}
    read_as = _read_as(table.name, in_columns)
    columns = [c for c in table.columns if c in in_columns or c in read_as]
    copied = [c for c in columns if c != table.integer_id]
    order = f" order by [{table.integer_id}]" if table.integer_id in in_columns else " order by rowid"
    select = (f"select {', '.join(read_as.get(c, f'[{c}]') for c in columns)} "
              f"from [{in_schema}].[{table.name}]{order}")
    insert = (f"insert into [{table.name}] ({', '.join(f'[{c}]' for c in copied)}) "
              f"values ({', '.join('?' * len(copied))})")
    seen = None  # rows of a table without key or references, for comparing whole rows
    added = 0
    # Rows no lookup needs back (no key to look up, no new id to map) go in by executemany:
    # cells are most of an archive's rows.
    batch: list | None = [] if table.key is None and not ids_needed else None
    read = 0
    for values in source.execute(select):
        read += 1
        if read % _BATCH == 0 and progress:
            progress(_BATCH)
        row = dict(zip(columns, values))
        old_id = row.pop(table.integer_id, None) if table.integer_id else None
        refers_to_new = False
        refers_to_any = False
        for column, (parent, parent_column) in table.references.items():
            if parent in DERIVED:
                row[column] = None
                continue
            if row.get(column) is None or parent not in ids or parent_column not in (None, id_columns.get(parent)):
                continue  # a reference by value (a payload digest) needs no remapping
            refers_to_any = True
            mapped = ids[parent].get(row[column])
            row[column] = mapped
            refers_to_new = refers_to_new or mapped in new[parent]
        if table.key is not None:
            existing = db.execute(
                f"select {f'[{table.integer_id}]' if table.integer_id else 'null'} from [{table.name}] where "
                + " and ".join(f"[{c}] is ?" for c in table.key),
                [row.get(c) for c in table.key],
            ).fetchone()
        elif refers_to_any:
            existing = None if refers_to_new else (None,)
        else:
            if seen is None:
                id_column = f"[{table.integer_id}]" if table.integer_id else "null"
                seen = {tuple(r[1:]): r[0] for r in db.execute(
                    f"select {id_column}, {', '.join(f'[{c}]' for c in copied)} from [{table.name}]")}
            whole = tuple(row[c] for c in copied)
            existing = (seen[whole],) if whole in seen else None
        if existing is not None:
            if table.integer_id and old_id is not None and existing[0] is not None:
                ids[table.name][old_id] = existing[0]
            if table.name in LATEST_RUN_WINS:
                _replace_if_later(db, table, row, existing[0])
            elif table.name in ADDED_UP and refers_to_new:  # (an old run's counts are here already)
                _add_up(db, table, row, ADDED_UP[table.name])
            continue
        added += 1
        if batch is not None:
            batch.append([row[c] for c in copied])
            if seen is not None:
                seen[whole] = None  # its id: nothing refers to this table's rows
            if len(batch) >= _BATCH:
                db.conn.executemany(insert, batch)
                batch.clear()
            continue
        cursor = db.execute(insert, [row[c] for c in copied])
        if seen is not None:
            seen[whole] = cursor.lastrowid
        if table.integer_id and old_id is not None:
            ids[table.name][old_id] = cursor.lastrowid
            new[table.name].add(cursor.lastrowid)
    if batch:
        db.conn.executemany(insert, batch)
    if progress and read % _BATCH:
        progress(read % _BATCH)
    return added


def run_order(db, run_id: int | None) -> tuple:
    """What orders runs in time across inputs (their ids do not): start, then end; spider and
    process only so that two runs of one start are never equal. No run comes before every run.
    (Runs of one archive follow each other; runs of processes crawling side by side overlap,
    and the one started later counts as the later.)"""
    row = db.execute("select started, finished, spider, pid from crawl_runs where id = ?", [run_id]).fetchone()
    if row is None:
        return ()
    started, finished, spider, pid = row
    return (started or "", finished or "", spider or "", -1 if pid is None else pid)


def _replace_if_later(db, table: _Table, row: dict, existing_id: int) -> None:
    """The output's row ``existing_id`` becomes ``row`` when ``row``'s run is the later one."""
    (held_by,) = db.execute(f"select run_id from [{table.name}] where [{table.integer_id}] = ?",
                            [existing_id]).fetchone()
    if run_order(db, row.get("run_id")) <= run_order(db, held_by):
        return
    changed = [c for c in row if c not in table.key]
    db.execute(f"update [{table.name}] set {', '.join(f'[{c}] = ?' for c in changed)} "
               f"where [{table.integer_id}] = ?", [*(row[c] for c in changed), existing_id])


def _add_up(db, table: _Table, row: dict, count: str) -> None:
    db.execute(f"update [{table.name}] set [{count}] = [{count}] + ? where "
               + " and ".join(f"[{c}] is ?" for c in table.key), [row[count], *(row[c] for c in table.key)])


def renumber_versions(db, url: str) -> None:
    """``version`` and ``is_current`` of ``url``'s reports, by fetch times."""
    versions = version_fetches(db, url)  # snapshot ids say nothing about time across inputs: fetch times do
    if not versions:
        return
    by_first_fetch = sorted(versions, key=lambda v: (v[1] or "", v[0]))
    current = max(versions, key=lambda v: (v[2] or "", v[1] or "", v[0]))[0]
    for number, (report_id, *_) in enumerate(by_first_fetch, start=1):
        db.execute("update reports set version = ?, is_current = ? where id = ?",
                   [number, int(report_id == current), report_id])
