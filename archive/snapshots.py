"""Store and read raw snapshots: every request and response exactly as exchanged.

Bodies are kept as received (still content-encoded if the server compressed them),
compressed again for storage, and stored once per distinct payload digest: a page
fetched every night that never changes costs one payload row. Where the bodies live is
archive/raw_store.py's; how they are stored and compressed (zstd with per-site dictionaries),
archive/payloads.py's.

Revisits: a 200 whose body is the one the archive already holds for that URL, and a 304
answer to a conditional request, are stored as snapshot rows that point at the payload
already stored (``revisit_of`` the snapshot that first brought it, with the WARC 1.1
revisit profile). A revisit's content_type/content_encoding/encoding describe that
payload; its response_headers are the headers this exchange actually received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlite_utils

from . import payloads, raw_store
from .killpoints import kill_point
from .timestamps import utc_now
from .transactions import write_transaction


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
    revisit_of: int | None = None
    revisit_profile: str | None = None
    damage: str | None = None  # why the body cannot be read as stored (then body is b"")
    ip_address: str | None = None  # the server's address the crawl connected to, if known


class DamagedBody(ValueError):
    """A snapshot whose stored body is missing, cannot be decompressed, or is not the body its
    payload digest names: never handed on as if it were what was received."""

    def __init__(self, snapshot: Snapshot):
        super().__init__(f"snapshot {snapshot.id} ({snapshot.url}): its stored body {snapshot.damage}; "
                         "`nianbao verify` lists the damage")
        self.snapshot = snapshot


def store_payload(db: sqlite_utils.Database, body: bytes, url: str | None = None, earlier: str | None = None) -> str:
    """Store a body once per digest (compressed as payloads.py chooses, against ``earlier``,
    the URL's previous body, when that is smaller); return its digest."""
    site = urlsplit(url).hostname if url else None
    return payloads.store_payload(db, body, site=site, earlier=earlier)


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
    ip_address: str | None = None,
) -> int:
    """Store one exchange (and its payload, if new) in one transaction; return its id.

    A 200 whose payload is that of the URL's newest stored 200 is stored as a revisit.
    ``ip_address``: the server's address the answer came from (WARC-IP-Address), if known.
    """

    def first(name):
        for key, value in response_headers:
            if key.lower() == name:
                return value
        return None

    # A new body is compressed against the URL's previous one (payloads.py), whose fetch also
    # tells whether this 200 is a revisit.
    digest = None
    if raw_store.is_attached(db):
        # Two files commit one after the other even in one transaction: the body goes
        # first, so a crash leaves at worst an unreferenced body, never a dangling snapshot.
        # Bodies are never deleted, so it is still stored below: not looked up (and for a
        # delta, rebuilt and checked) a second time.
        previous = newest_fetch(db, url) if status == 200 else None  # for compression only
        with write_transaction(db):
            digest = store_payload(db, body, url, previous.payload_digest if previous else None)
    with write_transaction(db):
        previous = newest_fetch(db, url) if status == 200 else None
        if digest is None:
            digest = store_payload(db, body, url, previous.payload_digest if previous else None)
        kill_point("snapshot")
        revisit_of = previous.original_id if previous and previous.payload_digest == digest else None
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
                "revisit_of": revisit_of,
                "revisit_profile": "identical-payload-digest" if revisit_of else None,
                "ip_address": ip_address,
            }
        )
    kill_point("snapshot-stored")
    return row.last_pk


@dataclass(frozen=True)
class PreviousFetch:
    """The newest 200 of a URL in the archive: what a conditional request validates."""

    id: int
    original_id: int  # the snapshot that first brought this payload (itself, unless a revisit)
    payload_digest: str
    response_headers: list

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers:
            if key.lower() == name.lower():
                return value
        return None


def newest_fetch(db: sqlite_utils.Database, url: str) -> PreviousFetch | None:
    row = db.execute(
        "select id, coalesce(revisit_of, id), payload_digest, response_headers from snapshots "
        "where url = ? and status = 200 order by id desc limit 1",
        [url],
    ).fetchone()
    if row is None:
        return None
    return PreviousFetch(row[0], row[1], row[2], json.loads(row[3] or "[]"))


def last_asked(db: sqlite_utils.Database, url: str) -> str | None:
    """When the server was last asked for ``url`` and answered with its body or a 304."""
    (at,) = db.execute("select max(fetched_at) from snapshots where url = ? and status in (200, 304)",
                       [url]).fetchone()
    return at


def record_not_asked(db: sqlite_utils.Database, *, run_id: int | None, url: str, kind: str | None,
                     snapshot_id: int, last_asked: str) -> None:
    """A page this run took from the archive instead of asking the server (``not_asked``)."""
    with write_transaction(db):
        db.execute("insert into not_asked (run_id, url, kind, snapshot_id, last_asked) values (?, ?, ?, ?, ?)",
                   [run_id, url, kind, snapshot_id, last_asked])


def store_not_modified(
    db: sqlite_utils.Database,
    *,
    revisit_of: int,
    url: str,
    method: str,
    request_headers: list,
    status: int,
    response_headers: list,
    run_id: int | None = None,
    fetched_at: str | None = None,
    kind: str | None = None,
    ip_address: str | None = None,
) -> int:
    """Store a 304 answer as a revisit of snapshot ``revisit_of`` (whose payload it keeps)."""
    with write_transaction(db):
        original = db.execute(
            "select coalesce(revisit_of, id), payload_digest, content_type, content_encoding, "
            "encoding, encoding_source from snapshots where id = ?",
            [revisit_of],
        ).fetchone()
        if original is None:
            raise KeyError(f"no snapshot {revisit_of}")
        original_id, digest, content_type, content_encoding, encoding, encoding_source = original
        kill_point("snapshot")
        row = db["snapshots"].insert(
            {
                "run_id": run_id,
                "url": url,
                "method": method,
                "request_headers": json.dumps(request_headers, ensure_ascii=False),
                "request_body": None,
                "status": status,
                "response_headers": json.dumps(response_headers, ensure_ascii=False),
                "fetched_at": fetched_at or utc_now(),
                "payload_digest": digest,
                "content_type": content_type,
                "content_encoding": content_encoding,
                "encoding": encoding,
                "encoding_source": encoding_source,
                "kind": kind,
                "revisit_of": original_id,
                "revisit_profile": "server-not-modified",
                "ip_address": ip_address,
            }
        )
    kill_point("snapshot-stored")
    return row.last_pk


def read_snapshot(db: sqlite_utils.Database, snapshot_id: int) -> Snapshot:
    """One snapshot, its body checked against its payload digest (``DamagedBody`` if it is
    missing or not what was received; ``KeyError`` if there is no such snapshot)."""
    rows = list(_select(db, "where s.id = ?", [snapshot_id]))
    if not rows:
        raise KeyError(f"no snapshot {snapshot_id}")
    if rows[0].damage:
        raise DamagedBody(rows[0])
    return rows[0]


def iter_snapshots(db: sqlite_utils.Database, where: str = "", params=(), *, revisit_bodies: bool = True):
    """Yield every snapshot in id order, streaming (one body in memory at a time). A snapshot
    whose body cannot be read as stored comes with ``damage`` saying why, and an empty body.

    ``revisit_bodies=False``: a revisit comes with an empty body, its payload neither read
    nor checked, for a reader that takes the payload from the original (the WARC export)."""
    yield from _select(db, where, params, revisit_bodies)


def _body(db, r: dict) -> tuple[bytes, str | None]:
    """(body, None), or (b"", why it cannot be read as stored)."""
    if r["data"] is None:
        return b"", f"is missing (no payload {r['payload_digest']})"
    return payloads.decode_checked(db, r["data"], r["codec"], r["dict_id"], r["payload_digest"])


def _select(db, where, params, revisit_bodies=True):
    bodies = "" if revisit_bodies else " and s.revisit_of is null"
    sql = f"""
        select s.*, p.data, p.codec, p.dict_id from snapshots s
        left join payloads p on p.digest = s.payload_digest{bodies}
        {where} order by s.id
    """
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    for values in cursor:
        r = dict(zip(names, values))
        if r.get("revisit_of") is not None and not revisit_bodies:
            body, damage = b"", None
        else:
            body, damage = _body(db, r)
        yield Snapshot(
            id=r["id"],
            url=r["url"],
            method=r["method"],
            request_headers=json.loads(r["request_headers"] or "[]"),
            status=r["status"],
            response_headers=json.loads(r["response_headers"] or "[]"),
            fetched_at=r["fetched_at"],
            payload_digest=r["payload_digest"],
            body=body,
            content_type=r["content_type"],
            content_encoding=r["content_encoding"],
            encoding=r["encoding"],
            encoding_source=r["encoding_source"],
            kind=r["kind"],
            request_body=r["request_body"],
            revisit_of=r.get("revisit_of"),
            revisit_profile=r.get("revisit_profile"),
            damage=damage,
            ip_address=r.get("ip_address"),  # a database not yet opened at schema 9 has no such column
        )
