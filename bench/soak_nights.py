"""A month of nightly crawls into one archive, against portals that change between nights.

The portal: the five flavour sites and the department host of ``portal.world``
(127.0.0.2-7) and a changing TRS column (``portal.nights``, 127.0.0.9). Each night the
schedule below changes them as real portals change (docs/portals.md): a new
report, a report edited in place, one withdrawn (404, 410, a redirect to its column) and
back, one republished under a new URL, the listing gaining a page, a PDF attachment
replaced, a host down (connection refused) or answering 503, the pager rewritten, the
listing moved (301), report pages answering 500. Then ``nianbao crawl --profile test`` runs in a subprocess, and after it
the invariants a researcher relies on are checked:

- the crawl exits 0, or 3 (its checks failed) on the nights the schedule says checks fail;
- ``nianbao verify`` is clean;
- every body ever archived reads back byte-identical (sha256 kept per snapshot since it
  was stored), and each 200 archived tonight is the bytes the portal sent;
- one logical report per (agency, year), its older versions kept, one counted row per
  (agency, year, table row) in the wide tables; a report republished under a new URL
  counted from there;
- the run as ``nianbao runs`` lists it (its ``crawl_runs`` row) counts what the portal
  served (its log): requests; and the run's 304 snapshots are the 304s sent;
- the run's checks fail on exactly the nights the schedule says (a site silent that
  yielded before; errors over the threshold), and on no other;
- a withdrawn report stays in ``reports``, and its URL has a ``skipped`` row that
  night saying it was withdrawn;
- an unchanged night adds no new report version and no body the archive did not hold.

One line per night: requests, 304s, new snapshots, report versions archived, bytes added
to the data directory, seconds, peak memory of the crawl (RSS, its parse workers
included), checks that failed, and any invariant broken; at the end, the ``nianbao runs``
listing (printed, not checked further).
The exit status is 1 when any invariant broke.

Example:
    .venv/bin/python bench/soak_nights.py                 # 30 nights
    .venv/bin/python bench/soak_nights.py --nights 8 --keep /tmp/soak
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import yaml  # noqa: E402

from crawl_bench import TreeMemory, wait_for_exit  # noqa: E402
from nightly_bench import archive_bytes  # noqa: E402

from portal.nights import ChangingColumn  # noqa: E402
from portal.server import DemoPortal  # noqa: E402
from portal.world import registry_entries, start_flavour_sites, stop_all  # noqa: E402

COLUMN_ADDRESS = "127.0.0.9"
COLUMN_SITE = "changing column"
ATTACHMENTS = ROOT / "tests" / "data" / "attachments"
SILENT, ERRORS = "sites still yielding", "error rate"
AGENCIES = ("财政局", "教育局", "民政局", "司法局", "卫生健康委员会", "水利局", "林业局", "商务局",
            "统计局", "文化和旅游局", "应急管理局", "市场监督管理局")


def schedule() -> list[tuple[str, set[str]]]:
    """Night by night: what changes before the crawl, and the checks that must fail."""
    return [
        ("first crawl", set()),
        ("unchanged", set()),
        ("new report", set()),
        ("unchanged", set()),
        ("report edited", set()),
        ("unchanged", set()),
        ("report withdrawn: 404", set()),
        ("still withdrawn", set()),
        ("withdrawn report back; two new reports, the listing gains a page", set()),
        ("unchanged", set()),
        ("attachment replaced", set()),
        ("unchanged", set()),
        ("generic host down (connection refused)", {SILENT}),
        ("generic host back", set()),
        ("legacy host answers 503", {SILENT}),
        ("legacy host back", set()),
        ("pager rewritten: 下一页 links", set()),
        ("unchanged", set()),
        ("listing moved (301 from the old URL)", set()),
        ("unchanged", set()),
        ("report withdrawn: 410", set()),
        ("withdrawn report back", set()),
        ("report pages answer 500", {ERRORS}),
        ("report pages back", set()),
        ("report withdrawn: redirects to its column", set()),
        ("withdrawn report back", set()),
        ("report edited again", set()),
        ("report republished at a new URL (the old one 404)", set()),
        ("column host down (connection refused)", {SILENT}),
        ("column host back", set()),
    ]


class World:
    """The portals, and what each night does to them."""

    def __init__(self, work: Path):
        self.flavours, _ = start_flavour_sites(work, (ATTACHMENTS / "report_2024.pdf").read_bytes())
        self.column = ChangingColumn()
        # Twelve reports and a PDF-only one: five listing pages, enough pages that twelve
        # failing report pages are errors over the 10% threshold.
        for n, agency in enumerate(AGENCIES):
            self.column.add_report(agency, 2024 - n % 2)
        self.pdf_report = self.column.add_report("审计局", 2024, attachment=(ATTACHMENTS / "report_2024.pdf").read_bytes())
        self.edited = next(iter(self.column.reports))
        self.withdrawn = list(self.column.reports)[2]
        self.republished = list(self.column.reports)[4]
        self.republished_as: int | None = None
        self.column_portal = DemoPortal(self.column.site(), host=COLUMN_ADDRESS).start()
        self.column_url = self.column_portal.base_url      # also while the host is down
        entries = registry_entries(self.flavours)
        entries.append({"name": COLUMN_SITE, "start_urls": [self.column_portal.start_url],
                        "agency": "示范县人民政府"})
        self.registry = work / "soak-sites.yaml"
        self.registry.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
        self.withdrawn_tonight: str | None = None

    @property
    def portals(self) -> dict[str, DemoPortal]:
        return {**self.flavours, "column": self.column_portal}

    def change(self, night: str) -> None:
        c = self.column
        self.withdrawn_tonight = None
        if night == "new report":
            c.add_report("城建局", 2024)
        elif night.startswith("report republished"):
            old = c.reports[self.republished]
            self.republished_as = c.republish(self.republished).docid
            self.withdrawn_tonight = old.path
        elif night.startswith("report edited"):
            c.edit(self.edited)
        elif night.startswith("report withdrawn"):
            how = 404 if "404" in night else 410 if "410" in night else "redirect"
            c.withdraw(self.withdrawn, how)
            self.withdrawn_tonight = c.reports[self.withdrawn].path
        elif night == "still withdrawn":
            self.withdrawn_tonight = c.reports[self.withdrawn].path
        elif night.startswith("withdrawn report back"):
            c.restore(self.withdrawn)
            if "new reports" in night:
                c.add_report("交通运输局", 2024)
                c.add_report("自然资源局", 2023)
        elif night == "attachment replaced":
            c.replace_attachment(self.pdf_report.docid, (ATTACHMENTS / "report_2024_unruled.pdf").read_bytes())
        elif night.startswith(("generic host", "column host")):
            portal = self.flavours["generic"] if night.startswith("generic") else self.column_portal
            if "down" in night:
                portal.stop()        # connection refused; start() answers again at the same URL
            else:
                portal.start()
        elif night == "legacy host answers 503":
            self.flavours["legacy"].site.answer = lambda method, path, headers: (
                503, [("Content-Type", "text/html")], b"<h1>503 Service Unavailable</h1>")
        elif night == "legacy host back":
            del self.flavours["legacy"].site.answer
        elif night.startswith("pager rewritten"):
            c.pager = "anchors"
        elif night.startswith("listing moved"):
            c.move()
        elif night == "report pages answer 500":
            c.failing = set(list(c.reports)[:12])
        elif night == "report pages back":
            c.failing = set()
        self.column_portal.site = c.site()

    def clear_sent(self):
        for portal in self.portals.values():
            portal.clear_sent()

    def sent(self):
        return [s for portal in self.portals.values() for s in portal.sent]

    def stop(self):
        stop_all(self.portals)


def crawl(registry: Path, data: Path, log: Path) -> tuple[int, float, int]:
    """``nianbao crawl``: its exit status, seconds, and the peak of its RSS summed with its
    parse workers' (bytes)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "nianbao", "crawl", "--sites", str(registry),
                                    "--data", str(data), "--profile", "test"],
                                   stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        tree = TreeMemory(process.pid)
        status, rss = wait_for_exit(process)
        tree.stop()
    return status, time.monotonic() - started, max(tree.peak, rss)


class Invariants:
    """What the archive must still say after each night; ``check`` returns what broke."""

    def __init__(self, data: Path):
        self.data = data
        self.digests: dict[int, str] = {}      # snapshot id -> sha256 of its body when first read
        self.versions = 0                      # report versions after the last night

    def check(self, run_id: int, world: World, sent, expected_failures: set[str],
              unchanged: bool = False) -> tuple[list[str], dict]:
        """``unchanged``: nothing changed on the portals tonight, so nothing new is archived."""
        from archive.run_list import run_line
        from archive.schema import open_database
        from archive.snapshots import read_snapshot

        broken = []
        verify = subprocess.run([sys.executable, "-m", "nianbao", "verify", "--data", str(self.data)],
                                capture_output=True, text=True, cwd=ROOT)
        if verify.returncode != 0:
            broken.append(f"verify exited {verify.returncode}: {verify.stdout[-600:]}")
        db = open_database(self.data / "nianbao.db")
        raw = db.conn
        # Every body ever archived, byte-identical; tonight's 200s are what was sent.
        sent_bodies = Counter(hashlib.sha256(s.body).hexdigest() for s in sent if s.status == 200)
        new = 0
        held = set(self.digests.values())      # the bodies archived before tonight
        for (snapshot_id,) in raw.execute("select id from snapshots order by id"):
            body = read_snapshot(db, snapshot_id).body
            digest = hashlib.sha256(body).hexdigest()
            if snapshot_id not in self.digests:
                self.digests[snapshot_id] = digest
                new += 1
                row = raw.execute("select status, revisit_profile, url from snapshots where id = ?",
                                  [snapshot_id]).fetchone()
                if row[0] == 200 and row[1] is None and sent_bodies[digest] == 0:
                    broken.append(f"snapshot {snapshot_id} ({row[2]}): body not one the portal sent")
                if unchanged and row[0] == 200 and digest not in held:
                    broken.append(f"unchanged night: snapshot {snapshot_id} ({row[2]}) holds a new body")
            elif self.digests[snapshot_id] != digest:
                broken.append(f"snapshot {snapshot_id}: body changed since it was archived")
        # One logical report per (agency, year); one wide row per (agency, year, row).
        for agency, year, groups in raw.execute(
                "select agency_id, year, count(*) from report_groups where agency_id is not null "
                "and year is not null group by 1, 2 having count(*) > 1"):
            broken.append(f"agency {agency} year {year}: {groups} logical reports")
        for table in ("applications", "reviews_litigation", "active_disclosure"):
            for agency, year, key, n in raw.execute(
                    f"select agency_id, year, row_key, count(*) from [{table}] group by 1, 2, 3 having count(*) > 1"):
                broken.append(f"{table}: agency {agency} year {year} row {key} counted {n} times")
            for (n,) in raw.execute(f"select count(*) from [{table}] w join report_groups g on g.id = w.group_id "
                                    "where w.report_id is not g.report_id"):
                if n:
                    broken.append(f"{table}: {n} row(s) from a version that is not the counted one")
        edited = world.column.reports[world.edited]
        versions = raw.execute("select count(distinct payload_digest) from reports where url = ?",
                               [world.column_url + edited.path]).fetchone()[0]
        if versions != edited.edits + 1:
            broken.append(f"edited report: {versions} version(s) kept, {edited.edits + 1} published")
        # Republished under a new URL: counted from there.
        if world.republished_as:
            new_url = world.column_url + world.column.reports[world.republished_as].path
            counted = raw.execute("select c.url from reports r join report_groups g on g.id = r.group_id "
                                  "join reports c on c.id = g.report_id where r.url = ?", [new_url]).fetchall()
            if counted != [(new_url,)] * len(counted) or not counted:
                broken.append(f"republished report: counted {counted}, not {new_url}")
        # Withdrawn: still in reports, and said so tonight.
        if world.withdrawn_tonight:
            url = world.column_url + world.withdrawn_tonight
            if not raw.execute("select 1 from reports where url = ?", [url]).fetchone():
                broken.append(f"withdrawn report {url} gone from reports")
            said = raw.execute("select 1 from skipped where url = ? and run_id = ? and reason like 'withdrawn%'",
                               [url, run_id]).fetchone()
            if not said:
                broken.append(f"withdrawn report {url}: not recorded as withdrawn tonight")
        # The run, as `nianbao runs` lists it, against the portal's log.
        run = run_line(db, run_id)
        snapshots = raw.execute("select count(*) from snapshots where run_id = ?", [run_id]).fetchone()[0]
        not_modified = raw.execute("select count(*) from snapshots where run_id = ? and revisit_profile = "
                                   "'server-not-modified'", [run_id]).fetchone()[0]
        statuses = Counter(s.status for s in sent)
        if snapshots != len(sent):
            broken.append(f"{snapshots} snapshots for {len(sent)} answers sent")
        if run.pages_fetched != len(sent):
            broken.append(f"pages fetched {run.pages_fetched} for {len(sent)} answers sent")
        if not_modified != statuses[304]:
            broken.append(f"{not_modified} 304 snapshots for {statuses[304]} 304s sent")
        failed = set(run.failed_checks or ())
        if failed != expected_failures:
            broken.append(f"checks failed: {sorted(failed)}, expected {sorted(expected_failures)}")
        versions = raw.execute("select count(*) from reports").fetchone()[0]
        if unchanged and versions != self.versions:
            broken.append(f"unchanged night: {versions - self.versions} new report version(s)")
        self.versions = versions
        counts = {"requests": len(sent), "304s": statuses[304], "new snapshots": new,
                  "versions": versions, "failed": failed}
        db.conn.close()
        return broken, counts


def runs_listing(data: Path, nights: int) -> str:
    return subprocess.run([sys.executable, "-m", "nianbao", "runs", "--data", str(data), "-n", str(nights)],
                          capture_output=True, text=True, cwd=ROOT).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nights", type=int, default=30, help="nights to crawl (default 30, the whole schedule)")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    plan = schedule()[:args.nights]
    work = args.keep or Path(tempfile.mkdtemp(prefix="soak-nights-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    world = World(work)
    invariants = Invariants(data)
    all_broken = 0
    try:
        print(f"{len(plan)} nights, archive {data}")
        print("night  requests  304s  new-snapshots  versions  bytes-added  seconds  peak-RSS-MiB  checks-failed  what changed")
        before = 0
        for n, (night, expected) in enumerate(plan, 1):
            world.change(night)
            world.clear_sent()
            status, seconds, rss = crawl(world.registry, data, work / f"night-{n:02d}.log")
            sent = world.sent()
            db = sqlite3.connect(data / "nianbao.db")
            run_id = db.execute("select max(id) from crawl_runs").fetchone()[0]
            db.close()   # the last connection closed: the WAL is checkpointed and gone
            broken, counts = invariants.check(run_id, world, sent, expected, unchanged=night == "unchanged")
            exit_expected = 3 if expected else 0      # 3: the run's checks failed
            if status != exit_expected:
                broken.insert(0, f"crawl exited {status}, expected {exit_expected} (night-{n:02d}.log)")
            size = archive_bytes(data)
            print(f"{n:5d}  {counts['requests']:8d}  {counts['304s']:4d}  {counts['new snapshots']:13d}  "
                  f"{counts['versions']:8d}  {size - before:11,d}  {seconds:7.1f}  {rss / 2**20:12.0f}  "
                  f"{','.join(sorted(counts['failed'])) or '-':>13}  {night} (exit {status})", flush=True)
            for problem in broken:
                print(f"       BROKEN: {problem}", flush=True)
            all_broken += len(broken)
            before = size
        print(f"archive {before / 1e6:.2f} MB after {len(plan)} nights; {all_broken} invariant(s) broken")
        print(runs_listing(data, len(plan)))
    finally:
        world.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if all_broken else 0


if __name__ == "__main__":
    sys.exit(main())
