"""`nianbao serve`: a real Datasette process with nianbao's metadata, views and plugin,
queried over HTTP and rendered in headless Chromium.

The database is the demo crawl (five reports: 合作市 fails R1 and R3; its page is GB18030
and gzip'd) plus synthetic reports of three bodies over several years, so that series,
missing years, province facets and the cross-year rules R6/R7 have something to show.
The metadata is checked against the schema of a new database, and every canned query runs
on a new database as well as on this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import json
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from archive.cross_checks import run_cross_checks
from archive.export import exportable_names
from archive.reparse import parse_stored_snapshot
from archive.schema import open_database
from archive.sites import attach_site, record_sites
from archive.snapshots import store_snapshot
from conftest import hangup_by_default
from nianbao.datasette.plugin import count_rows
from nianbao.datasette.serve import METADATA_PATH
from portal.synthetic import TEMPLATE_SEEDS, SyntheticReport, synthetic_body

# (agency, year, factor): 示范县财政局 has no 2022 report; the Beijing body has no registry site.
SYNTHETIC = [("示范县教育局", 2021, 2), ("示范县教育局", 2022, 3), ("示范县教育局", 2023, 4),
             ("示范县财政局", 2021, 5), ("示范县财政局", 2023, 6), ("北京市海淀区人民政府", 2023, 7)]
# A captured page whose script, if it ran, would change the DOM.
PROBE = ('<p id="probe">script did not run</p>'
         '<script>document.getElementById("probe").textContent = "SCRIPT RAN";</script>')


def synthetic_page(report: SyntheticReport, probe: bool) -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{report.title}</title></head><body>'
            f'{PROBE if probe else ""}<h1>{report.title}</h1>{synthetic_body(report)}</body></html>').encode()


def add_synthetic_reports(path: Path) -> None:
    db = open_database(path)
    (site,) = record_sites(db, [{"name": "示范县", "region": "440305", "start_urls": ["http://127.0.0.1:9/"]}]).values()
    for n, (agency, year, factor) in enumerate(SYNTHETIC):
        report = SyntheticReport(agency, year, TEMPLATE_SEEDS[n % 2], factor)
        url = f"http://127.0.0.1:9/xxgk/{n}.html"
        snapshot_id = store_snapshot(
            db, url=url, method="GET", request_headers=[], status=200,
            response_headers=[["Content-Type", "text/html; charset=utf-8"]],
            body=synthetic_page(report, probe=(agency, year) == ("示范县教育局", 2023)),
            encoding="utf-8", encoding_source="http-header", kind="report",
        )
        assert parse_stored_snapshot(db, snapshot_id).report_id
        if not agency.startswith("北京"):
            attach_site(db, url, site)
    run_cross_checks(db)
    db.close()


@pytest.fixture(scope="module")
def served_archive(crawled, tmp_path_factory) -> Path:
    """A copy of the demo crawl with the synthetic reports added, shared by the module's tests
    (none of them changes it: they serve it, or copy it first)."""
    archive = tmp_path_factory.mktemp("serve") / "data"
    shutil.copytree(crawled, archive)
    add_synthetic_reports(archive / "nianbao.db")
    return archive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.status, dict(response.headers), response.read()


def get_json(url):
    return json.loads(fetch(url)[2].decode("utf-8"))


def query(base, name, **params):
    return get_json(f"{base}/nianbao/{name}.json?" + urllib.parse.urlencode({**params, "_shape": "array"}))


def start_datasette(data, env, command=(sys.executable, "-m", "nianbao"), cwd=None) -> tuple[subprocess.Popen, str]:
    """`nianbao serve --data DATA` started in a subprocess and answering: it and its base URL.
    ``data`` None: serve's default (``./data`` in ``cwd``); ``command``: how nianbao is run."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", *(["--data", str(data)] if data is not None else []), "--port", str(port)],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=hangup_by_default,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(f"{base}/-/versions.json")
            return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"datasette did not start: {process.stdout.read().decode()}")
            time.sleep(0.2)


def stop_datasette(process: subprocess.Popen, how=signal.SIGTERM) -> tuple[int, str]:
    """Stop it as ``how`` would (Ctrl-C is SIGINT): its exit status and output."""
    process.send_signal(how)
    output = process.communicate(timeout=30)[0].decode()
    return process.returncode, output


@contextlib.contextmanager
def running_datasette(data, env, **how):
    """`nianbao serve --data DATA` in a subprocess, until the block ends: its base URL."""
    process, base = start_datasette(data, env, **how)
    try:
        yield base
    finally:
        stop_datasette(process)


@pytest.fixture(scope="module")
def datasette(served_archive, guarded_env):
    with running_datasette(served_archive, guarded_env) as base:
        yield base


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "sigterm", "sighup"])
def test_a_stopped_serve_leaves_the_data_directory_as_it_found_it(served_archive, tmp_path, guarded_env, how):
    """Datasette's read-only connections made nianbao.db-wal and -shm, which stayed after
    Ctrl-C. Those of another program (a crawl writing) stay: they are its own. Being stopped
    is a server's end: exit status 0 (SIGHUP, which uvicorn does not handle, killed it)."""
    copy = tmp_path / "data"
    copy.mkdir()
    shutil.copy(served_archive / "nianbao.db", copy)  # the file alone: the module's Datasette may have it open
    found = sorted(p.name for p in copy.iterdir())
    process, base = start_datasette(copy, guarded_env)
    assert query(base, "report_list", agency="合作市")
    assert fetch(f"{base}/-/raw/{snapshot_of(base, '合作市', 2023)}")[0] == 200
    assert {"nianbao.db-wal", "nianbao.db-shm"} <= {p.name for p in copy.iterdir()}  # made by reading
    status, output = stop_datasette(process, how)
    assert status == 0, output
    assert sorted(p.name for p in copy.iterdir()) == found

    crawl = sqlite3.connect(copy / "nianbao.db")  # another program writing while Datasette serves
    crawl.execute("create table written_beside (note text)")
    process, base = start_datasette(copy, guarded_env)
    crawl.execute("insert into written_beside values ('a crawl wrote this')")
    crawl.commit()
    assert query(base, "report_list", agency="合作市")
    stop_datasette(process, how)
    assert {"nianbao.db-wal", "nianbao.db-shm"} <= {p.name for p in copy.iterdir()}
    assert crawl.execute("select note from written_beside").fetchall() == [("a crawl wrote this",)]
    crawl.close()  # the last connection, and one that may write: it removes them
    assert sorted(p.name for p in copy.iterdir()) == found


def test_a_data_directory_whose_path_a_uri_would_misread_is_served(served_archive, tmp_path, guarded_env):
    """Datasette opens ``file:{path}?mode=ro`` unescaped: under 'a?b#c%41' it opened (and
    made) an empty file 'a' and answered "Table not found"."""
    copy = tmp_path / "a?b#c%41"
    copy.mkdir()
    shutil.copy(served_archive / "nianbao.db", copy)
    process, base = start_datasette(copy, guarded_env)
    try:
        assert query(base, "report_list", agency="合作市")
        assert fetch(f"{base}/-/raw/{snapshot_of(base, '合作市', 2023)}")[0] == 200
    finally:
        status, output = stop_datasette(process)
    assert status == 0, output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a?b#c%41"]  # no stray 'a'
    assert sorted(p.name for p in copy.iterdir()) == ["nianbao.db"]


def snapshot_of(base, agency, year):
    (row,) = query(base, "report_list", agency=agency, year=year)
    return row["snapshot_id"]


# ---- tables, views, metadata ----------------------------------------------------------


def test_reports_are_queryable_over_http(datasette):
    reports = get_json(f"{datasette}/nianbao/reports.json?_shape=array")
    assert len(reports) == 5 + len(SYNTHETIC)
    assert {r["year"] for r in reports} == {2021, 2022, 2023, 2024}


def test_cells_link_to_reports_and_carry_what_was_printed(datasette):
    cells = get_json(f"{datasette}/nianbao/cells.json?_shape=array&row_key=new_received&column_key=total"
                     f"&report_id__lte=5")
    assert sorted(c["value"] for c in cells) == [6, 6, 47, 160]
    assert all(c["text"] and c["location"] for c in cells)


def test_report_list_facets_by_year_layout_and_province(datasette):
    page = get_json(f"{datasette}/nianbao/report_list.json")
    facets = page["facet_results"]
    assert {"year", "layout", "province"} <= set(facets)
    provinces = {f["value"]: f["count"] for f in facets["province"]["results"]}
    # 440305: 广东省 from the registry site's region code; 北京市 from the body's name.
    assert (provinces["广东省"], provinces["北京市"]) == (5, 1)
    years = {f["value"]: f["count"] for f in facets["year"]["results"]}
    assert years == {2021: 3, 2022: 1, 2023: 4, 2024: 3}


METADATA = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))["databases"]["nianbao"]


def test_pages_of_millions_of_rows_leave_out_their_count_or_unfiltered_facets(datasette):
    """current_cells opens without its row count; snapshots and checks without their facets
    until a filter narrows the rows (nianbao/datasette/plugin.py: on a national archive each
    read millions of rows); the rows are the same, and what was asked for is given."""
    cells = get_json(f"{datasette}/nianbao/current_cells.json")
    assert cells["filtered_table_rows_count"] is None and cells["rows"]
    every_cell = get_json(f"{datasette}/nianbao.json?" + urllib.parse.urlencode(
        {"sql": "select count(*) as n from current_cells", "_shape": "array"}))
    assert len(cells["rows"]) == min(100, every_cell[0]["n"])
    for table, narrowed in (("snapshots", "kind=report"), ("checks", "rule=R1")):
        page = get_json(f"{datasette}/nianbao/{table}.json")
        assert page["facet_results"] == {} and page["filtered_table_rows_count"] > 0, table
        filtered = get_json(f"{datasette}/nianbao/{table}.json?{narrowed}")
        assert set(filtered["facet_results"]) == set(METADATA["tables"][table]["facets"]), table
        asked = get_json(f"{datasette}/nianbao/{table}.json?_facet=status")
        assert "status" in asked["facet_results"], table
    assert get_json(f"{datasette}/nianbao/reports.json")["facet_results"]  # other tables as before
    fetch(f"{datasette}/nianbao/current_cells")  # the HTML pages are served too
    fetch(f"{datasette}/nianbao/snapshots")


def test_the_database_page_counts_each_table_or_says_many_rows(served_archive, datasette):
    """The database page gives each table's row count, or none ("Many rows") where counting
    took longer than Datasette's limit; such a count is stopped at the limit, not run to
    its end and then dropped (plugin.count_rows: on a national archive, seconds a view)."""
    served = {t["name"]: t["count"] for t in get_json(f"{datasette}/nianbao.json")["tables"]}
    with contextlib.closing(sqlite3.connect(f"file:{served_archive / 'nianbao.db'}?mode=ro", uri=True)) as conn:
        for table, count in served.items():  # Datasette's own counts pass this too: a sanity check
            assert count in (None, conn.execute(f"select count(*) from [{table}]").fetchone()[0]), table
        sites = conn.execute("select count(*) from sites").fetchone()[0]
        assert served["sites"] == sites  # a small table is counted, not "Many rows"
        assert count_rows(conn, "sites", limit_ms=60_000) == sites > 0
        # A count that never ends, as one of millions of rows does not within 5 ms.
        conn.execute("create temp view endless as "
                     "with recursive n(i) as (select 1 union all select i + 1 from n) select i from n")
        assert count_rows(conn, "endless", limit_ms=5) is None
        assert count_rows(conn, "sites", limit_ms=60_000) == sites  # the connection goes on


def test_the_plugin_counts_the_database_pages_tables(served_archive):
    """The counts above are the plugin's: its startup replaced each database's table_counts
    (Datasette's own gives the same numbers, so the page alone cannot tell)."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from nianbao.datasette import plugin
    from nianbao.datasette.serve import SETTINGS, register_plugin

    registered_before = pm.is_registered(plugin)
    register_plugin()  # as `nianbao serve` does, here in the test's own process
    datasette = Datasette([str(served_archive / "nianbao.db")], settings=SETTINGS)
    try:
        asyncio.run(datasette.invoke_startup())
        database = datasette.databases["nianbao"]
        assert database.table_counts.__code__ is plugin._table_counts(database).__code__
    finally:
        for database in datasette.databases.values():
            database.close()
        if not registered_before:
            pm.unregister(plugin)




def schema_columns(path: Path, archive: Path | None = None) -> dict[str, list[str]]:
    """Each table and view of a new database's own file (what Datasette serves: not the FTS
    index, not an attached raw store), with its columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = open_database(path, archive=archive)
    try:
        return {name: [c[1] for c in db.execute(f"pragma main.table_info([{name}])")] for name in exportable_names(db)}
    finally:
        db.close()


def test_metadata_describes_exactly_the_schema(tmp_path):
    """Every table, view and column of a new database is described, and nothing else is:
    the bodies in nianbao.db (payloads, codec_dicts) or in a second file (raw_store)."""
    schema = {**schema_columns(tmp_path / "one" / "nianbao.db"),
              **schema_columns(tmp_path / "two" / "nianbao.db", archive=tmp_path / "two" / "raw.db")}
    tables = METADATA["tables"]
    assert sorted(tables) == sorted(schema)
    wrong = []
    for name, columns in schema.items():
        table = tables[name]
        described = table.get("columns") or {}
        wrong += [f"{name}: no description"] * (not table.get("description"))
        wrong += [f"{name}.{c}: not described" for c in columns if not described.get(c)]
        wrong += [f"{name}.{c}: described, no such column" for c in described if c not in columns]
        named = [*table.get("facets", []), *table.get("sortable_columns", []),
                 *(table[k] for k in ("label_column", "sort", "sort_desc", "fts_pk") if k in table)]
        wrong += [f"{name}: names no such column {c}" for c in named if c not in columns]
    assert wrong == []


def test_datasette_serves_what_the_metadata_describes(datasette):
    served = get_json(f"{datasette}/nianbao.json")
    names = {t["name"] for t in served["tables"] if not t["name"].startswith("reports_fts")}
    names |= {v["name"] for v in served["views"]}
    assert names == set(METADATA["tables"]) - {"raw_store"}  # raw_store: only with --archive-db
    assert get_json(f"{datasette}/-/metadata.json")["license"]


# ---- canned queries -------------------------------------------------------------------

# Parameters that give each canned query rows on the test database; every query is here.
CANNED_EXAMPLES = {
    "rules_summary": {},
    "rule_failures": {"rule": "R1"},
    "body_series": {"agency": "教育局"},
    "bodies_missing_a_year": {"until": "2023"},
    "top_bodies_by_applications": {"year": "2023"},
    "search_reports": {"term": "复议"},
}


def run_canned(base, name, params) -> dict:
    """A canned query's JSON page; a SQL error (HTTP 400) fails with Datasette's message."""
    try:
        return get_json(f"{base}/nianbao/{name}.json?" + urllib.parse.urlencode({**params, "_shape": "objects"}))
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{name} {params}: HTTP {error.code}: {json.loads(error.read())['error']}") from None


def canned_queries(base) -> dict[str, list[str]]:
    """The canned queries Datasette serves (the metadata's and the plugin's), each with its
    parameters, as a query run without them (each then empty) names them."""
    names = [q["name"] for q in get_json(f"{base}/nianbao.json")["queries"]]
    return {name: sorted(run_canned(base, name, {})["query"]["params"]) for name in names}


@pytest.fixture(scope="module")
def new_datasette(tmp_path_factory, guarded_env):
    """`nianbao serve` on a new database: the schema, nothing crawled."""
    data = tmp_path_factory.mktemp("new")
    open_database(data / "nianbao.db").close()
    with running_datasette(data, guarded_env) as base:
        yield base


def test_every_canned_query_runs_on_a_new_database(new_datasette):
    queries = canned_queries(new_datasette)  # each run with its parameters empty
    assert set(queries) == set(CANNED_EXAMPLES)
    for name in queries:
        assert run_canned(new_datasette, name, CANNED_EXAMPLES[name])["rows"] == [], name


def test_every_canned_query_gives_rows_linked_to_their_pages(datasette):
    queries = canned_queries(datasette)  # each run with its parameters empty
    assert set(queries) == set(CANNED_EXAMPLES)
    for name, params in queries.items():
        assert sorted(CANNED_EXAMPLES[name]) == params, name
        rows = run_canned(datasette, name, CANNED_EXAMPLES[name])["rows"]
        assert rows, name
        for page in {r["raw_page"] for r in rows if "raw_page" in r}:
            assert fetch(datasette + page)[0] == 200, (name, page)
    # An empty year is the latest one with a count; spaces around a term are no part of it.
    latest = max(r["year"] for r in query(datasette, "applications", row_key="new_received"))
    assert {r["year"] for r in query(datasette, "top_bodies_by_applications", year="")} == {latest}
    assert query(datasette, "search_reports", term=" 复议 ") == query(datasette, "search_reports", term="复议")
    assert query(datasette, "search_reports", term="\u3000复议\u3000") == query(datasette, "search_reports", term="复议")


def test_rule_failures_give_the_delta(datasette):
    r1 = query(datasette, "rule_failures", rule="R1")
    assert {(r["agency"], r["year"], r["where"], r["delta"]) for r in r1} == {
        ("合作市", 2023, "natural_person", 6.0), ("合作市", 2023, "total", 6.0)}
    r6 = query(datasette, "rule_failures", rule="r6")
    assert r6 and {(r["agency"], r["year"], r["status"]) for r in r6} == {("示范县教育局", 2023, "warn")}
    assert all(r["delta"] == r["left"] - r["right"] for r in r6)
    every = query(datasette, "rule_failures", rule="")
    assert {r["rule"] for r in every} >= {"R1", "R3", "R6", "R7"}
    summary = {r["rule"]: r for r in query(datasette, "rules_summary")}
    assert summary["R1"]["reports_failing"] == 1 and summary["R4"]["reports_failing"] == 0


def test_a_bodys_series_across_years(datasette):
    series = query(datasette, "body_series", agency="教育局")
    assert [(r["agency"], r["year"]) for r in series] == [("示范县教育局", y) for y in (2021, 2022, 2023)]
    wide = {r["year"]: r["total"] for r in query(datasette, "applications", agency="示范县教育局",
                                                 row_key="new_received")}
    assert {r["year"]: r["new_received"] for r in series} == wide
    assert all(r["raw_page"].startswith("/-/raw/") for r in series)
    assert query(datasette, "body_series", agency="") == []
    # The outcome groups add up to the handled total where the report's own R3 holds, the
    # single （六）其他处理 row (江夏区's 2021 report prints only that) included.
    outcomes = ("granted", "partially_granted", "withheld", "unable", "rejected", "other")
    for row in series + query(datasette, "body_series", agency="江夏区"):
        if "R3" not in (row["failing_rules"] or ""):
            assert sum(row[o] for o in outcomes) == row["handled"], row
    jiangxia, = query(datasette, "body_series", agency="江夏区")
    other, = query(datasette, "applications", agency="江夏区", row_key="other")
    assert jiangxia["other"] == other["total"]


def test_bodies_missing_a_year(datasette):
    missing = {r["agency"]: r["missing_years"] for r in query(datasette, "bodies_missing_a_year", until="")}
    assert missing["示范县财政局"] == "2022, 2024"
    assert missing["江夏区"] == "2022, 2023, 2024"
    assert "湛河区轻工路街道办事处" not in missing  # reported 2024, the latest year
    until = {r["agency"]: r["missing_years"] for r in query(datasette, "bodies_missing_a_year", until="2023")}
    assert until["示范县财政局"] == "2022" and "示范县教育局" not in until


def test_top_bodies_by_applications(datasette):
    top = query(datasette, "top_bodies_by_applications", year="2023")
    assert [r["agency"] for r in top][:1] == ["北京市海淀区人民政府"]
    assert [r["new_received"] for r in top] == sorted((r["new_received"] for r in top), reverse=True)
    assert {r["agency"] for r in top} == {"北京市海淀区人民政府", "示范县财政局", "示范县教育局", "合作市"}


def test_search_reports_finds_two_and_four_character_terms(datasette):
    assert {r["agency"] for r in query(datasette, "search_reports", term="县教育局")} == {"示范县教育局"}
    assert {r["agency"] for r in query(datasette, "search_reports", term="教育局")} == {"示范县教育局"}
    assert {r["agency"] for r in query(datasette, "search_reports", term="海淀")} == {"北京市海淀区人民政府"}
    assert len(query(datasette, "search_reports", term="复议")) >= 1


def readme_sql() -> str:
    """The SQL example of README.md's "Browsing the data"."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Browsing the data\n", 1)[1].split("\n## ", 1)[0]
    (sql,) = re.findall(r"```sql\n(.*?)```", section, re.S)
    return sql


def test_readme_sql_gives_every_bodys_applications_with_their_pages(datasette):
    rows = get_json(f"{datasette}/nianbao.json?" + urllib.parse.urlencode(
        {"sql": readme_sql(), "_shape": "array", "_size": "max"}))
    wide = query(datasette, "applications", row_key="new_received", _size="max")
    assert sorted((r["agency"], r["year"], r["applications_received"]) for r in rows) == sorted(
        (r["agency"], r["year"], r["total"]) for r in wide)
    assert all(r["printed"] and r["location"] for r in rows)
    for page in {r["raw_page"] for r in rows}:
        assert fetch(datasette + page)[0] == 200, page


# ---- raw pages ------------------------------------------------------------------------


def test_raw_page_is_served_sandboxed_and_decoded(datasette):
    status, headers, body = fetch(f"{datasette}/-/raw/{snapshot_of(datasette, '合作市', 2023)}")
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "script-src 'none'" in csp and "default-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["content-type"] == "text/html; charset=utf-8"
    # Stored gzip'd and in GB18030: served decoded, as UTF-8.
    assert "合作市2023年政府信息公开工作年度报告" in body.decode("utf-8")


def test_raw_page_of_an_unknown_snapshot_is_404(datasette):
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(f"{datasette}/-/raw/99999")
    assert error.value.code == 404
    assert error.value.headers["Content-Security-Policy"].startswith("sandbox")


def test_reports_link_to_their_raw_page(datasette):
    (row,) = query(datasette, "report_list", agency="合作市")
    snapshot = row["snapshot_id"]
    for page in ("report_list", "reports", "snapshots", f"reports/{row['report_id']}", f"snapshots/{snapshot}"):
        html = fetch(f"{datasette}/nianbao/{page}")[2].decode("utf-8")
        assert f'href="/-/raw/{snapshot}"' in html, page


def test_counts_show_as_whole_numbers_on_the_pages_and_stay_real_in_json(datasette):
    (row,) = query(datasette, "applications", agency="合作市", row_key="new_received")
    assert isinstance(row["total"], float) and row["total"].is_integer()  # REAL, as stored
    html = fetch(f"{datasette}/nianbao/applications?agency=合作市&row_key=new_received".replace(
        "合作市", urllib.parse.quote("合作市")))[2].decode("utf-8")
    assert f'class="col-total type-float">{int(row["total"])}</td>' in html
    assert f'>{row["total"]}</td>' not in html


def test_charts_page_draws_svg(datasette):
    html = fetch(f"{datasette}/-/charts")[2].decode("utf-8")
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="nianbao-chart"') == 2
    assert "<script" not in html.split('<section class="content">')[1].split("</section>")[0]


# ---- in a browser ---------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def dump_dom(url: str, profile: Path) -> str:
    """The DOM after load (scripts run, as a user's browser would), from headless Chromium."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--user-data-dir={profile}",
         "--virtual-time-budget=3000", "--dump-dom", url],
        capture_output=True, text=True, timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def browser_profile(tmp_path_factory):
    return tmp_path_factory.mktemp("chromium")


@needs_chromium
def test_chromium_runs_the_probe_script_when_no_policy_stops_it(tmp_path, browser_profile):
    """The control: the same probe served over HTTP without nianbao's headers does run."""
    (tmp_path / "probe.html").write_text(f"<html><body>{PROBE}</body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            dom = dump_dom(f"http://127.0.0.1:{server.server_address[1]}/probe.html", browser_profile)
        finally:
            server.shutdown()
    assert '<p id="probe">SCRIPT RAN</p>' in dom


@needs_chromium
def test_raw_page_renders_and_its_script_does_not_run(datasette, browser_profile):
    dom = dump_dom(f"{datasette}/-/raw/{snapshot_of(datasette, '示范县教育局', 2023)}", browser_profile)
    assert "示范县教育局2023年政府信息公开工作年度报告" in dom
    assert dom.count("<table") == 3  # tables 二, 三, 四 render
    assert '<p id="probe">script did not run</p>' in dom
    assert "SCRIPT RAN</p>" not in dom


@needs_chromium
def test_chart_renders_in_the_browser(datasette, browser_profile):
    dom = dump_dom(f"{datasette}/-/charts", browser_profile)
    assert dom.count('class="nianbao-chart"') == 2
    years = dom.split('id="applications-by-year"')[1].split("</figure>")[0]
    assert years.count('<g class="bar">') == 4  # 2021-2024
    assert ">2021</text>" in years and ">2024</text>" in years
    assert "不予公开" in dom.split('id="refusal-reasons"')[1]


@needs_chromium
def test_canned_query_renders_in_the_browser(datasette, browser_profile):
    dom = dump_dom(f"{datasette}/nianbao/top_bodies_by_applications?year=2023", browser_profile)
    assert "Top bodies by applications received" in dom
    rows = dom.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr") == 4
    assert rows.index("北京市海淀区人民政府") < rows.index("示范县财政局")
    assert 'href="/-/raw/' in rows


def test_raw_attachments_download_and_text_stays_text(tmp_path):
    from nianbao.datasette.raw_page import raw_page

    path = tmp_path / "nianbao.db"
    db = open_database(path)
    pdf = store_snapshot(db, url="http://127.0.0.1:9/a.pdf", method="GET", request_headers=[], status=200,
                         response_headers=[["Content-Type", "application/pdf"]], body=b"%PDF-1.4 ...",
                         kind="attachment")
    text = store_snapshot(db, url="http://127.0.0.1:9/robots.txt", method="GET", request_headers=[], status=200,
                          response_headers=[["Content-Type", "text/plain"]], body="<b>不是网页</b>".encode("gb18030"),
                          encoding="gb18030", kind="robots")
    db.close()
    page = raw_page(path, pdf)
    assert (page.status, page.content_type, page.body) == (200, "application/pdf", b"%PDF-1.4 ...")
    assert page.headers["Content-Disposition"] == f'attachment; filename="snapshot-{pdf}.pdf"'
    page = raw_page(path, text)
    assert (page.content_type, page.body.decode("utf-8")) == ("text/plain; charset=utf-8", "<b>不是网页</b>")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
