"""The bodies (``payloads``): each stored once per payload digest, compressed (codecs.py, with
a dictionary from dictionaries.py when textual), and read back checked against that digest.

A new body of a URL whose earlier body is stored is also compressed against that earlier
body (``zstd-delta``, the earlier one in ``base_digest``), and kept so when that is smaller:
a dynamic page whose hit counter (访问量) changes every night then costs tens of bytes a
night instead of a whole compressed page. A base is always a body stored whole, never a
delta itself, so reading any body is at most two decompressions (``decode``).

Where the table lives, nianbao.db or the raw store file, is raw_store.py's; queries here name
it unqualified, so they work in both.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from . import codecs, dictionaries
from .dictionaries import dictionary_for, maybe_train

logger = logging.getLogger(__name__)

# Bodies bigger than this (no page: a PDF, an archive) are not compressed against an
# earlier one: a replaced file shares no bytes with the old, and the try would cost seconds.
DELTA_MAX_BYTES = 2_000_000


def payload_digest(body: bytes) -> str:
    """The WARC-style payload digest: ``sha1:`` + base32 of the SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def store_payload(db, body: bytes, *, site: str | None = None, earlier: str | None = None) -> str:
    """Store a body once per digest; return its digest.

    ``site`` (the URL's host) picks the dictionary and counts toward training that site's.
    ``earlier``: the digest of the URL's previous body, if any, to compress this one against.
    """
    digest = payload_digest(body)
    stored = db.execute("select data, codec, dict_id from payloads where digest = ?", [digest]).fetchone()
    if stored is not None and decode_checked(db, *stored, digest)[1] is None:
        return digest
    if stored is not None:  # a damaged copy: the body just received is the one its digest names
        logger.warning("The archived body %s was damaged; the copy just received replaces it", digest)
        store_whole(db, digest, body, site)
        return digest
    dict_id, dictionary = dictionary_for(db, site) if codecs.looks_textual(body) else (None, None)
    codec, data = codecs.compress(body, dictionary)
    if codec != "zstd":
        dict_id = None
    base = None
    # Any kind of body: a gzip-encoded page whose counter moved differs in a few bytes too.
    if earlier and earlier != digest and len(body) <= DELTA_MAX_BYTES:
        delta = _delta(db, body, earlier)
        if delta is not None and len(delta[1]) < len(data):
            (base, data), codec, dict_id = delta, codecs.DELTA, None
    db.execute(
        "insert into payloads (digest, size, codec, stored_size, data, dict_id, site, base_digest) "
        "values (?, ?, ?, ?, ?, ?, ?, ?)",
        [digest, len(body), codec, len(data), data, dict_id, site, base],
    )
    maybe_train(db, site)
    return digest


def _delta(db, body: bytes, earlier: str) -> tuple[str, bytes] | None:
    """(base digest, ``body`` compressed against that base), or None when there is no sound
    base: ``earlier``, or the body ``earlier`` is itself a delta of (never a chain)."""
    row = db.execute("select codec, base_digest from payloads where digest = ?", [earlier]).fetchone()
    if row is None:
        return None
    base = row[1] if row[0] == codecs.DELTA else earlier
    stored = db.execute("select data, codec, dict_id from payloads where digest = ?", [base]).fetchone()
    if stored is None or stored[1] == codecs.DELTA:
        return None
    base_body, damage = decode_checked(db, *stored, base)
    if damage is not None:  # never build on a body that is not what its digest names
        return None
    return base, codecs.compress_delta(body, base_body)


def store_whole_where_base_is_a_delta(db) -> None:
    """Store whole again each delta whose base is itself a delta.

    A merge brings this about: an input's base body may be one the output holds as a delta.
    Reads stay two decompressions: the body is rebuilt (three) once, here, then kept whole.
    One that cannot be rebuilt as its digest names (a damaged base or delta) is left as it
    is, with a warning: ``nianbao verify`` reports it, and the merge goes on."""
    rows = db.execute(
        "select d.digest, d.data, b.digest, d.site from payloads d join payloads b on b.digest = d.base_digest "
        "where d.base_digest is not null and b.codec = ?", [codecs.DELTA]).fetchall()
    for digest, data, base, site in rows:
        try:
            body = codecs.decompress_delta(data, read_payload(db, base))
        except Exception as exc:  # zstd, a lost base or dictionary: as decode_checked words it
            damage = f"cannot be decompressed ({type(exc).__name__}: {exc})"
        else:
            damage = None if payload_digest(body) == digest else "does not rebuild to its digest"
        if damage is not None:
            logger.warning("The delta body %s, whose base %s is itself a delta, %s: left as it is "
                           "(nianbao verify reports it)", digest, base, damage)
            continue
        store_whole(db, digest, body, site)


def store_whole(db, digest: str, body: bytes, site: str | None) -> None:
    """The row ``digest`` made to hold ``body`` (the body that digest names) compressed whole:
    a damaged copy replaced, or a delta of a delta undone. Whole, because deltas may rest on
    it and a base is never a delta; so no chain is ever made here."""
    dict_id, dictionary = dictionary_for(db, site) if codecs.looks_textual(body) else (None, None)
    codec, data = codecs.compress(body, dictionary)
    db.execute("update payloads set size = ?, codec = ?, stored_size = ?, data = ?, dict_id = ?, "
               "base_digest = null where digest = ?",
               [len(body), codec, len(data), data, dict_id if codec == "zstd" else None, digest])


def read_payload(db, digest: str) -> bytes:
    row = db.execute("select data, codec, dict_id from payloads where digest = ?", [digest]).fetchone()
    if row is None:
        raise KeyError(f"no payload {digest}")
    return decode(db, *row, digest)


class MissingBase(KeyError):
    """A delta body whose base is not stored: it cannot be read."""

    def __init__(self, base: str | None):
        super().__init__(f"its base {base} is not stored")
        self.base = base


class DeltaChain(ValueError):
    """A delta body whose base is itself a delta: reads are kept two decompressions, so it
    is not read (a merge stores such a body whole again: store_whole_where_base_is_a_delta)."""

    def __init__(self, base: str):
        super().__init__(f"its base {base} is itself a delta")
        self.base = base


def decode(db, data: bytes, codec: str, dict_id: int | None, digest: str) -> bytes:
    """The body the payload row ``digest`` holds: the one read function for stored bodies.
    A ``zstd-delta`` row is decompressed against its base, which is read first and must be
    stored whole (raises MissingBase, DeltaChain; or on a corrupt row, as zstd does)."""
    if codec != codecs.DELTA:
        return dictionaries.decode(db, data, codec, dict_id)
    (base,) = db.execute("select base_digest from payloads where digest = ?", [digest]).fetchone() or (None,)
    stored = db.execute("select data, codec, dict_id from payloads where digest = ?", [base]).fetchone()
    if stored is None:
        raise MissingBase(base)
    if stored[1] == codecs.DELTA:
        raise DeltaChain(base)
    return codecs.decompress_delta(data, dictionaries.decode(db, *stored))


def decode_checked(db, data: bytes, codec: str, dict_id: int | None, digest: str) -> tuple[bytes, str | None]:
    """(the body a payload row holds, None), or (b"", why it does not hold the body its
    ``digest`` names): a damaged compressed row, a lost dictionary or base, other bytes."""
    try:
        body = decode(db, data, codec, dict_id, digest)
    except Exception as exc:
        return b"", f"cannot be decompressed ({type(exc).__name__}: {exc})"
    if payload_digest(body) != digest:
        return b"", f"does not match its digest {digest}"
    return body, None
