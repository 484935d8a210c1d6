"""Store and read raw snapshots: every request and response exactly as exchanged.

Bodies are kept as received (still content-encoded if the server compressed them),
compressed again for storage, and stored once per distinct payload digest: a page
fetched every night that never changes costs one payload row.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

# zlib level 6: the standard library's codec, no extra dependency. (The choice of
# codec by measurement, zstd among them, is issue 5's work; `codec` is stored per
# payload so a later codec can coexist with old rows.)
STORAGE_CODEC = "zlib"


def payload_digest(body: bytes) -> str:
    """The WARC-style payload digest: ``sha1:`` + base32 of the SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def compress(body: bytes, codec: str = STORAGE_CODEC) -> bytes:
    if codec == "zlib":
        return zlib.compress(body, 6)
    if codec == "identity":
        return body
    raise ValueError(f"unknown storage codec {codec!r}")


def decompress(data: bytes, codec: str) -> bytes:
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "identity":
        return data
    raise ValueError(f"unknown storage codec {codec!r}")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Snapshot:
    """One stored exchange, as read back from the archive."""

    id: int
    url: str
    method: str
    request_headers: list
    status: int
    response_headers: list
    fetched_at: str
    payload_digest: str
    body: bytes  # as received on the wire (content-encoded if it was)
    content_type: str | None
    content_encoding: str | None
    encoding: str | None
    encoding_source: str | None
    kind: str | None
    request_body: bytes | None = None


def store_payload(db: sqlite_utils.Database, body: bytes) -> str:
    """Store a body once per digest; return its digest."""
    digest = payload_digest(body)
    exists = db.execute("select 1 from payloads where digest = ?", [digest]).fetchone()
    if not exists:
        data = compress(body)
        db["payloads"].insert(
            {
                "digest": digest,
                "size": len(body),
                "codec": STORAGE_CODEC,
                "stored_size": len(data),
                "data": data,
            }
        )
    return digest


def store_snapshot(
    db: sqlite_utils.Database,
    *,
    url: str,
    method: str,
    request_headers: list,
    status: int,
    response_headers: list,
    body: bytes,
    run_id: int | None = None,
    fetched_at: str | None = None,
    request_body: bytes | None = None,
    encoding: str | None = None,
    encoding_source: str | None = None,
    kind: str | None = None,
) -> int:
    """Store one exchange (and its payload, if new) in one transaction; return its id."""

    def first(name):
        for key, value in response_headers:
            if key.lower() == name:
                return value
        return None

    with db.conn:
        digest = store_payload(db, body)
        row = db["snapshots"].insert(
            {
                "run_id": run_id,
                "url": url,
                "method": method,
                "request_headers": json.dumps(request_headers, ensure_ascii=False),
                "request_body": request_body or None,
                "status": status,
                "response_headers": json.dumps(response_headers, ensure_ascii=False),
                "fetched_at": fetched_at or utc_now(),
                "payload_digest": digest,
                "content_type": first("content-type"),
                "content_encoding": first("content-encoding"),
                "encoding": encoding,
                "encoding_source": encoding_source,
                "kind": kind,
            }
        )
    return row.last_pk


def read_snapshot(db: sqlite_utils.Database, snapshot_id: int) -> Snapshot:
    rows = list(_select(db, "where s.id = ?", [snapshot_id]))
    if not rows:
        raise KeyError(f"no snapshot {snapshot_id}")
    return rows[0]


def iter_snapshots(db: sqlite_utils.Database, where: str = "", params=()):
    """Yield every snapshot in id order, streaming (one body in memory at a time)."""
    yield from _select(db, where, params)


def _select(db, where, params):
    sql = f"""
        select s.*, p.data, p.codec from snapshots s
        join payloads p on p.digest = s.payload_digest
        {where} order by s.id
    """
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    for values in cursor:
        r = dict(zip(names, values))
        yield Snapshot(
            id=r["id"],
            url=r["url"],
            method=r["method"],
            request_headers=json.loads(r["request_headers"] or "[]"),
            status=r["status"],
            response_headers=json.loads(r["response_headers"] or "[]"),
            fetched_at=r["fetched_at"],
            payload_digest=r["payload_digest"],
            body=decompress(r["data"], r["codec"]),
            content_type=r["content_type"],
            content_encoding=r["content_encoding"],
            encoding=r["encoding"],
            encoding_source=r["encoding_source"],
            kind=r["kind"],
            request_body=r["request_body"],
        )
