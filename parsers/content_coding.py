"""Undo HTTP Content-Encoding.

Archived bodies are stored as they came off the wire (before Scrapy's
HttpCompressionMiddleware), so a reparse must decode them itself.
"""

from __future__ import annotations

import zlib

from .errors import ParseError

try:  # brotli is optional: only some servers send "br"
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None


# What a stored body may inflate to before it is taken for a compression bomb: far above
# any report page, far below what would exhaust a reparse worker's memory.
MAX_INFLATED_SIZE = 256 * 1024 * 1024


class CompressionBomb(ParseError):
    """A body that inflates past the size allowed."""


def decode_http_body(body: bytes, content_encoding: str | None, max_size: int = MAX_INFLATED_SIZE) -> bytes:
    """Return ``body`` with every listed Content-Encoding undone.

    ``content_encoding`` may list several codings (``"gzip, br"``); they were
    applied in order, so they are undone in reverse. A gzip or deflate body that
    would inflate past ``max_size`` raises CompressionBomb (a ParseError) instead.
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
    if coding in ("gzip", "x-gzip"):
        return _inflate(body, coding, max_size, wbits=31, members=True)
    if coding == "deflate":
        # "deflate" should be zlib-wrapped, but many servers send raw deflate.
        try:
            return _inflate(body, coding, max_size, wbits=15, members=False)
        except CompressionBomb:
            raise
        except ParseError:
            return _inflate(body, coding, max_size, wbits=-zlib.MAX_WBITS, members=False)
    if coding == "br":
        if brotli is None:
            raise ParseError("content-encoding br needs the brotli package")
        try:
            return brotli.decompress(body)
        except Exception as exc:  # brotli raises its own error type
            raise ParseError(f"cannot decode content-encoding br: {exc}") from None
    raise ParseError(f"unknown content-encoding {coding!r}")


_STEP = 1 << 20  # inflate a MiB at a time: a bomb is stopped within a MiB of the limit


def _inflate(body: bytes, coding: str, limit: int, *, wbits: int, members: bool) -> bytes:
    """Inflate ``body`` in one pass, refusing it as soon as its output passes ``limit``
    (a compression bomb is never held whole). ``members``: gzip's concatenated members."""
    out, size, data = [], 0, body
    try:
        while data:
            inflater = zlib.decompressobj(wbits)
            chunk = inflater.decompress(data, _STEP)
            while True:
                size += len(chunk)
                if size > limit:
                    raise CompressionBomb(f"content-encoding {coding} inflates past {size:,} bytes, "
                                          f"over the {limit:,} allowed (a compression bomb?)")
                out.append(chunk)
                if inflater.eof:
                    break
                # Output may still be pending with all input consumed: go on while it comes.
                tail = inflater.unconsumed_tail
                chunk = inflater.decompress(tail, _STEP)
                if not chunk and not inflater.eof and len(inflater.unconsumed_tail) == len(tail):
                    raise ParseError(f"cannot decode content-encoding {coding}: the stream is cut short")
            data = inflater.unused_data if members else b""
    except zlib.error as exc:
        raise ParseError(f"cannot decode content-encoding {coding}: {exc}") from None
    return b"".join(out)
