"""Where the raw bodies live, and how they are written and read: the one place that knows.

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

Dictionaries: the archive trains a shared one from its first pages (the national format's
labels, common portal markup) and one per site (host) once that site has stored enough
pages; a textual body is compressed with its site's dictionary, else the shared one.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import sqlite3
import uuid
from pathlib import Path

from . import codecs
from .timestamps import utc_now

logger = logging.getLogger(__name__)

ARCHIVE_SCHEMA = "archive"
SHARED = ""  # codec_dicts.site of the archive-wide dictionary
# Train when this many bodies are stored (retrying at each doubling when zstd cannot
# train yet): the shared dictionary from the whole archive, a site's from that site.
# (bench/codec_bench.py: 32 pages already give a dictionary within 2% of one from 256.)
SHARED_TRAIN_AT = 32
SITE_TRAIN_AT = 64
SAMPLE_LIMIT = 256  # newest bodies a dictionary is trained on
SAMPLE_MAX_BYTES = 2_000_000  # a body bigger than this is no page to learn from


class RawStoreError(ValueError):
    """The raw store cannot be opened as asked (missing file, wrong pairing)."""


def payload_digest(body: bytes) -> str:
    """The WARC-style payload digest: ``sha1:`` + base32 of the SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


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
            codec text,               -- how data is compressed for storage: zstd | zlib | identity
            stored_size integer,
            data blob,
            dict_id integer references codec_dicts(id),  -- the zstd dictionary, if any
            site text                 -- host of the URL that first brought it
        )""")
    columns = {row[1] for row in db.execute(f"pragma [{schema}].table_info(payloads)")}
    for column, kind in (("dict_id", "integer references codec_dicts(id)"), ("site", "text")):
        if column not in columns:  # a payloads table from before dictionaries
            db.execute(f"alter table [{schema}].payloads add column {column} {kind}")
    db.execute(f"create index if not exists [{schema}].idx_payloads_site on payloads (site)")


# ---- reading without changing anything ----------------------------------------------


def open_read_only(path, archive=None, check_same_thread: bool = True) -> sqlite3.Connection:
    """``nianbao.db`` and its raw store (``archive``, else the one it records), opened so
    that nothing can be written to either and their folders are left as they were found
    (``connect_read_only``). Raises FileNotFoundError for a missing file, RawStoreError as
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


# ---- writing and reading bodies -----------------------------------------------------


def store_payload(db, body: bytes, *, site: str | None = None) -> str:
    """Store a body once per digest; return its digest.

    ``site`` (the URL's host) picks the dictionary and counts toward training that site's.
    """
    digest = payload_digest(body)
    stored = db.execute("select data, codec, dict_id from payloads where digest = ?", [digest]).fetchone()
    if stored is not None and decode_checked(db, *stored, digest)[1] is None:
        return digest
    dict_id, dictionary = _dictionary_for(db, site) if codecs.looks_textual(body) else (None, None)
    codec, data = codecs.compress(body, dictionary)
    if codec != "zstd":
        dict_id = None
    if stored is not None:  # a damaged copy: the body just received is the one its digest names
        logger.warning("The archived body %s was damaged; the copy just received replaces it", digest)
        db.execute("update payloads set size = ?, codec = ?, stored_size = ?, data = ?, dict_id = ? where digest = ?",
                   [len(body), codec, len(data), data, dict_id, digest])
        return digest
    db.execute(
        "insert into payloads (digest, size, codec, stored_size, data, dict_id, site) values (?, ?, ?, ?, ?, ?, ?)",
        [digest, len(body), codec, len(data), data, dict_id, site],
    )
    _maybe_train(db, site)
    return digest




def read_payload(db, digest: str) -> bytes:
    row = db.execute("select data, codec, dict_id from payloads where digest = ?", [digest]).fetchone()
    if row is None:
        raise KeyError(f"no payload {digest}")
    return decode(db, *row)


def decode_checked(db, data: bytes, codec: str, dict_id: int | None, digest: str) -> tuple[bytes, str | None]:
    """(the body a payload row holds, None), or (b"", why it does not hold the body its
    ``digest`` names): a damaged compressed row, a lost dictionary, other bytes."""
    try:
        body = decode(db, data, codec, dict_id)
    except Exception as exc:
        return b"", f"cannot be decompressed ({type(exc).__name__}: {exc})"
    if payload_digest(body) != digest:
        return b"", f"does not match its digest {digest}"
    return body, None


def decode(db, data: bytes, codec: str, dict_id: int | None) -> bytes:
    """The body a payload row holds (raises on a corrupt row or an unknown dictionary)."""
    return codecs.decompress(data, codec, load_dictionary(db, dict_id) if dict_id is not None else None)


# Dictionaries by the SHA-1 of their bytes: ids are per archive, bytes never change.
_dictionaries: dict[str, codecs.Dictionary] = {}


def load_dictionary(db, dict_id: int) -> codecs.Dictionary:
    row = db.execute("select digest from codec_dicts where id = ?", [dict_id]).fetchone()
    if row is None:
        raise KeyError(f"no codec dictionary {dict_id}")
    if row[0] not in _dictionaries:
        (data,) = db.execute("select data from codec_dicts where id = ?", [dict_id]).fetchone()
        dictionary = codecs.Dictionary(bytes(data))
        if dictionary.digest != row[0]:
            raise ValueError(f"codec dictionary {dict_id} does not match its digest")
        _dictionaries[row[0]] = dictionary
    return _dictionaries[row[0]]


def _dictionary_for(db, site: str | None):
    """(id, Dictionary) for a textual body of ``site``: its own, else the shared one, else none."""
    row = db.execute(
        "select id from codec_dicts where site in (?, ?) order by site = ? desc, id desc limit 1",
        [site or SHARED, SHARED, site or SHARED],
    ).fetchone()
    if row is None:
        return None, None
    return row[0], load_dictionary(db, row[0])


def _maybe_train(db, site: str | None) -> None:
    """Train the shared dictionary, or ``site``'s, when its count of bodies is due."""
    if not has_dictionary(db, SHARED):
        stored = db.execute("select max(rowid) from payloads").fetchone()[0] or 0
        if _due(db, SHARED, stored, SHARED_TRAIN_AT):
            train_dictionary(db, SHARED)
    if site and not has_dictionary(db, site):
        stored = db.execute("select count(*) from payloads where site = ?", [site]).fetchone()[0]
        if _due(db, site, stored, SITE_TRAIN_AT):
            train_dictionary(db, site)


# (raw store file, site) -> the body count of the last training attempt in this process.
_attempts: dict[tuple[str, str], int] = {}


def _due(db, site: str, count: int, first: int) -> bool:
    """From ``first`` bodies on; after an attempt zstd could not train from (too few or too
    small pages), again only once the count has doubled."""
    key = (_store_file(db), site)
    if count < max(first, 2 * _attempts.get(key, 0)):
        return False
    _attempts[key] = count
    return True


def _store_file(db) -> str:
    schema = raw_schema(db)
    for _, name, file in db.execute("pragma database_list"):
        if name == schema and file:
            return file
    return f"memory:{id(db)}"


def has_dictionary(db, site: str) -> bool:
    return db.execute("select 1 from codec_dicts where site = ?", [site]).fetchone() is not None


def train_dictionary(db, site: str) -> int | None:
    """Train a dictionary on the newest textual bodies of ``site`` ('' = the whole archive)."""
    where, params = ("", []) if site == SHARED else ("where site = ?", [site])
    rows = db.execute(
        f"select data, codec, dict_id from payloads {where} order by rowid desc limit {SAMPLE_LIMIT}", params
    ).fetchall()
    samples = [body for body in (decode(db, *row) for row in rows)
               if len(body) <= SAMPLE_MAX_BYTES and codecs.looks_textual(body)]
    data = codecs.train(samples)
    if data is None:
        return None
    cursor = db.execute(
        "insert into codec_dicts (site, codec, digest, size, samples, created, data) values (?, 'zstd', ?, ?, ?, ?, ?)",
        [site, hashlib.sha1(data).hexdigest(), len(data), len(samples), utc_now(), data],
    )
    return cursor.lastrowid
