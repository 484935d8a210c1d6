"""Export snapshots as gzip WARC 1.1: a request and a response record per exchange.

Uses warcio's streaming writer with explicit ``StatusAndHeaders`` so warcio never
re-parses headers out of the payload. Payloads are written exactly as received
(still content-encoded), with their payload digests.
"""

from __future__ import annotations

from http import HTTPStatus
from io import BytesIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .snapshots import Snapshot, iter_snapshots

SOFTWARE = "nianbao (https://github.com/nianbao/nianbao)"

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
    return StatusAndHeaders(_status_line(snapshot.status), headers, protocol="HTTP/1.1")


def _request_headers(snapshot: Snapshot) -> StatusAndHeaders:
    parts = urlsplit(snapshot.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return StatusAndHeaders(
        f"{snapshot.method} {target}",
        [tuple(pair) for pair in snapshot.request_headers],
        protocol="HTTP/1.1",
        is_http_request=True,
    )


def write_exchange(writer: WARCWriter, snapshot: Snapshot) -> None:
    """Write one snapshot as a response record and its concurrent request record."""
    response = writer.create_warc_record(
        snapshot.url,
        "response",
        payload=BytesIO(snapshot.body),
        length=len(snapshot.body),  # known: lets warcio digest without a temp file
        http_headers=_response_headers(snapshot),
        warc_headers_dict={"WARC-Date": snapshot.fetched_at},
    )
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
    writer.write_record(response)
    writer.write_record(request)


def export_warc(db, stream, *, filename: str = "nianbao.warc.gz", progress=None) -> int:
    """Write every snapshot in ``db`` to the binary ``stream``; return the count."""
    writer = WARCWriter(stream, gzip=True, warc_version="1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            filename, {"software": SOFTWARE, "format": "WARC File Format 1.1"}
        )
    )
    count = 0
    for snapshot in iter_snapshots(db):
        write_exchange(writer, snapshot)
        count += 1
        if progress:
            progress(1)
    return count
