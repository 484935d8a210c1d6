"""Parsing report pages in worker processes during a crawl (pipelines/parse_workers.py).

The pieces in this process: a ``ParseQueue`` over a small archive stores items in the
order they came, parsed in workers; a worker that dies loses only the pages it had, and
new workers take over. Then real crawls of the flavour sites in subprocesses: the same
rows with 0 and 2 workers, and no worker left behind when a crawl ends, is stopped by
SIGTERM, is killed outright, or fills its disk.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import TESTS, get_test_file, registry_sites, run_crawl_subprocess
from portal.site import build_site
from test_full_disk import column_site, small_disk  # noqa: F401  (a fixture)

MARKER = "NIANBAO_TEST_PARSE_WORKERS"  # set in a crawl's environment; its workers inherit it


# -- in this process ------------------------------------------------------------------------

class PumpedReactor:
    """Stands in for Twisted's reactor: calls from the pool's threads wait for ``pump``."""

    def __init__(self):
        self.calls = queue.Queue()

    def callFromThread(self, f, *args):  # noqa: N802 (Twisted's name)
        self.calls.put((f, args))

    def pump(self, until, timeout=60):
        deadline = time.monotonic() + timeout
        while not until():
            f, args = self.calls.get(timeout=max(0.1, deadline - time.monotonic()))
            f(*args)


class Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1):
        self.values[key] = self.values.get(key, 0) + count


@pytest.fixture
def archive(tmp_path):
    """An archive holding six report pages of the demo site: (db, snapshot ids)."""
    from archive.schema import open_database
    from archive.snapshots import store_snapshot

    site = build_site()
    db = open_database(tmp_path / "nianbao.db")
    ids = []
    for path in site.paths("report")[:6]:
        ids.append(store_snapshot(db, url="http://127.0.0.1:1" + path, method="GET", request_headers=[],
                                  status=200, response_headers=[["Content-Type", site[path].content_type]],
                                  body=site[path].body, kind="report"))
    yield db, ids
    db.close()


@pytest.fixture
def pumped(monkeypatch):
    from pipelines import parse_workers

    reactor = PumpedReactor()
    monkeypatch.setattr(parse_workers, "reactor", reactor)
    return reactor


def test_items_are_stored_in_arrival_order_with_what_the_workers_parsed(archive, pumped):
    from archive.reparse_pool import parse_one
    from pipelines.parse_workers import ParseQueue

    db, ids = archive
    stored = []
    parsing = ParseQueue(db, 2, lambda item, parsed: stored.append((item, parsed)), Stats(), window=3)
    try:
        done = [parsing.add("first", ids[0]), parsing.add("skipped"), *(parsing.add(f"page {i}", i) for i in ids[1:])]
        pumped.pump(until=lambda: all(d.called for d in done))
    finally:
        parsing.close()
    assert [item for item, _ in stored] == ["first", "skipped", *(f"page {i}" for i in ids[1:])]
    assert stored[1][1] is None
    parsed = [p for _, p in stored if p is not None]
    assert parsed == [parse_one(db, i) for i in ids]  # the worker read what this process reads
    assert parsing.stats.values["nianbao/parsed_in_workers"] == len(ids)
    assert parsing.slots.tokens == 3  # every slot given back


def kill_workers(pool):
    for worker in list(pool.executor._processes.values()):
        try:
            os.kill(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_worker_that_dies_loses_none_of_its_pages_and_new_workers_take_over(archive, pumped):
    """The pages a dead worker had are parsed again, one at a time in a fresh worker; none of
    them killed it (it was killed from outside), so each comes back parsed."""
    from archive.reparse_pool import parse_one
    from pipelines.parse_workers import ParseQueue

    db, ids = archive
    stored = []
    parsing = ParseQueue(db, 1, lambda item, parsed: stored.append((item, parsed)), Stats())
    try:
        in_flight = parsing.pool
        first = [parsing.add(i, i) for i in ids[:2]]  # sent to the worker...
        kill_workers(in_flight)  # ...which dies before, or while, parsing them
        pumped.pump(until=lambda: all(d.called for d in first))
        found_broken = parsing.pool
        kill_workers(found_broken)
        deadline = time.monotonic() + 30
        while not found_broken.executor._broken and time.monotonic() < deadline:
            time.sleep(0.01)
        rest = [parsing.add(i, i) for i in ids[2:]]  # each finds the pool broken: new workers
        pumped.pump(until=lambda: all(d.called for d in rest))
    finally:
        parsing.close()
    assert [item for item, _ in stored] == ids
    assert [p for _, p in stored] == [parse_one(db, i) for i in ids]
    assert parsing.pool not in (in_flight, found_broken)
    assert parsing.stats.values["nianbao/parse_workers_lost"] == parsing.restarts
    assert parsing.restarts in (1, 2)  # 1 if both pages were parsed before the first kill


def test_pages_whose_workers_die_on_each_when_parsed_alone_are_lost_not_blamed(archive, pumped, monkeypatch):
    """Workers that die on every page, each parsed alone (out of memory, say): past
    ``MAX_DEATHS_IN_A_ROW`` in a row, not the pages' fault. None is recorded WorkerDied: they
    are lost (a ParseLost error for the report pipeline), for the next crawl to parse."""
    from archive import reparse_pool
    from pipelines.parse_workers import LOST, ParseQueue

    db, ids = archive
    crawling = os.getpid()

    def parse_snapshot(snapshot):  # inherited by the workers, forked after this
        if os.getpid() != crawling:
            os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("parsed in the crawling process")

    monkeypatch.setattr(reparse_pool, "parse_snapshot", parse_snapshot)
    stored = []
    parsing = ParseQueue(db, 1, lambda item, parsed: stored.append((item, parsed)), Stats())
    try:
        pages = ids[:reparse_pool.MAX_DEATHS_IN_A_ROW]
        done = [parsing.add(i, i) for i in pages]
        pumped.pump(until=lambda: all(d.called for d in done))
    finally:
        parsing.close()
    assert stored == [(i, LOST) for i in pages]
    assert "nianbao/parse_worker_died" not in parsing.stats.values


def test_a_failed_store_fails_its_item_only(archive, pumped):
    from pipelines.parse_workers import ParseQueue

    db, ids = archive

    def store(item, parsed):
        if item == "full":
            raise sqlite3.OperationalError("database or disk is full")

    parsing = ParseQueue(db, 1, store, Stats())
    try:
        done = [parsing.add("full", ids[0]), parsing.add("next", ids[1])]
        pumped.pump(until=lambda: all(d.called for d in done))
    finally:
        parsing.close()
    failures = []
    done[0].addErrback(failures.append)
    assert failures and failures[0].check(sqlite3.OperationalError)
    assert done[1].result == "next"


def test_default_workers_leave_a_cpu_to_the_crawl():
    from scrapy.settings import Settings

    from pipelines.parse_workers import configured_workers, default_workers

    assert 1 <= default_workers() <= 4
    assert configured_workers(Settings({"NIANBAO_PARSE_WORKERS": None})) == default_workers()
    assert configured_workers(Settings({"NIANBAO_PARSE_WORKERS": "0"})) == 0
    assert configured_workers(Settings({"NIANBAO_PARSE_WORKERS": 3})) == 3


def test_no_spider_callback_is_a_generator_returning_a_value():
    """The check Scrapy makes on every response (WARN_ON_GENERATOR_RETURN_VALUE, off: it
    reads the callback's source each time), made once here."""
    from scrapy.utils.misc import is_generator_with_return_value

    from crawler.spiders.reports import ReportSpider

    spider = ReportSpider(start_urls="http://127.0.0.1:1/")
    callbacks = [spider.parse_listing, spider.parse_report, spider.parse_attachment, spider.record_failure]
    assert not any(is_generator_with_return_value(c) for c in callbacks)


# -- real crawls ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def flavour_world(tmp_path_factory):
    from portal.world import start_flavour_sites, stop_all

    root = tmp_path_factory.mktemp("parse-workers")
    portals, registry = start_flavour_sites(root, pdf=get_test_file("attachments", "report_2024.pdf").read_bytes())
    try:
        yield portals, registry_sites(registry), root
    finally:
        stop_all(portals)


def marked_env(env) -> tuple[dict, str]:
    marker = uuid.uuid4().hex
    return {**env, MARKER: marker}, marker


def processes_marked(marker: str) -> list[int]:
    """Live processes (not zombies) whose environment carries ``marker``: a crawl and its workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"{MARKER}={marker}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_until_gone(marker: str, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def query(path, sql):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


CONTENT = {
    "reports": "select url, payload_digest, version, is_current, title, year, published, layout, has_tables, "
               "failing_rules, text_form, parser_version, source_kind, text, a.name from reports r "
               "left join agencies a on a.id = r.agency_id order by 1, 2",
    "cells": "select r.url, c.table_name, c.row_key, c.column_key, c.value, c.text, c.kind, c.location "
             "from cells c join reports r on r.id = c.report_id order by 1, 2, 3, 4",
    "checks": "select r.url, c.rule, c.[where], c.status, c.left, c.right, c.delta, c.detail "
              "from checks c join reports r on r.id = c.report_id order by 1, 2, 3, 4, 5, 6, 7, 8",
    "problems": "select r.url, p.kind, p.table_name, p.detail from problems p "
                "join reports r on r.id = p.report_id order by 1, 2, 3, 4",
    "indicators": "select r.url, i.position, i.indicator, i.unit, i.this_year, i.cumulative from indicators i "
                  "join reports r on r.id = i.report_id order by 1, 2",
    "errors": "select url, stage, error, message from errors order by 1, 2, 3, 4",
    "skipped": "select url, reason from skipped order by 1",
}


def run_stats(data) -> dict:
    (stats,) = query(data / "nianbao.db", "select stats from crawl_runs order by id desc limit 1")[0]
    return json.loads(stats)


def test_a_crawl_with_workers_stores_the_rows_of_a_crawl_without(flavour_world, guarded_env):
    portals, sites, root = flavour_world
    env, marker = marked_env(guarded_env)
    for workers in (0, 2):
        run_crawl_subprocess(env, sites, root / f"w{workers}", "test", {"NIANBAO_PARSE_WORKERS": workers})
    assert wait_until_gone(marker) == []  # the crawl ended: its workers too
    without, with_ = root / "w0" / "nianbao.db", root / "w2" / "nianbao.db"
    for name, sql in CONTENT.items():
        assert query(with_, sql) == query(without, sql), name
    assert len(query(with_, CONTENT["reports"])) == 44
    stats = run_stats(root / "w2")
    assert stats["nianbao/parse_workers"] == 2
    parsed = stats["nianbao/reports_parsed"] + sum(v for k, v in stats.items() if k.startswith("nianbao/parse_error/"))
    assert stats["nianbao/parsed_in_workers"] == parsed
    assert "nianbao/parsed_in_workers" not in run_stats(root / "w0")


_CRAWL = (
    "import json, sys\n"
    "from crawler.run import run_crawl\n"
    "run_crawl(json.loads(sys.argv[1]), sys.argv[2], profile='test', overrides=json.loads(sys.argv[3]))\n"
)


def start_crawl(env, sites, data, overrides, log_path=None):
    data.mkdir(parents=True, exist_ok=True)
    log = open(log_path or data.parent / f"{data.name}.log", "wb")
    process = subprocess.Popen([sys.executable, "-c", _CRAWL, json.dumps(sites), str(data), json.dumps(overrides)],
                               env=env, cwd=TESTS.parent, stdout=log, stderr=log)
    log.close()
    return process


def wait_for_reports(process, data, count=1, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if query(data / "nianbao.db", "select count(*) from reports")[0][0] >= count:
                return
        except sqlite3.OperationalError:
            pass  # not created yet
        time.sleep(0.05)
    pytest.fail(f"no report stored (exit {process.poll()}): "
                + (data.parent / f"{data.name}.log").read_text(errors="replace")[-3000:])


def report_pages_unparsed(data) -> int:
    return query(data / "nianbao.db",
                 "select count(*) from snapshots s where s.kind in ('report', 'attachment') and s.status = 200 "
                 "and not exists (select 1 from reports r where r.url = s.url and r.payload_digest = s.payload_digest) "
                 "and not exists (select 1 from errors e where e.snapshot_id = s.id and e.stage = 'parse')")[0][0]


@pytest.fixture
def slow_world(flavour_world):
    portals, sites, root = flavour_world
    for portal in portals.values():
        portal.latency = 0.05  # the crawl lasts long enough to be stopped in the middle
    yield portals, sites
    for portal in portals.values():
        portal.latency = 0.0


def crawl_again_and_count(env, sites, data) -> int:
    run_crawl_subprocess(env, sites, data, "test", {"NIANBAO_PARSE_WORKERS": 2})
    assert report_pages_unparsed(data) == 0
    return len(query(data / "nianbao.db", "select id from reports"))


def crawl_stopped_midway(env, sites, data, stop) -> int:
    """A crawl with two parse workers, ``stop(process)`` once it has stored reports; its exit status."""
    process = start_crawl(env, sites, data, {"NIANBAO_PARSE_WORKERS": 2})
    try:
        wait_for_reports(process, data)
        stop(process)
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()


def test_sigterm_stores_the_parses_in_flight_and_leaves_no_worker(slow_world, guarded_env, tmp_path):
    portals, sites = slow_world
    env, marker = marked_env(guarded_env)
    data = tmp_path / "data"
    # `systemctl stop`: Scrapy closes gracefully
    assert crawl_stopped_midway(env, sites, data, lambda process: process.send_signal(signal.SIGTERM)) == 0
    assert wait_until_gone(marker) == []
    assert query(data / "nianbao.db", "select status from crawl_runs") == [("interrupted",)]
    # Scrapy waited for the items in flight: every page fetched was parsed and stored.
    assert report_pages_unparsed(data) == 0
    assert query(data / "nianbao.db", "pragma integrity_check") == [("ok",)]
    for portal in portals.values():
        portal.latency = 0.0
    assert crawl_again_and_count(env, sites, data) == 44


def test_a_crawl_killed_outright_takes_its_workers_along(slow_world, guarded_env, tmp_path):
    portals, sites = slow_world
    env, marker = marked_env(guarded_env)

    def kill(process):
        assert len(processes_marked(marker)) == 3  # the crawl and its two workers
        process.kill()

    crawl_stopped_midway(env, sites, tmp_path / "data", kill)
    assert wait_until_gone(marker) == []
    for portal in portals.values():
        portal.latency = 0.0
    # Pages whose parse had not come back are parsed by the next crawl (it resumes the run).
    assert crawl_again_and_count(env, sites, tmp_path / "data") == 44


def test_a_full_disk_leaves_no_worker(small_disk, guarded_env, tmp_path):  # noqa: F811
    from portal import DemoPortal

    env, marker = marked_env(guarded_env)
    with DemoPortal(column_site(), host="127.0.0.44") as portal:
        sites = [{"name": "full disk", "start_urls": [portal.start_url], "flavour": "trs"}]
        process = start_crawl(env, sites, small_disk / "data", {"NIANBAO_PARSE_WORKERS": 2}, tmp_path / "crawl.log")
        try:
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    log = (tmp_path / "crawl.log").read_text(errors="replace")
    assert process.returncode == 1 and "is full: run 1 stopped" in log, log[-3000:]
    assert wait_until_gone(marker) == []
