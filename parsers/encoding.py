"""Find the character encoding of a fetched page or text file.

Order of trust: byte-order mark, HTTP header charset, ``<meta>`` charset,
then detection. A declaration only wins when the bytes actually decode under
it: Chinese portals often declare one charset and serve another, and pages
declared GB2312 routinely contain GBK-only characters (镕, 堃).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# GB2312 and GBK are subsets of GB18030; decoding as GB18030 keeps 镕 and 〇.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "gb_2312_80": "gb18030",
    "x-gbk": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030", "gb18030": "gb18030",
    "utf8": "utf-8", "utf-8": "utf-8", "big5": "big5", "big5-hkscs": "big5hkscs",
    "cp950": "big5", "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252",
    "latin-1": "cp1252", "windows-1252": "cp1252",
}

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([a-zA-Z0-9_\-]+)""", re.IGNORECASE)

# Detection is limited to the encodings Chinese portals use: unrestricted
# guessing calls short GBK text UTF-16.
_DETECTABLE = ["utf_8", "gb18030", "big5"]


@dataclass(frozen=True)
class EncodingGuess:
    encoding: str
    source: str  # "bom" | "http-header" | "meta" | "detected" | "default"
    note: str | None = None


def detect_encoding(body: bytes, content_type: str | None = None) -> EncodingGuess:
    """Say which encoding decodes ``body`` and where that knowledge came from."""
    return read_body(body, content_type).guess


@dataclass(frozen=True)
class DecodedBody:
    guess: EncodingGuess
    text: str
    utf8: bytes | None  # the body itself when it is exactly ``text`` in UTF-8: libxml2 reads it as is


def read_body(body: bytes, content_type: str | None = None) -> DecodedBody:
    """``detect_encoding`` and ``decode_body`` in one: the bytes are decoded once, not per check."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _decoded(body, EncodingGuess(name, "bom"))

    declared = [
        (name, source)
        for name, source in ((_header_charset(content_type), "http-header"), (_meta_charset(body), "meta"))
        if name
    ]
    rejected: list[str] = []
    for name, source in declared:
        text = _strict_decode(body, name)
        if text is not None:
            if name != "utf-8" and not body.isascii():
                as_utf8 = _strict_decode(body, "utf-8")
                if as_utf8 is not None:
                    # Valid multi-byte UTF-8 is almost never an accident: the declaration is wrong.
                    note = f"declared {name} ({source}) but the bytes are UTF-8"
                    return DecodedBody(EncodingGuess("utf-8", "detected", note), as_utf8, body)
            return DecodedBody(EncodingGuess(name, source), _without_bom(text), body if name == "utf-8" else None)
        rejected.append(f"{name} ({source})")

    note = f"declared {', '.join(rejected)} does not decode the bytes" if rejected else None
    text = _strict_decode(body, "utf-8")
    if text is not None:
        return DecodedBody(EncodingGuess("utf-8", "detected", note), text, body)
    guess = _detect(body)
    if guess:
        return _decoded(body, EncodingGuess(guess, "detected", note))
    return _decoded(body, EncodingGuess("utf-8", "default", note))


def _decoded(body: bytes, guess: EncodingGuess) -> DecodedBody:
    return DecodedBody(guess, decode_body(body, guess), None)


def decode_body(body: bytes, guess: EncodingGuess) -> str:
    """Decode with ``guess``; stray bad bytes become U+FFFD rather than failing."""
    return _without_bom(body.decode(guess.encoding, errors="replace"))


def _without_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def canonical_name(name: str) -> str | None:
    """Python codec name for a declared charset, GB2312/GBK mapped to GB18030."""
    key = name.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return canonical_name(match.group(1)) if match else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:8192])
    return canonical_name(match.group(1).decode("ascii")) if match else None


def _strict_decode(body: bytes, name: str) -> str | None:
    try:
        return body.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(body: bytes) -> str | None:
    """A guess for bytes that are not UTF-8."""
    best = charset_normalizer.from_bytes(body, cp_isolation=_DETECTABLE).best()
    if best is None:
        return None
    return canonical_name(best.encoding) or best.encoding
