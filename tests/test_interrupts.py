"""Ctrl-C (SIGINT) during `nianbao demo` and `nianbao crawl`: no traceback, exit status 4
(the crawl stopped early), the run recorded `interrupted` when one was opened, and a line
saying that running again resumes it. Then Ctrl-C in the other commands, and SIGTERM and
SIGHUP from outside, which every command meets as it meets Ctrl-C.

To hit each moment exactly, the command's own process sends itself SIGINT, as the terminal
would, when a named function is called (a driver patches it and then runs the command).
tests/test_run_lock.py sends the signal from outside while a crawl waits for its report
pages, and crawls again to see the run resumed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import hangup_by_default

DRIVER = """
import importlib, os, signal, sys

target, nth, signum = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
module, _, attribute = target.partition(":")
owner = importlib.import_module(module)
*path, name = attribute.split(".")
for part in path:
    owner = getattr(owner, part)
real, calls = getattr(owner, name), []


def interrupted(*args, **kwargs):
    calls.append(1)
    if len(calls) == nth:
        os.kill(os.getpid(), signum)  # Ctrl-C, or the signal given
    return real(*args, **kwargs)


setattr(owner, name, interrupted)
from nianbao.cli import cli

cli(sys.argv[4:], prog_name="nianbao")
"""

INTERRUPTED = "Interrupted: run 1 stopped before its end; run the same command again to resume it."


def interrupted_at(env, target: str, nth: int, *args, signum=signal.SIGINT):
    """``nianbao ARGS``, sending itself SIGINT (or ``signum``) at the ``nth`` call of ``target``
    (module:attribute)."""
    return subprocess.run([sys.executable, "-c", DRIVER, target, str(nth), str(int(signum)), *map(str, args)],
                          env=env, capture_output=True, text=True, timeout=120)


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
    ("crawler.crawl_archive:start_run", True),    # the run just opened, the engine not started
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
        assert "run checks:           FAILED (1 of 8)" in result.stdout  # only that one
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


def waits_in(pid: int) -> str:
    """The kernel function the process sleeps in (Linux: /proc/PID/wchan), such as pipe_write;
    "0" while it runs, and always where the kernel's symbols are hidden or under gVisor; "" once it is gone."""
    try:
        return (Path("/proc") / str(pid) / "wchan").read_text()
    except OSError:
        return ""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_summary_prints_ends_the_crawl_command_with_the_runs_status(guarded_env, tmp_path, signum):
    """The summary goes to a pipe nobody reads any more (a pager left open, a log reader
    stuck): the crawl has ended and its run is recorded, so Ctrl-C (or SIGTERM) ends the
    command at once, with a line saying where the summary is and the run's own exit status.
    (They were ignored there: the command waited on the pipe whatever the user pressed.)"""
    import fcntl

    from portal import DemoPortal

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # one page
    os.write(write_end, b"-" * 4096)  # and full: whatever the command prints waits
    with DemoPortal() as portal:
        command = subprocess.Popen([sys.executable, "-m", "nianbao", "crawl", "--start-url", portal.start_url,
                                    "--data", str(tmp_path), "--profile", "test"],
                                   env=guarded_env, stdout=write_end, stderr=subprocess.PIPE, text=True)
        os.close(write_end)
        try:
            named = False  # has wchan named where the command sleeps, or does it only ever read "0"?
            deadline = time.monotonic() + 120
            while command.poll() is None and time.monotonic() < deadline:
                where = waits_in(command.pid)
                named = named or where not in ("", "0")
                if "pipe_write" in where:  # anon_pipe_write in newer kernels
                    break
                time.sleep(0.05)
            if not named:
                pytest.skip("/proc/PID/wchan names no kernel function here: when the command waits on "
                            "its output cannot be told")
            assert "pipe_write" in waits_in(command.pid), "the command never waited on its output"
            command.send_signal(signum)
            _, err = command.communicate(timeout=60)  # the pipe still unread
        finally:
            if command.poll() is None:
                command.kill()
            os.close(read_end)
    assert command.returncode == 0, err[-3000:]  # the run's: finished, its checks passed
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (f"{signal.Signals(signum).name} while run 1's summary printed: the run is recorded "
                                    "as it ended, its summary cut short (`nianbao runs 1` shows it)")
    assert runs(tmp_path) == [(1, "finished", None)]
    with sqlite3.connect(tmp_path / "nianbao.db") as db:
        assert "run checks:           OK" in db.execute("select summary from crawl_runs").fetchone()[0]


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
    from nianbao.commands import common

    assert common.EXIT_CRAWL_FAILED == monitoring.EXIT_CRAWL_FAILED


# ---- Ctrl-C in the other commands, and before any command has started --------------------

LOADING_DRIVER = """
import importlib.abc, os, signal, sys

module = sys.argv[1]


class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == module:
            sys.meta_path.remove(self)
            # Ctrl-C as the module is imported, landing in a string exec (as dataclasses' do)
            exec("os.kill(os.getpid(), signal.SIGINT); [None for _ in range(1000)]")
        return None


sys.meta_path.insert(0, CtrlC())
sys.argv = ["nianbao", *sys.argv[2:]]
from nianbao.__main__ import main

main()
"""


def interrupted_loading(env, folder, module: str, *args):
    """``python -m nianbao ARGS`` (a driver of that name in ``folder``), sending itself SIGINT
    as ``module`` is imported."""
    (folder / "ctrl_c_driver").mkdir()
    (folder / "ctrl_c_driver" / "__main__.py").write_text(LOADING_DRIVER, encoding="utf-8")
    env = {**env, "PYTHONPATH": os.pathsep.join([str(folder), str(Path(__file__).parent.parent), env["PYTHONPATH"]])}
    return subprocess.run([sys.executable, "-m", "ctrl_c_driver", module, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module, command, status, last_line", [
    ("click", ["verify", "--data", "DATA"], 130, "Aborted!"),  # the command line loading
    ("click", ["crawl", "--start-url", "http://127.0.0.1:9/", "--data", "DATA"], 4, NOTHING_RECORDED),
    ("archive.schema", ["runs", "--data", "DATA"], 130, "Aborted!"),  # the group's own imports
    ("archive.schema", ["demo", "--data", "DATA"], 4, NOTHING_RECORDED),
    ("archive.merge", ["merge", "OUT", "DATA/nianbao.db"], 130, "Aborted!"),  # the command's imports
    ("archive.verify", ["verify", "--data", "DATA"], 130, "Aborted!"),
], ids=["loading-verify", "loading-crawl", "group-runs", "group-demo", "merge", "verify"])
def test_ctrl_c_as_a_command_starts_is_one_line(guarded_env, tmp_path, module, command, status, last_line):
    """And with the status the command chose: under ``python -m`` CPython ended the process by
    SIGINT (exit status -2) when the Ctrl-C had landed in a string exec, though handled."""
    from archive.schema import open_database

    data = tmp_path / "data"
    data.mkdir()
    open_database(data / "nianbao.db").close()
    args = [arg.replace("OUT", str(tmp_path / "out.db")).replace("DATA", str(data)) for arg in command]
    result = interrupted_loading(guarded_env, tmp_path, module, *args)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert (result.returncode, result.stderr.splitlines()[-1]) == (status, last_line)
    assert runs(data) == []
    assert not (tmp_path / "out.db").exists()


@pytest.fixture(scope="module")
def two_archives(tmp_path_factory):
    """Two crawl processes' archives of two bodies' reports, to merge."""
    from archive.schema import open_database
    from reports_db import store

    folder = tmp_path_factory.mktemp("parts")
    for part in ("a", "b"):
        (folder / part).mkdir()
        db = open_database(folder / part / "nianbao.db")
        for year in (2021, 2022):
            store(db, f"http://127.0.0.1:9/{part}/{year}.html", agency=f"{part}县人民政府", year=year,
                  applications={"carried_forward": {"total": 4}, "carried_over": {"total": year - 2018}})
        db.close()
    return folder


def test_ctrl_c_between_two_merged_inputs_keeps_the_first_whole(guarded_env, tmp_path, two_archives, run_nianbao):
    """Each input is merged in one transaction: Ctrl-C as the second begins leaves the first's
    rows whole in OUTPUT, and merging again adds the second's."""
    output = tmp_path / "merged" / "nianbao.db"
    inputs = [two_archives / "a" / "nianbao.db", two_archives / "b" / "nianbao.db"]
    result = interrupted_at(guarded_env, "archive.merge:_merge_one", 2, "merge", "-s", output, *inputs)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert (result.returncode, result.stderr.splitlines()[-1]) == (130, "Aborted!")
    with sqlite3.connect(output) as db:
        assert db.execute("select url from reports order by url").fetchall() == [
            ("http://127.0.0.1:9/a/2021.html",), ("http://127.0.0.1:9/a/2022.html",)]
    assert "No problems found." in run_nianbao("verify", "--data", output.parent).stdout
    run_nianbao("merge", "-s", output, *inputs)
    with sqlite3.connect(output) as db:
        assert db.execute("select count(*) from reports").fetchone()[0] == 4


@pytest.mark.parametrize("command, target", [
    (["verify"], "archive.verify:_references"),
    (["export-warc", "-o", "OUT"], "archive.warc:write_cdxj"),
    (["rebuild-cross-checks"], "archive.cross_checks:due_checks"),  # after it deleted them: rolled back
], ids=lambda value: value[0] if isinstance(value, list) else "")
def test_ctrl_c_in_a_command_at_work_is_one_line_and_changes_nothing(guarded_env, tmp_path, two_archives,
                                                                     command, target):
    data = tmp_path / "data"
    shutil.copytree(two_archives / "a", data)
    with sqlite3.connect(data / "nianbao.db") as db:
        before = db.execute("select * from checks order by id").fetchall()
    assert any(check[2] == "R6" for check in before)
    args = [str(tmp_path / "out.warc.gz") if arg == "OUT" else arg for arg in command]
    result = interrupted_at(guarded_env, target, 1, *args, "--data", data)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert (result.returncode, result.stderr.splitlines()[-1]) == (130, "Aborted!")
    with sqlite3.connect(data / "nianbao.db") as db:
        assert db.execute("select * from checks order by id").fetchall() == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_discover_interrupted_gives_no_entries(guarded_env, tmp_path, signum):
    """Ctrl-C while discover walks a site: the columns found so far are not the site's, so
    none are printed (they were, as if the walk had ended, with exit status 0); while Scrapy
    builds the walk, no traceback of Twisted's. SIGTERM alike, with its own status."""
    from portal import DemoPortal

    with DemoPortal() as portal:
        home = portal.start_url.split("/zwgk/")[0] + "/"
        walking = interrupted_at(guarded_env, "crawler.middlewares.snapshots:store_snapshot", 1, "discover", home,
                                 "--data", tmp_path / "walking", "--profile", "test", signum=signum)
        starting = interrupted_at(guarded_env, "crawler.discover:DiscoverSpider.__init__", 1, "discover", home,
                                  "--data", tmp_path / "starting", "--profile", "test", signum=signum)
    for result in (walking, starting):
        assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr, result.stderr[-3000:]
        assert result.returncode == 128 + signum and result.stdout == ""
    assert walking.stderr.splitlines()[-1] == (f"Error: {signal.Signals(signum).name}: the walk from {home} stopped "
                                               "before its end, its report columns not all found (the pages it "
                                               "fetched are archived)")


@pytest.mark.parametrize("fmt, target", [("csv", "archive.export:export_csv"),
                                         ("parquet", "archive.export:export_parquet")])
def test_an_export_cut_short_leaves_the_previous_file_as_it_was(guarded_env, tmp_path, two_archives, fmt, target):
    """No file that looks complete and is not: the export is written beside, then renamed."""
    output = tmp_path / f"applications.{fmt}"
    output.write_bytes(b"the previous export")
    result = interrupted_at(guarded_env, target, 1, "export", "--table", "applications", "--format", fmt,
                            "-o", output, "--data", two_archives / "a")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert (result.returncode, result.stderr.splitlines()[-1]) == (130, "Aborted!")
    assert output.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [output.name]  # no .partial left


# ---- SIGTERM (`systemctl stop`) and SIGHUP (the terminal gone) from outside -----------------

HOLDING_DRIVER = """
import importlib, os, sys, time

target, reached = sys.argv[1], sys.argv[2]
module, _, attribute = target.partition(":")
owner = importlib.import_module(module)
real = getattr(owner, attribute)


def held(*args, **kwargs):
    if not os.path.exists(reached):  # the first call: say so, then wait there for the signal
        with open(reached + ".part", "w") as note:
            note.write(str(os.getpid()))
        os.replace(reached + ".part", reached)  # whole: the signal may come as soon as it exists
        time.sleep(3600)
    return real(*args, **kwargs)


setattr(owner, attribute, held)
sys.argv = ["nianbao", *sys.argv[3:]]
from nianbao.__main__ import main

main()
"""


def database_rows(path) -> dict:
    """Every table's rows, but reparse_runs (where a stopped reparse records itself)."""
    with sqlite3.connect(path) as db:
        names = [name for (name,) in db.execute("select name from sqlite_master where type = 'table'")]
        return {name: sorted(db.execute(f"select * from [{name}]").fetchall(), key=repr)
                for name in names if name != "reparse_runs"}


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("command, target, signum", [
    (["reparse", "--force", "--workers", "0"], "archive.reparse_pool:parse_one", signal.SIGTERM),  # parsing here
    (["reparse", "--force", "--workers", "1"], "archive.reparse_pool:parse_one", signal.SIGTERM),  # its worker parsing
    (["reparse", "--force", "--workers", "1"], "archive.reparse_pool:parse_one", signal.SIGHUP),  # to the group
    (["reparse", "--force", "--workers", "1"], "archive.reparse_runs:record_change", signal.SIGTERM),  # writing a batch
    (["export", "--table", "cells", "-o", "OUT/cells.csv"], "archive.export:export_csv", signal.SIGTERM),
    (["export-warc", "-o", "OUT/nianbao.warc.gz"], "archive.warc:write_exchange", signal.SIGTERM),
    (["export-wacz", "-o", "OUT/nianbao.wacz"], "archive.wacz:_write_pages", signal.SIGTERM),
    (["merge", "OUT/nianbao.db", "DATA/nianbao.db"], "archive.merge_rows:copy_table", signal.SIGTERM),
    (["verify"], "archive.verify:_bodies", signal.SIGTERM),
    (["rebuild-wide-tables"], "archive.wide_tables:_insert_sql", signal.SIGTERM),  # a table deleted
    (["rebuild-cross-checks"], "archive.cross_checks:due_checks", signal.SIGTERM),  # R6/R7 deleted
], ids=["reparse-w0", "reparse-w1", "reparse-w1-sighup", "reparse-writing", "export", "export-warc", "export-wacz",
        "merge", "verify", "rebuild-wide-tables", "rebuild-cross-checks"])
def test_a_stop_signal_from_outside_ends_a_command_as_ctrl_c_does(guarded_env, tmp_path, data, command,
                                                                   target, signum):
    """SIGTERM killed every command but crawl, demo and serve outright: a reparse's run stayed
    `running` with no summary, exports left their .partial file and the database its -wal and
    -shm. Now each ends as on Ctrl-C, with 128 + the signal's number, and leaves nothing
    behind; a reparse's worker is stopped at once, not waited for. The signal comes from
    outside once the command has reached ``target`` (it waits there); SIGHUP, as a terminal
    sends it, to the whole process group."""
    out, tmp = tmp_path / "out", tmp_path / "tmp"  # data: a copy of the demo crawl (conftest)
    out.mkdir()
    tmp.mkdir()
    before = database_rows(data / "nianbao.db")
    files = sorted(p.name for p in data.iterdir())
    reached = tmp_path / "reached"
    args = [arg.replace("OUT", str(out)).replace("DATA", str(data)) for arg in command]
    if command[0] != "merge":
        args += ["--data", str(data)]
    process = subprocess.Popen([sys.executable, "-c", HOLDING_DRIVER, target, str(reached), *args],
                               env={**guarded_env, "TMPDIR": str(tmp)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=hangup_by_default)
    try:
        deadline = time.monotonic() + 120
        while not reached.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reached.exists(), process.communicate()[1][-3000:]
        if signum == signal.SIGHUP:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)  # a worker waited for would hold it for an hour
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "Traceback" not in stderr, stderr[-3000:]
    assert process.returncode == 128 + signum, stderr[-3000:]
    assert not alive(int(reached.read_text()))  # the command, or the worker it was waiting for
    if command[0] == "reparse":
        assert "status:               interrupted; run the same command again to continue" in stdout
        with sqlite3.connect(data / "nianbao.db") as db:
            assert db.execute("select status from reparse_runs").fetchall() == [("interrupted",)]
    else:
        assert stderr.splitlines()[-1] == f"Aborted! ({signal.Signals(signum).name})"
    assert database_rows(data / "nianbao.db") == before  # the batch, table or checks rolled back
    assert sorted(p.name for p in data.iterdir()) == files  # no -wal, -shm, .parsing note, .partial
    assert (data / "nianbao.db.lock").read_text() == ""  # the lock left free
    assert list(tmp.iterdir()) == []
    if command[0] == "merge":  # the input's one transaction rolled back
        assert [p.name for p in out.iterdir()] == ["nianbao.db"]
        with sqlite3.connect(out / "nianbao.db") as db:
            assert db.execute("select count(*) from snapshots").fetchone() == (0,)
    else:
        assert list(out.iterdir()) == []
