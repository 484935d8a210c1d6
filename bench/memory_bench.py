"""Peak memory of ``nianbao crawl`` over a registry of many sites, and how it grows.

Each site is a small report column on its own loopback address (127.1.x.y, the first on
127.0.0.1; one nginx roots each address at its own directory): robots.txt, a listing page and
``--reports`` report pages of bench/pages.tar.xz (hard links into one pool, so 5,000 sites
cost little disk). For each registry size, one ``nianbao crawl --profile test`` (16 requests
at a time, 4 per host) from an empty archive; its peak RSS comes from wait4(), and the peak of
the crawl and its parse workers together from /proc, sampled every 0.2 s. Printed: per size the
pages fetched, reports archived, time and both peaks; then the growth from the first size to
the last, per site. Budget (issue 6): under 1 GB at 5,000 sites, workers included.

Example:
    .venv/bin/python bench/memory_bench.py                        # 500 and 5,000 sites
    .venv/bin/python bench/memory_bench.py --sites 50,500 --reports 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import crawl_bench  # noqa: E402
from crawl_bench import COLUMN, archived_counts, report_pages, run_crawler, start_nginx, write_registry  # noqa: E402

BUDGET = 1 << 30


def site_address(n: int) -> str:
    """Site 0 on 127.0.0.1 (so a one-site run passes the tests' loopback guard), the rest on 127.1.x.y."""
    return "127.0.0.1" if n == 0 else f"127.1.{n // 250}.{n % 250 + 1}"


def write_sites(www: Path, count: int, reports_per_site: int) -> None:
    """``count`` columns under ``www/<address>/``; the report bodies are hard links into a pool."""
    pool = www.parent / "pool"
    pool.mkdir(exist_ok=True)
    pages = [(title, body) for title, body in report_pages(1000)          # no attachment links: no 404s
             if not crawl_bench._ATTACHMENT.search(body)][:count * reports_per_site]
    pooled = []
    for i, (title, body) in enumerate(pages):
        path = pool / f"{i}.html"
        if not path.exists():
            path.write_bytes(body)
        pooled.append((title, path))
    for n in range(count):
        root = www / site_address(n)
        if root.exists():
            continue
        mine = [pooled[(n * reports_per_site + r) % len(pooled)] for r in range(reports_per_site)]
        # the column as crawl_bench writes it, then each body replaced by a link to its pool file
        crawl_bench.write_column(root, [(title, b"") for title, _ in mine])
        for r, (_, path) in enumerate(mine):
            target = root / COLUMN.strip("/") / f"202501/t20250120_{100000 + r}.html"
            target.unlink()
            os.link(path, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", default="500,5000", help="registry sizes, comma-separated (default 500,5000)")
    parser.add_argument("--reports", type=int, default=2, help="report pages per site (default 2)")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    if not crawl_bench.have_tools():
        parser.error("needs nginx and wget")
    sizes = [int(s) for s in args.sites.split(",")]
    work = crawl_bench.make_workdir(args.keep, "memory-bench-")
    results = []
    try:
        write_sites(work / "www", max(sizes), args.reports)
        server = start_nginx(work, work / "www", [site_address(n) for n in range(max(sizes))])
        try:
            for size in sizes:
                registry = work / f"sites-{size}.yaml"
                write_registry(registry, [server.base(site_address(n)) + COLUMN + "index.html" for n in range(size)])
                run = run_crawler(server, registry, work / f"data-{size}", f"{size} sites")
                snapshots, reports = archived_counts(work / f"data-{size}")
                results.append((size, run))
                print(f"{size} sites: {run.pages} pages fetched, {snapshots} snapshots, {reports} reports, "
                      f"{run.seconds:.0f} s ({run.pages / run.seconds:.1f} pages/s); "
                      f"peak RSS {run.peak_rss / 2**20:.0f} MB, with its parse workers {run.peak_tree_rss / 2**20:.0f} MB; "
                      f"exit status {run.exit_status}", flush=True)
        finally:
            server.stop()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    (small, first), (large, last) = results[0], results[-1]
    if large > small:
        growth = last.peak_tree_rss - first.peak_tree_rss
        print(f"growth {small} -> {large} sites: {growth / 2**20:+.0f} MB "
              f"({growth / (large - small) / 1024:.1f} KiB a site); "
              f"ratio peak {large}/{small} = {last.peak_tree_rss / first.peak_tree_rss:.2f}")
    print(f"budget: peak {last.peak_tree_rss / 2**20:.0f} MB at {large} sites (crawl and parse workers), "
          f"{'under' if last.peak_tree_rss < BUDGET else 'OVER'} 1 GB")
    return 0 if last.peak_tree_rss < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
