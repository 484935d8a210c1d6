"""A full disk during a crawl: the run stops cleanly and what it stored stays readable.

The archive lives on a small tmpfs (mounting one needs root: skipped otherwise). The column
lists 30 attachments of 300 kB of incompressible bytes, nine megabytes for a four-megabyte
disk, so a write fails part-way through the crawl. ``nianbao crawl`` must then stop at once
with exit status 1 and a one-line message naming the full disk; the database must pass
``PRAGMA integrity_check`` and every body it stored must read back as the bytes served; the
notification hooks are told, with that line."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import uuid

import pytest
import yaml

FILES = 30
FILE_BYTES = 300_000
DISK = "4m"


def column_site():
    from portal import pages
    from portal.site import COLUMN_PATH, START_PATH, Resource, Site

    modified = "Mon, 20 Jan 2025 02:12:00 GMT"
    resources, links = {}, []
    for n in range(1, FILES + 1):
        rel = f"202501/P0202501{n:02d}5000{n:02d}.pdf"
        body = b"%PDF-1.4\n" + random.Random(n).randbytes(FILE_BYTES) + b"\n%%EOF\n"
        resources[COLUMN_PATH + rel] = Resource(body, "application/pdf", modified, "attachment")
        links.append(pages.Link("./" + rel, f"示范区第{n}局2024年政府信息公开工作年度报告", f"2025-01-{n:02d}"))
    resources[START_PATH] = Resource(pages.listing_page(0, 1, links, max_title=40).encode("utf-8"),
                                     "text/html; charset=utf-8", modified, "listing", pages.COLUMN_NAME)
    resources["/robots.txt"] = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain", modified, "robots")
    return Site(resources, START_PATH)


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", f"nianbao-{uuid.uuid4().hex[:8]}",
                           str(mount_point)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {DISK} tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_stops_the_crawl_and_keeps_the_archive_readable(small_disk, tmp_path, run_nianbao):
    from portal import DemoPortal

    data = small_disk / "data"
    with DemoPortal(column_site(), host="127.0.0.43") as portal:
        sites = tmp_path / "sites.yaml"
        sites.write_text(yaml.safe_dump([{"name": "full disk", "start_urls": [portal.start_url], "flavour": "trs"}],
                                        allow_unicode=True), encoding="utf-8")
        told = tmp_path / "told.txt"  # the hook is told on another disk
        result = run_nianbao("crawl", "--sites", sites, "--data", data, "--profile", "test",
                             "--notify-command", f'{{ echo "exit $NIANBAO_EXIT_STATUS"; cat; }} > {told}',
                             check=False, timeout=120)
        served = {portal.url(s.path): s.body for s in portal.sent if s.status == 200}

    assert result.returncode == 1, result.stderr[-3000:]
    # The last word is one line saying why (Scrapy has logged the writes in flight that failed).
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: the disk holding") and "is full: run 1 stopped" in last, last
    assert told.read_text(encoding="utf-8") == f"exit 1\n{last}\n"  # the hooks hear it too

    db = sqlite3.connect(data / "nianbao.db")
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        (status,) = db.execute("select status from crawl_runs").fetchone()
        assert status in ("failed: disk_full", "running")  # "running": the end could not be written
        stored = db.execute("select url, payload_digest from snapshots where kind = 'attachment'").fetchall()
        # The disk filled part-way: some attachments made it, not all.
        assert 0 < len(stored) < FILES
    finally:
        db.close()

    import sqlite_utils

    from archive.payloads import read_payload

    # Read as it is: open_database would also refresh the schema's views, a write.
    archive = sqlite_utils.Database(data / "nianbao.db")
    try:
        for url, digest in stored:
            assert read_payload(archive, digest) == served[url], url
    finally:
        archive.close()
