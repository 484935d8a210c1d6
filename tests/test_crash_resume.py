"""A crawl killed with SIGKILL, then started again, ends with what an uninterrupted
crawl has: the same reports and numbers, the same bodies archived, no duplicate rows,
a clean database, and nothing stored before the kill lost.

Kills land at named points of the archive's writes (``NIANBAO_TEST_KILL_AT``, see
``archive/killpoints.py``), including inside open transactions, and at an arbitrary
moment from outside while the portal answers slowly.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from portal import DemoPortal
from portal.site import Site, build_site


class SlowSite(Site):
    """The demo site, answering each page 40 ms late: a crawl long enough to kill mid-run."""

    def __getitem__(self, path):
        time.sleep(0.04)
        return super().__getitem__(path)


@pytest.fixture(scope="module")
def portal():
    site = build_site()
    with DemoPortal(SlowSite(dict(site), site.start_path)) as portal:
        yield portal


@pytest.fixture(scope="module")
def crawl(portal, guarded_env):
    def run(data, kill_at=None, check=True):
        env = dict(guarded_env)
        env.pop("NIANBAO_TEST_KILL_AT", None)
        if kill_at:
            env["NIANBAO_TEST_KILL_AT"] = kill_at
        result = subprocess.run(
            [sys.executable, "-m", "nianbao", "crawl", "--start-url", portal.start_url,
             "--data", str(data), "--profile", "test"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    return run


def connect(data):
    db = sqlite3.connect(data / "nianbao.db")
    db.row_factory = sqlite3.Row
    return db


def reports(db):
    """Each report version with its numbers: what must not depend on a crash."""
    out = {}
    for r in db.execute("select * from reports"):
        cells = frozenset(
            (c["table_name"], c["row_key"], c["column_key"], c["value"], c["kind"])
            for c in db.execute("select * from cells where report_id = ?", [r["id"]])
        )
        key = (r["url"], r["payload_digest"])
        assert key not in out
        out[key] = (r["version"], r["is_current"], r["title"], r["year"], r["failing_rules"], cells)
    return out


def archived_bodies(db):
    """Which body each URL was archived with (first fetches and revisits alike)."""
    return {(s["url"], s["status"] if s["revisit_of"] is None else 200, s["payload_digest"])
            for s in db.execute("select * from snapshots")}


def stored_snapshots(db):
    return {tuple(r) for r in db.execute("select id, url, status, payload_digest, fetched_at from snapshots")}


@pytest.fixture(scope="module")
def uninterrupted(crawl, tmp_path_factory):
    data = tmp_path_factory.mktemp("uninterrupted")
    crawl(data)
    db = connect(data)
    yield {"reports": reports(db), "bodies": archived_bodies(db),
           "skipped": db.execute("select count(*) from skipped").fetchone()[0]}
    db.close()


def assert_same_as_uninterrupted(data, uninterrupted, before_kill):
    db = connect(data)
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert db.execute("pragma foreign_key_check").fetchall() == []
        assert reports(db) == uninterrupted["reports"]
        assert archived_bodies(db) == uninterrupted["bodies"]
        assert before_kill <= stored_snapshots(db), "a snapshot stored before the kill was lost"
        assert db.execute("select count(*) from skipped").fetchone()[0] == uninterrupted["skipped"]
        assert db.execute("select count(*) from errors").fetchone()[0] == 0
        runs = [dict(r) for r in db.execute("select * from crawl_runs order by id")]
        assert [r["status"] for r in runs] == ["interrupted"] * (len(runs) - 1) + ["finished"]
        assert [r["resumes"] for r in runs] == [None] + [r["id"] for r in runs[:-1]]
    finally:
        db.close()


def killed_state(data):
    """What the archive holds right after the kill (SQLite recovers the WAL on open)."""
    db = connect(data)
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        return stored_snapshots(db)
    finally:
        db.close()


@pytest.mark.parametrize("kill_at", [
    "snapshot:4",          # inside a snapshot's transaction: payload written, snapshot row not yet
    "snapshot-stored:6",   # a page stored and committed, not yet seen by the spider or parsed
    "report:2",            # inside a report's transaction: cells written, not committed
    "report:5",            # the last report's transaction
])
def test_killed_at_a_write_then_resumed(crawl, uninterrupted, tmp_path, kill_at):
    killed = crawl(tmp_path, kill_at=kill_at, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    before = killed_state(tmp_path)
    crawl(tmp_path)
    assert_same_as_uninterrupted(tmp_path, uninterrupted, before)


def test_killed_twice_then_resumed(crawl, uninterrupted, tmp_path):
    assert crawl(tmp_path, kill_at="snapshot-stored:5", check=False).returncode == -signal.SIGKILL
    before = killed_state(tmp_path)
    # The resumed run is killed in its turn, while it stores a report.
    assert crawl(tmp_path, kill_at="report:1", check=False).returncode == -signal.SIGKILL
    before |= killed_state(tmp_path)
    crawl(tmp_path)
    assert_same_as_uninterrupted(tmp_path, uninterrupted, before)


@pytest.mark.parametrize("after_responses", [3, 7])
def test_killed_from_outside_mid_crawl_then_resumed(crawl, portal, guarded_env, uninterrupted, tmp_path,
                                                    after_responses):
    portal.clear_sent()
    log = tmp_path / "killed.log"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "nianbao", "crawl", "--start-url", portal.start_url,
             "--data", str(tmp_path), "--profile", "test"],
            env=guarded_env, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        deadline = time.monotonic() + 60
        while len(portal.sent) < after_responses and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)  # a no-op if it already ended (the assert says why)
        assert process.wait(timeout=30) == -signal.SIGKILL, log.read_text(errors="replace")[-3000:]
    before = killed_state(tmp_path)
    crawl(tmp_path)
    assert_same_as_uninterrupted(tmp_path, uninterrupted, before)


# The pieces underneath, without a crawl.

def test_a_restart_marks_the_killed_run_interrupted_and_resumes_it(tmp_path):
    from archive.run_lock import lock_archive
    from archive.runs import logical_run_ids, mark_interrupted_runs, start_run
    from archive.schema import open_database

    path = tmp_path / "nianbao.db"
    db = open_database(path)
    first = start_run(db, "reports")  # then killed: it stays `running`
    held = lock_archive(path)
    assert held is not None
    assert lock_archive(path) is None  # a second crawl of the same archive sees the first alive
    assert mark_interrupted_runs(db) == first
    second = start_run(db, "reports", resumes=first)
    held.close()
    assert db["crawl_runs"].get(first)["status"] == "interrupted"
    assert logical_run_ids(db, second) == [second, first]
    db["crawl_runs"].update(second, {"status": "finished"})
    assert mark_interrupted_runs(db) is None  # the last run finished: nothing to resume


def test_errors_are_recorded_once_per_logical_crawl(tmp_path):
    from archive.records import record_error
    from archive.runs import start_run
    from archive.schema import open_database

    db = open_database(tmp_path / "nianbao.db")
    first = start_run(db, "reports")
    resumed = start_run(db, "reports", resumes=first)
    next_night = start_run(db, "reports")
    for run_id in (first, first, resumed, next_night):
        record_error(db, url="http://127.0.0.1:1/gone.html", stage="fetch", error="HttpError",
                     message="HTTP 404", run_id=run_id)
    assert [r["run_id"] for r in db.query("select run_id from errors order by id")] == [first, next_night]


def test_a_report_stored_but_never_parsed_is_parsed_on_resume(tmp_path):
    from archive.reparse import parse_pending
    from archive.runs import start_run
    from archive.schema import open_database
    from archive.snapshots import store_snapshot

    site = build_site()
    path = site.report_path("004_cbaa75f9e60907ca")
    db = open_database(tmp_path / "nianbao.db")
    killed = start_run(db, "reports")
    store_snapshot(db, run_id=killed, url="http://127.0.0.1:1" + path, method="GET", request_headers=[],
                   status=200, response_headers=[["Content-Type", site[path].content_type]],
                   body=site[path].body, kind="report")
    (outcome,) = parse_pending(db, [killed])
    assert outcome.report_id is not None
    assert parse_pending(db, [killed]) == []  # parsed once: nothing pending any more
    assert db["reports"].count == 1


def test_a_page_whose_parse_kills_its_process_does_not_kill_the_crawl_resuming_it(tmp_path, monkeypatch):
    """A crawl's parse worker that dies on a page leaves it unparsed, for the crawl resuming
    the run. Parsed in the crawling process, the page would kill that crawl too, and every
    crawl after it: it is parsed in a worker, and recorded WorkerDied when that one dies too."""
    import os

    import archive.reparse_pool
    from archive.reparse import parse_pending
    from archive.runs import start_run
    from archive.schema import open_database
    from archive.snapshots import store_snapshot

    site = build_site()
    db = open_database(tmp_path / "nianbao.db")
    killed = start_run(db, "reports")
    ids = {}
    for name in ("004_cbaa75f9e60907ca", "000_a7e6a703afb669e1"):
        path = site.report_path(name)
        ids[name] = store_snapshot(db, run_id=killed, url="http://127.0.0.1:1" + path, method="GET",
                                   request_headers=[], status=200, body=site[path].body, kind="report",
                                   response_headers=[["Content-Type", site[path].content_type]])
    deadly, parent = ids["004_cbaa75f9e60907ca"], os.getpid()
    real = archive.reparse_pool.parse_snapshot

    def parse_snapshot(snapshot):  # as a crash in a parser library would end any process parsing it
        if snapshot.id == deadly:
            assert os.getpid() != parent, "parsed in the crawling process, which it would kill"
            os.kill(os.getpid(), signal.SIGKILL)
        return real(snapshot)

    monkeypatch.setattr(archive.reparse_pool, "parse_snapshot", parse_snapshot)
    resumed = start_run(db, "reports", resumes=killed)
    outcomes = parse_pending(db, [killed], run_id=resumed)
    assert sorted((o.snapshot_id, o.error) for o in outcomes) == sorted(
        [(deadly, "WorkerDied"), (ids["000_a7e6a703afb669e1"], None)])
    assert db.execute("select snapshot_id, error, run_id from errors").fetchall() == [(deadly, "WorkerDied", resumed)]
    assert db["reports"].count == 1
    assert parse_pending(db, [killed, resumed]) == []  # recorded: not tried again night after night
