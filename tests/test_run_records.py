"""Each crawl run's record stays what it was at the run's end, whatever later runs do.

``skipped`` keeps one row per URL, its latest reason: a URL skipped again moves its row to
the later run. Each run's own skips, by reason, are kept in ``skipped_counts`` as the run
ends; its summary, ``nianbao runs`` and Datasette read them there. A reason is one of a few
sentences (what varies per URL is its detail), so a run's skips are a few rows and lines.
``nianbao merge`` keeps each URL's latest skip, whichever input it merges first.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archive.blocks import (JSL_CHALLENGE, JSL_STYLE_CHALLENGE, REFUSALS_IN_A_ROW, RETRY_AFTER_TOO_LONG,
                            TS_CHALLENGE, record_block)
from archive.records import record_skipped
from archive.runs import finish_run, format_summary, run_counts, start_run
from archive.schema import SCHEMA_VERSION, open_database
from archive.skip_reasons import HOST_BLOCKED, REDIRECT_TO_REFUSED_ADDRESS, REFUSED_ADDRESS
from nianbao.cli import cli
from reports_db import assert_opening_writes_nothing

WORK_PLAN = "work plan (工作要点)"
STATISTICS = "website annual statistics (政府网站工作年度报表)"
ROBOTS = "disallowed by robots.txt"


def skip(db, run_id, url, reason):
    record_skipped(db, url=f"http://127.0.0.1:9/{url}", title=None, reason=reason, found_on=None, run_id=run_id)


def rows(db, sql, params=()):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


def test_an_old_runs_skips_stay_as_they_were_after_later_runs_skip_the_same_urls(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    first = start_run(db, "reports")
    for url, reason in [("a", WORK_PLAN), ("b", WORK_PLAN), ("c", STATISTICS)]:
        skip(db, first, url, reason)
    finish_run(db, first, status="finished", stats={})
    at_its_end = format_summary(run_counts(db, first))
    second = start_run(db, "reports")
    skip(db, second, "a", WORK_PLAN)  # the same, night after night
    skip(db, second, "c", ROBOTS)  # now for another reason
    finish_run(db, second, status="finished", stats={})

    # Run 1, as every place shows it: its row, its counts and summary, its rows by reason.
    assert db["crawl_runs"].get(first)["skipped"] == 3
    assert run_counts(db, first).skipped_by_reason == {WORK_PLAN: 2, STATISTICS: 1}
    assert format_summary(run_counts(db, first)) == at_its_end
    assert "pages skipped:        3\n  2 x work plan (工作要点)\n  1 x website annual statistics" in at_its_end
    assert rows(db, "select run_id, reason, urls from skipped_counts order by run_id, urls desc, reason") == [
        (first, WORK_PLAN, 2), (first, STATISTICS, 1), (second, ROBOTS, 1), (second, WORK_PLAN, 1)]
    # skipped: each URL's latest reason, with the run that last skipped it.
    assert rows(db, "select url, reason, run_id from skipped order by url") == [
        ("http://127.0.0.1:9/a", WORK_PLAN, second), ("http://127.0.0.1:9/b", WORK_PLAN, first),
        ("http://127.0.0.1:9/c", ROBOTS, second)]
    db.close()

    # `nianbao runs` lists each night's skips; `nianbao runs 1` of a run that stored no
    # summary (killed before its checks) counts them as its end did.
    listed = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path)]).stdout.splitlines()
    assert listed[0].split()[5:8] == ["pages", "reports", "skipped"]
    assert [line.split()[7] for line in listed[1:]] == ["2", "3"]
    shown = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path), str(first)]).stdout
    assert shown.endswith(at_its_end + "\n")


def test_a_run_killed_outright_keeps_its_skips_once_the_next_crawl_marks_it_interrupted(tmp_path):
    from archive.runs import mark_interrupted_runs

    db = open_database(tmp_path / "nianbao.db")
    killed = start_run(db, "reports")
    skip(db, killed, "a", WORK_PLAN)
    skip(db, killed, "b", STATISTICS)
    assert run_counts(db, killed).skipped_by_reason == {WORK_PLAN: 1, STATISTICS: 1}  # counted while it runs
    resumes = mark_interrupted_runs(db, "reports")  # the next crawl, as it starts
    resumed = start_run(db, "reports", resumes=resumes)
    skip(db, resumed, "a", WORK_PLAN)
    finish_run(db, resumed, status="finished", stats={})
    assert (run_counts(db, killed).skipped, run_counts(db, killed).skipped_by_reason) == (
        2, {STATISTICS: 1, WORK_PLAN: 1})
    assert (run_counts(db, resumed).skipped, run_counts(db, resumed).skipped_by_reason) == (1, {WORK_PLAN: 1})


def marked_older_and_opened(path, version):
    """The database marked as of schema ``version`` again, as if this code had never opened
    it, then opened: what its upgrade does a second time (it must add nothing)."""
    db = open_database(path)
    db.execute(f"pragma user_version = {version}")
    db.conn.commit()
    db.close()
    return open_database(path)


def older_schema(path, version=7):
    """What a database of ``version`` holds: no skipped_counts, the schema's mark."""
    db = open_database(path)
    db["skipped_counts"].drop()
    db.execute(f"pragma user_version = {version}")
    db.conn.commit()
    return db


def test_runs_that_ended_before_schema_8_keep_what_their_summary_printed_or_what_skipped_still_says(tmp_path):
    """A run's summary printed its skips by reason as it ended. Without one (killed before its
    checks), its rows in skipped are kept by reason, and the URLs a later run took over are
    counted with no reason: what their reason was in that run is not known."""
    from archive.runs import record_monitor

    path = tmp_path / "nianbao.db"
    db = open_database(path)
    killed = start_run(db, "reports")  # no summary
    for url, reason in [("a", WORK_PLAN), ("b", WORK_PLAN), ("c", STATISTICS)]:
        skip(db, killed, url, reason)
    finish_run(db, killed, status="interrupted", stats={})
    checked = start_run(db, "reports")
    for url, reason in [("a", ROBOTS), ("c", STATISTICS), ("e", WORK_PLAN)]:
        skip(db, checked, url, reason)
    finish_run(db, checked, status="finished", stats={})
    record_monitor(db, checked, {}, format_summary(run_counts(db, checked)) + "\nrun checks:           OK")
    later = start_run(db, "reports")
    for url, reason in [("a", ROBOTS), ("e", WORK_PLAN)]:
        skip(db, later, url, reason)
    finish_run(db, later, status="finished", stats={})
    quiet = start_run(db, "reports")  # a run that skipped nothing
    finish_run(db, quiet, status="finished", stats={})
    running = start_run(db, "reports")
    skip(db, running, "d", WORK_PLAN)
    db.close()
    older_schema(path).close()

    db = open_database(path)
    kept = "select run_id, reason, urls from skipped_counts order by run_id, urls desc, reason"
    migrated = [(killed, None, 2), (killed, WORK_PLAN, 1),
                (checked, ROBOTS, 1), (checked, STATISTICS, 1), (checked, WORK_PLAN, 1),
                (later, ROBOTS, 1), (later, WORK_PLAN, 1)]
    assert rows(db, kept) == migrated
    lines = format_summary(run_counts(db, killed)).splitlines()
    assert lines[lines.index("pages skipped:        3") + 1:] == [
        "  2 x reason not known: skipped again by a later run before nianbao kept each run's skips (schema 8)",
        "  1 x work plan (工作要点)"]
    assert run_counts(db, running).skipped_by_reason == {WORK_PLAN: 1}  # still counted from skipped
    db.close()

    # Once: opened again, nothing is written; marked older again, nothing is added twice.
    assert_opening_writes_nothing(path)
    db = marked_older_and_opened(path, 7)
    assert rows(db, kept) == migrated
    db.close()


def test_merged_runs_bring_their_skips_by_reason_once(tmp_path):
    from archive.merge import merge_databases

    parts = []
    for name, reason in [("a", WORK_PLAN), ("b", ROBOTS)]:
        (tmp_path / name).mkdir()
        part = open_database(tmp_path / name / "nianbao.db")
        run_id = start_run(part, "reports")
        skip(part, run_id, name, reason)
        finish_run(part, run_id, status="finished", stats={})
        part.close()
        parts.append(tmp_path / name / "nianbao.db")
    out = tmp_path / "nianbao.db"
    merge_databases(out, parts)
    assert merge_databases(out, parts).added.get("skipped_counts") == 0
    db = open_database(out)
    assert rows(db, "select r.id, r.skipped, k.reason, k.urls from crawl_runs r join skipped_counts k "
                    "on k.run_id = r.id order by r.id") == [(1, 1, WORK_PLAN, 1), (2, 1, ROBOTS, 1)]
    db.close()


# -- reasons: a few sentences; what varies per URL is the detail (schema 10) -----------------

REFUSED_END = ": not fetched (NIANBAO_REFUSE_PRIVATE_ADDRESSES)"
METADATA = "http://169.254.169.254/latest/meta-data/"
CHALLENGE = "$_ts script challenge (HTTP 412: $_ts script, cookie FSSBBIl1UgzbN7NS)"
# Skips as nianbao recorded them before schema 10, the page's own text in the reason:
# (URL, reason then, reason now, detail now).
OLD_SKIPS = [
    ("a", f"host blocked for this run: {CHALLENGE}", HOST_BLOCKED, CHALLENGE),
    ("b", f"host blocked for this run: {CHALLENGE}", HOST_BLOCKED, CHALLENGE),
    ("c", "host blocked for this run: HTTP 403: 3 refusals in a row", HOST_BLOCKED, "HTTP 403: 3 refusals in a row"),
    ("d", f"redirects to {METADATA}: 169.254.169.254 is a link-local address{REFUSED_END}",
     REDIRECT_TO_REFUSED_ADDRESS, f"{METADATA}: 169.254.169.254 is a link-local address"),
    ("e", f"redirects to http://10.0.0.5:8080/a:b: 10.0.0.5 is a private address{REFUSED_END}",
     REDIRECT_TO_REFUSED_ADDRESS, "http://10.0.0.5:8080/a:b: 10.0.0.5 is a private address"),
    ("f", f"intranet.example resolves to 10.0.0.5, a private address{REFUSED_END}",
     REFUSED_ADDRESS, "intranet.example resolves to 10.0.0.5, a private address"),
    ("g", f"localhost is the crawl's proxy{REFUSED_END}", REFUSED_ADDRESS, "localhost is the crawl's proxy"),
    ("h", WORK_PLAN, WORK_PLAN, None),
]


def schema_9(path):
    """What a database of schema 9 holds: no skipped.detail, the schema's mark."""
    db = open_database(path)
    db.execute("alter table skipped drop column detail")
    db.execute("pragma user_version = 9")
    db.conn.commit()
    return db


def run_with_old_skips(db, started: str, skips=OLD_SKIPS) -> int:
    run_id = start_run(db, "reports")
    db.execute("update crawl_runs set started = ? where id = ?", [started, run_id])
    for url, then, _, _ in skips:
        skip(db, run_id, url, then)
    finish_run(db, run_id, status="finished", stats={})
    return run_id


def test_the_reasons_a_crawl_writes_are_few_and_what_varies_is_the_detail():
    """A refused redirect and a blocked host: the same reason for every URL, whichever
    address, redirect or challenge; and the reason and detail a migrated row gets."""
    import scrapy

    from crawler.middlewares.private_addresses import refused_reason

    origin, target = "http://127.0.0.1:9/e", "http://10.0.0.5:8080/a:b"
    redirected = scrapy.Request(target, meta={"redirect_urls": [origin]})
    assert refused_reason(redirected, "10.0.0.5 is a private address") == (
        origin, REDIRECT_TO_REFUSED_ADDRESS, "http://10.0.0.5:8080/a:b: 10.0.0.5 is a private address")  # as e above
    direct = scrapy.Request("http://intranet.example/")
    assert refused_reason(direct, "intranet.example resolves to 10.0.0.5, a private address") == (
        direct.url, REFUSED_ADDRESS, "intranet.example resolves to 10.0.0.5, a private address")  # as f


def test_reasons_that_held_a_detail_before_schema_10_are_split_once(tmp_path):
    import hashlib

    path = tmp_path / "nianbao.db"
    db = open_database(path)
    run_id = run_with_old_skips(db, "2026-01-01T00:00:00.000Z")
    db.close()
    schema_9(path).close()

    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    expected = [(f"http://127.0.0.1:9/{url}", now, detail) for url, _, now, detail in OLD_SKIPS]
    assert rows(db, "select url, reason, detail from skipped order by url") == expected
    # The run's counts: one row per reason, the URLs of each added up; its summary reads them.
    kept = "select reason, urls from skipped_counts where run_id = ? order by urls desc, reason"
    assert rows(db, kept, [run_id]) == [
        (HOST_BLOCKED, 3), (REFUSED_ADDRESS, 2), (REDIRECT_TO_REFUSED_ADDRESS, 2), (WORK_PLAN, 1)]
    summary = format_summary(run_counts(db, run_id))
    assert summary.endswith(f"pages skipped:        8\n  3 x {HOST_BLOCKED}\n  2 x {REFUSED_ADDRESS}\n"
                            f"  2 x {REDIRECT_TO_REFUSED_ADDRESS}\n  1 x {WORK_PLAN}")
    db.close()

    # Once: opened again, nothing is written; marked older again, the split rows stay as they are.
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    again = open_database(path)
    assert again.conn.total_changes == 0
    again.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    db = marked_older_and_opened(path, 9)
    assert rows(db, "select url, reason, detail from skipped order by url") == expected
    assert rows(db, kept, [run_id])[0] == (HOST_BLOCKED, 3)
    db.close()


def test_a_schema_7_database_keeps_the_skips_its_runs_printed_under_the_reasons_of_now(tmp_path):
    """Schema 8 reads an old run's skips from its printed summary, one line per address or
    redirect; schema 10 adds those up under the reason they share."""
    from archive.runs import record_monitor

    path = tmp_path / "nianbao.db"
    db = open_database(path)
    run_id = run_with_old_skips(db, "2026-01-01T00:00:00.000Z")
    old_lines = "\n".join(f"  {n} x {reason}" for reason, n in rows(
        db, "select reason, urls from skipped_counts order by urls desc, reason"))
    record_monitor(db, run_id, {}, f"pages skipped:        8\n{old_lines}")
    db.close()
    db = schema_9(path)
    db["skipped_counts"].drop()
    db.execute("pragma user_version = 7")
    db.conn.commit()
    db.close()
    db = open_database(path)
    assert rows(db, "select reason, urls from skipped_counts order by urls desc, reason") == [
        (HOST_BLOCKED, 3), (REFUSED_ADDRESS, 2), (REDIRECT_TO_REFUSED_ADDRESS, 2), (WORK_PLAN, 1)]
    db.close()


# -- merge: each URL's latest skip -------------------------------------------------------------

def archive_of_one_run(path, started: str, skips) -> None:
    """A database whose one run (started then) skipped ``skips``: (URL, reason, detail)."""
    db = open_database(path)
    run_id = start_run(db, "reports")
    db.execute("update crawl_runs set started = ? where id = ?", [started, run_id])
    for url, reason, detail in skips:
        record_skipped(db, url=f"http://127.0.0.1:9/{url}", title=None, reason=reason, detail=detail,
                       found_on=None, run_id=run_id)
    finish_run(db, run_id, status="finished", stats={})
    db.close()


def test_merge_keeps_each_urls_latest_skip_in_either_order(tmp_path):
    from archive.merge import merge_databases

    earlier, later = tmp_path / "earlier.db", tmp_path / "later.db"
    archive_of_one_run(earlier, "2026-01-01T00:00:00.000Z", [
        ("a", WORK_PLAN, None), ("b", HOST_BLOCKED, "HTTP 403: 3 refusals in a row"), ("c", ROBOTS, None)])
    archive_of_one_run(later, "2026-01-02T00:00:00.000Z", [
        ("a", STATISTICS, None), ("b", REFUSED_ADDRESS, "10.0.0.5 is a private address"), ("d", ROBOTS, None)])
    latest = [("a", STATISTICS, None, "2026-01-02T00:00:00.000Z"),
              ("b", REFUSED_ADDRESS, "10.0.0.5 is a private address", "2026-01-02T00:00:00.000Z"),
              ("c", ROBOTS, None, "2026-01-01T00:00:00.000Z"),
              ("d", ROBOTS, None, "2026-01-02T00:00:00.000Z")]
    skipped = ("select substr(s.url, 20), s.reason, s.detail, r.started from skipped s "
               "join crawl_runs r on r.id = s.run_id order by s.url")
    counts = ("select r.started, k.reason, k.urls from skipped_counts k join crawl_runs r on r.id = k.run_id "
              "order by 1, 2")
    for order in ([earlier, later], [later, earlier]):
        out = tmp_path / f"{order[0].stem}-first.db"
        merge_databases(out, order)
        again = merge_databases(out, [*order, earlier])
        assert again.total == 0
        db = open_database(out)
        assert rows(db, skipped) == latest, order
        # Each run's own skips are as it counted them, whichever run holds a URL's row now.
        assert rows(db, counts) == sorted([
            ("2026-01-01T00:00:00.000Z", WORK_PLAN, 1), ("2026-01-01T00:00:00.000Z", HOST_BLOCKED, 1),
            ("2026-01-01T00:00:00.000Z", ROBOTS, 1),
            ("2026-01-02T00:00:00.000Z", STATISTICS, 1), ("2026-01-02T00:00:00.000Z", REFUSED_ADDRESS, 1),
            ("2026-01-02T00:00:00.000Z", ROBOTS, 1)]), order
        db.close()


def test_merge_splits_the_reasons_of_an_input_older_than_schema_10(tmp_path):
    from archive.merge import merge_databases

    old = tmp_path / "old" / "nianbao.db"
    old.parent.mkdir()
    db = open_database(old)
    run_with_old_skips(db, "2026-01-01T00:00:00.000Z")
    db.close()
    schema_9(old).close()
    out = tmp_path / "nianbao.db"
    merge_databases(out, [old])
    assert merge_databases(out, [old]).total == 0
    db = open_database(out)
    assert rows(db, "select url, reason, detail from skipped order by url") == [
        (f"http://127.0.0.1:9/{url}", now, detail) for url, _, now, detail in OLD_SKIPS]
    assert rows(db, "select reason, urls from skipped_counts order by urls desc, reason") == [
        (HOST_BLOCKED, 3), (REFUSED_ADDRESS, 2), (REDIRECT_TO_REFUSED_ADDRESS, 2), (WORK_PLAN, 1)]
    db.close()


# -- blocks: a few reasons; what the host's answer showed is the detail (schema 12) -----------

# Blocks as nianbao recorded them before schema 12, the answer's own text in the reason:
# (host, reason then, reason now, detail now).
OLD_BLOCKS = [
    ("127.0.0.20", "$_ts script challenge (HTTP 412: $_ts script, r='m' markup, cookie NfBCSins2OywS)",
     TS_CHALLENGE, "HTTP 412: $_ts script, r='m' markup, cookie NfBCSins2OywS"),
    ("127.0.0.21", "__jsl_clearance-style script challenge (HTTP 521, sets document.cookie)",
     JSL_STYLE_CHALLENGE, "HTTP 521, sets document.cookie"),
    ("127.0.0.22", "__jsl_clearance-style script challenge (HTTP 521)", JSL_STYLE_CHALLENGE, "HTTP 521"),
    ("127.0.0.23", "__jsl_clearance script challenge (HTTP 200)", JSL_CHALLENGE, "HTTP 200"),
    ("127.0.0.24", "HTTP 403: 3 refusals in a row", REFUSALS_IN_A_ROW, "HTTP 403: 3 refusals in a row"),
    ("127.0.0.25", "HTTP 429 with Retry-After 120 s, over NIANBAO_RETRY_AFTER_MAX (60 s)",
     RETRY_AFTER_TOO_LONG, "HTTP 429 with Retry-After 120 s, over NIANBAO_RETRY_AFTER_MAX (60 s)"),
]
SPLIT_BLOCKS = [(host, now, detail) for host, _, now, detail in OLD_BLOCKS]
BLOCKS = "select host, reason, detail from blocks order by host"


def test_the_block_reasons_a_crawl_writes_are_those_a_migrated_row_gets():
    """A challenge's reason and detail as the crawler writes them now, for the answers that
    gave the old reasons above (refusals and Retry-After: test_imitation_portal.py and
    test_politeness.py crawl them)."""
    from crawler.middlewares.challenges import recognise_challenge
    from portal.hostile import JSL_PAGE, RUISHU_PAGE

    now = {host: (reason, detail) for host, reason, detail in SPLIT_BLOCKS}
    assert recognise_challenge(412, RUISHU_PAGE, ["NfBCSins2OywS=60a; path=/"]) == now["127.0.0.20"]
    assert recognise_challenge(521, JSL_PAGE) == now["127.0.0.21"]
    assert recognise_challenge(521, b"<html><script>x()</script></html>") == now["127.0.0.22"]
    assert recognise_challenge(200, b"<script>var __jsl_clearance_s='1';</script>") == now["127.0.0.23"]


def database_with_old_blocks(path, version: int) -> int:
    """A database of schema ``version`` (9 or 11) whose one run blocked the hosts of
    OLD_BLOCKS, each block's detail in its reason: no blocks.detail (before 10, no
    skipped.detail either)."""
    db = open_database(path)
    run_id = start_run(db, "reports")
    db.execute("update crawl_runs set started = '2026-01-01T00:00:00.000Z' where id = ?", [run_id])
    for host, then, _, _ in OLD_BLOCKS:
        record_block(db, run_id=run_id, site="site", host=host, url=f"http://{host}/", reason=then, status=403)
    finish_run(db, run_id, status="finished", stats={})
    db.close()
    db = schema_9(path) if version < 10 else open_database(path)
    db.execute("alter table blocks drop column detail")
    db.execute(f"pragma user_version = {version}")
    db.conn.commit()
    db.close()
    return run_id


@pytest.mark.parametrize("version", [9, 11])
def test_block_reasons_that_held_a_detail_before_schema_12_are_split_once(tmp_path, version):
    from crawler.monitoring import monitor_run

    path = tmp_path / "nianbao.db"
    run_id = database_with_old_blocks(path, version)
    db = open_database(path)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    assert rows(db, BLOCKS) == SPLIT_BLOCKS
    assert dict(rows(db, "select reason, count(*) from blocks group by 1")) == {
        TS_CHALLENGE: 1, JSL_CHALLENGE: 1, JSL_STYLE_CHALLENGE: 2, REFUSALS_IN_A_ROW: 1, RETRY_AFTER_TOO_LONG: 1}
    # The run's check lists each host with its reason and detail.
    (check,) = [c for c in monitor_run(db, run_id, []).checks if c.name == "hosts blocked"]
    assert "127.0.0.24 (site: refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS): " \
           "HTTP 403: 3 refusals in a row)" in check.message
    db.close()

    # Once: opened again, nothing is written; marked older again, the split rows stay as they are.
    assert_opening_writes_nothing(path)
    db = marked_older_and_opened(path, version)
    assert rows(db, BLOCKS) == SPLIT_BLOCKS
    db.close()


def test_merge_splits_the_block_reasons_of_an_input_older_than_schema_12(tmp_path):
    """An input of schema 11 beside one of now: each block as a crawl writes it now."""
    from archive.merge import merge_databases

    old, new = tmp_path / "old" / "nianbao.db", tmp_path / "new" / "nianbao.db"
    old.parent.mkdir()
    new.parent.mkdir()
    database_with_old_blocks(old, 11)
    db = open_database(new)
    run_id = start_run(db, "reports")
    record_block(db, run_id=run_id, site="site", host="127.0.0.30", url="http://127.0.0.30/",
                 reason=TS_CHALLENGE, detail="HTTP 202: r='m' markup", status=202)
    finish_run(db, run_id, status="finished", stats={})
    db.close()
    out = tmp_path / "nianbao.db"
    assert merge_databases(out, [old, new]).added["blocks"] == len(OLD_BLOCKS) + 1
    assert merge_databases(out, [old, new]).total == 0
    db = open_database(out)
    assert rows(db, BLOCKS) == SPLIT_BLOCKS + [("127.0.0.30", TS_CHALLENGE, "HTTP 202: r='m' markup")]
    db.close()
