"""Write transactions that wait for other writers instead of failing.

A crawl, a reparse, Datasette and a researcher's ``nianbao correct`` share one database
(WAL). sqlite-utils' ``atomic()`` starts a plain BEGIN: the transaction reads first (a
table's columns, the rows it checks), and its first write after another program's commit
then fails at once with 'database is locked' (the snapshot it read is stale, and SQLite
cannot wait there). ``write_transaction`` takes the write lock at its start (BEGIN
IMMEDIATE), where SQLite waits up to the connection's busy timeout: ``BUSY_SECONDS`` for
every connection ``archive.schema.open_database`` opens. The crawl's writes (its run,
snapshots, reports, skips, errors, blocks) go through it too: beside a long
``rebuild-wide-tables`` a crawl waits, instead of losing the page or stopping.
"""

from __future__ import annotations

import contextlib

# How long a write waits for another program's (a crawl's page, `nianbao correct`, a
# rebuild-wide-tables, a command bringing the schema up to date) before it fails with
# 'database is locked'. SQLite's own default is 5 s.
BUSY_SECONDS = 60


@contextlib.contextmanager
def write_transaction(db):
    """A transaction holding SQLite's write lock from its start; inside a transaction
    already, a savepoint of it (``db.atomic()``)."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("begin immediate")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()
