"""Export snapshots as WARC 1.1 (gzip'd record by record unless the file is named
``.warc``), with a CDXJ index beside it.

One exchange becomes a response record (or a revisit record) and its concurrent
request record. Response and revisit records carry the server's address (WARC-IP-Address)
where the crawl recorded it (from schema 9 on; never for older snapshots). Uses warcio's
streaming writer with explicit ``StatusAndHeaders`` so warcio never re-parses headers out
of the payload. Payloads are written exactly as received (still content-encoded), with
their payload digests.

Revisits (``Snapshot.revisit_of``) carry no payload: the record names the capture that
holds it (WARC-Refers-To its record, WARC-Refers-To-Target-URI / -Date) and its payload
digest. A 304 answer is a server-not-modified revisit whose block is the stored response as
that 304 renewed it (status 200, headers freshened as a cache would, RFC 9111 4.3.4, but
never its Content-Encoding: the payload is coded as the original said): pywb
replays a revisit whose block says 304 as an empty 304 whatever its profile, and this one
replays the page. The conditional request itself stays exact in the request record.

The same archive exports to the same bytes: a record's WARC-Record-ID is a name-based UUID
of what the record is (its snapshot, type, URI, date and block digest), and the warcinfo
record is dated by the archive's newest capture, the moment the file's contents are as of.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from warcio.bufferedreaders import BufferedReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from nianbao import __version__

from .killpoints import kill_point
from .snapshots import DamagedBody, Snapshot, iter_snapshots, read_snapshot
from .timestamps import utc_now

SOFTWARE = f"nianbao/{__version__} (https://github.com/nianbao/nianbao)"

# The namespace of nianbao's name-based record IDs (a fixed random UUID: never change it).
RECORD_ID_NAMESPACE = uuid.UUID("6b1f3c0e-5d7a-4a43-9f0e-2c8d1e4b7a95")

PROFILES = {
    "identical-payload-digest": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "server-not-modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}

class _ReceivedHeaders(StatusAndHeaders):
    """HTTP headers written back as the bytes they came as. The archive keeps them decoded as
    Latin-1 (crawler/middlewares/snapshots.py), so encoding them so gives those bytes; warcio
    would instead %-encode a value that is not ASCII (a GBK filename in Content-Disposition)
    and fail the whole export on a name that is not (a server's ``X-\xdc: 1``)."""

    def to_ascii_bytes(self, filter_func=None):
        text = self.to_str(filter_func)
        try:
            return text.encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # not from a crawl: a database written by hand
            return text.encode("utf-8") + b"\r\n"


# Headers describing a transfer framing the stored body no longer has: replay tools
# would try to de-chunk it. pywb's convention is to keep them under this prefix.
_FRAMING_HEADERS = {"transfer-encoding"}


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _response_headers(snapshot: Snapshot) -> StatusAndHeaders:
    headers = [
        (f"X-Archive-Orig-{name}" if name.lower() in _FRAMING_HEADERS else name, value)
        for name, value in snapshot.response_headers
    ]
    return _ReceivedHeaders(_status_line(snapshot.status), headers, protocol="HTTP/1.1")


def _request_headers(snapshot: Snapshot) -> StatusAndHeaders:
    parts = urlsplit(snapshot.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [tuple(pair) for pair in snapshot.request_headers]
    body = snapshot.request_body or b""
    framed = any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers)
    if not framed and (body or snapshot.method in ("POST", "PUT")):
        # Twisted sends this right after the request line (0 for an empty POST or PUT); the
        # headers the archive keeps are Scrapy's, which never had it. Without it the block
        # is a request with no body, and the form sent reads as the start of another request.
        headers.insert(0, ("Content-Length", str(len(body))))
    return _ReceivedHeaders(
        f"{snapshot.method} {target} HTTP/1.1",  # with is_http_request, warcio takes the line whole
        headers,
        protocol="HTTP/1.1",
        is_http_request=True,
    )


def _name_record(writer: WARCWriter, record, snapshot_id: int | str):
    """Give ``record`` its ID: a UUID named by the snapshot it comes from and what the record
    holds. Unique in the file (one record of a type per snapshot), the same on every export,
    and the block digest in the name keeps a record written otherwise from sharing the ID."""
    writer.ensure_digest(record, block=True, payload=True)
    headers = record.rec_headers
    name = " ".join([str(snapshot_id), headers.get_header("WARC-Type"), headers.get_header("WARC-Target-URI") or "",
                     headers.get_header("WARC-Date"), headers.get_header("WARC-Block-Digest")])
    headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.uuid5(RECORD_ID_NAMESPACE, name)}>")
    return record


def _capture_headers(snapshot: Snapshot) -> dict:
    """The WARC headers of the exchange itself: its date, and the server's address where the
    archive knows it (snapshots stored before it kept addresses have none: no header)."""
    headers = {"WARC-Date": snapshot.fetched_at}
    if snapshot.ip_address:
        headers["WARC-IP-Address"] = snapshot.ip_address
    return headers


def _response_record(writer: WARCWriter, snapshot: Snapshot):
    record = writer.create_warc_record(
        snapshot.url,
        "response",
        payload=BytesIO(snapshot.body),
        length=len(snapshot.body),  # known: lets warcio digest without a temp file
        http_headers=_response_headers(snapshot),
        # The body was checked against this digest when read: no need to hash it again.
        warc_headers_dict={**_capture_headers(snapshot), "WARC-Payload-Digest": snapshot.payload_digest},
    )
    return _name_record(writer, record, snapshot.id)


# Never taken from a 304 into the stored response (RFC 9111 3.2): they describe the
# 304's own (empty) message, not the representation. Nor is Content-Encoding: the payload
# is the original's bytes, coded as the original said (the archive parses it so too). Some
# servers send one on a 304 that the body never had, and a replay tool would then serve plain
# bytes labelled gzip, which a browser cannot open.
_NOT_FRESHENED = {"content-length", "transfer-encoding", "connection", "keep-alive",
                  "proxy-connection", "te", "upgrade", "content-encoding"}


def _renewed_response_headers(snapshot: Snapshot, original: Snapshot) -> StatusAndHeaders:
    """The original's status and headers, updated by the headers of the 304 ``snapshot``."""
    fresh = [(k, v) for k, v in snapshot.response_headers if k.lower() not in _NOT_FRESHENED]
    replaced = {k.lower() for k, _ in fresh}
    kept = [(k, v) for k, v in original.response_headers if k.lower() not in replaced]
    return _response_headers(replace(original, response_headers=kept + fresh))


class Original(NamedTuple):
    """The capture holding a revisit's payload (without its body), and the ID of the response
    record it is written as."""

    snapshot: Snapshot
    record_id: str


def _revisit_record(writer: WARCWriter, snapshot: Snapshot, original: Original):
    if snapshot.status == 304:
        http_headers = _renewed_response_headers(snapshot, original.snapshot)
    else:
        http_headers = _response_headers(snapshot)
    record = writer.create_revisit_record(
        snapshot.url,
        digest=snapshot.payload_digest,
        refers_to_uri=original.snapshot.url,
        refers_to_date=original.snapshot.fetched_at,
        http_headers=http_headers,
        warc_headers_dict=_capture_headers(snapshot),
    )
    profile = PROFILES.get(snapshot.revisit_profile or "", PROFILES["identical-payload-digest"])
    record.rec_headers.replace_header("WARC-Profile", profile)
    record.rec_headers.add_header("WARC-Refers-To", original.record_id)
    return _name_record(writer, record, snapshot.id)


def write_exchange(writer: WARCWriter, snapshot: Snapshot, original: Original | None = None) -> str:
    """Write one snapshot as a response (or, given its ``original``, a revisit) record
    and its concurrent request record; return the response (or revisit) record's ID."""
    if original is not None:
        response = _revisit_record(writer, snapshot, original)
    else:
        response = _response_record(writer, snapshot)
    request = writer.create_warc_record(
        snapshot.url,
        "request",
        payload=BytesIO(snapshot.request_body or b""),
        length=len(snapshot.request_body or b""),
        http_headers=_request_headers(snapshot),
        warc_headers_dict={
            "WARC-Date": snapshot.fetched_at,
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        },
    )
    _name_record(writer, request, snapshot.id)
    writer.write_record(response)
    writer.write_record(request)
    return response.rec_headers.get_header("WARC-Record-ID")


def _original_of(db, writer: WARCWriter, snapshot: Snapshot, written: dict) -> Original | None:
    """The capture holding a revisit's payload (followed to the end, should a revisit ever
    point at another revisit), or None for a snapshot that is no revisit. ``written``: the
    snapshots revisits point at, as this export wrote them (an ``Original``) or why it left
    them out (their damage): a revisit of one left out is left out, named as itself."""
    if not snapshot.revisit_of:
        return None
    kept = written.get(snapshot.revisit_of)
    if isinstance(kept, str):
        raise DamagedBody(replace(snapshot, damage=kept))
    if kept is not None:
        return kept
    # Not earlier in this export (only an archive written by hand has that): read it here,
    # its body checked (DamagedBody), and build its response record for the ID.
    while snapshot.revisit_of:
        snapshot = read_snapshot(db, snapshot.revisit_of)
    record_id = _response_record(writer, snapshot).rec_headers.get_header("WARC-Record-ID")
    return Original(replace(snapshot, body=b""), record_id)


def export_warc(db, stream, *, filename: str = "nianbao.warc.gz", progress=None,
                left_out: list | None = None) -> int:
    """Write every snapshot in ``db`` to the binary ``stream``; return the count. The file
    is gzip'd (one member per record) unless ``filename`` ends in ``.warc``.

    A snapshot whose stored body is missing or damaged (``snapshots.DamagedBody``), or a
    revisit of one, is left out rather than written with a body that is not what was
    received; each is appended to ``left_out`` as ``(snapshot id, url, why)``."""
    writer = WARCWriter(stream, gzip=not filename.endswith(".warc"), warc_version="1.1")
    warcinfo = writer.create_warcinfo_record(filename, {"software": SOFTWARE, "format": "WARC File Format 1.1"})
    (newest,) = db.execute("select max(fetched_at) from snapshots").fetchone()
    warcinfo.rec_headers.replace_header("WARC-Date", newest or utc_now())
    writer.write_record(_name_record(writer, warcinfo, f"warcinfo {filename}"))
    # A revisit's record names its original's response record, whose ID is named by that
    # record's block digest, and a 304's renews the original's headers. Originals come first
    # (a revisit points at an earlier id), so what a revisit needs is kept as the original is
    # written, for the snapshots some revisit points at, without their bodies: no payload is
    # read, checked or hashed again for a revisit.
    revisited = {original_id for (original_id,) in
                 db.execute("select distinct revisit_of from snapshots where revisit_of is not null")}
    written: dict[int, Original | str] = {}  # id -> as written, or why it was left out
    count = 0
    for snapshot in iter_snapshots(db, revisit_bodies=False):
        if progress:
            progress(1)
        try:
            if snapshot.damage:
                raise DamagedBody(snapshot)
            original = _original_of(db, writer, snapshot, written)
        except DamagedBody as exc:
            if snapshot.id in revisited:
                written[snapshot.id] = exc.snapshot.damage
            if left_out is not None:
                left_out.append((snapshot.id, snapshot.url, str(exc)))
            continue
        kill_point("warc-exchange")
        record_id = write_exchange(writer, snapshot, original)
        if snapshot.id in revisited:
            written[snapshot.id] = original or Original(replace(snapshot, body=b""), record_id)
        count += 1
    return count


class _BrotliDecompressor:
    """A br decoder with the API warcio expects (brotlipy's: ``decompress``, ``unused_data``).
    The ``brotli`` installed is Google's, which Scrapy requires: its Decompressor has ``process``
    instead and takes no new attribute, so warcio's own adapter fails on it (warcio issue 73),
    and indexing a WARC holding one br body (cdxj-indexer, wacz: both decode every response)
    raised AttributeError."""

    unused_data = None  # nothing is left past a br stream: a record's payload ends with it

    def __init__(self):
        import brotli

        self._decompressor = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.process(data)


def _let_warcio_read_brotli() -> None:
    try:
        import brotli
    except ImportError:  # no br at all: warcio says so itself
        return
    if hasattr(brotli.Decompressor, "process"):  # Google's; brotlipy's works with warcio as it is
        BufferedReader.DECOMPRESSORS["br"] = _BrotliDecompressor


# For write_cdxj here and wacz (archive/wacz.py), which index in this process.
_let_warcio_read_brotli()


def write_cdxj(warc_path: Path, cdxj_path: Path, filename: str | None = None) -> None:
    """Index ``warc_path`` with cdxj-indexer, sorted, as pywb and ReplayWeb.page read it
    (a non-GET request's method and body go into its key); the WARC is named by
    ``filename``, by default its file name."""
    from cdxj_indexer.main import CDXJIndexer

    CDXJIndexer(output=str(cdxj_path), inputs=[str(warc_path)], sort=True, post_append=True,
                filename=filename or warc_path.name).process_all()


def cdxj_path_for(warc_path: Path) -> Path:
    """``reports.warc.gz`` → ``reports.cdxj`` (beside it)."""
    name = warc_path.name
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            return warc_path.with_name(name[: -len(suffix)] + ".cdxj")
    return warc_path.with_name(name + ".cdxj")
