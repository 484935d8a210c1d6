"""Package the archive as a WACZ (the ``wacz`` package) for ReplayWeb.page and pywb.

The WARC is the one ``archive.warc`` writes; ``pages/pages.jsonl`` lists the report
pages (one entry per stored report version: the capture it was parsed from, with the
title the parser read), so a reader opens the archive on the reports, not on listings
and robots.txt.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from .killpoints import kill_point
from .warc import export_warc
from .whole_files import scratch_directory, written_whole

TITLE = "nianbao: government information-disclosure annual reports (政府信息公开工作年度报告)"


class WaczError(RuntimeError):
    pass


def report_pages(db) -> list[dict]:
    """The report pages as pages.jsonl entries: id, url, ts (the capture's WARC-Date), title."""
    rows = db.execute(
        "select r.id, s.url, s.fetched_at, r.title from reports r "
        "join snapshots s on s.id = r.snapshot_id order by r.id"
    ).fetchall()
    return [
        {"id": f"report-{report_id}", "url": url, "ts": fetched_at, "title": title or url}
        for report_id, url, fetched_at, title in rows
    ]


def _write_pages(pages: list[dict], path: Path) -> None:
    header = {"format": "json-pages-1.0", "id": "reports", "title": "Annual reports"}
    with open(path, "w", encoding="utf-8") as fh:
        for entry in [header, *pages]:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def export_wacz(db, output: Path, *, progress=None) -> dict:
    """Write ``output`` (a .wacz); return counts: exchanges, pages. It is made under a
    ``.partial`` name, from a WARC written beside it (``whole_files.scratch_directory``), and
    put in place when whole: an export that fails or is cut short leaves the previous
    package as it was."""
    from wacz.main import main as wacz_main

    output = Path(output)
    with scratch_directory(output) as scratch, written_whole(output) as partial:
        # The WARC keeps this name inside the WACZ (archive/<name>).
        warc_path = scratch / (output.name.removesuffix(".wacz") + ".warc.gz")
        left_out: list = []
        with open(warc_path, "wb") as stream:
            exchanges = export_warc(db, stream, filename=warc_path.name, progress=progress, left_out=left_out)
        if left_out:  # a package is read as complete: not one with captures missing
            listed = "; ".join(why for _, _, why in left_out[:5])
            raise WaczError(f"{len(left_out)} snapshot(s) cannot be exported: {listed}"
                            + (" …" if len(left_out) > 5 else ""))
        pages = report_pages(db)
        pages_path = scratch / "pages.jsonl"
        _write_pages(pages, pages_path)
        # wacz matches each page to its capture (and names those it cannot); with no
        # report at all, the header alone is copied so pages.jsonl is still there.
        args = ["create", "-o", str(partial), "--title", TITLE, "-p", str(pages_path), str(warc_path)]
        if not pages:
            args.insert(-1, "--copy-pages")
        said = io.StringIO()
        with contextlib.redirect_stdout(said):
            code = wacz_main(args)
        unmatched = [line for line in said.getvalue().splitlines() if "Invalid passed page" in line]
        if code != 0 or unmatched:
            raise WaczError(f"wacz create failed ({code}): {said.getvalue().strip()[-2000:]}")
        kill_point("wacz-written")
    return {"exchanges": exchanges, "pages": len(pages)}
