"""Distributed crawling: a real redis-server, three `nianbao crawl --redis` processes over the
flavour world (five sites and the department host), their databases combined with
`nianbao merge`. The same reports come out as from one process, and each URL is fetched once
(robots.txt aside: every process reads it for itself)."""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from conftest import registry_sites
from redis_crawls import CrawlProcesses, flavour_world, needs_redis, pages_answered, start_redis, stop_redis


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    stop_redis(server)


@dataclass
class RedisDatabase:
    url: str
    client: object  # redis.Redis


_databases = itertools.count(1)  # 0 is the module's crawls'


@pytest.fixture
def redis_db(redis_url):
    """A Redis database of the test's own, empty (a killed process leaves its keys there)."""
    import redis

    url = f"{redis_url.rpartition('/')[0]}/{next(_databases)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield RedisDatabase(url, client)
    client.flushdb()
    client.close()


def fetched(portals) -> Counter:
    """(host, method, path) of every request the servers answered."""
    return Counter((urlsplit(p.base_url).hostname, s.method, s.path) for p in portals.values() for s in p.sent)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory, run_nianbao, guarded_env, redis_url):
    root = tmp_path_factory.mktemp("distributed")
    parts = [root / f"part{i}" for i in (1, 2, 3)]
    with flavour_world(root) as (portals, registry):
        run_nianbao("crawl", "--sites", registry, "--data", root / "single", "--profile", "test")
        single = fetched(portals)
        for portal in portals.values():
            portal.clear_sent()
            portal.latency = 0.3  # the crawl then lasts long enough for every process to take part
        with CrawlProcesses(guarded_env, registry, redis_url) as crawl:
            # The joiners first, and the seed only once both wait on Redis: a crawl of this
            # world takes about as long as a process takes to start, so a late joiner finds
            # the queue already empty and the test would not show the work shared.
            joiners = [crawl.start(part, "--idle", "2") for part in parts[1:]]
            crawl.wait_for_pollers(len(joiners))
            seed = crawl.start(parts[0], "--idle", "2", "--seed")
            crawl.finish(seed, timeout=240)  # the seed first: if it fails, the joiners wait for it in vain
            for joiner in joiners:
                crawl.finish(joiner, timeout=120)
        distributed = fetched(portals)
    merged = root / "merged" / "nianbao.db"
    merged.parent.mkdir()
    first = run_nianbao("merge", merged, *(part / "nianbao.db" for part in parts))
    again = run_nianbao("merge", merged, *(part / "nianbao.db" for part in parts))
    return {"root": root, "parts": parts, "single": single, "distributed": distributed, "merged": merged,
            "first": first.stdout, "again": again.stdout}


def query(path, sql, *params):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


REPORTS = "select url, payload_digest, version, is_current, title, year, has_tables from reports order by url"
CELLS = ("select r.url, c.table_name, c.row_key, c.column_key, c.value, c.kind from cells c "
         "join reports r on r.id = c.report_id order by 1, 2, 3, 4")


@needs_redis
def test_the_merged_crawl_has_the_reports_of_a_single_process_crawl(crawls):
    single = crawls["root"] / "single" / "nianbao.db"
    reports = query(crawls["merged"], REPORTS)
    assert len(reports) == 44
    assert reports == query(single, REPORTS)
    assert query(crawls["merged"], CELLS) == query(single, CELLS)
    # the same logical reports (which copy of one is counted goes by row order, not asserted)
    groups = "select label, year, versions, sources from report_groups order by 1, 2, 3, 4"
    assert query(crawls["merged"], groups) == query(single, groups)
    assert {r[0] for r in query(crawls["merged"], "select url from skipped")} == \
        {r[0] for r in query(single, "select url from skipped")}
    assert query(crawls["merged"], "select count(*) from errors") == [(0,)]


@needs_redis
def test_each_url_is_fetched_once_across_the_processes(crawls):
    robots = {k: n for k, n in crawls["distributed"].items() if k[2] == "/robots.txt"}
    pages = {k: n for k, n in crawls["distributed"].items() if k[2] != "/robots.txt"}
    assert pages and set(pages.values()) == {1}, [k for k, n in pages.items() if n > 1]
    assert set(pages) == {k for k in crawls["single"] if k[2] != "/robots.txt"}
    assert all(n <= 3 for n in robots.values())  # once per process and host at most
    # the work was shared: more than one process fetched pages
    fetched_by = [query(part / "nianbao.db", "select count(*) from snapshots where kind != 'robots'")[0][0]
                  for part in crawls["parts"]]
    assert sum(fetched_by) == len(pages)
    print("pages fetched by each process:", fetched_by)
    assert sum(1 for n in fetched_by if n) >= 2, fetched_by


@needs_redis
def test_merge_is_whole_sound_and_idempotent(crawls):
    merged = crawls["merged"]
    assert query(merged, "pragma integrity_check") == [("ok",)]
    assert query(merged, "pragma foreign_key_check") == []
    parts = [part / "nianbao.db" for part in crawls["parts"]]
    for table in ("snapshots", "crawl_runs", "reports", "cells", "checks", "skipped"):
        (count,), = query(merged, f"select count(*) from {table}")
        if table == "skipped":  # one row per URL; no URL is skipped by two processes
            assert count == len({r for p in parts for r in query(p, "select url from skipped")}), table
        else:
            assert count == sum(query(p, f"select count(*) from {table}")[0][0] for p in parts), table
    snapshots = "select url, fetched_at, payload_digest, kind, status, ip_address from snapshots order by 1, 2"
    assert query(merged, snapshots) == sorted(r for p in parts for r in query(p, snapshots))
    assert query(merged, "select count(*) from snapshots where payload_digest is null or ip_address is null") == [(0,)]
    (digests,), = query(merged, "select count(*) from payloads")
    assert digests == len({r for p in parts for r in query(p, "select digest from payloads")})
    assert "Merged 3 database(s)" in crawls["first"]
    assert crawls["again"].startswith("Merged 3 database(s) into ") and ": 0 rows added" in crawls["again"]


def make_db(path, *, runs, reports):
    """A small archive written with SQL: ``runs`` (started, pid), ``reports`` (url, digest, fetched_at, cells)."""
    from archive.schema import open_database

    db = open_database(path)
    run_ids = [db.execute("insert into crawl_runs (started, spider, pid, status) values (?, 'reports', ?, 'finished')",
                          [started, pid]).lastrowid for started, pid in runs]
    for url, digest, fetched_at, cells in reports:
        db.execute("insert or ignore into payloads (digest, size, codec, stored_size, data) values (?, 1, 'identity', 1, ?)",
                   [digest, b"x"])
        snapshot = db.execute(
            "insert into snapshots (run_id, url, method, status, fetched_at, payload_digest, kind) "
            "values (?, ?, 'GET', 200, ?, ?, 'report')", [run_ids[0], url, fetched_at, digest]).lastrowid
        report = db.execute(
            "insert into reports (url, snapshot_id, title, payload_digest, version, is_current) values (?, ?, ?, ?, 1, 1)",
            [url, snapshot, f"{url} {digest}", digest]).lastrowid
        for value in cells:
            db.execute("insert into cells (report_id, table_name, row_key, column_key, value, kind) "
                       "values (?, 'applications', 'new_requests', 'total', ?, 'number')", [report, value])
    db.execute("insert into errors (run_id, url, stage, error, message) values (?, 'http://a/x', 'fetch', 'E', 'm')",
               [run_ids[0]])
    db.conn.commit()
    db.close()


def test_merge_renumbers_versions_by_fetch_time_and_adds_nothing_twice(tmp_path):
    from nianbao.cli import cli

    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out.db"
    # the same URL fetched by two processes on two nights, with another body the second night
    make_db(a, runs=[("2026-01-02T00:00:00.000Z", 10)],
            reports=[("http://s/r1", "sha1:NEW", "2026-01-02T00:00:05.000Z", [7]),
                     ("http://s/r2", "sha1:SAME", "2026-01-02T00:00:06.000Z", [1, 2])])
    make_db(b, runs=[("2026-01-01T00:00:00.000Z", 20)],
            reports=[("http://s/r1", "sha1:OLD", "2026-01-01T00:00:05.000Z", [5]),
                     ("http://s/r2", "sha1:SAME", "2026-01-01T00:00:06.000Z", [1, 2])])
    result = CliRunner().invoke(cli, ["merge", str(out), str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Merged 2 database(s) into {out}: 18 rows added"
    assert result.stderr.startswith("Merging")  # the progress bar (its label alone: not a terminal)
    rows = query(out, "select url, payload_digest, version, is_current from reports order by url, version")
    assert rows == [("http://s/r1", "sha1:OLD", 1, 0), ("http://s/r1", "sha1:NEW", 2, 1),
                    ("http://s/r2", "sha1:SAME", 1, 1)]
    assert query(out, "select url, payload_digest from current_reports order by url") == \
        [("http://s/r1", "sha1:NEW"), ("http://s/r2", "sha1:SAME")]  # one logical report each
    cells = query(out, "select r.payload_digest, c.value from cells c join reports r on r.id = c.report_id order by 1, 2")
    assert cells == [("sha1:NEW", 7.0), ("sha1:OLD", 5.0), ("sha1:SAME", 1.0), ("sha1:SAME", 2.0)]
    assert query(out, "select payload_digest from snapshots order by 1") == \
        [("sha1:NEW",), ("sha1:OLD",), ("sha1:SAME",), ("sha1:SAME",)]
    assert query(out, "select count(*) from errors") == [(2,)]  # one per run
    again = CliRunner().invoke(cli, ["merge", "--silent", str(out), str(b), str(a)])
    assert again.output == f"Merged 2 database(s) into {out}: 0 rows added\n"


def test_merge_keeps_two_processes_fetches_of_one_url_in_the_same_millisecond(tmp_path):
    """Every process reads robots.txt for itself; two may get the same body at the same
    millisecond. They are two fetches by two runs, and the merge keeps both."""
    from archive.merge import merge_databases

    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out.db"
    same = ("http://s/robots.txt", "sha1:ROBOTS", "2026-01-02T00:00:05.123Z", [])
    make_db(a, runs=[("2026-01-02T00:00:00.000Z", 10)], reports=[same])
    make_db(b, runs=[("2026-01-02T00:00:00.000Z", 20)], reports=[same])
    merge_databases(out, [a, b])
    assert query(out, "select count(*), count(distinct run_id) from snapshots") == [(2, 2)]
    assert merge_databases(out, [a, b]).total == 0


def test_merge_carries_the_server_address_of_each_snapshot_and_invents_none(tmp_path):
    """A snapshot keeps the address its answer came from; one from an archive older than schema
    9 (no such column) stays without one."""
    from archive.merge import merge_databases

    a, old, out = tmp_path / "a.db", tmp_path / "old.db", tmp_path / "out.db"
    make_db(a, runs=[("2026-01-02T00:00:00.000Z", 10)],
            reports=[("http://s/r1", "sha1:NEW", "2026-01-02T00:00:05.000Z", [])])
    make_db(old, runs=[("2026-01-01T00:00:00.000Z", 20)],
            reports=[("http://s/r2", "sha1:OLD", "2026-01-01T00:00:05.000Z", [])])
    for path, sql in ((a, "update snapshots set ip_address = '203.0.113.7'"),
                      (old, "alter table snapshots drop column ip_address")):
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(sql)
        conn.close()
    merge_databases(out, [a, old])
    assert query(out, "select url, ip_address from snapshots order by url") == [
        ("http://s/r1", "203.0.113.7"), ("http://s/r2", None)]


def test_a_table_the_output_has_no_place_for_is_named_and_still_counted_as_read(tmp_path):
    """An input from a newer schema: its extra table is left out, named, and its rows move
    the progress bar, which so reaches the total counted beforehand."""
    from archive.merge import merge_databases, rows_to_read

    a, out = tmp_path / "a.db", tmp_path / "out.db"
    make_db(a, runs=[("2026-01-02T00:00:00.000Z", 10)],
            reports=[("http://s/r1", "sha1:NEW", "2026-01-02T00:00:05.000Z", [7])])
    conn = sqlite3.connect(a)
    with conn:
        conn.execute("create table from_a_newer_schema (id integer primary key, note text)")
        conn.executemany("insert into from_a_newer_schema (note) values (?)", [("x",)] * 3)
    conn.close()
    read = []
    result = merge_databases(out, [a], progress=read.append)
    assert result.left_out == ["from_a_newer_schema"]
    assert sum(read) == rows_to_read([a])


def test_merge_refuses_its_own_output_and_missing_inputs(tmp_path):
    from nianbao.cli import cli

    out = tmp_path / "out.db"
    make_db(out, runs=[("2026-01-01T00:00:00.000Z", 1)], reports=[])
    result = CliRunner().invoke(cli, ["merge", str(out), str(out)])
    assert result.exit_code == 1 and result.output == f"Error: {out} is the output database\n"
    result = CliRunner().invoke(cli, ["merge", str(out), str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "does not exist" in result.output


@needs_redis
def test_requests_cross_processes_as_json_without_this_archives_meta(redis_url):
    import redis
    import scrapy
    from scrapy.http import FormRequest

    from crawler.distributed import RequestCodec, RequestQueue
    from crawler.spiders.reports import ReportSpider

    spider = ReportSpider(start_urls="http://a/col/")
    queue = RequestQueue(server=redis.Redis.from_url(redis_url), spider=spider, key="test:%(spider)s:requests",
                         serializer=RequestCodec)
    request = FormRequest(
        "http://a/module/web/jpage/dataproxy.jsp?startrecord=1", formdata={"columnid": "12377", "名": "值"},
        callback=spider.parse_listing, errback=spider.record_failure,
        meta={"nianbao_kind": "listing", "nianbao_site": "a", "nianbao_flavour": None, "depth": 2,
              "nianbao_snapshot_id": 7, "nianbao_validated_from": 6},
        headers={"If-None-Match": '"abc"', "Referer": "http://a/col/"},
        cb_kwargs={"listing_title": "2024年报"}, priority=-1,
    )
    data = queue.encode(request)
    assert isinstance(data, bytes) and data.startswith(b"{")
    back = queue.decode(data)
    assert type(back) is FormRequest and back.method == "POST" and back.body == request.body
    assert back.callback == spider.parse_listing and back.errback == spider.record_failure
    assert back.meta == {"nianbao_kind": "listing", "nianbao_site": "a", "nianbao_flavour": None, "depth": 2}
    assert back.cb_kwargs == {"listing_title": "2024年报"} and back.priority == -1
    assert back.headers.get("Referer") == b"http://a/col/" and b"If-None-Match" not in back.headers
    with pytest.raises(TypeError, match="plain data"):
        queue.encode(scrapy.Request("http://a/", meta={"when": object()}))
    with pytest.raises(ValueError, match="not a Scrapy request class"):
        queue.decode(b'{"_class": "os.system", "body": ""}')


@needs_redis
def test_the_shared_duplicate_filter_takes_a_column_and_its_index_page_as_one(redis_url):
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawler.distributed import RequestCodec, RequestQueue, SharedDupeFilter
    from crawler.spiders.reports import ReportSpider

    crawler = get_crawler(ReportSpider, {"REDIS_URL": redis_url, "SCHEDULER_DUPEFILTER_KEY": "test:%(spider)s:df"})
    spider = ReportSpider.from_crawler(crawler, start_urls="http://a/col/")

    class Process:  # what SharedScheduler queues a request with
        def __init__(self):
            self.df = SharedDupeFilter.from_spider(spider)
            self.queue = RequestQueue(server=self.df.server, spider=spider, key="test:%(spider)s:requests",
                                      serializer=RequestCodec)

        def queues(self, request) -> bool:
            return self.queue.push_new(request, self.df.key, self.df.request_fingerprint(request))

    first, second = Process(), Process()
    first.df.clear()
    first.queue.clear()
    listing = {"nianbao_kind": "listing"}
    assert first.queues(Request("http://a/col/", meta=listing))
    assert not second.queues(Request("http://a/col/index.html", meta=listing))
    assert second.queues(Request("http://a/col/index.html", meta={"nianbao_kind": "report"}))
    assert not first.queues(Request("http://a/col/index.html#top", meta={"nianbao_kind": "report"}))
    first.df.close()  # a process that closes leaves the fingerprints to the others
    assert not second.queues(Request("http://a/col/", meta=listing))
    assert len(first.queue) == 2
    with pytest.raises(NotImplementedError, match="never alone"):
        first.df.request_seen(Request("http://a/other/"))  # a fingerprint without its request queued
    first.df.clear()
    first.queue.clear()


@needs_redis
def test_a_joiner_that_waited_for_the_seed_does_not_close_when_it_comes(monkeypatch, redis_url):
    """Joiners are started first and may wait longer for the seed than their idle close.
    The wait is not idleness within the crawl: they must still be there when the seed's
    first requests reach the queue, a moment after its mark."""
    import redis
    from scrapy.exceptions import CloseSpider, DontCloseSpider

    from crawler.distributed import scheduler
    from crawler.distributed.in_flight import InFlight

    clock = [1000.0]
    monkeypatch.setattr(scheduler.time, "monotonic", lambda: clock[0])
    client = redis.Redis.from_url(redis_url)
    seeded_key = "test:joiner:seeded"
    client.delete(seeded_key)

    def joiner():
        joining = scheduler.SharedScheduler.__new__(scheduler.SharedScheduler)
        joining.__dict__.update(server=client, seeded_key=seeded_key, crawl_id=None, idle_since=None,
                                idle_close=2.0, seed_wait=600.0, lost=None,
                                # no request queued or in flight anywhere
                                in_flight=InFlight(client, "test:joiner", "test:joiner:requests", ttl=60))
        return joining

    def idle_after(seconds):
        clock[0] += seconds
        try:
            waiting.spider_idle(None)
        except DontCloseSpider:
            return "waits"
        except CloseSpider as exc:
            return f"closes: {exc.reason}"
        return "closes"

    waiting = joiner()
    try:
        assert idle_after(0) == "waits"
        assert idle_after(30) == "waits"  # no seed yet: waits up to seed_wait
        client.set(seeded_key, "crawl-1")  # the seed's mark, its requests not queued yet
        assert idle_after(1) == "waits"
        assert idle_after(1.5) == "waits"
        assert idle_after(1) == "closes"  # idle_close after it saw the seed, with nothing to do
        assert waiting.crawl_id == "crawl-1"  # the crawl it took part in, checked from now on
        client.delete(seeded_key)
        waiting = joiner()
        assert idle_after(0) == "waits" and idle_after(601) == "closes: not_seeded"
    finally:
        client.delete(seeded_key)
        client.close()


def test_merge_checks_the_cross_year_rules_again_over_what_it_brings_together(tmp_path):
    """R6 compares a body's carried_over with its carried_forward of the year before. Each
    process could check only the reports it held itself; the merge checks again: one year
    from each process, and a newer version of the year before from another night."""
    from archive.merge import merge_databases
    from archive.schema import open_database
    from reports_db import store

    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out.db"
    with open_database(a) as db:
        store(db, "http://s/jia2022.html", agency="甲县人民政府", year=2022, body=b"first night",
              applications={"carried_forward": {"total": 0}}, fetched_at="2026-01-01T00:00:00.000Z")
        store(db, "http://s/jia2023.html", agency="甲县人民政府", year=2023,
              applications={"carried_over": {"total": 0}})  # R6 passes here: 0 = 0
        store(db, "http://s/yi2021.html", agency="乙县人民政府", year=2021,
              applications={"carried_forward": {"total": 1}})
    with open_database(b) as db:
        store(db, "http://s/jia2022.html", agency="甲县人民政府", year=2022, body=b"second night",
              applications={"carried_forward": {"total": 5}}, fetched_at="2026-01-02T00:00:00.000Z")
        store(db, "http://s/yi2022.html", agency="乙县人民政府", year=2022,
              applications={"carried_over": {"total": 4}})  # no 2021 here: no R6 at all
    merge_databases(out, [a, b])
    r6 = query(out, "select a.name, g.year, c.status, c.left, c.right from checks c "
                    "join report_groups g on g.report_id = c.report_id join agencies a on a.id = g.agency_id "
                    "where c.rule = 'R6' and c.[where] = 'total' order by 1, 2")
    assert r6 == [("乙县人民政府", 2022, "warn", 4.0, 1.0),   # against a year the other process held
                  ("甲县人民政府", 2023, "warn", 0.0, 5.0)]   # against the 2022 version counted now
    assert query(out, "select count(*) from checks c join reports r on r.id = c.report_id "
                      "where c.rule in ('R6', 'R7') and r.is_current = 0") == [(0,)]


@needs_redis
def test_the_requests_a_killed_process_had_in_flight_are_fetched_by_another(tmp_path, guarded_env, redis_db):
    """A process killed outright (SIGKILL, its machine gone) hands nothing back: the requests
    it had taken from the queue would be lost to the crawl, their fingerprints saying they
    were queued, and every other process would end OK. Another process puts them back on
    the queue once the killed one's liveness key expires: here the same one, started again."""
    from crawler.listing import start_pages

    part = tmp_path / "part"
    options = ["--idle", "2", "-s", "NIANBAO_REDIS_WORKER_TTL=2"]
    # robots.txt, then the start pages: seconds in flight
    with flavour_world(tmp_path, latency=1.0) as (portals, registry), \
            CrawlProcesses(guarded_env, registry, redis_db.url) as crawl:
        seed = crawl.start(part, "--seed", *options)
        # every start request (one per page: gkmlpt's two categories share one) taken from
        # the queue into the process's in-flight hash, none answered
        starts = len(start_pages(registry_sites(registry)))

        def in_flight() -> int:
            return sum(redis_db.client.hlen(key) for key in redis_db.client.scan_iter("nianbao:reports:in_flight:*"))

        crawl.wait_until(lambda: in_flight() >= starts and not pages_answered(portals),
                         f"the {starts} start requests in flight")
        crawl.kill(seed)
        again = crawl.start(part, *options)  # joins: the seed mark is still there
        out, err = crawl.finish(again)
    assert "back on the shared queue" in err
    assert query(part / "nianbao.db", "select count(*) from reports") == [(44,)]  # the whole flavour world


@needs_redis
def test_a_process_that_loses_redis_stops_and_says_so(tmp_path, guarded_env):
    """Redis is the crawl's memory: without it a process would queue nothing more (each link
    a traceback) and end as if the crawl were done. It stops, its run failed with the reason,
    every answer it received archived."""
    (tmp_path / "redis").mkdir()
    server, url = start_redis(tmp_path / "redis")
    part = tmp_path / "part"
    with flavour_world(tmp_path, latency=0.5) as (portals, registry), \
            CrawlProcesses(guarded_env, registry, url) as crawl:
        seed = crawl.start(part, "--seed", "--idle", "2")
        try:
            crawl.wait_until(lambda: pages_answered(portals) >= 3, "3 pages answered")
        finally:
            stop_redis(server)
        out, err = crawl.finish(seed, status=4)
        answered = {p.url(s.path) for p in portals.values() for s in p.sent}
    assert f"lost the shared queue at {url}: " in err and "Its requests in flight are left in Redis" in err
    assert "with none left, seed the crawl again (--seed) once Redis is back" in err
    assert query(part / "nianbao.db", "select status from crawl_runs") == [("failed: shared_queue_lost",)]
    assert "crawl finished: no: it stopped early (failed: shared_queue_lost: lost the shared queue" in out
    assert {url for url, in query(part / "nianbao.db", "select url from snapshots")} == answered


@needs_redis
def test_a_crawl_seeded_anew_gets_none_of_the_last_crawls_requests_in_flight(tmp_path, guarded_env, redis_db):
    """A new seed starts a new crawl, the last one's queue and fingerprints cleared. A process
    still in the last crawl stops, its crawl gone; its requests in flight go with it. Left in
    Redis, the new crawl's processes would put them on their queue once its liveness lapsed,
    to be fetched a second time (or for a site the new crawl does not have)."""
    from crawler.listing import start_pages

    options = ["--idle", "2", "-s", "NIANBAO_REDIS_WORKER_TTL=2"]

    def in_flight() -> int:
        return sum(redis_db.client.hlen(key) for key in redis_db.client.scan_iter("nianbao:reports:in_flight:*"))

    # robots.txt, then the start pages: 15 s in flight each, long enough for the new seed to start
    with flavour_world(tmp_path, latency=15.0) as (portals, registry), \
            CrawlProcesses(guarded_env, registry, redis_db.url) as crawl:
        last = crawl.start(tmp_path / "last", "--seed", *options)
        starts = len(start_pages(registry_sites(registry)))
        crawl.wait_until(lambda: in_flight() >= starts and not pages_answered(portals),
                         f"the {starts} start requests in flight", timeout=120)
        for portal in portals.values():
            portal.latency = 0.0  # the new crawl's requests answered at once
        new = crawl.start(tmp_path / "new", "--seed", *options)
        _, last_err = crawl.finish(last, status=4)
        _, new_err = crawl.finish(new)
    assert "(another process seeded a new crawl), its requests in flight with it" in last_err
    assert "back on the shared queue" not in new_err
    assert query(tmp_path / "new" / "nianbao.db", "select count(*) from reports") == [(44,)]
    assert list(redis_db.client.scan_iter("nianbao:reports:in_flight:*")) == []


@needs_redis
def test_a_process_stays_while_another_has_requests_in_flight(tmp_path, guarded_env, redis_db):
    """With nothing queued, a joiner does not close while the seed still waits for answers
    that will queue more: it stays to share them, and ends only after the crawl's last fetch."""
    parts = [tmp_path / "joiner", tmp_path / "seed"]
    # each answer 1.5 s late, longer than --idle: each keeps the queue empty that long
    with flavour_world(tmp_path, latency=1.5) as (portals, registry), \
            CrawlProcesses(guarded_env, registry, redis_db.url) as crawl:
        joiner = crawl.start(parts[0], "--idle", "1")
        crawl.wait_for_pollers(1)
        seed = crawl.start(parts[1], "--seed", "--idle", "1")
        for process in (joiner, seed):
            crawl.finish(process, timeout=240)
    last_fetch = max(query(part / "nianbao.db", "select max(fetched_at) from snapshots")[0][0] or "" for part in parts)
    (joiner_finished,), = query(parts[0] / "nianbao.db", "select finished from crawl_runs")
    assert joiner_finished > last_fetch


# `nianbao crawl`, killed outright (as by SIGKILL) right after the first Redis command after
# which a fingerprint is recorded: whichever commands the scheduler sends, the process is
# gone at the first moment the crawl's duplicate filter knows a request.
DIE_AT_FIRST_FINGERPRINT = """
import os, sys, redis
from nianbao.__main__ import main
execute_command = redis.Redis.execute_command
def execute_then_die_once_fingerprinted(self, *args, **options):
    result = execute_command(self, *args, **options)
    if execute_command(self, "EXISTS", "nianbao:reports:dupefilter"):
        os._exit(9)
    return result
redis.Redis.execute_command = execute_then_die_once_fingerprinted
sys.argv[0] = "nianbao"
main()
"""


@needs_redis
def test_a_request_whose_fingerprint_is_recorded_is_on_the_queue(tmp_path, guarded_env, redis_db):
    """A fingerprint tells every process the request is queued already. A process that
    died between recording it and queueing the request would lose that URL to the whole
    crawl, every other process taking it for a duplicate: the two go to Redis in one step."""
    with flavour_world(tmp_path) as (portals, registry), CrawlProcesses(guarded_env, registry, redis_db.url) as crawl:
        seed = crawl.start(tmp_path / "part", "--seed", python=("-c", DIE_AT_FIRST_FINGERPRINT))
        crawl.finish(seed, status=9)
    fingerprints = redis_db.client.scard("nianbao:reports:dupefilter")
    assert (fingerprints, redis_db.client.zcard("nianbao:reports:requests")) == (1, 1)


# A crawl of data: URLs on the real engine, recording in order what it schedules, what the
# pipeline stores, and which requests when_the_engine_is_done reports done.
ENGINE_DONE_ORDER = """
import asyncio, json
import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from crawler.distributed import when_the_engine_is_done

events = []

class Parents(scrapy.Spider):
    name = "parents"

    async def start(self):
        yield scrapy.Request("data:,a", callback=self.parse_parent)
        yield scrapy.Request("data:,b", callback=self.parse_parent)
        yield scrapy.Request("data:,refused", callback=self.parse_parent, errback=self.refused)
        yield scrapy.Request("data:,replaced", callback=self.parse_parent)

    async def parse_parent(self, response):
        for child in range(3):
            await asyncio.sleep(0)  # the engine goes on meanwhile
            yield scrapy.Request(response.url + str(child), callback=self.parse_child)
        yield {"from": response.url}

    def parse_child(self, response):
        return []

    def refused(self, failure):
        yield scrapy.Request("data:,after-refused", callback=self.parse_child)

class Refuse:
    def process_request(self, request):
        if request.url == "data:,refused":
            raise IgnoreRequest
        if request.url == "data:,replaced":
            return request.replace(url="data:,replacement")

class SlowStore:
    async def process_item(self, item):
        await asyncio.sleep(0.01)
        events.append(["stored", item["from"]])
        return item

class Record:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.scheduled, signals.request_scheduled)
        crawler.signals.connect(self.opened, signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        when_the_engine_is_done(self.crawler, self.done)

    def scheduled(self, request, spider):
        events.append(["scheduled", request.url])

    def done(self, request):
        events.append(["done", request.url])

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "EXTENSIONS": {Record: 0}, "ITEM_PIPELINES": {SlowStore: 0},
                          "DOWNLOADER_MIDDLEWARES": {Refuse: 0}, "ROBOTSTXT_OBEY": False})
process.crawl(Parents)
process.start()
print(json.dumps(events))
"""


def test_the_engine_is_done_with_a_request_once_what_it_yielded_is_queued(tmp_path, guarded_env):
    """A request leaves its process's in-flight hash when the engine is done with it: its
    callback's requests queued, its items stored. Done any earlier, a process killed then
    would lose what the callback had still to queue. when_the_engine_is_done hooks a private
    method of Scrapy's engine (no public signal comes late enough): this checks it still
    comes after everything the request led to, on the real engine."""
    script = tmp_path / "engine_done_order.py"  # a file: Scrapy reads the callbacks' source
    script.write_text(ENGINE_DONE_ORDER, encoding="utf-8")
    result = subprocess.run([sys.executable, script], env=guarded_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    events = [tuple(e) for e in json.loads(result.stdout)]
    at = {event: i for i, event in enumerate(events)}
    led_to = {"data:,a": [("scheduled", f"data:,a{n}") for n in range(3)] + [("stored", "data:,a")],
              "data:,b": [("scheduled", f"data:,b{n}") for n in range(3)] + [("stored", "data:,b")],
              "data:,refused": [("scheduled", "data:,after-refused")],
              "data:,replaced": [("scheduled", "data:,replacement")]}
    for parent, consequences in led_to.items():
        assert all(at[c] < at[("done", parent)] for c in consequences), (parent, events)
    done = [url for what, url in events if what == "done"]
    assert sorted(done) == sorted(set(done)) and set(done) >= set(led_to), events  # each once


# A crawl of one data: URL on the real engine, its heartbeat set as SharedScheduler sets it.
ENGINE_HEARTBEAT = """
import json
import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from crawler.distributed import poll_when_idle_every

intervals = []

class One(scrapy.Spider):
    name = "one"

    async def start(self):
        yield scrapy.Request("data:,a")

    def parse(self, response):
        intervals.append(self.crawler.engine._slot.heartbeat.interval)
        return []

class Poll:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.opened, signals.spider_opened)

    def opened(self, spider):
        poll_when_idle_every(self.crawler, 0.25)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "EXTENSIONS": {Poll: 0}, "ROBOTSTXT_OBEY": False})
process.crawl(One)
process.start()
print(json.dumps(intervals))
"""


def test_the_engine_polls_an_idle_scheduler_as_often_as_set(tmp_path, guarded_env):
    """An idle process asks the shared queue for work at the engine's heartbeat (5 s in
    Scrapy), which poll_when_idle_every sets through a private attribute of Scrapy's engine
    (there is no setting): this checks on the real engine that it still sets the heartbeat,
    and that a Scrapy without the attribute is refused rather than polling at its own pace."""
    from crawler.distributed import poll_when_idle_every

    script = tmp_path / "engine_heartbeat.py"
    script.write_text(ENGINE_HEARTBEAT, encoding="utf-8")
    result = subprocess.run([sys.executable, script], env=guarded_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads(result.stdout) == [0.25]

    class Crawler:
        engine = object()  # an engine whose heartbeat is set some other way

    with pytest.raises(RuntimeError, match="_SLOT_HEARTBEAT_INTERVAL"):
        poll_when_idle_every(Crawler(), 0.25)
