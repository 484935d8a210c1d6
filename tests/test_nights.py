"""Nightly crawls into one archive while the portal changes between nights
(``portal.nights``), a few nights each: what bench/soak_nights.py found over a month.

The crawls run the real CLI in a subprocess against the changing column on real HTTP.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from portal import DemoPortal
from portal.nights import ChangingColumn

AGENCIES = ("财政局", "教育局", "民政局", "司法局", "水利局", "林业局", "审计局")


def column_of(count: int) -> ChangingColumn:
    column = ChangingColumn()
    for n, agency in enumerate(AGENCIES[:count]):
        column.add_report(agency, 2024 - n % 2)
    return column


def crawl_night(run_nianbao, portal, data, *args, check=True):
    portal.clear_sent()
    result = run_nianbao("crawl", "--start-url", portal.start_url, "--data", data, "--profile", "test",
                         *args, check=check)
    return result, portal.sent


def last_run(data) -> dict:
    with sqlite3.connect(data / "nianbao.db") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("select * from crawl_runs order by id desc limit 1").fetchone())


def test_a_trs_column_whose_pager_became_plain_links_is_still_walked(tmp_path, run_nianbao):
    """A TRS site's new template pages with 下一页/尾页 links, no createPageHTML call left:
    the column's later pages, and their reports, are still found (the TRS adapter read the
    call only, and the night passed its checks with a third of the column)."""
    column = column_of(7)                      # three listing pages
    with DemoPortal(column.site()) as portal:
        _, sent = crawl_night(run_nianbao, portal, tmp_path)
        first_night = {s.path for s in sent}
        column.pager = "anchors"
        portal.site = column.site()
        _, sent = crawl_night(run_nianbao, portal, tmp_path)
    asked = {s.path for s in sent}
    reports = {r.path for r in column.reports.values()}
    assert reports <= first_night
    assert reports <= asked
    assert {"/zwgk/zfxxgknb/index_1.html", "/zwgk/zfxxgknb/index_2.html"} <= asked


def test_a_report_gone_404_or_410_is_recorded_withdrawn_and_kept(tmp_path, run_nianbao):
    """A report the archive holds that now answers 410 or 404 is withdrawn: a ``skipped``
    row saying so, no error (it counted against the night's error rate), its versions kept
    and still counted, none current; back the next night, it is current again. A listed link that never served a report
    and answers 404 is still an error."""
    column = column_of(4)
    first, second, _, _ = column.reports
    with DemoPortal(column.site()) as portal:
        crawl_night(run_nianbao, portal, tmp_path)
        column.withdraw(first, 410)
        column.withdraw(second, 404)
        dead = column.add_report("审计局", 2024)
        dead.gone = 404                       # listed, never served
        portal.site = column.site()
        crawl_night(run_nianbao, portal, tmp_path)
        withdrawn_night = last_run(tmp_path)
        with sqlite3.connect(tmp_path / "nianbao.db") as db:
            current_then = {u for (u,) in db.execute("select url from reports where is_current = 1")}
            counted_then = {u for (u,) in db.execute("select url from current_reports")}
        column.restore(first)
        column.restore(second)
        portal.site = column.site()
        crawl_night(run_nianbao, portal, tmp_path)
        urls = {d: portal.url(column.reports[d].path) for d in (first, second, dead.docid)}
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        skipped = dict(db.execute("select url, reason from skipped where run_id = ?", [withdrawn_night["id"]]))
        errors = [u for (u,) in db.execute("select url from errors where run_id = ?", [withdrawn_night["id"]])]
        current = {u for (u,) in db.execute("select url from reports where is_current = 1")}
    assert skipped.get(urls[first]) == skipped.get(urls[second]) == \
        "withdrawn: answers 404 or 410 where a report was archived"
    assert errors == [urls[dead.docid]]
    withdrawn = {urls[first], urls[second]}
    assert not withdrawn & current_then            # the site serves neither that night
    assert withdrawn <= counted_then               # still counted: nothing replaced them
    assert withdrawn <= current                    # back the next night
    assert json.loads(withdrawn_night["monitor"])["ok"]


def test_a_report_republished_at_a_new_url_counts_the_new_version(tmp_path, run_nianbao):
    """An agency takes its report down (404) and publishes it again, corrected, under a new
    docid: the wide tables count the version the site serves, not the withdrawn one."""
    column = column_of(2)
    first = next(iter(column.reports))
    with DemoPortal(column.site()) as portal:
        crawl_night(run_nianbao, portal, tmp_path)
        new = column.republish(first)
        portal.site = column.site()
        crawl_night(run_nianbao, portal, tmp_path)
        old_url, new_url = portal.url(column.reports[first].path), portal.url(new.path)
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        counted = db.execute("select r.url from report_groups g join reports r on r.id = g.report_id "
                             "where g.report_id in (select id from reports where url in (?, ?))",
                             [old_url, new_url]).fetchall()
        versions = db.execute("select count(*) from reports where url in (?, ?)", [old_url, new_url]).fetchone()[0]
    assert counted == [(new_url,)]
    assert versions == 2


def test_a_merged_archive_keeps_a_withdrawn_url_not_current(tmp_path, run_nianbao):
    """``nianbao merge`` decides ``is_current`` as the crawl did (records.current_version): a URL
    withdrawn on the last night has none of its versions current in the merged archive either,
    whether the merge copies the whole archive at once or the night before first."""
    column = column_of(2)
    first = next(iter(column.reports))
    night = tmp_path / "night"
    with DemoPortal(column.site()) as portal:
        crawl_night(run_nianbao, portal, night)
        before = tmp_path / "before.db"   # the archive as the first night left it
        with sqlite3.connect(night / "nianbao.db") as db:
            db.execute("vacuum into ?", [str(before)])
        column.withdraw(first, 410)
        portal.site = column.site()
        crawl_night(run_nianbao, portal, night)
        withdrawn = portal.url(column.reports[first].path)

    def current(path):
        with sqlite3.connect(path) as db:
            return ({u for (u,) in db.execute("select url from reports where is_current = 1")},
                    {u for (u,) in db.execute("select url from current_reports")})

    crawled = current(night / "nianbao.db")
    assert withdrawn not in crawled[0] and withdrawn in crawled[1]   # kept and counted, not current
    run_nianbao("merge", tmp_path / "at_once.db", night / "nianbao.db")
    run_nianbao("merge", tmp_path / "in_turn.db", before, night / "nianbao.db")
    assert current(tmp_path / "at_once.db") == crawled
    assert current(tmp_path / "in_turn.db") == crawled


def test_a_page_whose_only_change_is_its_hit_counter_keeps_one_version(tmp_path, run_nianbao):
    """The 点击率 moves every night: new bytes, the same report. Each night's body is
    archived (a snapshot of its own) and tied to the version it reads the same as
    (``version_bodies``); no new version, and the night counts it found, not new. A real
    edit still makes a version; a night that brings the version's own bytes again is a revisit
    as before."""
    column = column_of(3)
    edited = next(iter(column.reports))
    with DemoPortal(column.site()) as portal:
        crawl_night(run_nianbao, portal, tmp_path)
        for night in range(3):
            column.visits += 1
            portal.site = column.site()
            result, _ = crawl_night(run_nianbao, portal, tmp_path)
            assert "reports found:        3 (0 new, 0 new versions)" in result.stdout, result.stdout
        column.visits += 1
        column.edit(edited)
        portal.site = column.site()
        edit_night, _ = crawl_night(run_nianbao, portal, tmp_path)
        urls = {docid: portal.url(r.path) for docid, r in column.reports.items()}
    assert "reports found:        3 (0 new, 1 new versions)" in edit_night.stdout
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        versions = dict(db.execute("select url, count(*) from reports group by url"))
        bodies = dict(db.execute("select s.url, count(distinct s.payload_digest) from snapshots s "
                                 "where s.kind = 'report' and s.status = 200 group by s.url"))
        tied = dict(db.execute("select url, count(*) from version_bodies group by url"))
        current = dict(db.execute("select url, version from reports where is_current = 1"))
        last_seen = db.execute(
            "select max(s.id) = (select max(id) from snapshots where url = r.url) from reports r "
            "join version_bodies b on b.report_id = r.id "
            "join snapshots s on s.url = b.url and s.payload_digest = b.payload_digest "
            "where r.is_current = 1 group by r.id").fetchall()
    assert versions == {url: 2 if docid == edited else 1 for docid, url in urls.items()}
    assert set(bodies.values()) == {5}                      # every night's bytes are archived
    assert tied == {url: 3 if docid == edited else 4 for docid, url in urls.items()}
    assert current == {url: 2 if docid == edited else 1 for docid, url in urls.items()}
    assert {seen for (seen,) in last_seen} == {1}           # the last night's snapshot is the version's

    # A reparse reads every body again and keeps the versions and ties as they are.
    run_nianbao("reparse", "--data", tmp_path, "--force")
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert dict(db.execute("select url, count(*) from reports group by url")) == versions
        assert dict(db.execute("select url, count(*) from version_bodies group by url")) == tied
        outcomes = dict(db.execute("select outcome, count(*) from reparse_changes group by outcome"))
    assert outcomes == {"unchanged": sum(bodies.values())}
    run_nianbao("reparse", "--data", tmp_path)              # nothing left to parse by this parser
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert db.execute("select count(*) from reparse_changes").fetchone()[0] == sum(bodies.values())

    # A merge carries the ties, their versions remapped: nothing becomes a version.
    run_nianbao("merge", tmp_path / "merged.db", tmp_path / "nianbao.db")
    with sqlite3.connect(tmp_path / "merged.db") as db:
        assert dict(db.execute("select url, count(*) from reports group by url")) == versions
        assert dict(db.execute("select b.url, count(*) from version_bodies b join reports r on r.id = b.report_id "
                               "and r.url = b.url group by b.url")) == tied
        assert dict(db.execute("select url, version from reports where is_current = 1")) == current


def test_a_column_moved_permanently_is_followed_and_the_run_says_to_update_the_registry(tmp_path, run_nianbao):
    """The listing moves; its old URL answers 301. The night follows it (its reports are still
    found) and passes, with a note, in the summary and in `nianbao runs`, naming the site and
    the URL to put in the registry; once the registry has it, the note is gone."""
    column = column_of(4)
    registry = tmp_path / "sites.yaml"
    data = tmp_path / "data"
    with DemoPortal(column.site()) as portal:
        def crawl_registry(start_url):
            registry.write_text(f"- name: 示范县\n  start_urls: [{start_url}]\n", encoding="utf-8")
            return run_nianbao("crawl", "--sites", registry, "--data", data, "--profile", "test")

        crawl_registry(portal.start_url)
        column.move()
        portal.site = column.site()
        portal.clear_sent()
        moved = crawl_registry(portal.start_url)                       # exit 0: the run passes
        asked = {s.path for s in portal.sent}
        new_url = portal.url(column.column + "index.html")
        note = (f"  note  start URLs moved: 1 start URL(s) answered a permanent redirect: update the "
                f"registry's start_urls: site 示范县: {portal.start_url} moved permanently (HTTP 301) to {new_url}")
        assert note in moved.stdout.splitlines(), moved.stdout
        assert "run checks:           OK" in moved.stdout
        assert "reports found:        4 (0 new, 0 new versions)" in moved.stdout
        assert column.column + "index.html" in asked
        listed, _, summary = run_nianbao("runs", "--data", data, "2").stdout.partition("\n\n")
        assert listed.endswith(" ok; note: start URLs moved")
        assert note in summary.splitlines()
        monitor = json.loads(last_run(data)["monitor"])
        assert monitor["ok"] and monitor["notes"] == ["start URLs moved"]
        assert {"name": "start URLs moved", "ok": True, "message": note.split(": ", 1)[1]} in monitor["checks"]

        updated = crawl_registry(new_url)
    assert "start URLs moved" not in updated.stdout
    assert run_nianbao("runs", "--data", data, "-n", "1").stdout.endswith(" ok\n")
