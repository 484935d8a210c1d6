"""What the statements a crawl, a reparse and Datasette run cost on a national-scale archive.

Builds (once; cached under bench/.cache/) an archive the size of a national crawl's from the
reparse benchmark's archive of real parsed pages (reparse_bench.py --pages N): SITES sites of
URLS/SITES report pages and 3 listing pages each, crawled on NIGHTS nights, each night as
SITES/10 runs of 10 sites. The first night brings every report; on later nights a report
brings a new version (2%), is not asked (a recheck interval: 33%), answers 304 (40%) or
brings the same body again (25%). Each report version copies the rows (cells, checks, problems, text) of
the base report it is modelled on; its agency is the base's, one copy per copy of the base.
With the defaults: 1.04 M snapshots, 114,000 report versions, 37,600 logical reports, 22.7 M
cells, 4,200 runs (6.7 GB; 6 minutes to build).

Then times each case (median of --repeat calls, after one not timed) and prints one line per
case: milliseconds, how often it runs, what, and the whole-table reads in its plans (none:
every growing table it reads is read through an index). Writers run in a transaction that is
rolled back. Datasette's statements are written here as Datasette 0.65 words them.

Example:
    .venv/bin/python bench/archive_scale.py                          # builds, then measures
    .venv/bin/python bench/archive_scale.py --base-pages 200 --urls 6000 --sites 200
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import yaml  # noqa: E402

import reparse_bench  # noqa: E402
from archive import records, reparse_select, runs, snapshots, wide_tables  # noqa: E402
from archive.cross_checks import run_cross_checks  # noqa: E402
from archive.reparse import parser_version, pending_snapshot_ids  # noqa: E402
from archive.reparse_pool import parse_one  # noqa: E402
from archive.schema import ensure_schema, open_database  # noqa: E402
from crawler import monitoring  # noqa: E402
from nianbao.datasette import charts  # noqa: E402

BUILD = "1"  # bump when build() makes a different archive: cached ones are built again
METADATA = HERE.parent / "nianbao" / "datasette_metadata.yaml"
# Tables that grow with the archive (as tests/test_schema.py's GROWING).
GROWING = {"snapshots", "payloads", "reports", "cells", "checks", "problems", "indicators", "errors", "skipped",
           "not_asked", "blocks", "reparse_changes"}
PER_RUN = 10  # sites a run crawls
LISTINGS = 3  # listing pages a site has
# The archive built when no size is given (bench/datasette_pages.py reads it too).
DEFAULT_BASE_PAGES, DEFAULT_URLS, DEFAULT_SITES, DEFAULT_NIGHTS = 10_000, 90_000, 3_000, 14


def host(site: int) -> str:
    return f"gov{site:04d}.scale.invalid"


def report_url(site: int, u: int, base_count: int) -> str:
    return f"http://{host(site)}/zwgk/zfxxgknb/{u // base_count}/t{u}.html"


def scaled_path(cache: Path, base_pages: int, urls: int, sites: int, nights: int) -> Path:
    key = hashlib.sha256(f"{BUILD} {base_pages} {urls} {sites} {nights}".encode()).hexdigest()[:10]
    return cache / f"scale-{urls}-{key}" / "nianbao.db"


def build(base: Path, path: Path, urls: int, sites: int, nights: int, log=print) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name("building.db")
    for leftover in path.parent.glob("building.db*"):
        leftover.unlink()
    t0 = time.perf_counter()
    db = open_database(partial)
    c = db.conn
    c.execute("pragma foreign_keys=off")  # rows go in parents and children together
    c.execute("pragma synchronous=off")
    c.execute("attach ? as base", [str(base)])
    base_count = c.execute("select count(*) from base.reports").fetchone()[0]
    agencies = c.execute("select max(id) from base.agencies").fetchone()[0]
    copies = (urls + base_count - 1) // base_count
    base_digest = dict(c.execute("select id, payload_digest from base.reports"))
    rng = random.Random(12)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with db.atomic():
        for k in range(copies):
            suffix = f"（{k}）" if k else ""
            c.execute("insert into agencies (id, name, normalized_name, region_code, level) select id + ?, name || ?, "
                      "normalized_name || ?, region_code, level from base.agencies", [k * agencies, suffix, suffix])
            c.execute("insert into agency_aliases (agency_id, name) select agency_id + ?, name || ? from base.agency_aliases",
                      [k * agencies, suffix])
        c.executemany("insert into sites (id, name, agency, region, flavour, start_urls, hosts, updated) "
                      "values (?, ?, ?, ?, 'trs', ?, '[]', '2025-01-10T00:00:00Z')",
                      [(s + 1, f"site {s:04d}", f"某县人民政府{s}", f"{110000 + s}",
                        json.dumps([f"http://{host(s)}/zwgk/zfxxgknb/index.html"])) for s in range(sites)])
        c.execute("insert into payloads select * from base.payloads where digest in (select payload_digest from base.reports)")
        c.execute("insert or ignore into codec_dicts select * from base.codec_dicts")

    request = json.dumps([["User-Agent", "nianbao"], ["Accept", "text/html,*/*;q=0.8"], ["Accept-Encoding", "gzip, deflate"]])
    snaps, payloads, versions, errors, skipped, counts, blocks, not_asked, crawl_runs = ([] for _ in range(9))
    current = {}  # url index -> (digest, the snapshot that first brought it, version)
    robots = {}
    sid = 0

    def answer(run, url, status, digest, when, kind, revisit_of=None, profile=None):
        nonlocal sid
        sid += 1
        headers = [["Content-Type", "text/html; charset=utf-8"], ["ETag", f'"{digest}"']] + (
            [["Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"]] if status == 200 else [])
        snaps.append((sid, run, url, "GET", request, status, json.dumps(headers), when, digest,
                      "text/plain" if kind == "robots" else "text/html; charset=utf-8", "utf-8", "meta", kind,
                      revisit_of, profile, "10.0.0.1"))
        return sid

    def new_payload(digest, site):
        payloads.append((digest, 5000, "identity", 8, b"<p>x</p>", None, host(site)))

    blocks_per_night = sites // PER_RUN
    for night in range(nights):
        for block in range(blocks_per_night):
            run = night * blocks_per_night + block + 1
            began = start + timedelta(days=night, minutes=block * 4)
            second = 0
            for s in range(block * PER_RUN, (block + 1) * PER_RUN):
                when = lambda: (began + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
                second += 1
                if s in robots:
                    answer(run, f"http://{host(s)}/robots.txt", 200, f"sha1:ROBOTS{s}", when(), "robots", robots[s],
                           "identical-payload-digest")
                else:
                    new_payload(f"sha1:ROBOTS{s}", s)
                    robots[s] = answer(run, f"http://{host(s)}/robots.txt", 200, f"sha1:ROBOTS{s}", when(), "robots")
                for page in range(LISTINGS):
                    second += 1
                    digest = f"sha1:LIST{s}P{page}N{night}"
                    new_payload(digest, s)
                    answer(run, f"http://{host(s)}/zwgk/zfxxgknb/index{f'_{page}' if page else ''}.html", 200, digest,
                           when(), "listing")
                for u in range(s, urls, sites):
                    second += 1
                    url = report_url(s, u, base_count)
                    draw = rng.random()
                    if night == 0 or draw < 0.02:
                        version = current[u][2] + 1 if night else 1
                        digest = base_digest[u % base_count + 1] if u < base_count and night == 0 else f"sha1:R{u}V{version}"
                        if digest not in base_digest.values():
                            new_payload(digest, s)
                        first = answer(run, url, 200, digest, when(), "report")
                        current[u] = (digest, first, version)
                        versions.append((url, first, digest, version, s + 1, u % base_count + 1, u // base_count))
                    elif draw < 0.35:  # not asked: asked within the recheck interval
                        not_asked.append((run, url, "report", current[u][1], when()))
                    elif draw < 0.75:
                        answer(run, url, 304, current[u][0], when(), "report", current[u][1], "server-not-modified")
                    else:
                        answer(run, url, 200, current[u][0], when(), "report", current[u][1], "identical-payload-digest")
                    if draw > 0.998:
                        errors.append((run, None, url + "?print=1", "fetch", "TimeoutError", "timed out", when()))
                if night == nights - 1:  # a URL's one skipped row belongs to the last run that skipped it
                    skipped.extend((run, f"http://{host(s)}/zwgk/other/{q}.html", f"工作要点 {q}", "work plan (工作要点)",
                                    None, f"http://{host(s)}/zwgk/zfxxgknb/index.html") for q in range(100))
            counts.append((run, "work plan (工作要点)", 100 * PER_RUN))
            if block % 50 == 0:
                blocks.append((run, f"site {block * PER_RUN:04d}", host(block * PER_RUN), f"http://{host(block * PER_RUN)}/",
                               403, "repeated refusals", sid, began.strftime("%Y-%m-%dT%H:%M:%SZ")))
            monitor = {"checks": [], "sites": {f"site {s:04d}": {"pages": 34, "reports": urls // sites}
                                               for s in range(block * PER_RUN, (block + 1) * PER_RUN)}}
            crawl_runs.append((run, began.strftime("%Y-%m-%dT%H:%M:%SZ"), "reports", "finished", json.dumps(monitor)))
        log(f"  night {night + 1}: {sid:,} snapshots, {len(versions):,} report versions ({time.perf_counter() - t0:.0f}s)")

    with db.atomic():
        c.executemany("insert into crawl_runs (id, started, finished, spider, status, stats, monitor, pages_fetched, "
                      "skipped, errors, blocked) values (?, ?, ?2, ?, ?, '{}', ?, 0, 0, 0, 0)", crawl_runs)
        c.executemany("insert or ignore into payloads (digest, size, codec, stored_size, data, dict_id, site) "
                      "values (?, ?, ?, ?, ?, ?, ?)", payloads)
        c.executemany("insert into snapshots (id, run_id, url, method, request_headers, status, response_headers, "
                      "fetched_at, payload_digest, content_type, encoding, encoding_source, kind, revisit_of, "
                      "revisit_profile, ip_address) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", snaps)
        c.executemany("insert into errors (run_id, snapshot_id, url, stage, error, message, at) values (?, ?, ?, ?, ?, ?, ?)",
                      errors)
        c.executemany("insert into skipped (run_id, url, title, reason, detail, found_on) values (?, ?, ?, ?, ?, ?)", skipped)
        c.executemany("insert into skipped_counts (run_id, reason, urls) values (?, ?, ?)", counts)
        c.executemany("insert into blocks (run_id, site, host, url, status, reason, snapshot_id, at) "
                      "values (?, ?, ?, ?, ?, ?, ?, ?)", blocks)
        c.executemany("insert into not_asked (run_id, url, kind, snapshot_id, last_asked) values (?, ?, ?, ?, ?)", not_asked)
        c.execute("create temp table version_of (id integer primary key, url, snapshot_id, digest, version, site_id, "
                  "base_id, copy)")
        c.executemany("insert into version_of (url, snapshot_id, digest, version, site_id, base_id, copy) "
                      "values (?, ?, ?, ?, ?, ?, ?)", versions)
        log(f"  snapshots stored ({time.perf_counter() - t0:.0f}s)")
        c.execute(f"""insert into reports (id, url, snapshot_id, agency_id, title, year, published, source, layout,
          has_tables, failing_rules, text_form, parser_version, parsed_at, text, payload_digest, version, is_current,
          source_kind, site_id)
          select v.id, v.url, v.snapshot_id, b.agency_id + v.copy * {agencies}, b.title, b.year, b.published, b.source,
            b.layout, b.has_tables, b.failing_rules, b.text_form, b.parser_version, b.parsed_at, b.text, v.digest,
            v.version, 0, 'page', v.site_id
          from version_of v join base.reports b on b.id = v.base_id order by v.id""")
        c.execute("update reports set is_current = 1 where id in (select max(id) from reports group by url)")
        for table, columns in (("cells", "table_name, row_key, column_key, value, text, kind, location"),
                               ("checks", "rule, [where], status, [left], [right], delta, detail"),
                               ("problems", "kind, table_name, detail"),
                               ("indicators", "position, indicator, unit, this_year, cumulative")):
            rule = " and x.rule not in ('R6', 'R7')" if table == "checks" else ""
            c.execute(f"insert into {table} (report_id, {columns}) select v.id, "
                      f"{', '.join('x.' + name for name in columns.split(', '))} from version_of v "
                      f"join base.{table} x on x.report_id = v.base_id{rule} order by v.id, x.id")
            log(f"  {table} copied ({time.perf_counter() - t0:.0f}s)")
        c.execute("insert into errors (run_id, snapshot_id, url, stage, error, message, at) select run_id, id, url, "
                  "'parse', 'ParseError', 'no tables', fetched_at from snapshots "
                  "where kind = 'report' and revisit_of is null and id % 200 = 7")
        # Logical reports as report_groups.choose_current names them, for all at once.
        c.execute("insert into report_groups (key, agency_id, year) select distinct agency_id || '/' || year, agency_id, "
                  "year from reports order by agency_id, year")
        c.execute("update reports set group_id = (select g.id from report_groups g "
                  "where g.key = reports.agency_id || '/' || reports.year)")
        c.execute("""update report_groups set
          report_id = (select r.id from reports r where r.group_id = report_groups.id and r.is_current = 1
                       order by r.has_tables desc, r.source_kind = 'attachment', r.id limit 1),
          versions = (select count(*) from reports r where r.group_id = report_groups.id),
          sources = (select count(distinct url) from reports r where r.group_id = report_groups.id),
          label = (select a.name || ' ' || report_groups.year from agencies a where a.id = report_groups.agency_id)""")
        for k in range(3):  # three reparses of every version
            c.execute("insert into reparse_runs (started, finished, status, parser_version, workers, force, selected, "
                      "skipped) values (?, ?, 'finished', ?, 1, 1, 0, 0)",
                      [f"2025-02-0{k + 1}T00:00:00Z", f"2025-02-0{k + 1}T03:00:00Z", str(k + 4)])
            c.execute("insert into reparse_changes (run_id, snapshot_id, report_id, url, parser_version, previous_version, "
                      "outcome, cells_changed, checks_flipped, fields_changed) select ?, snapshot_id, id, url, ?, ?, "
                      "'unchanged', 0, '[]', '[]' from reports", [k + 1, str(k + 4), str(k + 3)])
    log(f"  reports and groups ({time.perf_counter() - t0:.0f}s)")
    wide_tables.rebuild(db)
    run_cross_checks(db)
    c.execute("detach base")
    db.close()
    partial.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    log(f"built in {time.perf_counter() - t0:.0f}s")


# ---- measuring ---------------------------------------------------------------------------


def whole_table_reads(db, statements) -> list[str]:
    """The plan lines that read a growing table from end to end (as tests/test_schema.py)."""
    found = []
    for sql in dict.fromkeys(statements):
        words = sql.lower().split()
        if not words or words[0] not in ("select", "with", "update", "delete", "insert") or "sqlite_master" in sql or (
                words[0] == "insert" and "select" not in words):
            continue
        for *_, line in db.execute("explain query plan " + sql).fetchall():
            if line.split()[0] == "SCAN" and line.split()[1] in GROWING:
                found.append(line)
    return sorted(set(found))


def rolled_back(db, call):
    def run():
        db.execute("begin")
        try:
            call()
        finally:
            db.conn.rollback()
    return run


def facet_sql(table: str, column: str, where: str = "") -> str:
    return (f"select [{column}] as value, count(*) as count from (select * from [{table}]{where}) "
            f"where [{column}] is not null group by [{column}] order by count desc, value limit 31")


def cases(db) -> list[tuple[str, str, object]]:
    """(how often, what, a callable or (SQL, params))."""
    (run,) = db.execute("select max(id) - 1 from crawl_runs").fetchone()
    url, first, last = db.execute("select url, min(id), max(id) from snapshots where kind = 'report' and run_id = ? "
                                  "group by url order by url limit 1", [run]).fetchone()
    site = db.execute("select s.name from sites s join reports r on r.site_id = s.id order by r.id limit 1").fetchone()[0]
    # A report of the first copy: its body is a real page (the others' are stand-ins).
    version = db.execute("select snapshot_id from reports where url like '%/0/t%' and version = 1 order by id "
                         "limit 1").fetchone()[0]
    parsed = parse_one(db, version)
    (report, group) = db.execute("select report_id, id from report_groups where report_id is not null limit 1").fetchone()
    first_site = (run - 1) % (db["sites"].count // PER_RUN) * PER_RUN + 1  # the sites the run crawled
    sites = [{"name": name, "start_urls": json.loads(urls)} for name, urls in db.execute(
        "select name, start_urls from sites where id between ? and ?", [first_site, first_site + PER_RUN - 1])]
    selection = reparse_select.Selection(parser_version())

    def store(new):
        records.store_report(db, url=parsed.url + ("?new" if new else ""), snapshot_id=parsed.snapshot_id,
                             report=parsed.report, parser_version="x", text=parsed.text)

    listed = [
        ("per page", "snapshots.newest_fetch (revisit check, conditional request)", lambda: snapshots.newest_fetch(db, url)),
        ("per page", "snapshots.last_asked (recheck interval)", lambda: snapshots.last_asked(db, url)),
        ("per page", "snapshots.store_snapshot, a 200 seen before", rolled_back(db, lambda: snapshots.store_snapshot(
            db, url=url, method="GET", request_headers=[], status=200, response_headers=[], body=b"<p>x</p>", run_id=run))),
        ("per 304", "snapshots.store_not_modified", rolled_back(db, lambda: snapshots.store_not_modified(
            db, revisit_of=first, url=url, method="GET", request_headers=[], status=304, response_headers=[], run_id=run))),
        ("per report page", "records.parsed_already", lambda: records.parsed_already(db, last)),
        ("per report page", "records.mark_current_version, unchanged", rolled_back(db, lambda: records.mark_current_version(db, url))),
        ("per new body", "records.store_report, a new version (groups, wide tables, R6/R7)", rolled_back(db, lambda: store(True))),
        ("per report parsed again", "records.store_report, a version parsed again", rolled_back(db, lambda: store(False))),
        ("per link skipped", "records.record_skipped", rolled_back(db, lambda: records.record_skipped(
            db, url=f"http://{host(1)}/zwgk/other/3.html", title="t", reason="work plan (工作要点)", found_on="x", run_id=run))),
        ("per failed page", "records.record_error", rolled_back(db, lambda: records.record_error(
            db, url=url, stage="fetch", error="TimeoutError", message="m", run_id=run))),
        ("every 30 s", "the progress line (runs.rows_of_run)", lambda: [runs.rows_of_run(db, t, run) for t in ("skipped", "errors")]),
        ("per run, twice", "runs.run_counts", lambda: runs.run_counts(db, run)),
        ("per run", "crawler/monitoring.monitor_run", lambda: monitoring.monitor_run(db, run, sites)),
        ("per run start", "runs.mark_interrupted_runs", rolled_back(db, lambda: runs.mark_interrupted_runs(db, "reports"))),
        ("per resumed run", "reparse.pending_snapshot_ids", lambda: pending_snapshot_ids(db, [run])),
        ("per open", "schema.ensure_schema, up to date", lambda: ensure_schema(db)),
        ("per reparse, 2-3 times", "reparse_select.count_versions", lambda: reparse_select.count_versions(db, selection)),
        ("per reparse, 2-3 times", "reparse_select.count_versions --site",
         lambda: reparse_select.count_versions(db, reparse_select.Selection(selection.parser_version, site=site))),
        ("per reparse, 2-3 times", "reparse_select.count_versions --since",
         lambda: reparse_select.count_versions(db, reparse_select.Selection(selection.parser_version, since="2025-01-09"))),
        ("per 500 ids of a reparse", "reparse_select.iter_version_ids --site, first page",
         lambda: next(iter(reparse_select.iter_version_ids(db, reparse_select.Selection(selection.parser_version, site=site))), None)),
        ("per page view", "raw page (snapshots.read_snapshot)", lambda: snapshots.read_snapshot(db, version)),
    ]
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["nianbao"]
    for table in ("report_list", "snapshots", "checks", "applications", "reports"):
        listed.append(("per page view", f"Datasette {table}: count", (f"select count(*) from [{table}]", {})))
        for column in meta["tables"][table].get("facets", []):
            listed.append(("per page view", f"Datasette {table}: facet {column}", (facet_sql(table, column), {})))
    listed.append(("per page view", "Datasette report_list: its rows, by year",
                   ("select * from report_list order by year desc limit 101", {})))
    listed.append(("per page view", "Datasette report_list?year=2021: facet layout",
                   (facet_sql("report_list", "layout", " where year = 2021"), {})))
    for parent, key in (("crawl_runs", run), ("snapshots", version), ("reports", report)):
        references = [f"(select count(*) from [{t}] where [{fk.column}] = :key)" for t in db.table_names()
                      for fk in db[t].foreign_keys if fk.other_table == parent]
        listed.append(("per page view", f"Datasette {parent}/ID: rows referring to it",
                       (f"select {', '.join(references)}", {"key": key})))
    params = {"rule_failures": {"rule": "R1"}, "body_series": {"agency": db.execute(
        "select name from agencies order by id limit 1").fetchone()[0]}, "bodies_missing_a_year": {"until": ""},
        "top_bodies_by_applications": {"year": ""}, "search_reports": {"term": "复议"}}
    for name, query in meta["queries"].items():
        listed.append(("per query", f"Datasette query {name} {params.get(name, '')}", (query["sql"], params.get(name, {}))))
    listed.append(("per page view", "Datasette /-/charts: applications by year",
                   (charts.APPLICATIONS_BY_YEAR_SQL, {"agency_id": ""})))
    listed.append(("per page view", "Datasette /-/charts: refusal reasons", (charts.REFUSAL_REASONS_SQL, {"year": ""})))
    listed.append(("per page view", "Datasette report group page", ("select * from report_groups where id = ?", [group])))
    return listed


def measure(db, repeat: int, only: str | None = None):
    statements = []
    for often, what, case in cases(db):
        if only and only not in what:
            continue
        call = case if callable(case) else (lambda sql=case[0], params=case[1]: db.execute(sql, params).fetchall())
        call()
        statements.clear()
        db.conn.set_trace_callback(statements.append)
        call()
        db.conn.set_trace_callback(None)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1000)
        reads = whole_table_reads(db, statements)
        yield statistics.median(times), often, what, reads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-pages", type=int, default=DEFAULT_BASE_PAGES,
                        help=f"pages of the reparse benchmark's archive copied (default {DEFAULT_BASE_PAGES:,})")
    parser.add_argument("--urls", type=int, default=DEFAULT_URLS, help=f"report URLs (default {DEFAULT_URLS:,})")
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES,
                        help=f"sites, a multiple of {PER_RUN} (default {DEFAULT_SITES:,})")
    parser.add_argument("--nights", type=int, default=DEFAULT_NIGHTS, help=f"nights crawled (default {DEFAULT_NIGHTS})")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls of each case (default 3)")
    parser.add_argument("--only", help="only the cases whose description contains this")
    parser.add_argument("--cache", type=Path, default=reparse_bench.CACHE, help="where archives are kept (default bench/.cache)")
    parser.add_argument("--rebuild", action="store_true", help="build the archive again even if cached")
    args = parser.parse_args(argv)
    if args.sites < PER_RUN or args.sites % PER_RUN or args.urls < args.sites or args.nights < 2:
        parser.error("--sites must be a multiple of 10, --urls at least --sites, --nights at least 2")
    base = reparse_bench.archive_path(args.cache, args.base_pages)
    if not base.exists():
        print(f"building {base} ...", flush=True)
        reparse_bench.build_archive(base, args.base_pages)
    path = scaled_path(args.cache, args.base_pages, args.urls, args.sites, args.nights)
    if args.rebuild or not path.exists():
        print(f"building {path} ...", flush=True)
        build(base, path, args.urls, args.sites, args.nights)
    db = open_database(path)
    sizes = {t: db.execute(f"select count(*) from [{t}]").fetchone()[0]
             for t in ("snapshots", "reports", "report_groups", "cells", "checks", "crawl_runs", "not_asked")}
    print(f"archive: {path} ({path.stat().st_size / 1e9:.1f} GB); " + ", ".join(f"{n:,} {t}" for t, n in sizes.items()))
    print("      ms  how often                  what  [whole-table reads]")
    for ms, often, what, reads in measure(db, args.repeat, args.only):
        print(f"{ms:8.1f}  {often:26s} {what}" + (f"  [{'; '.join(reads)}]" if reads else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
