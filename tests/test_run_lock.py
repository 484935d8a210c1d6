"""One crawl at a time per archive: a second ``nianbao crawl`` on the same data directory
refuses to start (exit 75, saying who runs); a lock left by a killed crawl is cleared and
its run resumed; the exit status tells a scheduler how a run went.

The first crawl runs against the demo portal with its report pages held back (a gate),
so it is certainly alive, mid-run, while the second one starts.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from archive.run_lock import ArchiveLocked, hold_archive, lock_archive
from conftest import hangup_by_default
from nianbao import EXIT_CRAWL_FAILED, EXIT_LOCKED
from portal import DemoPortal
from portal.site import Site, build_site


class GatedSite(Site):
    """The demo site; report pages wait until the gate opens (robots.txt and listings don't)."""

    def __init__(self, resources, start_path):
        super().__init__(resources, start_path)
        self.gate = threading.Event()
        self.waiting = 0

    def __getitem__(self, path):
        resource = super().__getitem__(path)
        if resource.kind == "report" and not self.gate.is_set():
            self.waiting += 1
            self.gate.wait(timeout=60)
        return resource


@pytest.fixture
def gated_portal():
    site = build_site()
    gated = GatedSite(dict(site), site.start_path)
    with DemoPortal(gated) as portal:
        yield portal, gated
        gated.gate.set()


def crawl_command(portal, data):
    return [sys.executable, "-m", "nianbao", "crawl", "--start-url", portal.start_url,
            "--data", str(data), "--profile", "test"]


def start_held_crawl(portal, site, data, env):
    """A crawl that is alive and waiting for report pages when this returns."""
    log = open(data / "first.log", "wb")
    process = subprocess.Popen(crawl_command(portal, data), env=env, stdout=log, stderr=log,
                               preexec_fn=hangup_by_default)
    deadline = time.monotonic() + 60
    while not site.waiting and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert site.waiting and process.poll() is None, (data / "first.log").read_text(errors="replace")
    return process, log


def run_statuses(data):
    with sqlite3.connect(data / "nianbao.db") as db:
        return [tuple(r) for r in db.execute("select id, status, resumes from crawl_runs order by id")]


def test_second_crawl_refuses_then_a_killed_crawls_lock_is_cleared(gated_portal, guarded_env, tmp_path):
    portal, site = gated_portal
    first, log = start_held_crawl(portal, site, tmp_path, guarded_env)
    try:
        holder = json.loads((tmp_path / "nianbao.db.lock").read_text())
        assert holder["pid"] == first.pid

        second = subprocess.run(crawl_command(portal, tmp_path), env=guarded_env, capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == EXIT_LOCKED, second.stderr[-3000:]
        assert f"Error: another crawl is running on {tmp_path / 'nianbao.db'} (pid {first.pid}, started " \
               f"{holder['started']}); not starting" in second.stderr
        assert second.stdout == ""
        assert run_statuses(tmp_path) == [(1, "running", None)]  # the refused crawl wrote nothing

        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
        log.close()
    # The killed crawl's pid stays in the lock file, but nothing holds the lock.
    assert json.loads((tmp_path / "nianbao.db.lock").read_text())["pid"] == first.pid

    site.gate.set()
    third = subprocess.run(crawl_command(portal, tmp_path), env=guarded_env, capture_output=True,
                           text=True, timeout=120)
    assert third.returncode == 0, third.stderr[-3000:]
    assert f"Cleared a stale lock on {tmp_path / 'nianbao.db'} left by crawl pid {first.pid}" in third.stderr
    assert run_statuses(tmp_path) == [(1, "interrupted", None), (2, "finished", 1)]
    assert "run checks:           OK" in third.stdout
    assert (tmp_path / "nianbao.db.lock").read_text() == ""  # a clean exit leaves no holder behind
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert db.execute("select count(*) from reports").fetchone()[0] == 5


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])  # `systemctl stop`; Ctrl-C; ssh gone
def test_a_crawl_stopped_by_a_signal_is_interrupted_exits_4_and_the_next_crawl_resumes_it(
        gated_portal, guarded_env, tmp_path, signum):
    portal, site = gated_portal
    first, log = start_held_crawl(portal, site, tmp_path, guarded_env)
    try:
        first.send_signal(signum)  # the crawl closes: the requests in flight end, their pages are stored
        closing = f"Received {signal.Signals(signum).name}: closing the crawl"
        deadline = time.monotonic() + 60  # the signal taken, whatever the machine's load, before the pages come
        while closing not in (tmp_path / "first.log").read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.02)
        site.gate.set()
        assert first.wait(timeout=60) == EXIT_CRAWL_FAILED, (tmp_path / "first.log").read_text(errors="replace")
    finally:
        if first.poll() is None:
            first.kill()
        log.close()
    assert run_statuses(tmp_path) == [(1, "interrupted", None)]
    output = (tmp_path / "first.log").read_text(errors="replace")
    name = signal.Signals(signum).name
    assert f"FAIL  crawl finished: no: interrupted by {name}; the next crawl resumes it" in output
    assert f"WARNING: Run 1 failed its run checks: crawl finished: no: interrupted by {name}; the next crawl " \
           "resumes it" in output
    assert output.splitlines()[-1] == \
        "Interrupted: run 1 stopped before its end; run the same command again to resume it."
    assert "Traceback" not in output

    again = subprocess.run(crawl_command(portal, tmp_path), env=guarded_env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert run_statuses(tmp_path) == [(1, "interrupted", None), (2, "finished", 1)]
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert db.execute("select count(*) from reports").fetchone()[0] == 5


# The pieces underneath, in this process.

def test_hold_archive_refuses_a_second_holder_and_shares_with_the_crawls_own_pieces(tmp_path):
    path = tmp_path / "nianbao.db"
    with hold_archive(path) as hold:
        assert hold.stale is None
        other = open(str(path) + ".lock", "a+")  # another open file description: another crawl
        try:
            import fcntl
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            other.close()
        share = lock_archive(path)  # the extension's call in the same crawl gets the lock
        assert share is not None
        share.close()  # ... and closing its share keeps the lock held
        with pytest.raises(ArchiveLocked, match=r"another crawl is running on .*nianbao\.db \(pid \d+, started "):
            fcntl_holder_elsewhere(path)
    assert (tmp_path / "nianbao.db.lock").read_text() == ""
    with hold_archive(path) as again:  # released: free again, and nothing stale
        assert again.stale is None


def test_hold_archive_refuses_a_second_holder_in_the_same_process(tmp_path):
    """A reparse (or discover, or crawl) started in a process whose crawl holds the archive is
    refused as one from another process: it took the lock over, wrote itself into the lock
    file, and its release emptied the file under the crawl still holding it."""
    path = tmp_path / "nianbao.db"
    with hold_archive(path):
        holder = json.loads((tmp_path / "nianbao.db.lock").read_text())
        with pytest.raises(ArchiveLocked) as refused:
            hold_archive(path, command="reparse")
        assert str(refused.value) == (f"another crawl is running on {path} (pid {holder['pid']}, started "
                                      f"{holder['started']}); not starting")
        assert json.loads((tmp_path / "nianbao.db.lock").read_text()) == holder  # still the crawl's
        share = lock_archive(path)  # the crawl's own pieces still share its hold
        assert share is not None
        share.close()
    assert (tmp_path / "nianbao.db.lock").read_text() == ""


def fcntl_holder_elsewhere(path):
    """hold_archive as another process would see it: this process's share forgotten."""
    from archive import run_lock

    saved = dict(run_lock._held)
    run_lock._held.clear()
    try:
        hold_archive(path)
    finally:
        run_lock._held.update(saved)


def test_a_lock_file_left_by_a_killed_holder_is_stale(tmp_path):
    path = tmp_path / "nianbao.db"
    (tmp_path / "nianbao.db.lock").write_text('{"pid": 999999, "started": "2026-01-01T00:00:00Z"}\n')
    with hold_archive(path) as hold:
        assert hold.stale == {"pid": 999999, "started": "2026-01-01T00:00:00Z"}


def test_demo_on_a_held_archive_says_so_in_one_line_like_crawl(run_nianbao, tmp_path):
    with hold_archive(tmp_path / "nianbao.db"):  # a crawl of this process holds it
        holder = json.loads((tmp_path / "nianbao.db.lock").read_text())
        demo = run_nianbao("demo", "--data", tmp_path, "--profile", "test", check=False)
    assert demo.returncode == EXIT_LOCKED, demo.stderr[-3000:]
    assert demo.stderr.splitlines()[-1] == (
        f"Error: another crawl is running on {tmp_path / 'nianbao.db'} (pid {holder['pid']}, started "
        f"{holder['started']}); not starting")
    assert "Traceback" not in demo.stderr


def test_discover_on_a_held_archive_says_so_and_fetches_nothing(run_nianbao, tmp_path):
    """discover archives what it fetches: not beside a crawl writing the same archive."""
    with DemoPortal() as portal, hold_archive(tmp_path / "nianbao.db"):
        home = portal.start_url.split("/zwgk/")[0] + "/"
        holder = json.loads((tmp_path / "nianbao.db.lock").read_text())
        result = run_nianbao("discover", home, "--data", tmp_path, "--profile", "test", check=False)
    assert result.returncode == EXIT_LOCKED, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1] == (
        f"Error: another crawl is running on {tmp_path / 'nianbao.db'} (pid {holder['pid']}, started "
        f"{holder['started']}); not starting")
    assert not (tmp_path / "nianbao.db").exists()


def test_a_crawl_does_not_resume_an_interrupted_discover(tmp_path):
    from archive.runs import mark_interrupted_runs, start_run
    from archive.schema import open_database

    db = open_database(tmp_path / "nianbao.db")
    crawl = start_run(db, "reports")
    db["crawl_runs"].update(crawl, {"status": "interrupted"})
    start_run(db, "discover")  # then Ctrl-C: it stays `running` until the next run marks it
    assert mark_interrupted_runs(db, "reports") == crawl  # the crawl's own interrupted run
    db["crawl_runs"].update(crawl, {"status": "finished"})
    assert mark_interrupted_runs(db, "reports") is None


# Another program writing the archive beside a crawl (`nianbao correct`, rebuild-wide-tables):
# the crawl's writes wait for it (archive/transactions.py), page after page.

OTHER_WRITER = """
import sqlite3, sys, time
from pathlib import Path
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
db.execute("create table if not exists other_writer (at real)")
print("writing", flush=True)
while not Path(sys.argv[2]).exists():
    db.execute("begin immediate")  # holds the write lock a while, then commits a change
    db.execute("insert into other_writer values (?)", [time.time()])
    time.sleep(0.2)
    db.execute("commit")
    time.sleep(0.2)
"""


def test_a_crawl_beside_another_writer_waits_for_it_instead_of_failing(guarded_env, tmp_path):
    """A second process takes the write lock again and again, each time for a while, and commits
    a change: every write of the crawl (its run, snapshots, reports, skips) waits for it. (A
    crawl write read first, then failed with 'database is locked'.)"""
    from archive.schema import open_database

    open_database(tmp_path / "nianbao.db").close()
    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen([sys.executable, "-c", OTHER_WRITER, str(tmp_path / "nianbao.db"), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "writing\n"
        with DemoPortal() as portal:
            started = time.time()
            crawl = subprocess.run(crawl_command(portal, tmp_path), env=guarded_env, capture_output=True,
                                   text=True, timeout=300)
            ended = time.time()
    finally:
        stop.touch()
        writer.wait(timeout=30)
    output = crawl.stdout + crawl.stderr
    assert crawl.returncode == 0, output[-3000:]
    assert "database is locked" not in output and "Traceback" not in output, output
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert run_statuses(tmp_path) == [(1, "finished", None)]
        assert db.execute("select count(*) from reports").fetchone()[0] == 5
        assert db.execute("select count(*) from errors").fetchone()[0] == 0
        # The other program did write while the crawl ran.
        assert db.execute("select count(*) from other_writer where at between ? and ?",
                          [started, ended]).fetchone()[0] > 0
