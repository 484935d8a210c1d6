"""What a report page whose hit counter (点击率) moves every night costs the raw store a night.

A dynamic CMS renders its counter into the HTML, so the page's bytes change every night and
each night's body is new. One report page of bench/pages.tar.xz (a TRS page, whose template
prints ``点击率：<span id="hiscount">N</span>``) is stored for --nights nights with the counter
a little higher each night (+1 to +40: a few visitors a day), with ``store_snapshot`` as a
crawl stores it, both as served without Content-Encoding and gzip-encoded (the crawler asks
for gzip, and servers that gzip HTML send it so). Printed: bytes stored a night (the new
payload row's stored_size, and the growth of the raw store file), the mean over nights 2 on.

Run against any checkout to compare (before/after a change to archive/payloads.py):
    PYTHONPATH=. .venv/bin/python bench/delta_bench.py
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pages_archive  # noqa: E402

from archive.schema import open_database  # noqa: E402
from archive.snapshots import store_snapshot  # noqa: E402

COUNTER = re.compile(rb'(<span id="hiscount">)(\d+)(</span>)')


def night_bodies(page: bytes, nights: int, encoding: str) -> list[bytes]:
    rng = random.Random(13)
    hits = int(COUNTER.search(page).group(2))
    bodies = []
    for _ in range(nights):
        body = COUNTER.sub(lambda m: m.group(1) + str(hits).encode() + m.group(3), page, count=1)
        bodies.append(gzip.compress(body, mtime=0) if encoding == "gzip" else body)
        hits += rng.randint(1, 40)
    return bodies


def measure(bodies: list[bytes], folder: Path, encoding: str) -> tuple[list[int], list[int]]:
    """(stored_size of each night's new payload, raw store file growth each night)."""
    db = open_database(folder / "nianbao.db", folder / "raw.db")
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if encoding == "gzip":
        headers.append(("Content-Encoding", "gzip"))
    stored, growth = [], []
    for body in bodies:
        before = (folder / "raw.db").stat().st_size + _wal(folder)
        store_snapshot(db, url="http://www.example.gov.cn/art/2024/1/5/art_1_500001.html", method="GET",
                       request_headers=[], status=200, response_headers=headers, body=body, kind="report")
        stored.append(db.execute("select stored_size from payloads order by rowid desc limit 1").fetchone()[0])
        db.execute("pragma archive.wal_checkpoint(TRUNCATE)")
        growth.append((folder / "raw.db").stat().st_size + _wal(folder) - before)
    db.close()
    return stored, growth


def _wal(folder: Path) -> int:
    wal = folder / "raw.db-wal"
    return wal.stat().st_size if wal.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=30)
    args = parser.parse_args()
    page = next(body for name, body in pages_archive.read_pages() if COUNTER.search(body))
    print(f"report page: {len(page)} bytes; {args.nights} nights, the counter +1 to +40 a night")
    for encoding in ("identity", "gzip"):
        bodies = night_bodies(page, args.nights, encoding)
        with tempfile.TemporaryDirectory() as folder:
            stored, growth = measure(bodies, Path(folder), encoding)
        later = stored[1:]
        print(f"{encoding:8}: body {len(bodies[-1])} B; night 1 stored {stored[0]} B; nights 2-{args.nights}: "
              f"stored {sum(later) / len(later):.0f} B/night (min {min(later)}, max {max(later)}), "
              f"file grew {sum(growth[1:]) / len(later):.0f} B/night")


if __name__ == "__main__":
    main()
