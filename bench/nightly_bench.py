"""The nightly second run: ``nianbao crawl`` twice over an unchanged portal, into one archive.

The portal is crawl_bench's (report pages of bench/pages.tar.xz behind the WCM pager, spread
over ``--sites`` loopback hosts) served by a real nginx, which answers conditional requests
(If-None-Match / If-Modified-Since) with 304 as a CMS behind nginx does. The first run starts
from an empty archive; the second, on the same archive, asks for the report pages and
attachments it holds with their validators (crawler/middlewares/conditional.py) and
re-reads robots.txt and the listings. Printed: each run's time, requests, body bytes sent
(nginx's access log), answers by status and the archive's size, then the second run's time
and bytes relative to the first; then a third run with ``--recheck-after 7``, which asks
for none of the report pages the second run asked about, and its time and requests.

Example:
    .venv/bin/python bench/nightly_bench.py                  # 1,000 report pages, 4 sites
    .venv/bin/python bench/nightly_bench.py --pages 100 --sites 1
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import crawl_bench  # noqa: E402
from crawl_bench import archived_counts, build, make_workdir, run_crawler  # noqa: E402


def archive_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in data.iterdir() if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="report pages in all (default 1,000)")
    parser.add_argument("--sites", type=int, default=4, help="sites (127.0.0.x hosts) they are spread over")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    if not crawl_bench.have_tools():
        parser.error("needs nginx and wget")
    work = make_workdir(args.keep, "nightly-bench-")
    server, urls, registry = build(work, args.pages, args.sites)
    data = work / "data"
    try:
        print(f"portal: {args.pages} report pages on {args.sites} site(s), {len(urls)} URLs")
        runs = []
        labels = ("first run", "second run", "third run, --recheck-after 7")
        for n, label in enumerate(labels):
            overrides = {"NIANBAO_RECHECK_AFTER_DAYS": 7} if n == 2 else None
            run = run_crawler(server, registry, data, label, overrides, fresh=(n == 0))
            snapshots, reports = archived_counts(data)
            statuses = Counter(r[2] for r in run.requests)
            runs.append(run)
            print(f"{label}: {run.seconds:.2f} s, {run.pages} requests, {run.bytes / 1e6:.2f} MB sent "
                  f"({', '.join(f'{s}: {c}' for s, c in sorted(statuses.items()))}); "
                  f"archive {archive_bytes(data) / 1e6:.1f} MB, {snapshots} snapshots, {reports} reports; "
                  f"exit status {run.exit_status}")
        first, second, third = runs
        print(f"ratio second/first time = {second.seconds / first.seconds:.3f} "
              f"(first to last request: {second.span / max(first.span, 1e-9):.3f})")
        print(f"ratio second/first bytes = {second.bytes / max(first.bytes, 1):.4f}")
        print(f"ratio second/first requests = {second.pages / max(first.pages, 1):.3f}")
        print(f"ratio third/first time = {third.seconds / first.seconds:.3f}; "
              f"requests = {third.pages / max(first.pages, 1):.3f} "
              f"(report pages asked within 7 days are not asked again)")
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
