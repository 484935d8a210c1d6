"""Throughput of ``nianbao reparse`` parsing in its own process, then with 1 and 2 parse
workers, against bare ``lxml.html.fromstring`` over the same bytes.

Builds (once; cached under bench/.cache/) an archive of N report pages: make_pages.py's
pages (the parse benchmark's generator, continued past its 1,000 with the same seed:
national format, varied values, four portal templates, UTF-8 and GB2312), each stored as
a crawl stores it (snapshot + compressed body; a third gzip-encoded as a server sends
them) under one of 40 hosts, then parsed once. Each timed reparse bumps the parser version
first, so every report is done again: read, decompress, decode, chrome strip, parse,
checks, write. (The parser reads what it read before, so its rows are compared and left
as they are; one more run first adds 1 to every stored number, so that every report's
cells, wide rows and checks are written again: a parser change that alters everything.) lxml gets each body after content decoding, read outside its timing.
Passes of lxml run before, between and after the reparses; its rate is their median.
Then the writer's share of each reparse (ms per report) and what a Datasette page of each
wide table asks (rows, a facet, the count).

Example:
    .venv/bin/python bench/reparse_bench.py                 # 10,000 pages (first run builds the archive)
    .venv/bin/python bench/reparse_bench.py --pages 200     # a reduced run
    .venv/bin/python bench/reparse_bench.py --pages 200 --cache /tmp/nb-cache --workers 1,2,3
"""

from __future__ import annotations

import argparse
import gc
import gzip
import hashlib
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # the repo, when not installed

import lxml.html  # noqa: E402

import make_pages  # noqa: E402
import parsers  # noqa: E402
from archive.reparse import Reparse  # noqa: E402
from archive.reparse_runs import format_summary  # noqa: E402
from archive.schema import open_database  # noqa: E402
from archive.snapshots import read_snapshot, store_snapshot  # noqa: E402

CACHE = HERE / ".cache"
SITES = 40
GENERATOR_FILES = ("make_pages.py", "report_content.py", "report_prose.py", "format_grids.py",
                   "table_markup.py", "page_bodies.py", "chrome_bits.py", "portal_templates.py")
BUILD = "1"  # bump when build_archive stores pages differently: the cached archives are rebuilt


def iter_pages(count: int, seed: int = make_pages.SEED):
    """make_pages.build_pages, one page at a time (10,000 pages do not fit in memory at once)."""
    rng = random.Random(seed)
    for i in range(count):
        template = make_pages.TEMPLATES[i % len(make_pages.TEMPLATES)]
        page_rng = random.Random(rng.getrandbits(64))
        yield i, template, make_pages.make_page(page_rng, template, 100000 + i)


def archive_path(cache: Path, pages: int) -> Path:
    sources = b"".join((HERE / f).read_bytes() for f in GENERATOR_FILES)
    digest = hashlib.sha256(sources + BUILD.encode()).hexdigest()[:10]
    return cache / f"reparse-{pages}-{digest}" / "nianbao.db"


def build_archive(path: Path, pages: int, log=print) -> None:
    """Store ``pages`` report pages as a crawl would, then parse them once (2 workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name("building.db")
    for leftover in path.parent.glob("building.db*"):
        leftover.unlink()
    db = open_database(partial)
    start = datetime(2021, 3, 1, tzinfo=timezone.utc)
    t0 = time.perf_counter()
    for i, template, data in iter_pages(pages):
        charset = "gb18030" if b"charset=gb2312" in data[:2000] else "utf-8"
        headers = [["Content-Type", "text/html" if charset != "utf-8" else "text/html; charset=utf-8"]]
        body = data
        if i % 3 == 0:  # as a server that compresses sends it; stored still encoded
            body = gzip.compress(data, compresslevel=6, mtime=0)
            headers.append(["Content-Encoding", "gzip"])
        fetched = start + timedelta(hours=7 * i)
        store_snapshot(
            db, url=f"http://gov{i % SITES:02d}.bench.invalid/zwgk/zfxxgknb/{fetched:%Y%m}/t{100000 + i}.html",
            method="GET", request_headers=[["Accept-Encoding", "gzip, deflate"]], status=200,
            response_headers=headers, body=body, kind="report",
            fetched_at=fetched.isoformat(timespec="seconds").replace("+00:00", "Z"),
            encoding=charset, encoding_source="http-header" if charset == "utf-8" else "meta")
        if (i + 1) % 1000 == 0:
            log(f"  stored {i + 1} pages ({time.perf_counter() - t0:.0f}s)", flush=True)
    with Reparse(db, workers=2) as job:
        job.run()
    db.close()
    partial.rename(path)
    for suffix in ("-wal", "-shm", ".lock"):
        Path(str(partial) + suffix).unlink(missing_ok=True)


def version_ids(db) -> list[int]:
    return [r[0] for r in db.execute("select id from snapshots where kind = 'report' order by id")]


def lxml_pass(db, ids: list[int], chunk: int = 100) -> float:
    """Seconds of lxml.html.fromstring over the decoded bodies (reading them is not timed)."""
    seconds = 0.0
    for start in range(0, len(ids), chunk):
        bodies = []
        for i in ids[start:start + chunk]:
            snapshot = read_snapshot(db, i)
            bodies.append(parsers.decode_http_body(snapshot.body, snapshot.content_encoding))
        gc.collect()
        t0 = time.perf_counter()
        for body in bodies:
            lxml.html.fromstring(body)
        seconds += time.perf_counter() - t0
    return seconds


def wide_table_queries(db, repeat: int = 3) -> list[str]:
    """Milliseconds (best of ``repeat``) of what a Datasette page of each wide table asks:
    the first 101 rows, a facet-style count by year, and count(*)."""
    lines = []
    for table in ("applications", "reviews_litigation", "active_disclosure"):
        timings = []
        for sql in (f"select * from [{table}] limit 101",
                    f"select year as value, count(*) as count from (select * from [{table}]) "
                    f"where year is not null group by year order by count desc, value limit 31",
                    f"select count(*) from [{table}]"):
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                db.execute(sql).fetchall()
                best = min(best, time.perf_counter() - t0)
            timings.append(best * 1000)
        lines.append(f"{table}: page {timings[0]:.1f} ms, facet by year {timings[1]:.1f} ms, "
                     f"count {timings[2]:.1f} ms")
    return lines


def timed_reparse(db, workers: int, label: str):
    """Bump the parser version, reparse everything; (seconds, summary, writer seconds).

    The writer's share is the run's time outside gathering parsed pages (``_next_batch``):
    the rows, checks and wide tables written, and the commits."""
    parsers.PARSER_VERSION = f"{BASE_VERSION}+bench.{label}.{time.time_ns()}"
    gc.collect()
    t0 = time.perf_counter()
    with Reparse(db, workers=workers) as job:
        gathering = [0.0]
        next_batch = job._next_batch

        def timed_next_batch(results):
            started = time.perf_counter()
            try:
                return next_batch(results)
            finally:
                gathering[0] += time.perf_counter() - started

        job._next_batch = timed_next_batch
        run_started = time.perf_counter()
        summary = job.run()
        writer = time.perf_counter() - run_started - gathering[0]
    return time.perf_counter() - t0, summary, writer


BASE_VERSION = parsers.PARSER_VERSION


def _workers(count: int) -> str:
    return "in process" if count == 0 else f"{count} worker{'s' if count > 1 else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10_000, help="report pages in the archive (default 10,000)")
    parser.add_argument("--workers", default="0,1,2",
                        help="worker counts to time, comma-separated; 0 parses in the writing process (default 0,1,2)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where built archives are kept (default bench/.cache)")
    parser.add_argument("--rebuild", action="store_true", help="build the archive again even if cached")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    if args.pages < 1 or not counts or min(counts) < 0:
        parser.error("--pages must be at least 1, --workers at least 0")

    path = archive_path(args.cache, args.pages)
    if args.rebuild or not path.exists():
        print(f"building {path} ...", flush=True)
        t0 = time.perf_counter()
        build_archive(path, args.pages)
        print(f"built in {time.perf_counter() - t0:.0f}s", flush=True)
    db = open_database(path)
    ids = version_ids(db)
    served, stored = db.execute(
        "select sum(p.size), sum(p.stored_size) from snapshots s join payloads p on p.digest = s.payload_digest"
    ).fetchone()
    print(f"pages: {len(ids)}")
    print(f"archive: {path} ({served / 1e6:.0f} MB as served, {stored / 1e6:.0f} MB stored)")

    lxml_seconds = [lxml_pass(db, ids)]          # also the warm-up of the page cache
    rates, summaries, writers = {}, {}, {}
    for workers in counts:
        seconds, summary, writer = timed_reparse(db, workers, f"w{workers}")
        rewritten = db.execute("select count(*) from reports where parser_version = ?",
                               [summary.parser_version]).fetchone()[0]
        if summary.parsed != len(ids) or rewritten != len(ids) or summary.outcomes.get("error"):
            print(f"reparse with {workers} worker(s) rewrote {rewritten} of {len(ids)} reports:\n"
                  + format_summary(summary))
            return 1
        rates[workers], summaries[workers], writers[workers] = len(ids) / seconds, summary, writer
        lxml_seconds.append(lxml_pass(db, ids))
    changed_workers = 1 if 1 in counts else counts[0]
    changed = db.execute("update cells set value = value + 1 where kind = 'number'").rowcount
    db.conn.commit()
    seconds, summary, writer = timed_reparse(db, changed_workers, "changed")
    lxml_seconds.append(lxml_pass(db, ids))
    bare = len(ids) / statistics.median(lxml_seconds)
    print(f"lxml.html.fromstring: {bare:.1f} pages/s (median of {len(lxml_seconds)} passes: "
          + ", ".join(f"{len(ids) / s:.1f}" for s in lxml_seconds) + ")")
    for workers, rate in rates.items():
        print(f"reparse, {_workers(workers)}: {rate:.1f} pages/s "
              f"(every report parsed again, its rows as they were; {summaries[workers].seconds:.1f}s)")
    print(f"reparse, {_workers(changed_workers)}, every number changed: {len(ids) / seconds:.1f} pages/s "
          f"({changed:,} cells written back; {summary.seconds:.1f}s; writer {writer / len(ids) * 1000:.2f} ms "
          f"per report; ratio to lxml {len(ids) / seconds / bare:.2f})")
    for workers, rate in rates.items():
        print(f"writer, {_workers(workers)}: {writers[workers] / len(ids) * 1000:.2f} ms "
              f"per report (rows, checks, wide tables, commits; {writers[workers]:.1f}s)")
    for workers, rate in rates.items():
        print(f"ratio reparse {workers}w / lxml = {rate / bare:.2f}")
    baseline = min(rates)  # against the fewest workers timed
    for workers, rate in rates.items():
        if workers != baseline:
            print(f"ratio reparse {workers}w / {baseline}w = {rate / rates[baseline]:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (this process: writer, and lxml's chunks of 100 bodies)")
    for line in wide_table_queries(db):
        print(line)
    print("last reparse:")
    print(format_summary(summaries[counts[-1]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
