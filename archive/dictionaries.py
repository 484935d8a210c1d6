"""The zstd dictionaries bodies are compressed with (``codec_dicts``): which one a body gets,
when they are trained, and a stored body decompressed with its own.

The archive trains a shared one from its first pages (the national format's labels, common
portal markup) and one per site (host) once that site has stored enough pages; a textual
body is compressed with its site's dictionary, else the shared one (payloads.py).
"""

from __future__ import annotations

import hashlib

from . import codecs
from .raw_store import raw_schema
from .timestamps import utc_now

SHARED = ""  # codec_dicts.site of the archive-wide dictionary
# Train when this many bodies are stored (retrying at each doubling when zstd cannot
# train yet): the shared dictionary from the whole archive, a site's from that site.
# (bench/codec_bench.py: 32 pages already give a dictionary within 2% of one from 256.)
SHARED_TRAIN_AT = 32
SITE_TRAIN_AT = 64
SAMPLE_LIMIT = 256  # newest bodies a dictionary is trained on
SAMPLE_MAX_BYTES = 2_000_000  # a body bigger than this is no page to learn from


def decode(db, data: bytes, codec: str, dict_id: int | None) -> bytes:
    """The body a payload row stored whole holds (raises on a corrupt row or an unknown
    dictionary). Every reader goes through payloads.decode, which reads deltas too."""
    return codecs.decompress(data, codec, load_dictionary(db, dict_id) if dict_id is not None else None)


# Dictionaries by the SHA-1 of their bytes: ids are per archive, bytes never change.
_dictionaries: dict[str, codecs.Dictionary] = {}


def load_dictionary(db, dict_id: int) -> codecs.Dictionary:
    row = db.execute("select digest from codec_dicts where id = ?", [dict_id]).fetchone()
    if row is None:
        raise KeyError(f"no codec dictionary {dict_id}")
    if row[0] not in _dictionaries:
        (data,) = db.execute("select data from codec_dicts where id = ?", [dict_id]).fetchone()
        if not matches_digest(data, row[0]):
            raise ValueError(f"codec dictionary {dict_id} does not match its digest")
        _dictionaries[row[0]] = codecs.Dictionary(bytes(data))
    return _dictionaries[row[0]]


def matches_digest(data: bytes | None, digest: str) -> bool:
    """Whether a codec_dicts row's bytes are still those its digest names (a flipped byte
    spoils every body compressed with it)."""
    return data is not None and hashlib.sha1(bytes(data)).hexdigest() == digest


def dictionary_for(db, site: str | None):
    """(id, Dictionary) for a textual body of ``site``: its own, else the shared one, else none."""
    row = db.execute(
        "select id from codec_dicts where site in (?, ?) order by site = ? desc, id desc limit 1",
        [site or SHARED, SHARED, site or SHARED],
    ).fetchone()
    if row is None:
        return None, None
    return row[0], load_dictionary(db, row[0])


def maybe_train(db, site: str | None) -> None:
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
    # Not the deltas: near copies of their bases teach nothing new, and are not read without them.
    where, params = ("where codec != ?", [codecs.DELTA]) if site == SHARED else \
        ("where site = ? and codec != ?", [site, codecs.DELTA])
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
