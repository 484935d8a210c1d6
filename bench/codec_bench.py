"""Which codec the raw store should use: stored size and read speed, measured on the benchmark archive.

Bodies: the 1,000 report pages of bench/pages.tar.xz (4 portal templates, each served as one
site), then the listing pages, other documents and attachments (PDF, DOCX, XLS) of the demo
portal and the five flavour portals, and the attachment fixtures of tests/data.

Part 1, codecs: every body compressed in archive order, as a crawl stores them. A dictionary
row trains on the first bodies of its scope (the whole archive, or one site) and compresses
the rest with it; the bodies before it are compressed without one. Rates: MB of bodies per
second, median of --passes passes; decompression is what reparse and export pay per read.

Part 2, the raw store as the archive writes it: every body stored with ``store_snapshot``
(realistic request and response headers; the codec, level and dictionaries are the archive's
defaults), the database file measured, every snapshot read back with ``iter_snapshots``,
then exported with ``nianbao export-warc``'s writer, and the sizes compared:
``raw store / gzip WARC = 0.NN`` (issue 5 asks for at most 1.1).

Example:
    .venv/bin/python bench/codec_bench.py                # all bodies, 3 passes (about a minute)
    .venv/bin/python bench/codec_bench.py --limit 200 --passes 1
    .venv/bin/python bench/codec_bench.py --levels 19    # add slow zstd levels to part 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo, when not installed

import zstandard  # noqa: E402

import pages_archive  # noqa: E402
from archive import codecs, dictionaries, raw_store  # noqa: E402

SHARED_AFTER = dictionaries.SHARED_TRAIN_AT
SITE_AFTER = dictionaries.SITE_TRAIN_AT


# ---- the bodies -----------------------------------------------------------------------


def report_pages(limit: int | None) -> list[tuple[str, bytes, str]]:
    """(url, body, kind): each template is one portal, i.e. one site."""
    pages = pages_archive.read_pages(limit=limit)
    return [(f"http://www.{name[5:-5]}.bench.gov.cn/zwgk/nb/t{name[:4]}.html", data, "report")
            for name, data in pages]


def portal_bodies() -> list[tuple[str, bytes, str]]:
    """Listing pages, other documents and attachments of the test portals and fixtures."""
    from portal import flavour_sites
    from portal.county_site import build_county
    from portal.site import build_site

    attachments = sorted((ROOT / "tests" / "data" / "attachments").iterdir())
    pdf = (ROOT / "tests" / "data" / "attachments" / "report_2024.pdf").read_bytes()
    sites = [("www.demo.bench.gov.cn", build_site())]
    for build in (flavour_sites.build_trs, flavour_sites.build_hanweb, flavour_sites.build_gkmlpt,
                  flavour_sites.build_generic, flavour_sites.build_legacy, build_county):
        host = f"www.{build.__name__[6:]}.bench.gov.cn"
        sites.append((host, build(f"http://{host}", "http://dept.bench.gov.cn", pdf)))
    bodies = []
    for host, site in sites:
        for path, resource in site.items():
            bodies.append((f"http://{host}{path}", resource.body, resource.kind))
    for path in attachments:
        bodies.append((f"http://files.bench.gov.cn/{path.name}", path.read_bytes(), "attachment"))
    return bodies


# ---- part 1: codecs -------------------------------------------------------------------


def site_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def train(samples: list[bytes]) -> zstandard.ZstdCompressionDict | None:
    data = codecs.train(samples)
    return zstandard.ZstdCompressionDict(data) if data else None


def dictionaries_for(bodies, scope: str) -> list:
    """The dictionary each body is compressed with under ``scope`` (none | shared | site | both),
    trained as the archive trains them: on the first textual bodies of the scope."""
    chosen, seen, trained = [], {}, {}
    for url, body, _ in bodies:
        keys = {"shared": [""], "site": [site_of(url)], "both": [site_of(url), ""]}.get(scope, [])
        dictionary = next((trained[k] for k in keys if trained.get(k)), None)
        chosen.append(dictionary if codecs.looks_textual(body) else None)
        for key, after in zip(keys, [SITE_AFTER if k else SHARED_AFTER for k in keys]):
            seen.setdefault(key, []).append(body)
            if key not in trained and len(seen[key]) >= after:
                trained[key] = train([b for b in seen[key][-dictionaries.SAMPLE_LIMIT:] if codecs.looks_textual(b)])
    return chosen


def measure(name, bodies, compress, decompress, passes) -> dict:
    total = sum(len(b) for b in bodies)
    stored, c_times, d_times = None, [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        stored = [compress(i, b) for i, b in enumerate(bodies)]
        t1 = time.perf_counter()
        for i, data in enumerate(stored):
            decompress(i, data)
        t2 = time.perf_counter()
        c_times.append(t1 - t0)
        d_times.append(t2 - t1)
    size = sum(len(s) for s in stored)
    return {"name": name, "stored": size, "ratio": size / total,
            "compress": total / statistics.median(c_times) / 1e6,
            "read": total / statistics.median(d_times) / 1e6}


def zstd_config(level: int, dictionaries: list):
    def compressor(d):
        return zstandard.ZstdCompressor(level=level, dict_data=d, write_checksum=True) if d else \
            zstandard.ZstdCompressor(level=level, write_checksum=True)

    compressors, decompressors = {}, {}

    def compress(i, body):
        d = dictionaries[i]
        if id(d) not in compressors:
            compressors[id(d)] = compressor(d)
        return compressors[id(d)].compress(body)

    def decompress(i, data):
        d = dictionaries[i]
        if id(d) not in decompressors:
            decompressors[id(d)] = zstandard.ZstdDecompressor(dict_data=d) if d else zstandard.ZstdDecompressor()
        return decompressors[id(d)].decompress(data)

    return compress, decompress


def codec_table(bodies, passes: int, levels: list[int]) -> list[dict]:
    datas = [b for _, b, _ in bodies]
    rows = []
    for level in (1, 6, 9):
        rows.append(measure(f"zlib {level}", datas, lambda i, b, lv=level: zlib.compress(b, lv),
                            lambda i, d: zlib.decompress(d), passes))
    none = [None] * len(datas)
    for level in sorted({3, 9, 12, *levels}):
        rows.append(measure(f"zstd {level}", datas, *zstd_config(level, none), passes))
    for scope, label in (("shared", "shared dict"), ("site", "per-site dicts"), ("both", "site, else shared dict")):
        chosen = dictionaries_for(bodies, scope)
        for level in sorted({3, codecs.ZSTD_LEVEL, *levels}):
            rows.append(measure(f"zstd {level} + {label}", datas, *zstd_config(level, chosen), passes))
    return rows


# ---- part 2: the raw store as the archive writes it -----------------------------------


def headers_for(url: str, body: bytes, kind: str) -> tuple[list, list]:
    content_type = {"attachment": "application/octet-stream", "robots": "text/plain"}.get(kind, "text/html")
    request = [["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
               ["Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"],
               ["User-Agent", "nianbao/0.1 (+https://github.com/nianbao/nianbao; government annual-report archive)"],
               ["Accept-Encoding", "gzip, deflate, br, zstd"]]
    response = [["Server", "nginx"], ["Date", "Tue, 04 Mar 2025 02:13:07 GMT"],
                ["Content-Type", content_type], ["Content-Length", str(len(body))],
                ["Last-Modified", "Thu, 30 Jan 2025 08:00:00 GMT"], ["Connection", "keep-alive"],
                ["ETag", f'"{zlib.crc32(body):08x}-{len(body):x}"'], ["Accept-Ranges", "bytes"]]
    return request, response


def build_store(bodies, folder: Path, archive_db: Path | None = None):
    from archive.schema import open_database
    from archive.snapshots import store_snapshot

    db = open_database(folder / "nianbao.db", archive=archive_db)
    t0 = time.perf_counter()
    for i, (url, body, kind) in enumerate(bodies):
        request, response = headers_for(url, body, kind)
        store_snapshot(db, url=url, method="GET", request_headers=request, status=200,
                       response_headers=response, body=body, kind=kind,
                       fetched_at=f"2025-03-04T02:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i % 10}00Z")
    seconds = time.perf_counter() - t0
    db.execute("pragma wal_checkpoint(TRUNCATE)")
    if archive_db:
        db.execute(f"pragma {raw_store.ARCHIVE_SCHEMA}.wal_checkpoint(TRUNCATE)")
    return db, seconds


def read_all(db, passes: int) -> float:
    from archive.snapshots import iter_snapshots

    times, total = [], 0
    for _ in range(passes):
        t0 = time.perf_counter()
        total = sum(len(s.body) for s in iter_snapshots(db))
        times.append(time.perf_counter() - t0)
    return total / statistics.median(times) / 1e6


def export_size(db, folder: Path) -> int:
    from archive.warc import export_warc

    path = folder / "bench.warc.gz"
    with open(path, "wb") as stream:
        export_warc(db, stream, filename=path.name)
    return path.stat().st_size


def table_bytes(db, table: str) -> int:
    """Bytes of a table and its indexes (SQLite's dbstat)."""
    try:
        schema = raw_store.raw_schema(db) if table in ("payloads", "codec_dicts") else "main"
        row = db.execute(f"select sum(pgsize) from dbstat('{schema}') where name = ? or name in "
                         f"(select name from [{schema}].sqlite_master where type = 'index' and tbl_name = ?)",
                         [table, table]).fetchone()
        return row[0] or 0
    except Exception:  # dbstat is not compiled in everywhere
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="report pages to use (default: all 1,000)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes; rates from the median (default 3)")
    parser.add_argument("--levels", type=int, nargs="*", default=[], help="more zstd levels for part 1 (e.g. 19)")
    parser.add_argument("--no-extras", action="store_true", help="report pages only (no portal pages, attachments)")
    args = parser.parse_args(argv)

    bodies = report_pages(args.limit) + ([] if args.no_extras else portal_bodies())
    total = sum(len(b) for _, b, _ in bodies)
    sites = {site_of(u) for u, _, _ in bodies}
    kinds = sorted({k for _, _, k in bodies})
    print(f"bodies: {len(bodies)} ({total / 1e6:.1f} MB) from {len(sites)} sites; kinds: {', '.join(kinds)}")

    print("\n| codec | stored MB | % of bodies | compress MB/s | read MB/s |\n|---|---:|---:|---:|---:|")
    for row in codec_table(bodies, args.passes, args.levels):
        print(f"| {row['name']} | {row['stored'] / 1e6:.2f} | {100 * row['ratio']:.2f} | "
              f"{row['compress']:.0f} | {row['read']:.0f} |")

    print(f"\nthe archive's default: zstd {codecs.ZSTD_LEVEL}, dictionaries of {codecs.DICT_SIZE // 1024} KiB "
          f"(shared after {SHARED_AFTER} bodies, per site after {SITE_AFTER})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db, seconds = build_store(bodies, folder)
        db.close()
        db_size = (folder / "nianbao.db").stat().st_size
        from archive.schema import open_database

        db = open_database(folder / "nianbao.db")
        stored = db.execute("select sum(stored_size), count(*), count(dict_id) from payloads").fetchone()
        dict_rows = db.execute("select count(*), coalesce(sum(size), 0) from codec_dicts").fetchone()
        read_rate = read_all(db, args.passes)
        warc = export_size(db, folder)
        print(f"store: {len(bodies) / seconds:.0f} bodies/s ({total / seconds / 1e6:.1f} MB/s) with store_snapshot")
        print(f"payloads: {stored[1]} rows, {stored[0] / 1e6:.2f} MB stored, {stored[2]} with a dictionary; "
              f"dictionaries: {dict_rows[0]} ({dict_rows[1] / 1024:.0f} KiB)")
        print(f"tables: payloads {table_bytes(db, 'payloads') / 1e6:.2f} MB, "
              f"codec_dicts {table_bytes(db, 'codec_dicts') / 1e6:.2f} MB, "
              f"snapshots {table_bytes(db, 'snapshots') / 1e6:.2f} MB")
        print(f"read back (iter_snapshots, decompression included): {read_rate:.0f} MB/s")
        print(f"raw store (nianbao.db, raw tables only): {db_size / 1e6:.2f} MB")
        print(f"gzip WARC export of the same snapshots: {warc / 1e6:.2f} MB")
        print(f"raw store / gzip WARC = {db_size / warc:.2f}")
        db.close()

        split = folder / "split"
        split.mkdir()
        db, _ = build_store(bodies, split, archive_db=split / "raw.db")
        db.close()
        print(f"with --archive-db: nianbao.db {(split / 'nianbao.db').stat().st_size / 1e6:.2f} MB "
              f"(snapshots), raw.db {(split / 'raw.db').stat().st_size / 1e6:.2f} MB (payloads, codec_dicts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
