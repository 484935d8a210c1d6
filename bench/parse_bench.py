"""Throughput of ``parsers.parse_report`` against bare ``lxml.html.fromstring`` on the same bytes.

Reads bench/pages.tar.xz into memory and runs one warm-up pass of each side, not timed, that
also checks every page: the parse must not raise, must find tables 二, 三 and 四 and no failing
hard rule, and lxml must read the page to its end. Then it times N passes over all pages with
time.perf_counter in this one process, the two sides alternating every 25 pages. Rates are
pages/s of the MEDIAN pass (the best pass beside it). Both sides get the bytes as the server
sent them: parse_report decodes them itself, lxml reads the <meta> charset.

Example:
    .venv/bin/python bench/parse_bench.py                  # all pages, 3 passes
    .venv/bin/python bench/parse_bench.py --limit 200 --passes 5 --template word
    .venv/bin/python bench/parse_bench.py --passes 1 --profile     # + top 25 by cumulative time
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # the repo, when not installed

import lxml.html  # noqa: E402

import pages_archive  # noqa: E402
from parsers import parse_report  # noqa: E402

_LAST_HEADING = "其他需要报告"    # the report's last section heading: lxml read the page through


def timed_pass(datas: list[bytes], chunk: int = 25) -> tuple[float, float]:
    """Seconds for lxml and for parse_report over all pages. The two sides alternate every
    ``chunk`` pages, so a neighbour process that slows the machine for a while slows both."""
    bare = full = 0.0
    for start in range(0, len(datas), chunk):
        part = datas[start:start + chunk]
        gc.collect()
        t0 = time.perf_counter()
        for data in part:
            lxml.html.fromstring(data)
        t1 = time.perf_counter()
        for data in part:
            parse_report(data)
        full += time.perf_counter() - t1
        bare += t1 - t0
    return bare, full


def check_pages(pages: list[tuple[str, bytes]]) -> dict[str, list[str]]:
    """The warm-up pass: every page parsed once by each side, problems listed by kind."""
    problems: dict[str, list[str]] = {"raised": [], "missing tables": [], "failing rules": [],
                                      "lxml stopped early": []}
    for name, data in pages:
        try:
            report = parse_report(data)
        except Exception as exc:  # noqa: BLE001 - any failure is a finding, printed below
            problems["raised"].append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            missing = [t for t in ("active_disclosure", "applications", "reviews_litigation")
                       if getattr(report, t) is None]
            if missing:
                problems["missing tables"].append(f"{name}: {', '.join(missing)}")
            if report.failing_rules:
                problems["failing rules"].append(f"{name}: {', '.join(report.failing_rules)}")
        if _LAST_HEADING not in lxml.html.fromstring(data).text_content():
            problems["lxml stopped early"].append(name)
    return problems


def _rate(count: int, seconds: list[float]) -> str:
    return (f"{count / statistics.median(seconds):.1f} pages/s "
            f"(median of {len(seconds)} passes; best {count / min(seconds):.1f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="use only the first N pages (templates are interleaved)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes of each side (default 3)")
    parser.add_argument("--template", help="only pages of this template (trs, hanweb, govcn, word)")
    parser.add_argument("--profile", action="store_true",
                        help="after timing, run one parse pass under cProfile; print the top 25 by cumulative time")
    parser.add_argument("--archive", type=Path, default=pages_archive.ARCHIVE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.passes < 1:
        parser.error("--passes must be at least 1")

    pages = pages_archive.read_pages(args.archive, None if args.template else args.limit)
    if args.template:
        pages = [p for p in pages if p[0].endswith(f"-{args.template}.html")][:args.limit]
    if not pages:
        parser.error("no pages selected")
    datas = [data for _, data in pages]
    sizes = sorted(map(len, datas))
    templates = Counter(name.rsplit("-", 1)[1].removesuffix(".html") for name, _ in pages)
    charsets = Counter("gb2312" if b"charset=gb2312" in data[:2000] else "utf-8" for data in datas)
    print(f"pages: {len(pages)}")
    print(f"total bytes: {sum(sizes):,} ({sum(sizes) / 1e6:.1f} MB)")
    print(f"size range: {sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} KiB "
          f"(median {statistics.median(sizes) / 1024:.1f})")
    print(f"templates: {len(templates)} ({', '.join(f'{t} {n}' for t, n in sorted(templates.items()))}); "
          f"charsets: {', '.join(f'{c} {n}' for c, n in sorted(charsets.items()))}")

    problems = check_pages(pages)            # also the warm-up of both sides, not timed
    bare, full = [], []
    for _ in range(args.passes):
        seconds = timed_pass(datas)
        bare.append(seconds[0])
        full.append(seconds[1])
    print(f"lxml.html.fromstring: {_rate(len(datas), bare)}")
    print(f"nianbao parse: {_rate(len(datas), full)}")
    print(f"ratio Y/X = {statistics.median(bare) / statistics.median(full):.2f} (full parse / bare lxml, "
          f"median passes; best passes give {min(bare) / min(full):.2f})")

    failures = sum(map(len, problems.values()))
    print(f"failures: {failures} (" + ", ".join(f"{kind} {len(found)}" for kind, found in problems.items()) + ")")
    for kind, found in problems.items():
        for line in found[:20]:
            print(f"  {kind}: {line}")
        if len(found) > 20:
            print(f"  {kind}: ... {len(found) - 20} more")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for data in datas:
            parse_report(data)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
