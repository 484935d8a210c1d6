"""Check an archive without changing it: bodies, references, SQLite's own integrity check.

- every body: decompressed and hashed again; its digest, size and stored size must match
  the row (a flipped byte fails zstd's checksum or the digest); a delta body (``zstd-delta``)
  is read against its base, which must be stored, and stored whole;
- every zstd dictionary: its bytes against its digest;
- every reference: the foreign keys the schema declares (reports -> snapshots, cells ->
  reports, …) and those SQLite cannot declare (across the two files with --archive-db,
  or added after a table shipped): snapshot -> payload, revisit_of -> snapshot, a
  revisit's payload is its original's, payload -> dictionary;
- ``PRAGMA integrity_check`` on nianbao.db and on the raw store file;
- the wide tables (applications, …): each row what the counted cells, with corrections,
  give (archive/wide_tables.py), none missing;
- the cross-year checks R6/R7 in ``checks``: each what the cells, with corrections, give
  now (archive/cross_checks.py: the computation ``run_cross_checks`` writes), none
  missing, none left on a report no longer counted or made against another year.

An archive at an older schema is checked as it is, without migrating it: what bringing it
up to date makes again from the cells (schema.REMADE_BELOW: R6/R7 below schema 7) is not
checked there, and ``Verification.not_checked`` says so; its bodies, references and
integrity are.

Both files are opened so that nothing can be written to them and nothing is left beside
them (raw_store.open_read_only); a problem is reported, never repaired.
Memory stays flat: bodies are streamed one at a time, and only the first problems of
each kind are kept (the rest are counted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import cross_checks, raw_store, wide_tables
from .dictionaries import matches_digest
from .payloads import DeltaChain, MissingBase, decode, payload_digest
from .schema import SCHEMA_VERSION, remade_on_upgrade

KEEP_PER_KIND = 100

# References no foreign key declares: (child table, column, parent table, column).
UNDECLARED = [
    ("snapshots", "payload_digest", "payloads", "digest"),
    ("snapshots", "revisit_of", "snapshots", "id"),
    ("reports", "payload_digest", "payloads", "digest"),
    ("version_bodies", "payload_digest", "payloads", "digest"),
    ("payloads", "dict_id", "codec_dicts", "id"),
]


@dataclass(frozen=True)
class Problem:
    kind: str  # corrupt-body | digest-mismatch | size-mismatch | missing-reference | missing-base | …
    where: str  # the row: "payloads sha1:…", "snapshots 12"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    not_listed: Counter = field(default_factory=Counter)  # problems past KEEP_PER_KIND, by kind
    counts: Counter = field(default_factory=Counter)  # payloads, bytes, snapshots, references, files
    schema: int = SCHEMA_VERSION  # the archive's (user_version)
    not_checked: list[str] = field(default_factory=list)  # what bringing it up to date makes again

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        if sum(p.kind == kind for p in self.problems) >= KEEP_PER_KIND:
            self.not_listed[kind] += 1
        else:
            self.problems.append(Problem(kind, where, detail))

    def problem_count(self) -> int:
        return len(self.problems) + sum(self.not_listed.values())


def verify(path, archive=None, progress=None) -> Verification:
    """Verify the archive at ``path`` (nianbao.db); ``progress(n)`` is told of each body."""
    result = Verification()
    conn = raw_store.open_read_only(path, archive)
    try:
        (result.schema,) = conn.execute("pragma user_version").fetchone()
        result.not_checked = remade_on_upgrade(result.schema)
        _integrity(conn, result)
        _dictionaries(conn, result)
        _bodies(conn, result, progress)
        _references(conn, result)
        _revisits(conn, result)
        if "the wide tables" not in result.not_checked:
            _wide_tables(conn, result)
        if "R6/R7" not in result.not_checked:
            _cross_checks(conn, result)
        if _exists(conn, "snapshots"):
            result.counts["snapshots"] = conn.execute("select count(*) from snapshots").fetchone()[0]
    finally:
        conn.close()
    return result


def payload_count(path, archive=None) -> int:
    conn = raw_store.open_read_only(path, archive)
    try:
        return conn.execute("select count(*) from payloads").fetchone()[0] if _exists(conn, "payloads") else 0
    finally:
        conn.close()


def _integrity(conn, result: Verification) -> None:
    for _, schema, file in conn.execute("pragma database_list").fetchall():
        if schema == "temp":
            continue
        result.counts["files"] += 1
        rows = [r[0] for r in conn.execute(f"pragma [{schema}].integrity_check")]
        if rows != ["ok"]:
            for message in rows:
                result.add("integrity", Path(file).name, message)


def _dictionaries(conn, result: Verification) -> None:
    if not _exists(conn, "codec_dicts"):
        return
    for dict_id, digest, data in conn.execute("select id, digest, data from codec_dicts"):
        result.counts["dictionaries"] += 1
        if not matches_digest(data, digest):
            result.add("corrupt-dictionary", f"codec_dicts {dict_id}", "its bytes do not match its digest")


def _bodies(conn, result: Verification, progress) -> None:
    if not _exists(conn, "payloads"):
        result.add("missing-table", "payloads", "the raw store has no payloads table")
        return
    dict_id = "dict_id" if _has_column(conn, "payloads", "dict_id") else "null"  # none before dictionaries
    rows = conn.execute(f"select digest, size, codec, stored_size, {dict_id}, data from payloads")
    for digest, size, codec, stored_size, dict_id, data in rows:
        where = f"payloads {digest}"
        result.counts["payloads"] += 1
        if progress:
            progress(1)
        data = bytes(data or b"")
        if stored_size != len(data):
            result.add("size-mismatch", where, f"stored_size {stored_size}, data holds {len(data)} bytes")
        try:
            body = decode(conn, data, codec, dict_id, digest)
        except MissingBase as exc:
            result.add("missing-base", where, f"a delta of {exc.base}, which is not stored: it cannot be read"
                       f"{_used_by(conn, digest)}")
            continue
        except DeltaChain as exc:  # reads stay two decompressions: a merge stores such a body whole
            result.add("delta-chain", where, f"a delta of {exc.base}, which is itself a delta{_used_by(conn, digest)}")
            continue
        except Exception as exc:  # zstd checksum, zlib stream, unknown codec or dictionary
            result.add("corrupt-body", where, f"cannot decompress ({codec}): {exc}{_used_by(conn, digest)}")
            continue
        result.counts["bytes"] += len(body)
        actual = payload_digest(body)
        if actual != digest:
            result.add("digest-mismatch", where, f"the body's digest is {actual}{_used_by(conn, digest)}")
        elif size != len(body):
            result.add("size-mismatch", where, f"size {size}, the body has {len(body)} bytes")


def _used_by(conn, digest: str) -> str:
    """Which captures hold a damaged body: what an archivist looks up next."""
    if not _exists(conn, "snapshots"):
        return ""
    (count,) = conn.execute("select count(*) from snapshots where payload_digest = ?", [digest]).fetchone()
    first = conn.execute("select id, url from snapshots where payload_digest = ? order by id limit 3",
                         [digest]).fetchall()
    if not count:
        return "; no snapshot holds it"
    listed = ", ".join(f"{snapshot_id} ({url})" for snapshot_id, url in first)
    return f"; held by {count} snapshot(s): {listed}" + (", …" if count > len(first) else "")


def _references(conn, result: Verification) -> None:
    for child, column, parent, parent_column in _all_references(conn):
        result.counts["references"] += 1
        rows = conn.execute(
            f"select c.rowid, c.[{column}] from [{child}] c where c.[{column}] is not null "
            f"and not exists (select 1 from [{parent}] p where p.[{parent_column}] = c.[{column}])"
        )
        for rowid, value in rows:
            result.add("missing-reference", f"{child} {rowid}",
                       f"{column} {value!r}: no {parent} row with {parent_column} {value!r}")


def _all_references(conn) -> list[tuple[str, str, str, str]]:
    """Declared foreign keys of every table in both files, then the undeclared ones."""
    references = []
    tables = conn.execute(
        "select name from pragma_table_list where type = 'table' and name not like 'sqlite_%' order by name"
    ).fetchall()
    for (table,) in tables:
        for fk in conn.execute(f"pragma foreign_key_list([{table}])").fetchall():
            parent, column, parent_column = fk[2], fk[3], fk[4]
            references.append((table, column, parent, parent_column or "rowid"))
    references += UNDECLARED
    seen, kept = set(), []
    for ref in references:
        if ref not in seen and _exists(conn, ref[0]) and _exists(conn, ref[2]) and _has_column(conn, ref[0], ref[1]):
            seen.add(ref)
            kept.append(ref)
    return kept


def _revisits(conn, result: Verification) -> None:
    if not _exists(conn, "snapshots") or not _has_column(conn, "snapshots", "revisit_of"):
        return
    rows = conn.execute(
        "select r.id, r.payload_digest, o.id, o.payload_digest from snapshots r "
        "join snapshots o on o.id = r.revisit_of where r.payload_digest is not o.payload_digest"
    )
    for rid, digest, oid, original in rows:
        result.add("revisit-mismatch", f"snapshots {rid}",
                   f"revisits snapshot {oid} but holds {digest}, not its {original}")


WIDE_INPUTS = ("reports", "cells", "report_groups", "corrections", "agencies")


def _wide_tables(conn, result: Verification) -> None:
    if not all(_exists(conn, t) for t in WIDE_INPUTS):
        return
    explain = {"stale": "holds other values than the cells give",
               "extra": "a row the cells do not give",
               "missing": "missing: the cells give this row"}
    for table in wide_tables.WIDE_TABLES:
        if not _exists(conn, table):  # a database before schema 6: views
            continue
        result.counts["wide_tables"] += 1
        for group, row_key, what in wide_tables.disagreements(conn, table):
            result.add("wide-table-mismatch", f"{table} group {group} row {row_key}", explain[what])


CROSS_CHECK_INPUTS = ("checks", "reports", "cells", "report_groups", "corrections")


def _cross_checks(conn, result: Verification) -> None:
    if not all(_exists(conn, t) for t in CROSS_CHECK_INPUTS):
        return
    (result.counts["cross_checks"],) = conn.execute(
        "select count(*) from checks where rule in ('R6', 'R7')").fetchone()
    for report_id, rule, where, what, stored, due in cross_checks.disagreements(conn):
        group = conn.execute("select group_id from reports where id = ?", [report_id]).fetchone()
        place = f"{rule} {where} of report {report_id} (group {group[0] if group else 'none'})"
        if what == "stale":
            detail = f"stale: holds {_described(stored)}; the cells give {_described(due)}"
        elif what == "extra":
            detail = f"extra: holds {_described(stored)}; the cells give no such check"
        else:
            detail = f"missing: the cells give {_described(due)}"
        result.add("cross-check-mismatch", place, detail)


def _described(check: dict) -> str:
    """'warn (left 3, right: carried_forward of report 7 (2020) = 4)'"""
    right = check["detail"] or "right"
    return f"{check['status']} (left {_number(check['left'])}, {right} = {_number(check['right'])})"


def _number(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _exists(conn, table: str) -> bool:
    """In nianbao.db or the attached raw store."""
    sql = "select 1 from pragma_table_list where name = ? and type = 'table'"
    return conn.execute(sql, [table]).fetchone() is not None


def _has_column(conn, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"pragma table_info([{table}])"))
