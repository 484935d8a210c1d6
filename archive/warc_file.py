"""The WARC export as files: the WARC (``reports.warc.gz``, or ``.warc`` uncompressed) and its
CDXJ index beside it (``reports.cdxj``), as ``nianbao export-warc`` writes them.

The records are warc.py's; here they go to disk with their index, both written whole or not
at all (whole_files.py), as wacz.py puts them in a package.
"""

from __future__ import annotations

from pathlib import Path

from . import warc
from .whole_files import written_whole


def export_warc_file(db, output, *, progress=None, left_out: list | None = None) -> int:
    """Write every snapshot to the WARC file ``output`` (``warc.export_warc``: ``progress``,
    ``left_out`` as there) and index it beside it (``warc.cdxj_path_for``); return the count
    of exchanges written.

    An export cut short leaves the previous WARC and index as they were, never a WARC cut
    short, nor a WARC beside the index of another."""
    output = Path(output)
    with written_whole(output, warc.cdxj_path_for(output)) as (warc_partial, index_partial):
        with open(warc_partial, "wb") as stream:
            count = warc.export_warc(db, stream, filename=output.name, progress=progress, left_out=left_out)
        warc.write_cdxj(warc_partial, index_partial, filename=output.name)
    return count
