"""A stored snapshot parsed exactly as it came off the wire: what the crawl does with each
report page it archives (through archive/reparse.py ``parse_stored_snapshot``, here or in a
worker process: archive/reparse_pool.py) and what ``nianbao reparse`` does again later.

A pure function of the snapshot: bytes and recorded headers in, a ``parsers.Report`` out.
"""

from __future__ import annotations

from parsers import Report, decode_http_body, parse_report
from parsers.embedded_body import extracted_report_body, may_embed_a_report

from .snapshots import Snapshot


def parse_snapshot(snapshot: Snapshot) -> Report:
    """Parse a stored snapshot exactly as it came off the wire.

    A page whose report body is embedded in a script (gkmlpt's ``DETAIL`` JSON) is parsed
    from the HTML parsers/embedded_body.py rebuilds from the stored page, live and on reparse alike.
    """
    body = decode_http_body(snapshot.body, snapshot.content_encoding)  # once, for both
    embedded = embedded_report(snapshot, body)
    if embedded is not None:
        return parse_report(embedded.encode("utf-8"), url=snapshot.url,
                            content_type="text/html; charset=utf-8")
    return parse_report(
        body,
        url=snapshot.url,
        content_type=snapshot.content_type,
        # Decoded above; "identity", not None: a body whose header was lost is gunzipped
        # by parse_report only when no Content-Encoding was recorded at all.
        content_encoding="identity" if snapshot.content_encoding else None,
    )


def embedded_report(snapshot: Snapshot, body: bytes | None = None) -> str | None:
    """The report HTML embedded in a stored HTML page's script (gkmlpt), or None.
    ``body``: the snapshot's body with its Content-Encoding undone, when the caller has it."""
    if snapshot.encoding is None or "html" not in (snapshot.content_type or "html"):
        return None
    if body is None:
        body = decode_http_body(snapshot.body, snapshot.content_encoding)
    if not may_embed_a_report(body, snapshot.encoding):
        return None
    return extracted_report_body(body.decode(snapshot.encoding, errors="replace"))
