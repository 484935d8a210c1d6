"""SQLite files read without changing them or leaving anything beside them (-wal, -shm).

``raw_store.open_read_only`` opens ``nianbao.db`` with its raw store through these.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def connect_read_only(path, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection that reads ``path`` and cannot write to it or any file it attaches
    (``query_only``), and whose closing leaves the folder as it was (``_read_only_uri``)."""
    conn = sqlite3.connect(_read_only_uri(path), uri=True, check_same_thread=check_same_thread)
    conn.execute("pragma query_only = on")
    return conn


def attach_read_only(conn: sqlite3.Connection, path, schema: str) -> None:
    """Attach ``path`` as ``schema`` to a ``connect_read_only`` connection."""
    conn.execute(f"attach database ? as [{schema}]", [_read_only_uri(path)])


def _read_only_uri(path) -> str:
    """How to open ``path`` for reading and leave nothing beside it.

    Reading a WAL database makes its -wal and -shm files, and only a connection that may
    write removes them, when it closes last: a ``mode=ro`` one leaves them behind. So a
    file with none beside it (no other connection has it open, no crash left one) is
    opened read-write, the connection being query-only; a file with them, read-only,
    and they stay as they were (another process's, or a crash's for the next writer to
    recover). A file that cannot be written (read-only storage, a copy not one's own), and
    so is not being written, is read as immutable: nothing can be made beside it there.
    """
    path = Path(path).resolve()
    if any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal")):
        return path.as_uri() + "?mode=ro"
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return path.as_uri() + "?mode=rw"
    return path.as_uri() + "?mode=ro&immutable=1"
