"""A site's start URL that moved permanently (301, 308) to another host is crawled there.

Portals move: a county's column goes to the prefecture's shared platform, on another
registered domain. Until the registry is updated, each night asks the old URL, and the
crawl follows the move: the host it leads to is the site's for that run (its reports are
not "on an unrelated host"), and the run's note names the old URL, the new one and the host
taken on. The crawl's address policy still holds: a move to an address it refuses is not
followed (a ``skipped`` row), and nothing is asked there.

Crawled for real, with ``NIANBAO_REFUSE_PRIVATE_ADDRESSES`` on and the portals' own
addresses allowed (as tests/test_private_addresses.py): site 旧址 moved to a portal on
another loopback address; site 陷阱's start URL moves to an address not allowed, where a
server listens and is asked nothing.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import run_crawl_subprocess

from archive.skip_reasons import REDIRECT_TO_REFUSED_ADDRESS
from crawler.spiders.reports import UNRELATED_HOST

OLD, NEW = "127.0.0.72", "127.0.0.73"  # the moved site's old and new host (both allowed)
OLD_TRAPPED, TRAP = "127.0.0.74", "127.0.0.75"  # a start URL that moves to an address not allowed
REFUSING = {"NIANBAO_REFUSE_PRIVATE_ADDRESSES": True, "NIANBAO_ALLOWED_PRIVATE_NETWORKS": [OLD, NEW, OLD_TRAPPED]}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, guarded_env):
    from portal import DemoPortal, build_site
    from portal.hostile import HostileSite, redirect
    from portal.site import START_PATH

    tmp = tmp_path_factory.mktemp("moved-start-urls")
    demo = build_site()
    with DemoPortal(demo, host=NEW) as new, DemoPortal(demo, host=TRAP) as trap:
        moved = HostileSite({}, START_PATH, [redirect(START_PATH, new.start_url, 301)])
        trapped = HostileSite({}, START_PATH, [redirect(START_PATH, trap.start_url, 308)])
        with DemoPortal(moved, host=OLD) as old, DemoPortal(trapped, host=OLD_TRAPPED) as old_trapped:
            result = run_crawl_subprocess(guarded_env, [{"name": "旧址", "start_urls": [old.start_url]},
                                                        {"name": "陷阱", "start_urls": [old_trapped.start_url]}],
                                          tmp / "data", "test", REFUSING)
            urls = {"old": old.start_url, "new": new.start_url, "new base": new.base_url,
                    "old trapped": old_trapped.start_url, "trap": trap.start_url}
        asked_of_trap = trap.sent
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    yield {"db": db, "urls": urls, "reports": sorted(demo.paths("report")), "asked of trap": asked_of_trap,
           "stderr": result.stderr}
    db.close()


def test_the_reports_of_a_moved_site_are_crawled_on_its_new_host(crawl):
    db, urls = crawl["db"], crawl["urls"]
    found = {url for (url,) in db.execute("select url from reports")}
    assert found == {urls["new base"] + path for path in crawl["reports"]}
    assert db.execute("select count(*) from skipped where reason = ?", [UNRELATED_HOST]).fetchone()[0] == 0
    # Found for the site whose start URL moved.
    found_for = db.execute("select distinct s.name from reports r join sites s on s.id = r.site_id").fetchall()
    assert found_for == [("旧址",)]


def test_the_note_says_the_new_host_was_taken_on_for_the_run(crawl):
    db, urls = crawl["db"], crawl["urls"]
    status, summary = db.execute("select status, summary from crawl_runs").fetchone()
    assert status == "finished"
    # The note passes; what fails is 陷阱, new to the archive, that yielded nothing (the move not followed).
    assert [line for line in summary.splitlines() if line.startswith("  FAIL")] == [
        "  FAIL  new sites yielding: 1 site(s) crawled for the first time yielded no reports: site 陷阱 (2 page(s) "
        f"archived; its start URL {urls['old trapped']} answered HTTP 308 to {urls['trap']}); "
        "check each one's start URL and flavour (the summary's skipped pages and errors say "
        "what its pages held); a column with no report yet passes from the site's next run"]
    (note,) = [line for line in summary.splitlines() if line.startswith("  note  start URLs moved: ")]
    assert note.split(": update the registry's start_urls: ")[1].split("; ") == [
        f"site 旧址: {urls['old']} moved permanently (HTTP 301) to {urls['new']}, whose host {NEW} "
        f"is the site's for this run",
        # The move the crawl refused is named, and not taken on.
        f"site 陷阱: {urls['old trapped']} moved permanently (HTTP 308) to {urls['trap']}",
    ]


def test_a_move_to_a_refused_address_is_not_followed(crawl):
    assert crawl["asked of trap"] == []  # not the column, not robots.txt
    assert crawl["db"].execute("select url, reason, detail from skipped where reason = ?",
                               [REDIRECT_TO_REFUSED_ADDRESS]).fetchall() == [
        (crawl["urls"]["old trapped"], REDIRECT_TO_REFUSED_ADDRESS,
         f"{crawl['urls']['trap']}: {TRAP} is a loopback address")]
    assert "Traceback" not in crawl["stderr"]


def test_the_pages_of_both_hosts_count_for_the_site(crawl):
    (monitor,) = crawl["db"].execute("select monitor from crawl_runs").fetchone()
    pages = crawl["db"].execute("select count(*) from snapshots where url like ? or url like ?",
                                [f"http://{OLD}:%", f"http://{NEW}:%"]).fetchone()[0]
    assert json.loads(monitor)["sites"]["旧址"] == {"pages": pages, "reports": len(crawl["reports"])}
