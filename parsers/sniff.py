"""What kind of bytes arrived: binary, HTML, or plain text."""

from __future__ import annotations

import re

_MAGIC = {
    b"%PDF": "PDF",
    b"PK\x03\x04": "ZIP/Office",
    b"\xd0\xcf\x11\xe0": "OLE/Office",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"{\\rtf": "RTF",  # text, but control words around escaped bytes: no report text to read
    b"\x1f\x8b": "gzip",
    b"Rar!": "RAR",
    b"7z\xbc\xaf": "7z",
}
_HTML_START = re.compile(r"<(?:!doctype|html|head|body|meta|div|p|table|title|span|br|a)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def binary_kind(body: bytes) -> str | None:
    """A short name for a binary format, or None when the bytes may be text."""
    head = body[:8192]
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    if head.startswith(_UTF16_BOMS):
        return None  # UTF-16 text has NULs by design
    if b"\x00" in head:
        return "NUL bytes"
    return None


def looks_binary_text(text: str) -> bool:
    """Decoded text that is mostly control characters or replacement marks was never text."""
    sample = text[:8192]
    if not sample:
        return False
    odd = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    return odd / len(sample) > 0.02


def looks_like_html(text: str, content_type: str | None) -> bool:
    if content_type:
        kind = content_type.split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return True
        if kind == "text/plain":
            return False
    return bool(_HTML_START.search(text[:4096]))
