"""Where the raw bodies live: the one place that knows.

Bodies (``payloads``, one row per payload digest) and the zstd dictionaries they are
compressed with (``codec_dicts``) live either in ``nianbao.db`` itself (the default) or in
a second SQLite file that ``nianbao.db`` ATTACHes as ``archive`` (``--archive-db``). The
bodies are nearly all of an archive's bytes; without them ``nianbao.db`` (snapshot
metadata, reports, cells, checks) stays small enough to publish.

Every query names the tables unqualified: SQLite looks in ``main`` first, then in the
attached file, so readers work the same in both layouts. Only creating tables and
``integrity_check`` need the schema name (``raw_schema``).

``nianbao.db`` remembers its raw store in ``raw_store`` (path, relative to nianbao.db's
folder when it can be, and an id the archive file holds too), so later commands find the
file without being told, and a raw store is never paired with the wrong database.

How bodies are written and read is payloads.py's; the dictionaries they are compressed with,
dictionaries.py's.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from .read_only import attach_read_only, connect_read_only
from .timestamps import utc_now

ARCHIVE_SCHEMA = "archive"


class RawStoreError(ValueError):
    """The raw store cannot be opened as asked (missing file, wrong pairing)."""


# ---- where the raw tables live ------------------------------------------------------


def has_table(db, name: str, schema: str = "main") -> bool:
    sql = f"select 1 from [{schema}].sqlite_master where type = 'table' and name = ?"
    return db.execute(sql, [name]).fetchone() is not None


def is_attached(db) -> bool:
    return any(row[1] == ARCHIVE_SCHEMA for row in db.execute("pragma database_list"))


def raw_schema(db) -> str:
    """The schema holding ``payloads``: ``archive`` when attached, else ``main``."""
    return ARCHIVE_SCHEMA if is_attached(db) else "main"


def recorded_archive(db, main_path) -> Path | None:
    """The raw store file ``nianbao.db`` records, or None (bodies kept inside)."""
    if not has_table(db, "raw_store"):
        return None
    row = db.execute("select path from raw_store").fetchone()
    if row is None or not row[0]:
        return None
    path = Path(row[0])
    return path if path.is_absolute() else Path(main_path).parent / path


def archive_path(db, main_path, archive=None) -> Path | None:
    """The raw store file to attach for ``main_path``: ``archive`` if given, else the one
    recorded. Raises RawStoreError when ``archive`` is given for a database that keeps its
    bodies inside, or the recorded file is missing."""
    if archive is not None:
        if has_table(db, "payloads"):
            raise RawStoreError(
                f"{main_path} keeps its raw bodies inside itself; it cannot use --archive-db {archive}"
            )
        if recorded_archive(db, main_path) is not None and not Path(archive).exists():
            raise RawStoreError(f"{archive} does not exist: it is a new file, not the raw store of {main_path}")
        return Path(archive)
    path = recorded_archive(db, main_path)
    if path is not None and not path.exists():
        raise RawStoreError(f"{main_path} keeps its raw bodies in {path}, which does not exist; "
                            f"give its new place with --archive-db")
    return path


def attach(db, main_path, archive=None) -> Path | None:
    """Attach the raw store file (given, or recorded in ``nianbao.db``), creating it and
    recording it when new. Returns its path, or None when the bodies live in main."""
    path = archive_path(db, main_path, archive)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db.execute(f"attach database ? as {ARCHIVE_SCHEMA}", [str(path)])
    except sqlite3.DatabaseError as exc:  # a file that is no database: name it, not nianbao.db
        raise RawStoreError(f"{path}: {exc}") from None
    # The archive file gets main's settings: WAL (readers beside a writer), NORMAL sync.
    db.execute(f"pragma {ARCHIVE_SCHEMA}.journal_mode=WAL")
    db.execute(f"pragma {ARCHIVE_SCHEMA}.synchronous=NORMAL")
    _pair(db, main_path, path)
    return path


def _pair(db, main_path, path: Path) -> None:
    """Record the raw store in both files under one id; refuse a file paired elsewhere."""
    db.execute("create table if not exists main.raw_store (path text, store_id text)")
    db.execute(f"create table if not exists {ARCHIVE_SCHEMA}.raw_store (store_id text, created text)")
    mine = db.execute("select store_id from main.raw_store").fetchone()
    theirs = db.execute(f"select store_id from {ARCHIVE_SCHEMA}.raw_store").fetchone()
    if mine and (theirs is None or mine[0] != theirs[0]):
        db.execute(f"detach database {ARCHIVE_SCHEMA}")
        whose = "of another database" if theirs else "a new file"
        raise RawStoreError(f"{path} is {whose}, not the raw store of {main_path}")
    store_id = (mine or theirs or [uuid.uuid4().hex])[0]
    recorded = _relative(path, Path(main_path).parent)
    # The raw store's half first: a crash between the two commits leaves a raw store that
    # names the pairing, which the next open completes.
    if theirs is None:
        with db.conn:
            db.execute(f"insert into {ARCHIVE_SCHEMA}.raw_store values (?, ?)", [store_id, utc_now()])
    with db.conn:
        if mine is None:
            db.execute("insert into main.raw_store values (?, ?)", [recorded, store_id])
        elif db.execute("select path from main.raw_store").fetchone()[0] != recorded:
            db.execute("update main.raw_store set path = ?", [recorded])


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when it lies below it (the pair moves together)."""
    path, folder = path.resolve(), folder.resolve()
    return path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)


def ensure_raw_tables(db) -> None:
    """Create ``payloads`` and ``codec_dicts`` where the raw store lives. Idempotent."""
    schema = raw_schema(db)
    db.execute(f"""
        create table if not exists [{schema}].codec_dicts (
            id integer primary key,
            site text,          -- the host whose pages trained it; '' for the archive-wide one
            codec text,         -- zstd
            digest text,        -- sha1 hex of data
            size integer,
            samples integer,    -- bodies it was trained on
            created text,
            data blob
        )""")
    db.execute(f"create index if not exists [{schema}].idx_codec_dicts_site on codec_dicts (site)")
    db.execute(f"""
        create table if not exists [{schema}].payloads (
            digest text primary key,  -- "sha1:<BASE32>" of the body as received (WARC payload digest)
            size integer,             -- bytes as received
            codec text,               -- how data is compressed for storage: zstd | zlib | identity | zstd-delta
            stored_size integer,
            data blob,
            dict_id integer references codec_dicts(id),  -- the zstd dictionary, if any
            site text,                -- host of the URL that first brought it
            base_digest text          -- zstd-delta: the body (stored whole) it is compressed against
        )""")
    columns = {row[1] for row in db.execute(f"pragma [{schema}].table_info(payloads)")}
    for column, kind in (("dict_id", "integer references codec_dicts(id)"), ("site", "text"),
                         ("base_digest", "text")):
        if column not in columns:  # a payloads table from before dictionaries, or before deltas
            db.execute(f"alter table [{schema}].payloads add column {column} {kind}")
    db.execute(f"create index if not exists [{schema}].idx_payloads_site on payloads (site)")
    # The few delta rows, found without reading past every row's body (verify, merge).
    db.execute(f"create index if not exists [{schema}].idx_payloads_base on payloads (base_digest) "
               "where base_digest is not null")


# ---- reading without changing anything ----------------------------------------------


def open_read_only(path, archive=None, check_same_thread: bool = True) -> sqlite3.Connection:
    """``nianbao.db`` and its raw store (``archive``, else the one it records), opened so
    that nothing can be written to either and their folders are left as they were found
    (read_only.py). Raises FileNotFoundError for a missing file, RawStoreError as
    ``archive_path`` does."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    conn = connect_read_only(path, check_same_thread)
    try:
        archive_file = archive_path(conn, path, archive)
        if archive_file is not None:
            if not archive_file.exists():
                raise FileNotFoundError(f"no raw store at {archive_file}")
            attach_read_only(conn, archive_file, ARCHIVE_SCHEMA)
    except BaseException:
        conn.close()  # an open connection left to the exit would leave its -wal and -shm
        raise
    return conn
