"""One input table's rows copied into the output's (archive/merge.py tells the whole merge).

Row ids are remapped (``ids``: per table, input id -> output id); a row already here, found
by its table's natural key, by the rows it references, or by all its columns, is not copied
again, and only maps its id (``merge_tables.Table``). Rows of a table merged by meaning
(``merge_tables.MEANINGS``) may still change the row here: replaced by a later run's, or added to.
"""

from __future__ import annotations

from .merge_tables import DERIVED, Table

_BATCH = 5000  # rows inserted per executemany, and read per progress call


def copy_table(db, source, table: Table, in_schema: str, ids, new, id_columns, ids_needed: bool,
               progress=None) -> int:
    """Copy the rows of ``table`` (in ``source``'s ``in_schema``) that the output lacks into
    ``db``; return how many. ``ids`` and ``new`` (per table: the output ids added) are kept up
    to date for the tables that follow; ``ids_needed``: something looks this table's ids up."""
    read_as = table.read_as
    columns = [c for c in table.columns if c in table.in_columns or c in read_as]
    copied = [c for c in columns if c != table.integer_id]
    order = f" order by [{table.integer_id}]" if table.integer_id in table.in_columns else " order by rowid"
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
            if table.meaning.latest_run_wins:
                _replace_if_later(db, table, row, existing[0])
            elif table.meaning.added_up and refers_to_new:  # (an old run's counts are here already)
                _add_up(db, table, row, table.meaning.added_up)
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


def _replace_if_later(db, table: Table, row: dict, existing_id: int) -> None:
    """The output's row ``existing_id`` becomes ``row`` when ``row``'s run is the later one."""
    (held_by,) = db.execute(f"select run_id from [{table.name}] where [{table.integer_id}] = ?",
                            [existing_id]).fetchone()
    if run_order(db, row.get("run_id")) <= run_order(db, held_by):
        return
    changed = [c for c in row if c not in table.key]
    db.execute(f"update [{table.name}] set {', '.join(f'[{c}] = ?' for c in changed)} "
               f"where [{table.integer_id}] = ?", [*(row[c] for c in changed), existing_id])


def _add_up(db, table: Table, row: dict, count: str) -> None:
    db.execute(f"update [{table.name}] set [{count}] = [{count}] + ? where "
               + " and ".join(f"[{c}] is ?" for c in table.key), [row[count], *(row[c] for c in table.key)])
