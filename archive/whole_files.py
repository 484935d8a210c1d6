"""Export files written whole or not at all.

An export cut short (Ctrl-C, a full disk, a kill, an error) must not leave a file that looks
complete and is not, nor destroy the previous export: each file is written under a
``.partial`` name beside its final one and renamed into place only when every file of the
export is whole (a rename within a directory is atomic). A ``.partial`` left by a kill is
overwritten by the next export, and so is a ``.partial.d`` directory, where an export keeps
the files it is built from (``scratch_directory``).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path


def partial_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".partial")


@contextlib.contextmanager
def written_whole(*paths):
    """Yield the ``.partial`` path of each of ``paths`` (one path: that path alone) to write;
    when the block ends without an error, each replaces its final file, in order. Whatever
    happens, no ``.partial`` file is left behind by an error."""
    partials = [partial_path(path) for path in paths]
    try:
        yield partials[0] if len(partials) == 1 else partials
        for partial, path in zip(partials, paths):
            partial.replace(path)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)


@contextlib.contextmanager
def scratch_directory(path):
    """Yield a directory beside ``path`` (``NAME.partial.d``) for the files an export of
    ``path`` is built from; emptied first (a kill may have left one) and removed when the
    block ends. Beside it, not in /tmp: those files are as large as the export, and /tmp is
    often memory (tmpfs)."""
    directory = Path(str(partial_path(path)) + ".d")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
