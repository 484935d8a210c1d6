"""A bound on what a PDF's compressed streams may unpack to while nianbao reads it.

pdfminer inflates each stream it needs whole (``zlib.decompress``: page contents, forms,
fonts, ToUnicode maps, object and cross-reference streams), and keeps it. A 261 KB PDF whose
one page is a Flate stream of 256 MB of spaces took 571 MB of memory before any size check
could see the page; within the 64 MiB download limit, a stream unpacks to ~64 GB.

Inside ``inflate_budget(n)`` (``read_pdf``), the Flate, LZW, RunLength and ASCII85 decoders
pdfminer calls unpack at most ``n`` bytes in all; the stream that would pass it raises
``InflateLimit`` (a ParseError), Flate and RunLength before their bytes exist. ASCII85 makes
at most 5 bytes of 4 after another decoder (charged after it ran); ASCIIHex halves its input.
A CCITT fax stream is refused: it holds a scanned image, which nothing nianbao reads needs
(page contents, fonts and maps never use it), and pdfminer decodes it pixel by pixel in
Python, a row of ``/Columns`` pixels per input bit (735 bytes took 9.7 s). Outside the
budget, every decoder is pdfminer's own.
"""

from __future__ import annotations

import contextlib
import contextvars
import zlib
from io import BytesIO

import pdfminer.pdftypes
from pdfminer.ascii85 import ascii85decode
from pdfminer.ccitt import ccittfaxdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.runlength import rldecode

from .errors import ParseError


class InflateLimit(ParseError):
    """The PDF's streams unpack to more than a report's."""


class _Budget:
    def __init__(self, limit: int):
        self.limit = limit
        self.remaining = limit

    def charge(self, size: int, what: str) -> None:
        if size > self.remaining:
            raise InflateLimit(f"unreadable PDF: its compressed streams unpack to more than "
                               f"{self.limit / 1e6:,.0f} MB ({what}), more than a report holds")
        self.remaining -= size


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("nianbao_pdf_inflate", default=None)


@contextlib.contextmanager
def inflate_budget(limit: int):
    token = _budget.set(_Budget(limit))
    try:
        yield
    finally:
        _budget.reset(token)


def _decompress(data: bytes) -> bytes:
    budget = _budget.get()
    if budget is not None:
        # Counted first, a chunk at a time and kept nowhere, so a bomb never unpacks; then
        # pdfminer's own call, so its handling of damaged streams (zlib.error, then byte by
        # byte) is kept: that unpacks no more than the count reached.
        budget.charge(_inflated_size(data, budget.remaining), "a Flate stream")
    return zlib.decompress(data)


def _inflated_size(data: bytes, stop: int, chunk: int = 1 << 20) -> int:
    """What ``data`` inflates to (up to past ``stop``; as far as it goes when damaged)."""
    inflater, size = zlib.decompressobj(), 0
    try:
        while data and size <= stop and not inflater.eof:
            size += len(inflater.decompress(data, chunk))
            data = inflater.unconsumed_tail
    except zlib.error:
        pass
    return size


def _lzwdecode(data: bytes) -> bytes:
    budget = _budget.get()
    parts, size = [], 0
    for part in LZWDecoder(BytesIO(data)).run():
        size += len(part)
        if budget is not None and size > budget.remaining:
            budget.charge(size, "an LZW stream")
        parts.append(part)
    if budget is not None:
        budget.charge(size, "an LZW stream")
    return b"".join(parts)


def _rldecode(data: bytes) -> bytes:
    budget = _budget.get()
    if budget is None:
        return rldecode(data)
    budget.charge(_runlength_size(data, budget.remaining), "a RunLength stream")
    return _runlength_decoded(data)


def _runlength_decoded(data: bytes) -> bytes:
    """``rldecode(data)`` into a bytearray: pdfminer's builds a list of ints, about 8.5
    bytes of memory a byte out (20.5 MB out took 175 MB). A truncated run gives what is there."""
    out, position = bytearray(), 0
    while position < len(data):
        length = data[position]
        if length == 128:  # end of data
            break
        if length < 128:  # the next length + 1 bytes, literally
            out += data[position + 1:position + length + 2]
            position += length + 2
        else:  # the next byte, 257 - length times
            out += data[position + 1:position + 2] * (257 - length)
            position += 2
    return bytes(out)


def _ascii85decode(data: bytes) -> bytes:
    decoded = ascii85decode(data)
    budget = _budget.get()
    if budget is not None:
        budget.charge(len(decoded), "an ASCII85 stream")
    return decoded


def _ccittfaxdecode(data: bytes, params) -> bytes:
    if _budget.get() is not None:
        raise InflateLimit("unreadable PDF: a CCITT fax stream (a scanned image) where text is read")
    return ccittfaxdecode(data, params)


def _runlength_size(data: bytes, stop: int) -> int:
    """What ``rldecode(data)`` unpacks to, counted from the run headers (up to past ``stop``)."""
    size = position = 0
    while position < len(data) and size <= stop:
        length = data[position]
        if length == 128:  # end of data
            break
        if length < 128:  # the next length + 1 bytes, literally
            size, position = size + length + 1, position + length + 2
        else:  # the next byte, 257 - length times
            size, position = size + 257 - length, position + 2
    return size


class _BoundedZlib:
    """What pdfminer.pdftypes uses of the zlib module."""

    error = zlib.error
    decompressobj = staticmethod(zlib.decompressobj)
    decompress = staticmethod(_decompress)


def install() -> None:
    """Route pdfminer's stream decoders through the budget (idempotent)."""
    pdfminer.pdftypes.zlib = _BoundedZlib
    pdfminer.pdftypes.lzwdecode = _lzwdecode
    pdfminer.pdftypes.rldecode = _rldecode
    pdfminer.pdftypes.ascii85decode = _ascii85decode
    pdfminer.pdftypes.ccittfaxdecode = _ccittfaxdecode


install()
