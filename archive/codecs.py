"""How stored bodies are compressed: zstd with a trained dictionary, chosen by measurement.

``bench/codec_bench.py`` measured the benchmark archive (1,000 report pages, 102 MB):
zlib 6 keeps 9.1% of the bytes, zstd 9 alone 8.3%, zstd 9 with a dictionary trained on
32-64 earlier pages about 4.5%, and zstd reads 4-5x faster than zlib. Report pages
repeat the national format's labels and their portal's markup page after page; a
dictionary holds those once instead of in every body.

Codecs (``payloads.codec``): ``zstd`` (with ``payloads.dict_id`` or without), ``zlib``
(rows stored before zstd), ``identity`` (bodies compression does not shrink: gzip-encoded
responses, DOCX, images), ``zstd-delta`` (a body compressed against an earlier body of its
URL, ``payloads.base_digest``, used as a raw-content dictionary: a page that differs from
last night's only in a hit counter costs tens of bytes; payloads.py chooses the base).
Frames carry their content size and a checksum, so a flipped byte fails on read instead of
yielding other bytes.
"""

from __future__ import annotations

import hashlib
import threading
import zlib

import zstandard

ZSTD_LEVEL = 9  # level 12+ saves 4-10% more but compresses 10-50x slower (bench/README.md)
DICT_SIZE = 112 * 1024
# COVER parameters fixed: the library's default search sometimes settles on k=50, which
# the bench found 30-40% worse than k=2048 on these pages, and searching costs 5-20x time.
DICT_K, DICT_D = 2048, 8
MIN_SAMPLES = 8  # zstd cannot train on fewer bodies
DELTA = "zstd-delta"


class Dictionary:
    """A trained zstd dictionary; ``digest`` (SHA-1 of its bytes) keys the caches."""

    def __init__(self, data: bytes):
        self.data = data
        self.digest = hashlib.sha1(data).hexdigest()
        self.zstd = zstandard.ZstdCompressionDict(data)


# zstd (de)compressor objects are not thread-safe, and building one with a dictionary
# costs more than a small page's compression: keep one per thread and dictionary.
_local = threading.local()


def _cached(kind: str, dictionary: Dictionary | None):
    cache = _local.__dict__.setdefault(kind, {})
    key = dictionary.digest if dictionary else None
    if key not in cache:
        dict_data = dictionary.zstd if dictionary else None
        if kind == "c":
            cache[key] = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=dict_data, write_checksum=True)
        else:
            cache[key] = zstandard.ZstdDecompressor(dict_data=dict_data)
    return cache[key]


def compress(body: bytes, dictionary: Dictionary | None = None) -> tuple[str, bytes]:
    """(codec, stored bytes) for ``body``: zstd, or identity when zstd does not shrink it."""
    data = _cached("c", dictionary).compress(body)
    if len(data) >= len(body):
        return "identity", body
    return "zstd", data


def compress_delta(body: bytes, base: bytes) -> bytes:
    """``body`` compressed with ``base`` (an earlier body of its URL) as its dictionary."""
    # Built per call, not cached: each base serves a few bodies of one URL.
    base_dict = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=base_dict, write_checksum=True).compress(body)


def decompress_delta(data: bytes, base: bytes) -> bytes:
    base_dict = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=base_dict).decompress(data)


def decompress(data: bytes, codec: str, dictionary: Dictionary | None = None) -> bytes:
    if codec == DELTA:  # payloads.decode reads the base first
        raise ValueError("a zstd-delta body is read with its base (payloads.decode)")
    if codec == "zstd":
        return _cached("d", dictionary).decompress(data)
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "identity":
        return data
    raise ValueError(f"unknown storage codec {codec!r}")


def looks_textual(body: bytes) -> bool:
    """An HTML/text body: what a dictionary trained on pages helps (not PDF, zip, gzip)."""
    head = body[:1024]
    return bool(head) and b"\0" not in head and not head.startswith((b"%PDF", b"PK", b"\x1f\x8b", b"\xd0\xcf"))


def train(samples: list[bytes]) -> bytes | None:
    """A dictionary trained on ``samples``, or None when zstd cannot make one from them."""
    if len(samples) < MIN_SAMPLES:
        return None
    try:
        return zstandard.train_dictionary(DICT_SIZE, samples, k=DICT_K, d=DICT_D).as_bytes()
    except zstandard.ZstdError:
        return None
