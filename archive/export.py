"""Export one table or view to CSV or Parquet, for analysis outside Datasette.

Rows stream from SQLite in batches (``BATCH_ROWS``): memory stays flat however big the
table, CSV row by row, Parquet one row group per batch.

Parquet needs a type per column, and SQLite keeps a type per value: one pass over the
table first asks SQLite which storage classes each column holds (``typeof``), and the
column becomes int64 (only integers), float64 (integers and reals), string (any text:
numbers in it are written as text), or binary (blobs). A column of nulls only takes its
declared type. CSV writes a blob as base64, the way the Parquet file keeps it as bytes.

Text read from portals (titles, names, cells as printed, URLs) may begin with ``=``, ``+``,
``-`` or ``@``, which a spreadsheet opening the CSV runs as a formula (``=HYPERLINK(…)``
sends what is beside it to a server; older Excel ran ``=cmd|…`` through DDE). CSV keeps every
value exactly by default: researchers read it with pandas or R, and ``-`` and ``/`` printed in
a cell are data. ``excel_safe`` (``nianbao export --excel-safe``) writes such a text value with
``'`` before it, as OWASP advises for files meant for Excel; numbers are left as they are.
"""

from __future__ import annotations

import base64
import csv
from pathlib import Path

BATCH_ROWS = 20_000
FORMATS = ("csv", "parquet")
# What a spreadsheet reads as the start of a formula (tab and CR: Excel drops them, then reads on).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """The export cannot be made as asked (unknown table or format)."""


def exportable_names(db) -> list[str]:
    """Tables and views that can be exported (SQLite's and FTS shadow tables left out)."""
    names = db.execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' "
        "and name not like '%_fts' and name not like '%_fts_%' order by name"
    )
    return [row[0] for row in names]


def check_table(db, table: str) -> None:
    # The main file's tables and views, or a table of an attached raw store (payloads).
    schemas = [row[1] for row in db.execute("pragma database_list").fetchall()]
    if not any(
        db.execute(f"select 1 from [{schema}].sqlite_master where type in ('table', 'view') and name = ?",
                   [table]).fetchone()
        for schema in schemas
    ):
        raise ExportError(f"no table or view {table!r}; choose one of: {', '.join(exportable_names(db))}")


def _rows(db, table: str):
    """(column names, iterator over batches of row tuples)."""
    cursor = db.execute(f"select * from [{table}]")
    columns = [d[0] for d in cursor.description]

    def batches():
        while True:
            batch = cursor.fetchmany(BATCH_ROWS)
            if not batch:
                return
            yield batch

    return columns, batches()


def _csv_value(value, excel_safe: bool):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if excel_safe and isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(db, table: str, stream, *, progress=None, excel_safe: bool = False) -> int:
    """Write ``table`` as CSV (header row first) to a text stream; return the rows written.
    ``excel_safe``: text that a spreadsheet would run as a formula gets a ``'`` before it."""
    check_table(db, table)
    columns, batches = _rows(db, table)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for batch in batches:
        writer.writerows([_csv_value(v, excel_safe) for v in row] for row in batch)
        count += len(batch)
        if progress:
            progress(len(batch))
    return count


# ---- Parquet ------------------------------------------------------------------------


def column_types(db, table: str) -> dict[str, str]:
    """Each column's Parquet type, from the storage classes its values have: int64,
    float64, string or binary."""
    declared = {row[1]: (row[2] or "").upper() for row in db.execute(f"pragma table_info([{table}])")}
    columns = list(declared) or [d[0] for d in db.execute(f"select * from [{table}] limit 0").description]
    found = db.execute(
        "select " + ", ".join(f"group_concat(distinct typeof([{c}]))" for c in columns) + f" from [{table}]"
    ).fetchone()
    return {c: _arrow_type(set((kinds or "").split(",")) - {"null", ""}, declared.get(c, "")) for c, kinds in zip(columns, found)}


def _arrow_type(kinds: set[str], declared: str) -> str:
    if "blob" in kinds:
        return "binary"
    if "text" in kinds:
        return "string"
    if kinds == {"integer"}:
        return "int64"
    if kinds:
        return "float64"
    # Nulls only: what the column was declared as (SQLite's affinity rules).
    if "INT" in declared:
        return "int64"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "float64"
    if "BLOB" in declared:
        return "binary"
    return "string"


def _coerce(kind: str):
    if kind == "string":
        return lambda v: v if v is None or isinstance(v, str) else (
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
    if kind == "float64":
        return lambda v: None if v is None else float(v)
    if kind == "binary":
        return lambda v: v if v is None or isinstance(v, bytes) else str(v).encode("utf-8")
    return lambda v: v


def export_parquet(db, table: str, path, *, progress=None) -> int:
    """Write ``table`` as a Parquet file (zstd, a row group per batch); return the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_table(db, table)
    types = column_types(db, table)
    columns, batches = _rows(db, table)
    schema = pa.schema([(c, getattr(pa, types[c])()) for c in columns])
    coerce = [_coerce(types[c]) for c in columns]
    count = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for batch in batches:
            arrays = [
                pa.array([convert(row[i]) for row in batch], type=schema.field(i).type)
                for i, convert in enumerate(coerce)
            ]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            count += len(batch)
            if progress:
                progress(len(batch))
    return count


def export_table(db, table: str, fmt: str, output, *, progress=None, excel_safe: bool = False) -> int:
    """Export ``table`` as ``fmt`` to ``output`` (a path; for CSV also an open text stream)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if fmt == "parquet":
        return export_parquet(db, table, output, progress=progress)
    if hasattr(output, "write"):
        return export_csv(db, table, output, progress=progress, excel_safe=excel_safe)
    with open(Path(output), "w", encoding="utf-8", newline="") as stream:
        return export_csv(db, table, stream, progress=progress, excel_safe=excel_safe)
