"""A bound on what a PDF's compressed streams may unpack to while nianbao reads it.

pdfminer inflates each stream it needs whole (``zlib.decompress``: page contents, forms,
fonts, ToUnicode maps, object and cross-reference streams), and keeps it. A 261 KB PDF whose
one page is a Flate stream of 256 MB of spaces took 571 MB of memory before any size check
could see the page; within the 64 MiB download limit, a stream unpacks to ~64 GB.

Inside ``inflate_budget(n)`` (``read_pdf``), the Flate, LZW, RunLength and ASCII85 decoders
pdfminer calls unpack at most ``n`` bytes in all; the stream that would pass it raises
``InflateLimit`` (a ParseError). RunLength is counted from its run headers before its bytes
exist; Flate is inflated once, and a stream past 4 MiB is counted before more of it is kept
(``_decompress``), a damaged one as pdfminer recovers it (``_decompress_corrupted``); LZW
is counted as it decodes. ASCII85 makes at most 5 bytes of 4 after another decoder (charged
after it ran); ASCIIHex halves its input.
A CCITT fax stream is refused: it holds a scanned image, which nothing nianbao reads needs
(page contents, fonts and maps never use it), and pdfminer decodes it pixel by pixel in
Python, a row of ``/Columns`` pixels per input bit (735 bytes took 9.7 s). Outside the
budget, every decoder is pdfminer's own.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import zlib
from io import BytesIO

import pdfminer.pdftypes
from pdfminer.ascii85 import ascii85decode
from pdfminer.ccitt import ccittfaxdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.pdftypes import decompress_corrupted
from pdfminer.runlength import rldecode

from .errors import ParseError


_pdfminer_log = logging.getLogger("pdfminer.pdftypes")


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


# A stream is inflated once, a chunk at a time, and kept as it comes up to this size: a
# report's page contents, font subsets and maps are smaller. Past it, the stream may be a
# bomb: its rest is counted first, kept nowhere, and only a stream found within the budget
# is then inflated on from where the keeping stopped (a whole embedded CJK font, 10-20 MB,
# has that rest inflated twice).
_KEPT_UNCOUNTED = 4 << 20
_CHUNK = 1 << 20


def _decompress(data: bytes) -> bytes:
    """``zlib.decompress(data)`` within the budget. A damaged or cut-short stream raises
    zlib.error, as zlib.decompress does, and is charged nothing here: pdfminer then reads
    it byte by byte up to the damage (``_decompress_corrupted``), charged what that makes."""
    budget = _budget.get()
    if budget is None:
        return zlib.decompress(data)
    remaining = budget.remaining
    try:
        return _inflated(data, budget)
    except zlib.error:
        budget.remaining = remaining
        raise


def _inflated(data: bytes, budget: _Budget) -> bytes:
    """The stream inflated once, each chunk charged as it comes (see _KEPT_UNCOUNTED)."""
    inflater = zlib.decompressobj()
    chunks = _inflating(inflater, data)
    kept, size = [], 0
    for chunk in chunks:
        budget.charge(len(chunk), "a Flate stream")
        kept.append(chunk)
        size += len(chunk)
        if size >= _KEPT_UNCOUNTED and not inflater.eof:
            resume = inflater.copy()
            for chunk in chunks:  # the rest, counted only
                budget.charge(len(chunk), "a Flate stream")
            if inflater.eof:
                kept += _inflating(resume, resume.unconsumed_tail)
            break
    if not inflater.eof:
        raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
    return b"".join(kept)


def _inflating(inflater, data: bytes):
    """The chunks ``inflater`` makes of ``data``, to the end of the stream or as far as the
    data goes when it is cut short; zlib.error where it is damaged."""
    while not inflater.eof:
        chunk = inflater.decompress(data, _CHUNK)
        if not chunk and len(inflater.unconsumed_tail) == len(data):
            return  # cut short: the input is used up and nothing more comes out
        data = inflater.unconsumed_tail  # output may still be pending with all input consumed
        yield chunk


def _decompress_corrupted(data: bytes) -> bytes:
    """pdfminer's reading of a damaged Flate stream (``pdftypes.decompress_corrupted``): byte
    by byte, up to the damage, which is let pass only in the last 3 bytes (the checksum).
    Inside the budget, charged what it makes: a damaged stream's bytes in the zlib call that
    met the damage, up to a chunk, were counted nowhere (400 forms of 1 MiB each with a
    broken checksum, in a 486 KB PDF, held 421 MB). And its output is joined once, where
    pdfminer adds each byte's to one bytes object (quadratic)."""
    budget = _budget.get()
    if budget is None:
        return decompress_corrupted(data)
    inflater, parts = zlib.decompressobj(), []
    for index in range(len(data)):
        try:
            part = inflater.decompress(data[index:index + 1])
        except zlib.error:
            if index < len(data) - 3:
                raise
            _pdfminer_log.warning("Data-loss while decompressing corrupted data")
            break
        budget.charge(len(part), "a Flate stream")
        parts.append(part)
    return b"".join(parts)


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
    # Into a bytearray: pdfminer's rldecode builds a list of ints, about 8.5 bytes of
    # memory a byte out (20.5 MB out took 175 MB).
    out = bytearray()
    for start, end, times in _runs(data):
        out += data[start:end] * times
    return bytes(out)


def _runlength_size(data: bytes, stop: int) -> int:
    """What ``rldecode(data)`` unpacks to, counted from the run headers (up to past ``stop``)."""
    size = 0
    for start, end, times in _runs(data):
        size += (end - start) * times
        if size > stop:
            break
    return size


def _runs(data: bytes):
    """A RunLength stream's runs (PDF Reference 3.3.4): ``data[start:end]``, ``times`` over.
    A truncated run gives what is there (``end`` may pass the data)."""
    position = 0
    while position < len(data):
        length = data[position]
        if length == 128:  # end of data
            return
        if length < 128:  # the next length + 1 bytes, literally
            yield position + 1, position + length + 2, 1
            position += length + 2
        else:  # the next byte, 257 - length times
            yield position + 1, position + 2, 257 - length
            position += 2


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


class _BoundedZlib:
    """What pdfminer.pdftypes uses of the zlib module."""

    error = zlib.error
    decompressobj = staticmethod(zlib.decompressobj)
    decompress = staticmethod(_decompress)


def install() -> None:
    """Route pdfminer's stream decoders through the budget (idempotent)."""
    pdfminer.pdftypes.zlib = _BoundedZlib
    pdfminer.pdftypes.decompress_corrupted = _decompress_corrupted
    pdfminer.pdftypes.lzwdecode = _lzwdecode
    pdfminer.pdftypes.rldecode = _rldecode
    pdfminer.pdftypes.ascii85decode = _ascii85decode
    pdfminer.pdftypes.ccittfaxdecode = _ccittfaxdecode


install()
