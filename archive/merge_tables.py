"""The tables a merge copies, as it sees them: which tables, in which order, and for each its
row id, its references, the natural key its rows are recognised by, and what of it is merged
by meaning (archive/merge.py tells the whole of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import blocks, skip_reasons
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
NOT_MERGED = {"raw_store"}  # each database's pairing with its own raw store file
# Derived from the merged rows afterwards; references to them are copied as NULL.
# (the wide tables follow the regrouping; report_rule_counts, the triggers on checks as the
# merged checks are copied: archive/rule_counts.py)
DERIVED = {"report_groups", *WIDE_TABLES, "report_rule_counts"}


@dataclass(frozen=True)
class Meaning:
    """How a table's rows are merged besides being copied."""

    # The input's columns -> {column: SQL reading it as the output's schema holds it}.
    read_as: Callable[[set[str]], dict[str, str]] = lambda in_columns: {}
    # A row for a key the output holds replaces it when the row's run is the later one.
    latest_run_wins: bool = False
    # A new run's row for a key the output holds adds this count column to the output's.
    added_up: str | None = None


def _reasons_read_as(forms):
    """Reasons that held their detail in an older schema (skipped before 10, blocks before
    12), read as split since, by those reasons' old forms (archive/skip_reasons.py)."""
    def read_as(in_columns: set[str]) -> dict[str, str]:
        return {"reason": skip_reasons.reason_sql(forms),
                "detail": skip_reasons.detail_sql("detail" if "detail" in in_columns else "null", forms)}
    return read_as


def _reports_read_as(in_columns: set[str]) -> dict[str, str]:
    """A report before schema 3 was read from its snapshot's body, the digest it is known by since."""
    if "payload_digest" in in_columns:
        return {}
    return {"payload_digest": "(select s.payload_digest from snapshots s where s.id = reports.snapshot_id)"}


MEANINGS = {
    # An input older than schema 3: one report per URL, no digest of its own.
    "reports": Meaning(read_as=_reports_read_as),
    # One row per URL, its latest skip.
    "skipped": Meaning(read_as=_reasons_read_as(skip_reasons.OLD_FORMS), latest_run_wins=True),
    # A block's reason before schema 12 held its detail.
    "blocks": Meaning(read_as=_reasons_read_as(blocks.OLD_FORMS)),
    # A run's skips by reason: an input older than schema 10 counted reasons that are now one.
    "skipped_counts": Meaning(read_as=lambda in_columns: {"reason": skip_reasons.REASON_SQL}, added_up="urls"),
}


@dataclass
class Table:
    """An output table, as the rows of one input are copied into it."""

    name: str
    columns: list[str]  # the output's
    in_columns: set[str]  # the input's
    integer_id: str | None  # the INTEGER PRIMARY KEY column whose values are remapped
    references: dict[str, tuple[str, str | None]]  # column -> (parent table, parent column; None: its key)
    key: tuple[str, ...] | None  # natural key columns
    meaning: Meaning = Meaning()

    @property
    def read_as(self) -> dict[str, str]:
        """Input columns read through an SQL expression: an older input's values as the
        output's schema holds them."""
        return self.meaning.read_as(self.in_columns)


def tables_of(conn) -> dict[str, str]:
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


def describe(db, name: str, schema: str, source, in_schema: str) -> Table:
    """Table ``name`` of the output (``db``, in ``schema``) as the input ``source`` (its copy in
    ``in_schema``) is copied into it."""
    info = db.execute(f"pragma [{schema}].table_info([{name}])").fetchall()
    columns = [row[1] for row in info]
    in_columns = {row[1] for row in source.execute(f"pragma [{in_schema}].table_info([{name}])")}
    pks = [row for row in info if row[5]]
    integer_id = pks[0][1] if len(pks) == 1 and pks[0][2].upper() == "INTEGER" else None
    references = {row[3]: (row[2], row[4]) for row in db.execute(f"pragma [{schema}].foreign_key_list([{name}])")}
    references.update({col: (parent, None) for (table, col), parent in UNDECLARED_REFERENCES.items() if table == name})
    meaning = MEANINGS.get(name, Meaning())
    # A key whose columns the input gives: an older input lacks columns added since, and
    # looking its rows up by one it has not would match every row of it with the first.
    readable = in_columns | set(meaning.read_as(in_columns))
    key = NATURAL_KEYS.get(name)
    if key is None:
        for index in db.execute(f"pragma [{schema}].index_list([{name}])").fetchall():
            _, index_name, unique, origin, partial = index[:5]
            columns_of_index = tuple(row[2] for row in db.execute(f"pragma [{schema}].index_info([{index_name}])"))
            if unique and origin != "pk" and not partial and readable.issuperset(columns_of_index):
                key = columns_of_index
                break
    if key is None and integer_id is None and pks:
        key = tuple(row[1] for row in sorted(pks, key=lambda row: row[5]))
    return Table(name, columns, in_columns, integer_id, references, key, meaning)


def merge_order(tables: dict[str, Table]) -> list[str]:
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
