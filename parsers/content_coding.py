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


# What a stored body may inflate to before it is taken for a compression bomb: far above
# any report page, far below what would exhaust a reparse worker's memory.
MAX_INFLATED_SIZE = 256 * 1024 * 1024


def decode_http_body(body: bytes, content_encoding: str | None, max_size: int = MAX_INFLATED_SIZE) -> bytes:
    """Return ``body`` with every listed Content-Encoding undone.

    ``content_encoding`` may list several codings (``"gzip, br"``); they were
    applied in order, so they are undone in reverse. A gzip or deflate body that
    would inflate past ``max_size`` raises a ParseError instead (a compression bomb).
    """
    if not content_encoding:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        body = _undo(body, coding, max_size)
    return body


def _undo(body: bytes, coding: str, max_size: int) -> bytes:
    if coding in ("identity", "none"):
        return body
    over = inflated_size_over(body, coding, max_size)
    if over is not None:
        raise ParseError(f"content-encoding {coding} inflates past {over:,} bytes, "
                         f"over the {max_size:,} allowed (a compression bomb?)")
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


def inflated_size_over(body: bytes, content_encoding: str | None, limit: int) -> int | None:
    """The size a gzip/deflate body inflates to when that passes ``limit`` (counted without
    holding it: a gzip bomb), else None. Other codings are not measured."""
    coding = (content_encoding or "").strip().lower()
    if coding not in ("gzip", "x-gzip", "deflate"):
        return None
    size, data = 0, body
    wbits = 47 if coding == "deflate" else 31  # deflate: zlib-wrapped (raw deflate falls to the decoder)
    try:
        while data:  # gzip members, one after another
            inflater = zlib.decompressobj(wbits)
            chunk = inflater.decompress(data, 1 << 20)
            size += len(chunk)
            # Output may still be pending with all input consumed: go on while it comes.
            while not inflater.eof and size <= limit and (chunk or inflater.unconsumed_tail):
                tail = inflater.unconsumed_tail
                chunk = inflater.decompress(tail, 1 << 20)
                size += len(chunk)
                if not chunk and len(inflater.unconsumed_tail) == len(tail):
                    break  # no progress: a cut-short stream
            if size > limit:
                return size
            data = inflater.unused_data if inflater.eof else b""
    except zlib.error:
        return None  # undecodable: the decoder says so
    return None
