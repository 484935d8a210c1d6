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
    .venv/bin/python bench/parse_bench.py --limit 300 --ceiling    # + what the tree work alone costs

``--ceiling`` times, on the same pages and in the same alternation, the steps every HTML page
takes through parse_report before any of the parser's own logic: decoding and libxml2's parse
(``tree``), then the one walk that reads the page's text and cells off the tree (``tree + walk``),
then that plus the least any logic could do: one regular-expression match per table cell and
one strip per text line (``tree + walk + least logic``). Each gets a ratio to bare lxml, and a
``budget`` line says how much of the time the floor allows a page those steps leave, and how
long the parser's own logic (the full parse less tree and walk, timed in the same passes) takes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # the repo, when not installed

import lxml.html  # noqa: E402

import pages_archive  # noqa: E402
from parsers import parse_report  # noqa: E402
from parsers.encoding import read_body  # noqa: E402
from parsers.html_page import parse_tree  # noqa: E402
from parsers.page_walk import walk_page  # noqa: E402

_LAST_HEADING = "其他需要报告"    # the report's last section heading: lxml read the page through
FLOOR = 0.5  # issue 3: the full parse at half the bare-lxml rate or better
_A_NUMBER = re.compile(r"\s*[0-9]+\s*")


def tree_only(data: bytes):
    """parse_report's first steps on an HTML page: decode, then libxml2's parse."""
    decoded = read_body(data)
    return parse_tree(decoded.text, decoded.utf8)[0]


def tree_and_walk(data: bytes):
    """…then the walk that reads the page's text, tables and links off the tree."""
    return walk_page(tree_only(data))


def tree_walk_least_logic(data: bytes) -> int:
    """…then the least any parser's logic could do with them: look at each cell once, each line once."""
    walk = tree_and_walk(data)
    seen = 0
    for table in walk.tables:
        for texts, _ in table.rows:
            for text in texts:
                if _A_NUMBER.fullmatch(text):
                    seen += 1
    for line in walk.text.split("\n"):
        if line.strip():
            seen += 1
    return seen


def timed_pass(datas: list[bytes], sides=(lxml.html.fromstring, parse_report), chunk: int = 25) -> list[float]:
    """Seconds each side (by default bare lxml, then parse_report) takes over all pages. The
    sides take turns every ``chunk`` pages, so a neighbour process that slows the machine for
    a while slows all alike."""
    seconds = [0.0] * len(sides)
    for start in range(0, len(datas), chunk):
        part = datas[start:start + chunk]
        for index, side in enumerate(sides):
            gc.collect()
            began = time.perf_counter()
            for data in part:
                side(data)
            seconds[index] += time.perf_counter() - began
    return seconds


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


def print_ceiling(datas: list[bytes], passes: int) -> None:
    """The tree steps' ratios to bare lxml, and the time per page they leave under the floor.
    parse_report runs again among them, so that its logic's share comes from the same passes."""
    sides = (lxml.html.fromstring, tree_only, tree_and_walk, tree_walk_least_logic, parse_report)
    for side in sides[1:]:
        side(datas[0])  # warm: regular expressions, stylesheets
    runs = [timed_pass(datas, sides) for _ in range(passes)]
    each = [statistics.median(run[i] for run in runs) / len(datas) for i in range(len(sides))]
    bare = each[0]
    for name, seconds in zip(("tree", "tree + walk", "tree + walk + least logic"), each[1:]):
        print(f"ceiling, {name}: {seconds * 1000:.3f} ms/page, ratio {bare / seconds:.2f}")
    allowed = bare / FLOOR
    logic = each[4] - each[2]
    room = allowed - each[2]
    print(f"budget: the floor ({FLOOR}) allows {allowed * 1000:.3f} ms a page; tree + walk take "
          f"{each[2] * 1000:.3f}, leaving {room * 1000:.3f} ms for all of the parser's logic, which takes "
          f"{logic * 1000:.3f} now" + (f" ({logic / room:.1f} x the room left)" if room > 0 else ""))


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
    parser.add_argument("--ceiling", action="store_true",
                        help="after timing, time the tree steps alone (parse, walk, least logic) and print the budget")
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
        bare_seconds, full_seconds = timed_pass(datas)
        bare.append(bare_seconds)
        full.append(full_seconds)
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

    if args.ceiling:
        print_ceiling(datas, args.passes)

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
