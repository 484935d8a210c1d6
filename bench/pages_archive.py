"""The committed page set: one solid xz-compressed tar of HTML files, and its manifest.

The tar is written with fixed metadata (no time, owner or mode from the machine), so the same
pages always give the same tar bytes; ``pages.sha256`` pins both the tar and the .tar.xz.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import tarfile
from pathlib import Path

HERE = Path(__file__).parent
ARCHIVE = HERE / "pages.tar.xz"
MANIFEST = HERE / "pages.sha256"


def tar_bytes(pages: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in pages:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_archive(pages: list[tuple[str, bytes]], path: Path = ARCHIVE, manifest: Path = MANIFEST) -> str:
    """Write the archive and its manifest; returns the manifest text."""
    raw = tar_bytes(pages)
    packed = lzma.compress(raw, format=lzma.FORMAT_XZ, preset=9)  # 64 MiB window: later pages reuse earlier ones
    path.write_bytes(packed)
    text = manifest_text(raw, packed, path.name)
    manifest.write_text(text, encoding="ascii")
    return text


def manifest_text(raw: bytes, packed: bytes, name: str = ARCHIVE.name) -> str:
    """sha256sum format; the .tar line holds even where another liblzma packs differently."""
    return (f"{hashlib.sha256(raw).hexdigest()}  {name.removesuffix('.xz')}\n"
            f"{hashlib.sha256(packed).hexdigest()}  {name}\n")


def read_pages(path: Path = ARCHIVE, limit: int | None = None) -> list[tuple[str, bytes]]:
    """(name, bytes) in archive order; streams, so ``limit`` stops early."""
    pages = []
    with tarfile.open(path, mode="r|xz") as tar:
        for member in tar:
            if limit is not None and len(pages) >= limit:
                break
            if member.isfile():
                pages.append((member.name, tar.extractfile(member).read()))
    return pages


def read_tar(path: Path = ARCHIVE) -> bytes:
    return lzma.decompress(path.read_bytes())
