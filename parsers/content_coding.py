"""Undo HTTP Content-Encoding.

Archived bodies are stored as they came off the wire (before Scrapy's
HttpCompressionMiddleware), so a reparse must decode them itself.
"""

from __future__ import annotations

import gzip
import zlib

from .errors import ParseError

try:  # brotli is optional: only some servers send "br"
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None


def decode_http_body(body: bytes, content_encoding: str | None) -> bytes:
    """Return ``body`` with every listed Content-Encoding undone.

    ``content_encoding`` may list several codings (``"gzip, br"``); they were
    applied in order, so they are undone in reverse.
    """
    if not content_encoding:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        body = _undo(body, coding)
    return body


def _undo(body: bytes, coding: str) -> bytes:
    if coding in ("identity", "none"):
        return body
    if coding in ("gzip", "x-gzip"):
        decoder = gzip.decompress
    elif coding == "deflate":
        decoder = _inflate
    elif coding == "br":
        if brotli is None:
            raise ParseError("content-encoding br needs the brotli package")
        decoder = brotli.decompress
    else:
        raise ParseError(f"unknown content-encoding {coding!r}")
    try:
        return decoder(body)
    except Exception as exc:  # gzip, zlib and brotli each raise their own error types
        raise ParseError(f"cannot decode content-encoding {coding}: {exc}") from None


def _inflate(body: bytes) -> bytes:
    # "deflate" should be zlib-wrapped, but many servers send raw deflate.
    try:
        return zlib.decompress(body)
    except zlib.error:
        return zlib.decompress(body, -zlib.MAX_WBITS)
