"""Which document format a binary body is, precisely enough to say why it cannot be read.

Attachments arrive as PDF, DOCX, XLS/XLSX, but also as legacy Word (DOC),
Kingsoft WPS, OFD (the Chinese fixed-layout format) and scanned images. ZIP
and OLE are only containers: the parts inside tell DOCX from XLSX from OFD,
and DOC from XLS. Broken containers are still named from the part names
their bytes carry, so a truncated DOCX is reported as a DOCX.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

from xlrd.compdoc import CompDoc

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class DocumentKind:
    name: str          # "PDF", "DOCX", "DOC", "OFD", "PNG", ...
    description: str   # for messages: "DOC (legacy Word)"
    damaged: bool = False  # a container whose parts cannot even be listed

    def unreadable_reason(self) -> str:
        if self.damaged:
            return f"unreadable binary input: damaged {self.description}"
        return f"unreadable attachment format: {self.description}"


PDF = DocumentKind("PDF", "PDF")
DOCX = DocumentKind("DOCX", "DOCX (Word)")
XLSX = DocumentKind("XLSX", "XLSX (Excel)")
XLS = DocumentKind("XLS", "XLS (legacy Excel)")
DOC = DocumentKind("DOC", "DOC (legacy Word)")
WPS = DocumentKind("WPS", "WPS (Kingsoft Writer)")
PPT = DocumentKind("PPT", "PPT/PPTX (PowerPoint)")
OFD = DocumentKind("OFD", "OFD (Chinese fixed-layout document)")
ODF = DocumentKind("ODF", "ODF (OpenDocument)")
RTF = DocumentKind("RTF", "RTF (rich text)")
ENCRYPTED = DocumentKind("ENCRYPTED", "encrypted Office document (password)")
ZIP = DocumentKind("ZIP", "ZIP archive (not unpacked)")
OLE = DocumentKind("OLE", "OLE compound file of no known Office kind")
ARCHIVE = DocumentKind("ARCHIVE", "compressed archive (RAR/7z, not unpacked)")
DAMAGED_ZIP = DocumentKind("ZIP", "ZIP container (no entry can be listed)", damaged=True)
DAMAGED_OLE = DocumentKind("OLE", "OLE container (no stream can be listed)", damaged=True)

_IMAGES = [
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
]
# Part names that identify a ZIP container, first match wins.
_ZIP_PARTS = [("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("OFD.xml", OFD),
              ("ppt/presentation.xml", PPT), ("content.xml", ODF)]
# Stream names that identify an OLE container; WPS files are Word binaries that carry WpsCustomData.
_OLE_STREAMS = [("EncryptedPackage", ENCRYPTED), ("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS),
                ("PowerPoint Document", PPT)]
_BMP = re.compile(rb"^BM.{4}\x00\x00\x00\x00", re.DOTALL)


def document_kind(body: bytes, url: str | None = None) -> DocumentKind | None:
    """The document format of ``body``, or None when it is no document format known here."""
    head = body[:16]
    if head.startswith(b"%PDF"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(body)
    if head.startswith(OLE_MAGIC[:4]):
        return _ole_kind(body, url)
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith((b"Rar!", b"7z\xbc\xaf")):
        return ARCHIVE
    for magic, name in _IMAGES:
        if head.startswith(magic):
            return image_kind(name)
    if _BMP.match(head):
        return image_kind("BMP")
    return None


def image_kind(name: str) -> DocumentKind:
    return DocumentKind(name, f"{name} image (a scanned or photographed page, no text)")


def _zip_kind(body: bytes) -> DocumentKind:
    damaged = False
    try:
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        # Truncated or corrupt (or a damaged version field: "zip file version 25.5"):
        # the local file headers still carry the part names.
        names, damaged = [part for part, _ in _ZIP_PARTS if part.encode() in body], True
    for part, kind in _ZIP_PARTS:
        if part in names:
            return kind
    return DAMAGED_ZIP if damaged else ZIP


def _ole_kind(body: bytes, url: str | None) -> DocumentKind:
    names, damaged = _ole_stream_names(body)
    for stream, kind in _OLE_STREAMS:
        if stream in names:
            if kind is DOC and ("WpsCustomData" in names or _extension(url) == ".wps"):
                return WPS
            return kind
    return DAMAGED_OLE if damaged else OLE


def _ole_stream_names(body: bytes) -> tuple[set[str], bool]:
    """Stream names, and whether the directory was damaged."""
    try:
        return {entry.name for entry in CompDoc(body, logfile=io.StringIO()).dirlist}, False
    except Exception:  # noqa: BLE001 - xlrd's reader raises assorted errors on a damaged directory
        # Directory entries name their streams in UTF-16LE: find them in the raw bytes.
        wanted = [stream for stream, _ in _OLE_STREAMS] + ["WpsCustomData"]
        return {stream for stream in wanted if stream.encode("utf-16-le") + b"\x00\x00" in body}, True


def _extension(url: str | None) -> str:
    path = urlsplit(url).path.lower() if url else ""
    return path[path.rfind("."):] if "." in path.rsplit("/", 1)[-1] else ""
