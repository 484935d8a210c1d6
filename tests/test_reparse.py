"""`nianbao reparse`: the stored snapshots parsed again give the crawl's tables row for row;
what changed is recorded; a second run does nothing; a killed run continues; workers
change nothing but the speed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import parsers
from archive.reparse import Reparse, report_snapshot_ids
from archive.reparse_select import Selection, count_versions, iter_version_ids
from archive.run_lock import hold_archive
from archive.schema import open_database
from nianbao import EXIT_CHECKS_FAILED, EXIT_CRAWL_FAILED, EXIT_LOCKED
from nianbao.cli import cli

BENCH = Path(__file__).resolve().parent.parent / "bench"
VERSION = parsers.PARSER_VERSION
# Derived tables a reparse rewrites: rows compared in order, without their own ids (cells
# and checks are deleted and inserted again) or the time of parsing.
COMPARED = {
    "reports": {"parsed_at"}, "cells": {"id"}, "checks": {"id"}, "problems": {"id"},
    "indicators": {"id"}, "agencies": set(), "report_groups": set(), "errors": set(),
    "applications": set(), "reviews_litigation": set(), "active_disclosure": set(),
}
# The wide tables' rows are rewritten a logical report at a time: compared by their key.
# A report's own rows are rewritten only when they changed: compared in order per report.
ORDER = {"applications": "group_id, row_key", "reviews_litigation": "group_id, row_key",
         "active_disclosure": "group_id, row_key", "cells": "report_id, rowid",
         "checks": "report_id, rowid", "problems": "report_id, rowid", "indicators": "report_id, rowid"}


# ``data``: a copy of the demo portal's archive (conftest.py), for each test to reparse.


def tables(data) -> dict:
    db = sqlite3.connect(Path(data) / "nianbao.db")
    out = {}
    for table, left_out in COMPARED.items():
        columns = [r[1] for r in db.execute(f"pragma table_info([{table}])") if r[1] not in left_out]
        names = ", ".join(f"[{c}]" for c in columns)
        out[table] = db.execute(f"select {names} from [{table}] order by {ORDER.get(table, 'rowid')}").fetchall()
    db.close()
    return out


def reparse(*args, code=0) -> str:
    """``nianbao reparse ARGS`` in this process; its standard output (its summary), or its
    standard error when it did not end (its ``Error:`` line)."""
    result = CliRunner().invoke(cli, ["reparse", *map(str, args)])
    assert result.exit_code == code, result.output + repr(result.exception)
    return result.stdout if code in (0, EXIT_CHECKS_FAILED) else result.stderr


def query(data, sql, *params):
    db = sqlite3.connect(Path(data) / "nianbao.db")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def execute(data, sql, *params):
    db = sqlite3.connect(Path(data) / "nianbao.db")
    with db:
        db.execute(sql, params)
    db.close()


def test_reparse_gives_the_crawls_tables_row_for_row(data, run_nianbao):
    crawl = tables(data)
    assert len(crawl["reports"]) == 5 and len(crawl["cells"]) > 500 and crawl["checks"]
    assert len(crawl["applications"]) > 50 and crawl["reviews_litigation"] and crawl["active_disclosure"]
    result = run_nianbao("reparse", "--data", data, "--force")
    assert result.stdout.startswith("Reparsed 5 report pages: 5 stored, 0 failed")
    assert f"parser version:       {VERSION}, replacing rows of version {VERSION} (5)" in result.stdout
    assert "unchanged:            5" in result.stdout
    assert tables(data) == crawl


def test_two_workers_give_the_crawls_rows_too(data):
    crawl = tables(data)
    out = reparse("--data", data, "--force", "--workers", "2")
    assert tables(data) == crawl
    assert "pages/s, 2 parse workers)" in out.splitlines()[0]


def test_workers_0_parses_in_the_writing_process(data):
    crawl = tables(data)
    out = reparse("--data", data, "--force", "--workers", "0")
    assert tables(data) == crawl
    assert "pages/s, parsed in this process)" in out.splitlines()[0]
    assert query(data, "select workers from reparse_runs") == [(0,)]


def test_by_default_workers_leave_the_writer_a_cpu_of_those_this_process_may_use():
    """One fewer than the CPUs, at most 4 (the one writer is the limit past that). On one
    CPU the writing process parses too."""
    code = ("import os; from archive.reparse_pool import default_workers; print(default_workers()); "
            "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); print(default_workers())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parent.parent)
    cpus = len(os.sched_getaffinity(0))
    assert result.stdout.split() == [str(min(4, cpus - 1)), "0"]


def test_a_changed_parser_version_shows_in_the_summary(data):
    execute(data, "update reports set parser_version = '2'")
    out = reparse("--data", data)
    assert f"parser version:       {VERSION}, replacing rows of version 2 (5)" in out
    assert f"report versions:      5 selected, 0 already parsed by version {VERSION}" in out
    assert query(data, "select distinct parser_version from reports") == [(VERSION,)]
    ((run,),) = query(data, "select json_object('status', status, 'version', parser_version, 'selected', "
                            "selected, 'skipped', skipped) from reparse_runs")
    assert json.loads(run) == {"status": "finished", "version": VERSION, "selected": 5, "skipped": 0}


def test_reparse_is_idempotent(data):
    execute(data, "update reports set parser_version = '2'")
    reparse("--data", data)
    once = tables(data)
    out = reparse("--data", data)
    assert out.startswith("Reparsed 0 report pages: 0 stored, 0 failed")
    assert f"parser version:       {VERSION}, no earlier rows replaced\n" in out
    assert f"5 selected, 5 already parsed by version {VERSION} (--force parses them again)" in out
    assert tables(data) == once
    assert query(data, "select count(*) from reparse_changes") == [(5,)]
    assert query(data, "select count(*) from reparse_runs") == [(1,)]  # a run with nothing to do: not recorded


def test_a_reparse_with_nothing_to_do_writes_nothing(data):
    db = open_database(Path(data) / "nianbao.db")  # the schema up to date first: opening is not reparsing
    watcher = sqlite3.connect(Path(data) / "nianbao.db")
    (before,) = watcher.execute("pragma data_version").fetchone()  # changes when another connection commits
    with Reparse(db, workers=1) as job:
        summary = job.run()
    assert (summary.parsed, summary.selected, summary.skipped_current) == (0, 5, 5)
    assert watcher.execute("pragma data_version").fetchone() == (before,)
    watcher.close()


def test_rows_read_the_same_again_are_not_rewritten(data):
    """A reparse mostly reads what the last parse read: those rows stay as they are (ids
    and all), and only a report whose numbers changed has its cells written again."""
    ids = "select table_name, id from cells order by id"
    wide = "select rowid, group_id, row_key from applications order by rowid"
    cells, wide_rows = query(data, ids), query(data, wide)
    reparse("--data", data, "--force")
    assert query(data, ids) == cells
    assert query(data, wide) == wide_rows

    (report_id,), = query(data, "select report_id from cells where kind = 'number' limit 1")
    execute(data, "update cells set value = value + 1 where id = (select min(id) from cells "
                  "where report_id = ? and kind = 'number')", report_id)
    reparse("--data", data, "--force")
    rewritten = {r for r, in query(data, "select distinct report_id from cells where id > ?", cells[-1][1])}
    assert rewritten == {report_id}


def test_changed_numbers_and_flipped_checks_are_recorded(data):
    crawl = tables(data)
    (report_id, url), = query(data, "select id, url from reports where failing_rules like '%R%' limit 1")
    # As an older parser had it: one number read differently, one check the other way.
    execute(data, "update cells set value = value + 1 where id = (select min(id) from cells "
                  "where report_id = ? and kind = 'number')", report_id)
    (rule, where, status), = query(data, "select rule, [where], status from checks where report_id = ? "
                                         "and status = 'fail' limit 1", report_id)
    execute(data, "update checks set status = 'pass' where report_id = ? and rule = ? and [where] = ?",
            report_id, rule, where)
    # ... and another report's title and year (a parser upgrade that reads them better: counted
    # as unchanged before).
    (other,), = query(data, "select id from reports where id != ? order by id limit 1", report_id)
    execute(data, "update reports set title = 'an older reading', year = year - 1 where id = ?", other)
    out = reparse("--data", data, "--force")
    assert "numbers changed:      1 report(s)" in out
    assert "other fields changed: 1 report(s) (title 1, year 1)" in out
    assert "checks flipped:       1 in 1 report(s) (pass→fail 1)" in out
    assert "unchanged:            3" in out
    change = query(data, "select outcome, cells_changed, checks_flipped from reparse_changes where report_id = ?",
                   report_id)
    assert change == [("changed", 1, json.dumps([[rule, where, "pass", "fail"]]))]
    assert query(data, "select outcome, fields_changed from reparse_changes where report_id = ?", other) == [
        ("changed", '["title", "year"]')]
    assert tables(data) == crawl


def test_a_damaged_body_is_recorded_as_such_and_its_rows_are_kept(data):
    """A body that no longer matches its digest is not parsed as if it were the page:
    the error says so, and the rows read from it before stay."""
    (snapshot, digest), = query(data, "select s.id, s.payload_digest from reports r join snapshots s "
                                      "on s.id = r.snapshot_id order by r.id limit 1")
    cells = query(data, "select count(*) from cells")
    execute(data, "update payloads set data = x'00', codec = 'identity', dict_id = null where digest = ?", digest)
    out = reparse("--data", data, "--force", "--workers", "0", code=EXIT_CHECKS_FAILED)  # the rest parsed
    assert out.startswith("Reparsed 5 report pages: 4 stored, 1 failed")
    assert "errors:               1 (DamagedBody 1; the pages: reparse_changes where outcome = 'error')" in out
    (error, message), = query(data, "select error, message from errors where snapshot_id = ?", snapshot)
    assert error == "DamagedBody" and f"its stored body does not match its digest {digest}" in message
    assert query(data, "select count(*) from cells") == cells


def kill_the_worker_on(monkeypatch, should_die):
    """Workers (forked from this process) die as the OOM killer or a crash in a parser
    library would end them, on the snapshots ``should_die(snapshot)`` picks."""
    import archive.reparse_pool

    real, parent = archive.reparse_pool.parse_snapshot, os.getpid()

    def parse_snapshot(snapshot):
        if os.getpid() != parent and should_die(snapshot):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(snapshot)

    monkeypatch.setattr(archive.reparse_pool, "parse_snapshot", parse_snapshot)


def test_a_page_that_kills_its_worker_is_an_error_and_the_rest_goes_on(data, monkeypatch):
    """Such a page stopped every run at the same place ('a worker process died ... run
    again to continue'), so the reparse could never end."""
    crawl = tables(data)
    (snapshot,), = query(data, "select snapshot_id from reports order by id limit 1 offset 1")
    kill_the_worker_on(monkeypatch, lambda s: s.id == snapshot)
    with Reparse(open_database(Path(data) / "nianbao.db"), workers=1, force=True) as job:
        summary = job.run()
    assert (summary.status, summary.parsed, summary.outcomes) == ("finished", 5, {"unchanged": 4, "error": 1})
    (error, message), = query(data, "select error, message from reparse_changes where outcome = 'error'")
    assert error == "WorkerDied" and "died on it, also when it was parsed alone" in message
    assert query(data, "select snapshot_id, error from errors") == [(snapshot, "WorkerDied")]
    assert tables(data)["cells"] == crawl["cells"]  # its rows as they were


def test_workers_dying_on_every_page_stop_the_run_and_blame_no_page(data, monkeypatch):
    """The run stopped before its end: exit 4, as a crawl cut short, and the same command continues it."""
    kill_the_worker_on(monkeypatch, lambda s: True)
    result = CliRunner().invoke(cli, ["reparse", "--data", str(data), "--force", "--workers", "1", "--silent"])
    assert result.exit_code == EXIT_CRAWL_FAILED, result.output
    assert result.stderr.splitlines()[-1] == ("Error: parse workers died on 3 pages in a row, each parsed alone "
                                              "(out of memory?); run again to continue")
    assert result.stdout.startswith("Reparsed 0 report pages: 0 stored, 0 failed")
    assert "status:               interrupted; run the same command again to continue" in result.stdout
    assert query(data, "select status from reparse_runs") == [("interrupted",)]
    assert query(data, "select count(*) from reparse_changes") == [(0,)]
    assert query(data, "select count(*) from errors") == [(0,)]


# A page that kills the process parsing it in-process (--workers 0): in a subprocess, whose
# parsing dies on that page as a crash in a parser library would end it, in it or in its workers.
_KILLED_BY_A_PAGE = (
    "import os, signal, sys\n"
    "import archive.reparse_pool\n"
    "from nianbao.cli import cli\n"
    "real, doomed = archive.reparse_pool.parse_snapshot, int(sys.argv[2])\n"
    "def parse_snapshot(snapshot):\n"
    "    if snapshot.id == doomed:\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    return real(snapshot)\n"
    "archive.reparse_pool.parse_snapshot = parse_snapshot\n"
    "cli(['reparse', '--data', sys.argv[1], '--workers', '0', '--silent', *sys.argv[3:]])\n"
)


def reparse_killed_by(data, guarded_env, snapshot: int, *args) -> subprocess.CompletedProcess:
    """``nianbao reparse --workers 0 ARGS`` where parsing ``snapshot`` kills the process parsing it."""
    return subprocess.run([sys.executable, "-c", _KILLED_BY_A_PAGE, str(data), str(snapshot), *args],
                          env=guarded_env, capture_output=True, text=True, timeout=120, cwd=BENCH.parent)


def test_a_page_that_kills_the_reparse_process_is_parsed_alone_by_the_next_run(data, guarded_env):
    """In-process, such a page ended every run at the same place: now the first run dies
    naming it (nianbao.db.parsing), and the next parses it alone in a worker, which dies too:
    a WorkerDied error, recorded, the rest reparsed, exit 3. The run after does not try it again."""
    crawl = tables(data)
    execute(data, "update reports set parser_version = '2'")  # a new parser: every page to do
    (doomed,), = query(data, "select snapshot_id from reports order by id limit 1 offset 2")
    first = reparse_killed_by(data, guarded_env, doomed)
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    assert (data / "nianbao.db.parsing").read_text() == f"{doomed}\n"

    second = reparse_killed_by(data, guarded_env, doomed)
    assert second.returncode == EXIT_CHECKS_FAILED, second.stderr[-3000:]
    assert second.stdout.startswith("Reparsed 5 report pages: 4 stored, 1 failed")
    assert "errors:               1 (WorkerDied 1;" in second.stdout
    assert query(data, "select snapshot_id, error from reparse_changes where outcome = 'error'") == [
        (doomed, "WorkerDied")]
    assert query(data, "select snapshot_id, error from errors") == [(doomed, "WorkerDied")]
    assert tables(data)["cells"] == crawl["cells"]  # its rows as they were
    assert not (data / "nianbao.db.parsing").exists()

    third = reparse_killed_by(data, guarded_env, doomed)
    assert third.returncode == 0, third.stderr[-3000:]
    assert third.stdout.startswith("Reparsed 0 report pages")


def test_a_reparse_killed_for_another_reason_blames_no_page(data, guarded_env):
    """The page it was parsing when killed is parsed again, alone in a worker, and stored."""
    crawl = tables(data)
    (page,), = query(data, "select snapshot_id from reports order by id limit 1 offset 2")
    assert reparse_killed_by(data, guarded_env, page, "--force").returncode == -signal.SIGKILL
    out = reparse("--data", data, "--force", "--workers", "0")
    assert out.startswith("Reparsed 5 report pages: 5 stored, 0 failed")
    assert query(data, "select count(*) from errors") == [(0,)]
    assert tables(data) == crawl
    assert not (data / "nianbao.db.parsing").exists()


def test_site_and_since_choose_the_pages(data):
    assert "5 selected" in reparse("--data", data, "--force", "--site", "demo portal")
    assert "5 selected" in reparse("--data", data, "--force", "--site", "127.0.0.1")
    (url,) = sqlite3.connect(Path(data) / "nianbao.db").execute("select url from snapshots limit 1").fetchone()
    host_and_port = url.split("/")[2]
    assert "5 selected" in reparse("--data", data, "--force", "--site", host_and_port)  # as a browser shows it
    assert "5 selected" in reparse("--data", data, "--force", "--site", f"http://{host_and_port}/zwgk/")
    assert "5 selected" in reparse("--data", data, "--force", "--since", "2000-01-01")
    assert "0 selected" in reparse("--data", data, "--force", "--since", "2999-01-01")
    err = reparse("--data", data, "--site", "nosuch.example", code=1)
    assert err.strip().endswith("Error: no report pages of site or host 'nosuch.example' in the archive")
    err = reparse("--data", data, "--force", "--site", "", code=1)  # was every site
    assert err.strip().endswith("Error: an empty site names no site: give a registry name or a host")


def test_a_site_is_its_hosts_whatever_their_case_port_or_script(tmp_path):
    """--site picks a host's pages as Python's URL parser reads their host (SQLite only
    narrows them down first): in upper case, with a port or user, in Chinese; and not a
    host that merely contains it."""
    from archive.snapshots import store_snapshot

    db = open_database(tmp_path / "nianbao.db")
    urls = ["http://a.gov.cn/1.html", "HTTP://A.GOV.CN:8080/2.html", "https://user@a.gov.cn/3.html",
            "http://ba.gov.cn/4.html", "http://a.gov.cn.evil.example/5.html", "http://x.example/?a.gov.cn",
            "http://政府.中国/6.html", "http://ÄB.example/7.html"]
    ids = {}
    for url in urls:
        ids[url] = store_snapshot(db, url=url, method="GET", request_headers=[], status=200, response_headers=[],
                                  body=url.encode(), kind="report")
    chosen = {}
    for site in ("a.gov.cn", "A.gov.cn:80", "政府.中国", "äb.example", "http://ba.gov.cn/x"):
        selection = Selection("t", site=site)
        chosen[site] = sorted(url for url, i in ids.items() if i in set(iter_version_ids(db, selection)))
        assert count_versions(db, selection) == len(chosen[site])
    assert chosen == {
        "a.gov.cn": sorted(urls[:3]), "A.gov.cn:80": sorted(urls[:3]), "政府.中国": [urls[6]],
        "äb.example": [urls[7]], "http://ba.gov.cn/x": [urls[3]]}


def test_more_workers_than_the_machine_can_use_is_refused(data):
    """1000 workers forked 1000 processes of ~100 MB each."""
    limit = max(4, len(os.sched_getaffinity(0)))
    err = reparse("--data", data, "--force", "--workers", limit + 1, code=1)
    assert f"Error: {limit + 1} parse workers: at most {limit} on this machine" in err
    assert query(data, "select count(*) from reparse_runs") == [(0,)]


_KILLED_REPARSE = (
    "import sys\n"
    "from archive.schema import open_database\n"
    "from archive.reparse import Reparse\n"
    "with Reparse(open_database(sys.argv[1]), batch_reports=1, force=sys.argv[2] == 'force') as job:\n"
    "    job.run()\n"
)


def reparse_killed_at(data, guarded_env, report: int, force: bool):
    """A reparse SIGKILLed inside the transaction of its ``report``-th report."""
    env = dict(guarded_env, NIANBAO_TEST_KILL_AT=f"report:{report}")
    result = subprocess.run(
        [sys.executable, "-c", _KILLED_REPARSE, str(data / "nianbao.db"), "force" if force else ""],
        env=env, capture_output=True, text=True, timeout=120, cwd=BENCH.parent,
    )
    assert result.returncode == -9, result.stderr[-3000:]


@pytest.mark.parametrize("force", [False, True], ids=["new-version", "force"])
def test_a_killed_reparse_continues_where_it_stopped(data, guarded_env, force):
    crawl = tables(data)
    if not force:
        execute(data, "update reports set parser_version = '2'")
    reparse_killed_at(data, guarded_env, report=3, force=force)
    # Two reports committed (one per transaction); the third's transaction died with the process.
    assert query(data, "select count(*) from reparse_changes") == [(2,)]
    assert query(data, "select status from reparse_runs") == [("running",)]
    if not force:
        assert query(data, "select count(*) from reports where parser_version = ?", VERSION) == [(2,)]

    args = ["--data", data] + (["--force"] if force else [])
    out = reparse(*args)
    first, second = out.splitlines()[:2]  # 2 before the kill + 3 now, and the speed is of those 3
    assert first.startswith("Reparsed 5 report pages: 5 stored, 0 failed; 3 of them by this run in ")
    assert second == "continues:            interrupted run 1, which parsed 2 of them"
    assert query(data, "select id, status, resumes from reparse_runs") == [(1, "interrupted", None),
                                                                         (2, "finished", 1)]
    assert query(data, "select count(*), count(distinct snapshot_id) from reparse_changes") == [(5, 5)]
    assert tables(data) == crawl
    assert reparse("--data", data).startswith("Reparsed 0 report pages")


def test_a_reparse_and_a_crawl_never_write_the_archive_at_once(data, run_nianbao):
    """Both hold the archive's lock: the second one says who holds it and does nothing
    (they wrote at once before, and each failed on the other's 'database is locked')."""
    path = Path(data) / "nianbao.db"
    with Reparse(open_database(path), force=True) as job:
        holder = json.loads((Path(data) / "nianbao.db.lock").read_text())
        assert (holder["pid"], holder["command"]) == (os.getpid(), "reparse")
        held = f"a reparse is running on {path} (pid {holder['pid']}, started {holder['started']}); not starting"
        second = run_nianbao("reparse", "--data", data, "--force", check=False)
        assert (second.returncode, second.stderr.splitlines()[-1]) == (EXIT_LOCKED, f"Error: {held}")
        crawl = run_nianbao("demo", "--data", data, "--profile", "test", check=False)
        assert (crawl.returncode, crawl.stderr.splitlines()[-1]) == (EXIT_LOCKED, f"Error: {held}")
        job.run()
    assert (Path(data) / "nianbao.db.lock").read_text() == ""  # released: nothing stale left
    assert query(data, "select count(*) from crawl_runs") == [(1,)]  # the refused crawl wrote nothing

    with hold_archive(path):  # a crawl of this process
        holder = json.loads((Path(data) / "nianbao.db.lock").read_text())
        reparsing = run_nianbao("reparse", "--data", data, "--force", check=False)
    assert (reparsing.returncode, reparsing.stderr.splitlines()[-1]) == (
        EXIT_LOCKED, f"Error: another crawl is running on {path} (pid {holder['pid']}, started {holder['started']}); "
                     "not starting")
    assert query(data, "select count(*) from reparse_runs") == [(1,)]


def test_another_programs_write_makes_a_reparse_wait_not_fail(data):
    """Between two batches another program (`nianbao correct`, say) takes the write lock
    and commits a moment later: the next batch waits for it. (A batch that read first
    then failed at once with 'database is locked', a traceback, the run cut short.)"""
    path = Path(data) / "nianbao.db"
    execute(data, "create table side_notes (note text)")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    committed = []

    def another_program_writes(_count):
        if committed:
            return
        other.execute("begin immediate")
        other.execute("insert into side_notes values ('written beside the reparse')")
        timer = threading.Timer(0.5, lambda: committed.append(other.execute("commit")))
        timer.start()

    with Reparse(open_database(path), force=True, batch_reports=1) as job:
        summary = job.run(progress=another_program_writes)
    other.close()
    assert (summary.status, summary.parsed, summary.outcomes) == ("finished", 5, {"unchanged": 5})
    assert committed and query(data, "select note from side_notes") == [("written beside the reparse",)]


def test_a_stop_signal_landing_as_a_reparse_records_its_end_waits_for_the_record(data):
    """Ctrl-C arrives while the reparse writes how its run ended: the record is written, then
    the signal is delivered. (It rolled the record back: the run stayed `running` until the
    next reparse marked it interrupted.)"""
    db = open_database(Path(data) / "nianbao.db")

    def signal_as_the_end_is_written(statement):
        if statement.startswith('update "reparse_runs" set "finished"'):
            sys.settrace(signal_at_the_next_call)  # a handler would raise in here, where SQLite drops it

    def signal_at_the_next_call(frame, event, arg):  # the next Python call, in finish_run
        sys.settrace(None)
        signal.raise_signal(signal.SIGINT)

    with Reparse(db, force=True) as job:
        db.conn.set_trace_callback(signal_as_the_end_is_written)
        with pytest.raises(KeyboardInterrupt):
            job.run()
        db.conn.set_trace_callback(None)
    assert query(data, "select status, finished is not null from reparse_runs") == [("finished", 1)]


def test_a_killed_reparse_leaves_the_next_crawl_no_run_to_resume(data):
    (Path(data) / "nianbao.db.lock").write_text('{"pid": 999999, "started": "2026-01-01T00:00:00Z", '
                                                '"command": "reparse"}\n')
    with hold_archive(Path(data) / "nianbao.db") as hold:
        assert hold.stale is None


def test_versions_are_streamed_a_page_at_a_time(data):
    db = open_database(Path(data) / "nianbao.db")
    everything = Selection(VERSION, force=True)
    assert list(iter_version_ids(db, everything, page=2)) == report_snapshot_ids(db)
    assert list(iter_version_ids(db, Selection(VERSION), page=2)) == []


# The benchmark's archive: many pages of the four portal templates.

def build_bench_archive(tmp_path_factory, name: str, pages: int) -> Path:
    """An archive of the benchmark's first ``pages`` pages, as bench/reparse_bench.py builds it."""
    sys.path.insert(0, str(BENCH))
    try:
        import reparse_bench
    finally:
        sys.path.remove(str(BENCH))
    path = tmp_path_factory.mktemp(name) / "nianbao.db"
    reparse_bench.build_archive(path, pages, log=lambda *a, **k: None)
    return path


@pytest.fixture(scope="module")
def bench_archive(tmp_path_factory):
    return build_bench_archive(tmp_path_factory, "bench", 16)


@pytest.fixture(scope="module")
def years_archive(tmp_path_factory):
    """The benchmark's first 60 pages: among them one body's reports of two following
    years, so R6 (carried over against the year before's carried forward) is made."""
    return build_bench_archive(tmp_path_factory, "years", 60)


def passing_r6(data) -> tuple:
    """A passing R6 of the years archive: the later year's report, the earlier year's, the column."""
    (found,) = query(data, """
        select c.report_id, p.report_id, c.[where] from checks c
        join reports r on r.id = c.report_id
        join report_groups g on g.id = r.group_id
        join report_groups p on p.agency_id = g.agency_id and p.year = g.year - 1
        where c.rule = 'R6' and c.status = 'pass' and c.left > 0 order by c.report_id limit 1""")
    return found


def test_a_cross_year_check_put_right_again_in_the_same_run_is_no_flip(years_archive, tmp_path):
    """Both years as an older parser read them, one more application carried forward and
    over: the reparse puts back the first year, then the second. In between, R6 of the
    second year compared the two readings and flipped; the run ends with it as it was,
    and so says the summary (it counted the flip)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(years_archive, data / "nianbao.db")
    crawl = tables(data)
    later, earlier, column = passing_r6(data)
    for report_id, row in ((earlier, "carried_forward"), (later, "carried_over")):
        execute(data, "update cells set value = value + 1 where report_id = ? and table_name = 'applications' "
                      "and row_key = ? and column_key = ?", report_id, row, column)
    out = reparse("--data", data, "--force", "--workers", "0")
    assert "numbers changed:      2 report(s)" in out
    assert "checks flipped:       0 in 0 report(s)\n" in out
    after = tables(data)
    # The check was replaced twice, its row id with it: the same rows, in another order.
    assert sorted(after.pop("checks")) == sorted(crawl.pop("checks")) and after == crawl
    assert query(data, "select count(*) from reparse_cross_checks") == [(0,)]  # only flips are kept


def test_a_cross_year_check_a_neighbour_flips_is_counted_once_with_its_report(years_archive, tmp_path):
    """The earlier year as an older parser read it: reparsed, it flips R6 of the later year,
    which is no report of its own parse. Counted and kept (reparse_cross_checks)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(years_archive, data / "nianbao.db")
    later, earlier, column = passing_r6(data)
    # As the older parser had it, R6 made against that reading: not equal.
    execute(data, "update cells set value = value + 1 where report_id = ? and table_name = 'applications' "
                  "and row_key = 'carried_forward' and column_key = ?", earlier, column)
    (status,), = query(data, "select status from checks where report_id = ? and rule = 'R6' and [where] = ?",
                       later, column)
    execute(data, "update checks set status = 'warn' where report_id = ? and rule = 'R6' and [where] = ?",
            later, column)
    out = reparse("--data", data, "--force", "--workers", "0")
    assert f"checks flipped:       1 in 1 report(s) (warn→{status} 1; 1 of them R6/R7, across years)" in out
    assert query(data, "select report_id, rule, [where], before, after from reparse_cross_checks") == [
        (later, "R6", column, "warn", status)]


def test_workers_write_the_same_rows_as_one_process(bench_archive, tmp_path):
    dumps = []
    for workers in (0, 1, 2):
        copy = tmp_path / f"w{workers}"
        copy.mkdir()
        shutil.copy(bench_archive, copy / "nianbao.db")
        db = open_database(copy / "nianbao.db")
        with Reparse(db, workers=workers, force=True, batch_reports=5) as job:
            summary = job.run()
        assert (summary.parsed, summary.outcomes) == (16, {"unchanged": 16})
        db.close()
        dumps.append(tables(copy))
    assert dumps[0] == dumps[1] == dumps[2]
    assert len(dumps[0]["reports"]) == 16


def test_bench_runs_tiny(guarded_env, tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCH / "reparse_bench.py"), "--pages", "8", "--cache", str(tmp_path)],
        env=guarded_env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "pages: 8" in lines
    assert any(line.startswith("lxml.html.fromstring: ") and "pages/s" in line for line in lines)
    for label in ("in process", "1 worker", "2 workers"):
        assert any(line.startswith(f"reparse, {label}: ") and "pages/s" in line for line in lines)
    for workers in (0, 1, 2):
        assert any(line.startswith(f"ratio reparse {workers}w / lxml = ") for line in lines)
    assert any(line.startswith("ratio reparse 2w / 0w = ") for line in lines)
    assert "Reparsed 8 report pages: 8 stored, 0 failed" in result.stdout


def test_workers_read_bodies_from_an_attached_raw_store(tmp_path, run_nianbao):
    data = tmp_path / "data"
    run_nianbao("demo", "--data", data, "--archive-db", tmp_path / "raw.db", "--profile", "test")
    crawl = tables(data)
    assert query(data, "select count(*) from sqlite_master where name = 'payloads'") == [(0,)]
    assert reparse("--data", data, "--force", "--workers", "2").startswith("Reparsed 5 report pages: 5 stored")
    assert tables(data) == crawl


# Reparse runs without the crawler: the page a flavour embeds in a script (gkmlpt's DETAIL
# JSON) is rebuilt by parsers/embedded_body.py, and nothing loads Scrapy.

_NO_SCRAPY = """
import json, sys
from nianbao.cli import cli
from archive.snapshot_parse import embedded_report
try:
    cli(["reparse", "--data", sys.argv[1], "--workers", "2", "--force"], standalone_mode=False)
finally:
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("scrapy", "twisted", "crawler"))
    print(json.dumps(loaded))
"""


def gkmlpt_page(title: str) -> bytes:
    detail = {"id": 7, "title": title, "publisher": "某市人民政府办公室", "display_publish_time": 1705276800,
              "content": "<p>一、总体情况</p><p>本年新收政府信息公开申请数量47件。</p>"}
    inline = json.dumps(detail, ensure_ascii=False).replace("<", "\\u003C").replace(">", "\\u003E")
    return (f"<html><head><meta charset='utf-8'><script>window._CONFIG = {{SID:'1', DETAIL:{inline}}};"
            f"</script></head><body></body></html>").encode()


def test_importing_reparse_does_not_load_scrapy(guarded_env):
    result = subprocess.run(
        [sys.executable, "-c", "import sys, archive.reparse; print('scrapy' in sys.modules)"],
        env=guarded_env, capture_output=True, text=True, timeout=60, cwd=BENCH.parent,
    )
    assert (result.returncode, result.stdout) == (0, "False\n"), result.stderr


def test_a_reparse_rebuilds_embedded_pages_without_scrapy(tmp_path, guarded_env):
    from archive.snapshots import store_snapshot

    title = "某市2023年政府信息公开工作年度报告"
    db = open_database(tmp_path / "nianbao.db")
    for n in range(3):
        store_snapshot(db, url=f"http://127.0.0.1:9/gkmlpt/content/2/2580/post_{n}.html", method="GET",
                       request_headers=[], status=200, response_headers=[["Content-Type", "text/html; charset=utf-8"]],
                       body=gkmlpt_page(title) + str(n).encode(), encoding="utf-8", encoding_source="http-header",
                       kind="report")
    db.close()
    result = subprocess.run([sys.executable, "-c", _NO_SCRAPY, str(tmp_path)],
                            env=guarded_env, capture_output=True, text=True, timeout=120, cwd=BENCH.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Reparsed 3 report pages: 3 stored, 0 failed" in result.stdout
    assert json.loads(result.stdout.splitlines()[-1]) == []
    # Read from the rebuilt page: the title from DETAIL, not the empty shell's.
    assert query(tmp_path, "select distinct title, year from reports") == [(title, 2023)]


def test_a_worker_dying_while_the_writer_is_busy_is_handled_like_any_other(data, monkeypatch):
    """The death is seen when the next chunk is handed out (the executor refuses it), not when
    a result is asked for: that ended the run on archives larger than the window of chunks."""
    import time

    from archive.reparse_pool import CHUNK, WORKER_DIED, parse_ids

    ids = [row[0] for row in query(data, "select snapshot_id from reports order by id")] * 2  # 10: 3 chunks
    doomed = ids[CHUNK]  # in the second chunk, not the first
    kill_the_worker_on(monkeypatch, lambda s: s.id == doomed)
    parsed = []
    for page in parse_ids(open_database(Path(data) / "nianbao.db"), ids, workers=1, window=2):
        parsed.append(page)
        time.sleep(0.2)  # a writer busy with the first chunk while the second one's worker dies
    assert [page.snapshot_id for page in parsed] == ids
    assert {page.snapshot_id for page in parsed if page.error == WORKER_DIED} == {doomed}
