"""Generate the benchmark's report pages into bench/pages.tar.xz (deterministic: fixed seed).

Each page is a full report (2019 trial or 2021 layout, random values that satisfy R1, R3, R4,
R5) inside one of four portal templates, served as UTF-8 or, for some, GB2312 bytes, and made
30-150 KB by adding chrome blocks or trimming narrative.

Example:
    .venv/bin/python bench/make_pages.py            # write pages.tar.xz and pages.sha256
    .venv/bin/python bench/make_pages.py --check    # regenerate and compare with the manifest
    .venv/bin/python bench/make_pages.py --out /tmp/pages --count 8   # look at a few pages
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from pathlib import Path

import pages_archive
from format_grids import report_grids
from portal_templates import TEMPLATES, page_style, render
from report_content import make_report

SEED = 20250301
PAGE_COUNT = 1000
MIN_BYTES = 30 * 1024          # both readings of "30-150 KB" hold: 30 KiB .. 150,000 bytes
MAX_BYTES = 150_000


def build_pages(count: int = PAGE_COUNT, seed: int = SEED) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    pages = []
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]      # interleaved, so any prefix mixes templates
        page_rng = random.Random(rng.getrandbits(64))
        pages.append((f"{i:04d}-{template}.html", make_page(page_rng, template, 100000 + i)))
    return pages


def make_page(rng: random.Random, template: str, docid: int) -> bytes:
    report = make_report(rng, docid, paragraphs=rng.randint(3, 24))
    grids = report_grids(rng, report)
    style = page_style(rng, template, report)
    target = rng.randint(MIN_BYTES + 2000, MAX_BYTES - 2000)

    def encoded(html: str) -> bytes:
        return html.encode(style.charset)             # strict: a GB2312 page holds only GB2312

    narrative = len(report.sections["一"])
    data = encoded(render(report, grids, style, filler=0, narrative=narrative))
    while len(data) > target and narrative > 1:
        narrative -= 1
        data = encoded(render(report, grids, style, filler=0, narrative=narrative))
    room = target - len(data)
    blocks = 0
    for block in style.filler:                         # chrome blocks appear whole in the page
        room -= len(encoded(block))
        if room < 0:
            break
        blocks += 1
    data = encoded(render(report, grids, style, filler=blocks, narrative=narrative))
    if not MIN_BYTES <= len(data) <= MAX_BYTES:
        raise ValueError(f"page {docid} ({template}) is {len(data)} bytes, outside {MIN_BYTES}-{MAX_BYTES}")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=PAGE_COUNT, help=f"pages to make (default {PAGE_COUNT})")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and compare with pages.sha256 instead of writing")
    parser.add_argument("--out", type=Path, help="also write each page as a file into this folder")
    args = parser.parse_args(argv)

    pages = build_pages(args.count)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, data in pages:
            (args.out / name).write_bytes(data)
    sizes = sorted(len(data) for _, data in pages)
    print(f"{len(pages)} pages, {sum(sizes) / 1e6:.1f} MB, {sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} KiB")
    if args.check:
        raw = pages_archive.tar_bytes(pages)
        expected = pages_archive.MANIFEST.read_text(encoding="ascii").split()[0]
        actual = hashlib.sha256(raw).hexdigest()
        print(f"tar sha256 {actual}: {'matches' if actual == expected else 'DIFFERS from'} pages.sha256")
        return 0 if actual == expected else 1
    if args.out:
        return 0
    print(pages_archive.write_archive(pages), end="")
    print(f"{pages_archive.ARCHIVE.name}: {pages_archive.ARCHIVE.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
