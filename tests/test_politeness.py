"""Politeness, seen from the servers' side: request timestamps per host.

Real crawls with the ``polite`` profile (only its absolute delays shrunk so the test takes
seconds, AutoThrottle on): robots.txt Crawl-delay is kept between requests to a host even
though AutoThrottle would go lower, a host never has more than 2 requests in flight,
Retry-After is waited out, and every request names the crawler and its contact URL."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import run_crawl_subprocess

ADDRESSES = {"crawl-delay": "127.0.0.30", "slow": "127.0.0.31", "rate-limited": "127.0.0.32"}
CRAWL_DELAY = 0.3
LATENCY = 0.25
# The polite profile's own values, with absolute delays shrunk to keep the test short.
SHORT_DELAYS = {"DOWNLOAD_DELAY": 0.05, "AUTOTHROTTLE_START_DELAY": 0.05, "AUTOTHROTTLE_MAX_DELAY": 1.0}
# The polite profile refuses private addresses: the portals' own are allowed.
PORTALS_ALLOWED = {"NIANBAO_ALLOWED_PRIVATE_NETWORKS": list(ADDRESSES.values())}
SLACK = 0.03  # loopback: request dispatched -> request line read by the server


def polite_sites():
    from portal import build_site
    from portal.hostile import TOO_MANY_PAGE, HostileSite, first_times, slow
    from portal.site import START_PATH

    demo = build_site()
    return {
        "crawl-delay": HostileSite.from_site(
            demo, robots_txt=f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\nDisallow: /search/\n"),
        "slow": HostileSite.from_site(demo, [slow(LATENCY)]),
        "rate-limited": HostileSite.from_site(
            demo, [first_times(START_PATH, 2, 429, [("Retry-After", "1")], TOO_MANY_PAGE)]),
    }


def crawl_sites(env, tmp, names, overrides):
    from portal import DemoPortal

    sites = polite_sites()
    portals = {name: DemoPortal(sites[name], host=ADDRESSES[name]).start() for name in names}
    try:
        entries = [{"name": name, "start_urls": [p.start_url]} for name, p in portals.items()]
        run_crawl_subprocess(env, entries, tmp / "data", "polite", {**PORTALS_ALLOWED, **overrides})
    finally:
        for portal in portals.values():
            portal.stop()
    return {name: portal.sent for name, portal in portals.items()}, tmp / "data" / "nianbao.db"


@pytest.fixture(scope="module")
def polite_crawl(tmp_path_factory, guarded_env):
    tmp = tmp_path_factory.mktemp("polite")
    return crawl_sites(guarded_env, tmp, list(ADDRESSES), SHORT_DELAYS)


def most_in_flight(log) -> int:
    """The largest number of requests the server was working on at once."""
    events = sorted([(s.received_at, 1) for s in log] + [(s.sent_at, -1) for s in log])
    busy = peak = 0
    for _, change in events:
        busy += change
        peak = max(peak, busy)
    return peak


def test_crawl_delay_from_robots_is_kept_between_requests(polite_crawl):
    sent, _ = polite_crawl
    arrivals = sorted(s.received_at for s in sent["crawl-delay"])
    assert len(arrivals) == 9  # robots.txt, 3 listing pages, 5 reports
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    # robots.txt went out first, on a new connection while the crawler was still starting
    # up: it may reach the server a little later after it was sent than the others did.
    assert gaps[0] >= CRAWL_DELAY - 0.1, gaps
    assert min(gaps[1:]) >= CRAWL_DELAY - SLACK, gaps
    # The other hosts, without Crawl-delay, were not slowed to it: the floor is per host.
    quick = sorted(s.received_at for s in sent["rate-limited"] if s.path != "/zwgk/zfxxgknb/index.html")
    assert min(b - a for a, b in zip(quick, quick[1:])) < CRAWL_DELAY


def test_no_host_ever_has_more_than_two_requests_in_flight(polite_crawl):
    sent, _ = polite_crawl
    for name, log in sent.items():
        assert most_in_flight(log) <= 2, name


def test_retry_after_is_waited_out(polite_crawl):
    sent, db_path = polite_crawl
    log = sent["rate-limited"]
    assert [s.status for s in log if s.path == "/zwgk/zfxxgknb/index.html"] == [429, 429, 200]
    for answer, following in zip(log, log[1:]):
        if answer.status == 429:
            assert following.received_at - answer.sent_at >= 1.0 - SLACK
    db = sqlite3.connect(db_path)
    stats = json.loads(db.execute("select stats from crawl_runs").fetchone()[0])
    assert stats["nianbao/retry_after/honoured"] == 2
    assert stats["nianbao/crawl_delay_max"] == CRAWL_DELAY
    reports = db.execute("select count(*) from reports where url like ?", [f"http://{ADDRESSES['rate-limited']}:%"])
    assert reports.fetchone()[0] == 5
    db.close()


def test_every_request_names_the_crawler_and_a_contact_url(polite_crawl):
    from crawler.settings import NIANBAO_CONTACT_URL

    sent, _ = polite_crawl
    agents = {v for log in sent.values() for s in log for k, v in s.request_headers if k.lower() == "user-agent"}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith("nianbao/") and NIANBAO_CONTACT_URL in agent


def test_two_requests_per_host_is_the_cap_not_just_the_average(tmp_path, guarded_env):
    """Without any delay, a slow host gets exactly two requests at a time, never three
    (Scrapy itself would send all it has queued: see crawler/politeness.py)."""
    sent, _ = crawl_sites(guarded_env, tmp_path, ["slow"],
                          {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    # On failure, each request's path and server-side times, to see which overlapped.
    assert most_in_flight(sent["slow"]) == 2, [(s.path, round(s.received_at, 4), round(s.sent_at, 4))
                                               for s in sent["slow"]]


def test_retry_after_values():
    from crawler.middlewares.retry_after import retry_after_seconds

    now = datetime(2025, 1, 20, 2, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(" 0 ") == 0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=90), usegmt=True), now=now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_longer_wait_than_allowed_blocks_the_host_instead(tmp_path, guarded_env):
    """Retry-After past NIANBAO_RETRY_AFTER_MAX: the host is left alone for the run (never
    asked again sooner than it said), with the 429 as evidence."""
    sent, db_path = crawl_sites(guarded_env, tmp_path, ["rate-limited"],
                                {**SHORT_DELAYS, "NIANBAO_RETRY_AFTER_MAX": 0.5})
    assert [(s.path, s.status) for s in sent["rate-limited"]] == [
        ("/robots.txt", 200), ("/zwgk/zfxxgknb/index.html", 429)]
    db = sqlite3.connect(db_path)
    (reason, detail, status, snapshot_status), = db.execute(
        "select b.reason, b.detail, b.status, s.status from blocks b join snapshots s on s.id = b.snapshot_id"
    ).fetchall()
    assert (reason, detail) == ("Retry-After longer than NIANBAO_RETRY_AFTER_MAX",
                                "HTTP 429 with Retry-After 1 s, over NIANBAO_RETRY_AFTER_MAX (0.5 s)")
    assert status == snapshot_status == 429
    assert db.execute("select count(*) from errors").fetchone()[0] == 0
    db.close()
