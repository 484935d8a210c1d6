"""A stored page as it was captured, served so that nothing in it runs in Datasette's origin.

``/-/raw/<snapshot_id>`` answers with the body of that snapshot: content-coding undone,
decoded with the encoding nianbao stored for it, re-encoded as UTF-8 (the HTTP charset
outranks the page's own ``<meta charset>``). The page is untrusted text from a portal:

- ``Content-Security-Policy: sandbox`` gives it an opaque origin of its own (no cookies,
  no access to Datasette's pages) with scripts, forms, popups and plugins off, and
  ``script-src 'none'`` blocks scripts again for a browser that ignores ``sandbox``;
- ``default-src 'none'`` keeps it from loading anything (its images and stylesheets were
  never archived, and a researcher's browser must not call the portal or anywhere else);
  inline styles and ``data:`` images are allowed so it still looks like the page;
- ``X-Content-Type-Options: nosniff`` stops a browser from reading it as anything else.

Attachments (PDF, DOC, XLS) are offered as downloads, never rendered inline.

The snapshot is read through a read-only connection of its own, with the raw store
attached read-only when the bodies live in a second file (archive/raw_store.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from archive import raw_store
from archive.codecs import looks_textual
from archive.snapshots import read_snapshot
from parsers import decode_http_body

CSP = (
    "sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
SAFE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_EXTENSIONS = {"pdf": "pdf", "msword": "doc", "wordprocessingml": "docx", "ms-excel": "xls",
               "spreadsheetml": "xlsx", "zip": "zip"}
_TOKEN = re.compile(r"^[\w.+-]+/[\w.+-]+$")


@dataclass(frozen=True)
class RawPage:
    status: int
    body: bytes
    content_type: str
    headers: dict


def open_read_only(path) -> sqlite_utils.Database:
    """``nianbao.db`` read-only, with its raw store (if it records one) attached read-only."""
    return sqlite_utils.Database(raw_store.open_read_only(path, check_same_thread=False))


def raw_page(db_path, snapshot_id: int) -> RawPage:
    """The response ``/-/raw/<snapshot_id>`` gives: the page, or a plain-text reason."""
    db = open_read_only(db_path)
    try:
        snapshot = read_snapshot(db, snapshot_id)
    except KeyError:
        return _plain(404, f"No snapshot {snapshot_id} with a stored body.")
    except Exception as exc:  # a corrupt row: say so, never a traceback page
        return _plain(500, f"Snapshot {snapshot_id} cannot be read: {type(exc).__name__}: {exc}")
    finally:
        db.close()
    try:
        body = decode_http_body(snapshot.body, snapshot.content_encoding)
    except Exception as exc:
        return _plain(500, f"Snapshot {snapshot_id}: content-encoding {snapshot.content_encoding} "
                           f"cannot be undone ({exc})")
    media = (snapshot.content_type or "").split(";")[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml") or (not media and looks_textual(body)):
        return _text(body, snapshot.encoding, "text/html")
    if media.startswith("text/"):
        return _text(body, snapshot.encoding, "text/plain")
    return _download(body, media, snapshot_id)


def _text(body: bytes, encoding: str | None, media: str) -> RawPage:
    try:
        text = body.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # an encoding name Python does not know
        text = body.decode("utf-8", errors="replace")
    return RawPage(200, text.encode("utf-8"), f"{media}; charset=utf-8", dict(SAFE_HEADERS))


def _download(body: bytes, media: str, snapshot_id: int) -> RawPage:
    media = media if _TOKEN.match(media) else "application/octet-stream"
    extension = next((ext for key, ext in _EXTENSIONS.items() if key in media), "bin")
    headers = dict(SAFE_HEADERS)
    headers["Content-Disposition"] = f'attachment; filename="snapshot-{snapshot_id}.{extension}"'
    return RawPage(200, body, media, headers)


def _plain(status: int, message: str) -> RawPage:
    return RawPage(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", dict(SAFE_HEADERS))
