"""Ctrl-C (SIGINT) during `nianbao demo` and `nianbao crawl`: no traceback, exit status 4
(the crawl stopped early), the run recorded `interrupted` when one was opened, and a line
saying that running again resumes it.

To hit each moment exactly, the command's own process sends itself SIGINT, as the terminal
would, when a named function is called (a driver patches it and then runs the command).
tests/test_run_lock.py sends the signal from outside while a crawl waits for its report
pages, and crawls again to see the run resumed.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys

import pytest

DRIVER = """
import importlib, os, signal, sys

target, nth = sys.argv[1], int(sys.argv[2])
module, _, attribute = target.partition(":")
owner = importlib.import_module(module)
*path, name = attribute.split(".")
for part in path:
    owner = getattr(owner, part)
real, calls = getattr(owner, name), []


def interrupted(*args, **kwargs):
    calls.append(1)
    if len(calls) == nth:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
    return real(*args, **kwargs)


setattr(owner, name, interrupted)
from nianbao.cli import cli

cli(sys.argv[3:], prog_name="nianbao")
"""

INTERRUPTED = "Interrupted: run 1 stopped before its end; run the same command again to resume it."


def interrupted_at(env, target: str, nth: int, *args):
    """``nianbao ARGS``, sending itself SIGINT at the ``nth`` call of ``target`` (module:attribute)."""
    return subprocess.run([sys.executable, "-c", DRIVER, target, str(nth), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def runs(data):
    if not (data / "nianbao.db").exists():
        return []
    with sqlite3.connect(data / "nianbao.db") as db:
        return [tuple(r) for r in db.execute("select id, status, resumes from crawl_runs order by id")]


def test_demo_interrupted_while_it_crawls_then_resumed(guarded_env, run_nianbao, tmp_path):
    result = interrupted_at(guarded_env, "crawler.middlewares.snapshots:store_snapshot", 3,
                            "demo", "--data", tmp_path, "--profile", "test")
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "FAIL  crawl finished: no: interrupted by SIGINT; the next crawl resumes it" in result.stdout
    assert result.stderr.splitlines()[-1] == INTERRUPTED
    assert "Browse it" not in result.stdout
    assert runs(tmp_path) == [(1, "interrupted", None)]

    again = run_nianbao("demo", "--data", tmp_path, "--profile", "test")
    assert "run checks:           OK" in again.stdout
    assert runs(tmp_path) == [(1, "interrupted", None), (2, "finished", 1)]
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert db.execute("select count(*) from reports").fetchone()[0] == 5


NOTHING_RECORDED = "Error: interrupted before the crawl started: nothing was recorded"


@pytest.mark.parametrize("target,recorded", [
    ("crawler.run:run_crawl", False),          # the command starting (imports), before the crawl has the signals
    ("crawler.run:crawl_settings", False),     # the crawl starting, before anything is recorded
    ("crawler.spiders.reports:ReportSpider.__init__", True),  # Scrapy building the crawl, the reactor not running
    ("crawler.extensions:start_run", True),    # the run just opened, the engine not started
])
def test_crawl_interrupted_while_it_starts(guarded_env, tmp_path, target, recorded):
    from portal import DemoPortal

    with DemoPortal() as portal:
        result = interrupted_at(guarded_env, target, 1, "crawl", "--start-url", portal.start_url,
                                "--data", tmp_path, "--profile", "test")
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr
    if recorded:
        assert result.stderr.splitlines()[-1] == INTERRUPTED
        assert "FAIL  crawl finished: no: interrupted by SIGINT; the next crawl resumes it" in result.stdout
        assert "run checks:           FAILED (1 of 6)" in result.stdout  # only that one
        assert runs(tmp_path) == [(1, "interrupted", None)]
    else:
        assert result.stderr.splitlines()[-1] == NOTHING_RECORDED
        assert result.stdout == ""
        assert runs(tmp_path) == []


def test_demo_interrupted_as_it_starts_crawling(guarded_env, tmp_path):
    """Ctrl-C from outside as soon as the demo portal serves: wherever it lands in the start-up."""
    env = {**guarded_env, "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "nianbao", "demo", "--data", str(tmp_path), "--profile", "test"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = demo.stdout.readline()
        assert first.startswith("Demo portal serving at http://127.0.0.1:"), first
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 4, err[-3000:]
    assert "Traceback" not in err and "Unhandled error" not in err
    assert err.splitlines()[-1] in (NOTHING_RECORDED, INTERRUPTED)
    assert runs(tmp_path) in ([], [(1, "interrupted", None)])
    assert "Browse it" not in out


def test_demo_interrupted_once_its_crawl_has_ended_ends_as_the_crawl_did(guarded_env, tmp_path):
    result = interrupted_at(guarded_env, "portal.server:DemoPortal.stop", 1, "demo", "--data", tmp_path,
                            "--profile", "test")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Browse it" in result.stdout
    assert runs(tmp_path) == [(1, "finished", None)]


@pytest.mark.parametrize("target", ["crawler.run:check_run", "crawler.run:tell"])
def test_a_signal_while_the_run_is_checked_or_told_cuts_that_short(guarded_env, tmp_path, target):
    """Once the crawl has ended, Ctrl-C stops its checks and hooks (a webhook may hang for
    NIANBAO_NOTIFY_TIMEOUT seconds): the run stays as the crawl left it."""
    from portal import DemoPortal

    with DemoPortal() as portal:
        result = interrupted_at(guarded_env, target, 1, "crawl", "--start-url", portal.start_url,
                                "--data", tmp_path, "--profile", "test", "--notify-url", "http://127.0.0.1:9/")
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == ("Error: SIGINT after run 1 ended: its run checks and notifications "
                                              "were cut short (`nianbao runs 1` shows the run)")
    assert runs(tmp_path) == [(1, "finished", None)]


def test_a_signal_during_a_hook_is_not_taken_for_the_hook_failing(monkeypatch):
    """The hooks catch their own failures (a refused webhook is noted, not raised); a Ctrl-C
    landing in one is not a failure of it, and goes on up."""
    import urllib.request

    from crawler.interrupts import CutShort
    from crawler.notify import notify

    def hangs_until_interrupted(*args, **kwargs):
        raise CutShort("SIGINT")

    monkeypatch.setattr(urllib.request, "urlopen", hangs_until_interrupted)
    with pytest.raises(CutShort):
        notify("summary", {"ok": True, "run_id": 1, "exit_status": 0}, url="http://127.0.0.1:9/")


def test_the_exit_status_of_an_interrupted_crawl_is_known_before_scrapy_is_imported():
    from crawler import monitoring
    from nianbao import cli

    assert cli.EXIT_CRAWL_FAILED == monitoring.EXIT_CRAWL_FAILED
