"""The bodies (``payloads``): each stored once per payload digest, compressed (codecs.py, with
a dictionary from dictionaries.py when textual), and read back checked against that digest.

Where the table lives, nianbao.db or the raw store file, is raw_store.py's; queries here name
it unqualified, so they work in both.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from . import codecs
from .dictionaries import decode, dictionary_for, maybe_train

logger = logging.getLogger(__name__)


def payload_digest(body: bytes) -> str:
    """The WARC-style payload digest: ``sha1:`` + base32 of the SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def store_payload(db, body: bytes, *, site: str | None = None) -> str:
    """Store a body once per digest; return its digest.

    ``site`` (the URL's host) picks the dictionary and counts toward training that site's.
    """
    digest = payload_digest(body)
    stored = db.execute("select data, codec, dict_id from payloads where digest = ?", [digest]).fetchone()
    if stored is not None and decode_checked(db, *stored, digest)[1] is None:
        return digest
    dict_id, dictionary = dictionary_for(db, site) if codecs.looks_textual(body) else (None, None)
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
    maybe_train(db, site)
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
