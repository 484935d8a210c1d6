"""The whole imitation portal crawled for real, three nights running (issue 4, point 9).

``portal.imitation`` serves over 200 pages on fourteen loopback hosts: one site per CMS
flavour, a legacy GB2312 site, a department host, a county column of synthetic reports,
script challenges answering 412, 521 and 200, a robots.txt that disallows the column, a
rate-limited host, a host refusing its reports, and a column with a withdrawn report,
tables as images, a PDF-only report and 繁體 mirror links. Its manifest says what every
host serves. The real spider crawls it in a subprocess (``test`` profile) three times into
one archive: a first night, an unchanged second night, and a third after one report was
corrected on the server. The archive and the servers' own request logs are then checked
against the manifest.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from collections import Counter
from urllib.parse import urlsplit

import pytest

from conftest import get_test_file, registry_sites, run_crawl_subprocess
from crawler.listing import start_pages

FLAVOUR_SITES = ("trs", "hanweb", "gkmlpt", "generic", "legacy")
PDF_SEED = "000_a7e6a703afb669e1"  # tests/data/attachments/report_2024.pdf carries its numbers
CHANGED_FROM, CHANGED_TO = b">52734<", b">52735<"  # 行政许可 of the county's first report (26367 x 2)


@pytest.fixture(scope="module")
def nights(tmp_path_factory, guarded_env):
    from portal.imitation import start_imitation_portal

    tmp = tmp_path_factory.mktemp("imitation")
    portal = start_imitation_portal(tmp, pdf=get_test_file("attachments", "report_2024.pdf").read_bytes())
    data = tmp / "data"
    sites = registry_sites(portal.registry)
    runs = []
    try:
        for night in (1, 2, 3):
            if night == 3:
                changed = change_one_report(portal)
            portal.clear_sent()
            run_crawl_subprocess(guarded_env, sites, data, "test", portal.crawl_settings)
            with sqlite3.connect(data / "nianbao.db") as db:
                db.row_factory = sqlite3.Row
                reports = rows(db, "select * from reports order by id")
                # What the night skipped, by reason, as its rows in skipped said at its end.
                skips = dict(db.execute("select reason, count(*) from skipped where run_id = "
                                        "(select max(id) from crawl_runs) group by reason").fetchall())
            runs.append({"sent": portal.sent(), "reports": reports, "skips": skips})
        db = sqlite3.connect(data / "nianbao.db")
        db.row_factory = sqlite3.Row
        yield {"db": db, "portal": portal, "manifest": portal.manifest, "runs": runs, "changed": changed,
               "data": data, "hosts": portal.manifest.hosts, "sites": sites}
        db.close()
    finally:
        portal.stop()


def change_one_report(portal) -> str:
    """Correct one number of the county's first report on the server; return its URL."""
    county = portal.portals["county"]
    path = county.site.paths("report")[0]
    body = county.site[path].body
    assert body.count(CHANGED_FROM) == 1
    county.replace(path, body.replace(CHANGED_FROM, CHANGED_TO))
    return county.url(path)


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


def sent(nights, name, night=1):
    return nights["runs"][night - 1]["sent"][name]


def url_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- the portal and the manifest ----------------------------------------------------------

def test_the_portal_serves_at_least_200_pages(nights):
    pages = nights["manifest"].pages
    assert len(pages) >= 200
    for url in sorted(pages):  # every page the manifest names really answers with content
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert answer.status == 200 and answer.read(), url
    assert len(nights["manifest"].reports) == 98


# -- acceptance: reports, skips, blocks, robots -------------------------------------------------

def test_every_report_is_found_by_url(nights):
    stored = {r["url"] for r in nights["runs"][0]["reports"]}
    assert stored == nights["manifest"].reports


def test_no_non_report_is_stored_as_a_report(nights):
    stored = {r["url"] for r in rows(nights["db"], "select url from reports")}
    manifest = nights["manifest"]
    assert not stored & set(manifest.skipped)
    assert not stored & {u for h in manifest.hosts.values() for u in h.refused}
    assert stored == manifest.reports  # after all three nights too


REASONS = {  # what the crawler's reason says, for each kind of skip in the manifest
    "not a report": ("website annual statistics", "work plan", "other annual report", "not an annual report",
                     "about a report"),
    "unrelated host": ("on an unrelated host",),
    "mirror": ("big5 mirror", "on an unrelated host"),  # a big5. host is also another host
    "withdrawn": ("withdrawn: redirects to its column",),
    "host blocked": ("host blocked for this run",),
    "robots.txt": ("disallowed by robots.txt",),
}


def test_every_skip_is_recorded_with_its_reason(nights):
    skipped = {r["url"]: r for r in rows(nights["db"], "select * from skipped")}
    for url, why in nights["manifest"].skipped.items():
        assert url in skipped, (url, why)
        assert skipped[url]["reason"].startswith(REASONS[why]), (url, why, skipped[url]["reason"])
    assert all(r["reason"] for r in skipped.values())
    # Nothing skipped was fetched (a withdrawn page is: its redirect is the evidence; a
    # host's block may be decided by the answer to one of its reports).
    fetched = {r["url"] for r in rows(nights["db"], "select url from snapshots")}
    assert not fetched & {u for u, why in nights["manifest"].skipped.items()
                          if why in ("not a report", "unrelated host", "mirror", "robots.txt")}


def test_each_nights_skips_stay_as_the_night_counted_them(nights):
    """Every night skips the same links again, which moves their one row in skipped to the
    last night; each night's own skips, by reason, stay in skipped_counts, its crawl_runs row
    and its summary as they were when it ended."""
    db = nights["db"]
    for run_id, night in enumerate(nights["runs"], start=1):
        kept = dict(db.execute("select reason, urls from skipped_counts where run_id = ?", [run_id]).fetchall())
        assert kept == night["skips"], run_id
        skipped, summary = db.execute("select skipped, summary from crawl_runs where id = ?", [run_id]).fetchone()
        assert skipped == sum(kept.values()) > 0
        listed = summary.split("pages skipped:")[1].splitlines()[1:len(kept) + 1]
        assert sorted(listed) == sorted(f"  {n} x {reason}" for reason, n in kept.items())
    assert nights["runs"][0]["skips"] == nights["runs"][1]["skips"]  # the same links, night after night
    # Night 1's rows in skipped have almost all moved to later nights: counted there, it would skip next to none.
    (left,) = db.execute("select count(*) from skipped where run_id = 1").fetchone()
    assert left < sum(nights["runs"][0]["skips"].values()) / 10


def test_every_refused_report_is_an_error_or_a_block_skip(nights):
    (refusing,) = [h for h in nights["hosts"].values() if h.refused]
    errors = {r["url"] for r in rows(nights["db"], "select url from errors where run_id = 1 and message = 'HTTP 403'")}
    blocked = {r["url"] for r in rows(nights["db"], "select url from skipped where reason like 'host blocked%'")}
    assert set(refusing.refused) <= errors | blocked
    # One reason for every blocked host's URLs; why each host was blocked is their detail.
    blocked_for = {(r["run_id"], r["host"]): f"{r['reason']}: {r['detail']}"
                   for r in rows(nights["db"], "select * from blocks")}
    skips = rows(nights["db"], "select * from skipped where reason like 'host blocked%'")
    assert skips and all((r["reason"], r["detail"]) == (
        "host blocked for this run", blocked_for[r["run_id"], urlsplit(r["url"]).hostname]) for r in skips)


@pytest.mark.parametrize("night", [1, 2, 3])
def test_every_block_is_recorded_with_its_evidence_and_nothing_is_asked_after_it(nights, night):
    db = nights["db"]
    blocks = {r["host"]: r for r in rows(db, "select * from blocks where run_id = ?", night)}
    expected = {h.host: h for h in nights["hosts"].values() if h.blocked}
    assert set(blocks) == set(expected)
    for host, block in blocks.items():
        manifest = expected[host]
        assert block["reason"] and block["site"] == manifest.site
        (evidence,) = rows(db, "select status, url from snapshots where id = ?", block["snapshot_id"])
        assert (evidence["status"], evidence["url"]) == (block["status"], block["url"])
        log = sent(nights, manifest.name, night)
        # The answer that decided the block is the host's last: nothing was asked after it.
        assert (url_path(block["url"]), block["status"]) == (log[-1].path, log[-1].status)
        assert not any(k.lower() == "cookie" for s in log for k, _ in s.request_headers)


@pytest.mark.parametrize("night", [1, 2, 3])
def test_robots_txt_is_asked_first_and_obeyed(nights, night):
    for name, host in nights["hosts"].items():
        log = sent(nights, name, night)
        if not log:
            continue
        assert log[0].path == "/robots.txt", name
        assert not [s for s in log if s.path.startswith("/search/")]
        assert not [s for s in log if any(s.path.startswith(p) for p in host.disallowed)], name
    assert [s.path for s in sent(nights, "robots-disallow", night)] == ["/robots.txt"]
    assert not [s for log in nights["runs"][night - 1]["sent"].values() for s in log if "big5" in s.path.lower()]


# -- acceptance: the second night and the third --------------------------------------------------

def body_bytes(nights, night) -> int:
    return sum(len(s.body) for log in nights["runs"][night - 1]["sent"].values() for s in log)


def test_second_night_downloads_under_a_tenth_of_the_first_and_adds_no_report_rows(nights):
    first, second = body_bytes(nights, 1), body_bytes(nights, 2)
    assert second < 0.10 * first, (first, second)
    assert nights["runs"][1]["reports"] == nights["runs"][0]["reports"]


def test_second_night_asks_for_pages_conditionally(nights):
    db = nights["db"]
    reports = nights["manifest"].reports
    second = [r for r in rows(db, "select url, kind, status from snapshots where run_id = 2 and method = 'GET'")
              if r["url"] in reports]
    assert {r["url"] for r in second} == reports
    assert {r["status"] for r in second} == {304}
    # Each column's first page was read in full; every further listing page asked for by GET
    # answered 304 and was walked from the archive (its reports were asked for above).
    starts = {page for page, _ in start_pages(nights["sites"])}
    listings = rows(db, "select url, status, request_headers from snapshots where run_id = 2 and method = 'GET' "
                        "and kind = 'listing' and status != 429")
    conditional = {r["url"]: r["status"] for r in listings
                   if "if-none-match" in {k.lower() for k, _ in json.loads(r["request_headers"])}}
    assert len(conditional) == 22 and set(conditional.values()) == {304}
    assert {r["url"] for r in listings} - set(conditional) <= starts


def test_changing_one_report_makes_exactly_that_report_a_new_version(nights):
    db = nights["db"]
    url = nights["changed"]
    versions = rows(db, "select * from reports where url = ? order by version", url)
    assert [(v["version"], v["is_current"]) for v in versions] == [(1, 0), (2, 1)]
    licensing = [rows(db, "select value from cells where report_id = ? and table_name = 'active_disclosure' "
                          "and row_key = 'licensing'", v["id"])[0]["value"] for v in versions]
    assert licensing == [52734, 52735]
    before = [r for r in nights["runs"][0]["reports"] if r["url"] != url]
    after = [r for r in nights["runs"][2]["reports"] if r["url"] != url]
    assert after == before


# -- the registry's agency and region ----------------------------------------------------------

def test_registry_sites_are_stored_and_reports_tied_to_theirs(nights):
    from portal.county_site import DEPARTMENTS

    db = nights["db"]
    sites = {r["name"]: r for r in rows(db, "select * from sites")}
    assert len(sites) == 13 and all(s["agency"] and s["region"] for s in sites.values())
    county = sites["示范县部门信息公开年报"]
    assert (county["agency"], county["region"]) == ("示范县人民政府", "990121")
    assert json.loads(county["start_urls"]) == [nights["portal"].portals["county"].start_url]
    tied = {r["url"]: r["site"] for r in rows(db, "select r.url, s.name as site from reports r "
                                                  "join sites s on s.id = r.site_id")}
    assert set(tied) == nights["manifest"].reports
    for host in nights["hosts"].values():
        for url in host.reports:
            if host.site:
                assert tied[url] == host.site, url
    # The registry's agency sits beside the one the parser read from the page.
    got = rows(db, "select * from site_reports where site = ?", "示范县部门信息公开年报")
    assert len(got) == 45 and {r["registry_agency"] for r in got} == {"示范县人民政府"}
    assert {r["agency"] for r in got} == {"示范县" + d for d in DEPARTMENTS}


# -- the flavours -------------------------------------------------------------------------------

def test_each_flavour_paged_its_own_way(nights):
    listing = rows(nights["db"], "select method, url, request_body from snapshots where kind = 'listing' and run_id = 1")
    by_host = {}
    for r in listing:
        by_host.setdefault(urlsplit(r["url"]).hostname, []).append(r)
    hosts = {name: nights["hosts"][name].host for name in FLAVOUR_SITES + ("county",)}
    assert len(by_host[hosts["trs"]]) == 6  # 3 column pages + 2 (2024n) + 1 (2023n)
    assert any("/2024n/" in r["url"] for r in by_host[hosts["trs"]])
    posts = [r for r in by_host[hosts["hanweb"]] if r["method"] == "POST"]
    assert len(posts) == 2 and all(b"columnid=12377" in r["request_body"] for r in posts)
    assert sum("jquery/jpage/dataproxy.jsp?page=" in r["url"] for r in by_host[hosts["hanweb"]]) == 2
    assert sum("/gkmlpt/api/all/2580?page=" in r["url"] for r in by_host[hosts["gkmlpt"]]) == 3
    assert sum("/gkmlpt/api/all/2581?page=" in r["url"] for r in by_host[hosts["gkmlpt"]]) == 2
    assert len(by_host[hosts["generic"]]) == 3 and len(by_host[hosts["legacy"]]) == 3
    assert len(by_host[hosts["county"]]) == 3
    keys = [(r["method"], r["url"], r["request_body"]) for r in listing
            if urlsplit(r["url"]).hostname in hosts.values()]
    assert len(keys) == len(set(keys))  # nothing was asked for twice


def test_no_non_report_page_was_requested(nights):
    for name in FLAVOUR_SITES + ("county",):
        non_reports = set(nights["portal"].portals[name].site.paths("non_report"))
        for night in (1, 2, 3):
            assert not {urlsplit(s.path).path for s in sent(nights, name, night)} & non_reports


def test_cross_host_reports_of_the_same_body_are_followed(nights):
    department = nights["hosts"]["department"].base_url
    got = rows(nights["db"], "select url, title from reports where url like ?", department + "%")
    assert len(got) == 5 and {r["title"] for r in got} == {"示范区财政局2024年政府信息公开工作年度报告"}


def seed_cells(seed: str) -> dict:
    values = json.loads(get_test_file("seeds", f"{seed}.expected.json").read_text(encoding="utf-8"))
    return {(t, row, col): v for t in ("active_disclosure", "applications", "reviews_litigation")
            for row, cols in (values.get(t) or {}).items() for col, v in cols.items() if v is not None}


def cells_of(db, url):
    (report,) = rows(db, "select id from reports where url = ? and is_current = 1", url)
    return {(c["table_name"], c["row_key"], c["column_key"]): c["value"]
            for c in rows(db, "select * from cells where report_id = ?", report["id"])}


def test_pdf_only_reports_come_out_of_their_attachment_with_numbers(nights):
    db = nights["db"]
    want = seed_cells(PDF_SEED)
    for name in FLAVOUR_SITES:
        (url,) = nights["portal"].portals[name].site.extra["attachments"]
        (snap,) = rows(db, "select kind, status from snapshots where url = ? and run_id = 1", url)
        assert snap == {"kind": "attachment", "status": 200}, name
        assert cells_of(db, url) == pytest.approx(want), name
        (report,) = rows(db, "select year from reports where url = ?", url)
        assert report["year"] == 2024


def test_county_reports_carry_their_synthetic_values(nights):
    from portal.county_site import county_reports

    db = nights["db"]
    by_title = {r.title: r for r in county_reports()}
    found = rows(db, "select url, title from reports where url like ? and url != ?",
                 nights["hosts"]["county"].base_url + "%", nights["changed"])
    assert len(found) == 44
    for report in found:
        synthetic = by_title[report["title"]]
        want = {k: v * synthetic.factor for k, v in seed_cells(synthetic.template).items()}
        assert cells_of(db, report["url"]) == pytest.approx(want), report["title"]
    assert not rows(db, "select * from reports where url like ? and failing_rules != '[]'",
                    nights["hosts"]["county"].base_url + "%")


def test_gkmlpt_report_is_parsed_from_its_detail_json(nights):
    db = nights["db"]
    base = nights["hosts"]["gkmlpt"].base_url
    (report,) = rows(db, "select url, has_tables from reports where url like ? and title like '合作市%'", base + "%")
    assert report["has_tables"] == 1
    assert cells_of(db, report["url"]) == pytest.approx(seed_cells("003_1cf59b4176a625ae"))


@pytest.mark.parametrize("night", [1, 2, 3])
def test_two_gkmlpt_categories_of_one_shell_are_read_the_shell_asked_for_once(nights, night):
    """The registry lists /gkmlpt/index#2580 (政府信息公开年报) and #2581 (部门信息公开年报): one
    shell page, fetched once a night, and each category's API pages, each once."""
    from portal.flavour_sites import GKMLPT_SID

    host = nights["hosts"]["gkmlpt"]
    site = nights["portal"].portals["gkmlpt"].site
    (starts,) = [s["start_urls"] for s in nights["sites"] if s["name"] == host.site]
    assert [u[len(host.base_url):] for u in starts] == ["/gkmlpt/index#2580", "/gkmlpt/index#2581"]
    asked = Counter(s.path for s in sent(nights, "gkmlpt", night) if s.method == "GET")
    assert asked["/gkmlpt/index"] == 1
    api_pages = [f"/gkmlpt/api/all/{category}?page={n}&sid={GKMLPT_SID}"
                 for category, count in site.extra["api_pages"].items() for n in range(1, count + 1)]
    assert len(api_pages) == 5 and {p: n for p, n in asked.items() if "/api/" in p} == dict.fromkeys(api_pages, 1)
    # Both categories' reports are found, each for the site, night after night.
    departments = [u for u in host.reports if "/content/2/2581/" in u]
    stored = {r["url"] for r in nights["runs"][night - 1]["reports"]}
    assert len(departments) == 4 and set(host.reports) <= stored
    db = nights["db"]
    tied = {r["url"]: r["site"] for r in rows(db, "select url, site from site_reports where url like ?",
                                              host.base_url + "/gkmlpt/content/2/2581/%")}
    assert tied == dict.fromkeys(departments, host.site)
    # After the first night, the shell is read in full (a start page), the rest answers 304.
    snapshots = rows(db, "select url, status from snapshots where run_id = ? and url like ? and kind != 'robots'",
                     night, host.base_url + "/gkmlpt/%")
    shell = host.base_url + "/gkmlpt/index"  # as fetched: no fragment
    assert [(r["url"], r["status"]) for r in snapshots if r["url"].startswith(shell)] == [(shell, 200)]
    if night > 1:
        assert {r["status"] for r in snapshots if r["url"] != shell} == {304}


def test_gkmlpt_department_reports_carry_their_synthetic_values(nights):
    from portal.flavour_sites import GKMLPT_DEPARTMENT_CATEGORY, GKMLPT_DEPARTMENTS
    from portal.synthetic import TEMPLATE_SEEDS

    db = nights["db"]
    base = nights["hosts"]["gkmlpt"].base_url + f"/gkmlpt/content/2/{GKMLPT_DEPARTMENT_CATEGORY}/"
    found = rows(db, "select url, title, agency from site_reports where url like ? order by url", base + "%")
    assert [r["agency"] for r in found] == ["示范区" + d for d in GKMLPT_DEPARTMENTS]
    for n, report in enumerate(found):
        want = {k: v * (51 + n) for k, v in seed_cells(TEMPLATE_SEEDS[n % 2]).items()}
        assert cells_of(db, report["url"]) == pytest.approx(want), report["title"]


def test_legacy_gb2312_pages_decode_as_gb18030_from_their_meta(nights):
    base = nights["hosts"]["legacy"].base_url
    snaps = rows(nights["db"], "select encoding, encoding_source from snapshots where url like ? and run_id = 1 "
                 "and kind not in ('robots', 'attachment')", base + "%")
    assert snaps and {(s["encoding"], s["encoding_source"]) for s in snaps} == {("gb18030", "meta")}


# -- the hostile hosts --------------------------------------------------------------------------

@pytest.mark.parametrize("name, status, marker", [
    ("challenge-412", 412, b"$_ts=window['$_ts']"),
    ("challenge-521", 521, b"document.cookie=('_')+('_')+('j')"),
    ("challenge-200", 200, b"$_ts=window['$_ts']"),
])
def test_script_challenge_blocks_the_host_with_the_answer_as_evidence(nights, name, status, marker):
    from archive.snapshots import read_snapshot
    from parsers import decode_http_body

    (block,) = rows(nights["db"], "select * from blocks where run_id = 1 and host = ?", nights["hosts"][name].host)
    assert block["status"] == status and block["reason"].endswith("script challenge")
    snapshot = read_snapshot(nights["db"], block["snapshot_id"])
    assert snapshot.status == status and marker in decode_http_body(snapshot.body, snapshot.content_encoding)
    answers = [s for s in sent(nights, name) if marker in s.body]
    assert len(answers) == 1 and answers[0].status == status  # never answered, never asked again


def test_412_challenge_on_robots_txt_blocks_before_any_page(nights):
    for night in (1, 2, 3):
        assert [(s.path, s.status) for s in sent(nights, "challenge-412", night)] == [("/robots.txt", 412)]
    (block,) = rows(nights["db"], "select * from blocks where run_id = 1 and host = ?",
                    nights["hosts"]["challenge-412"].host)
    assert (block["reason"], block["detail"]) == (
        "$_ts script challenge", "HTTP 412: $_ts script, r='m' markup, cookie NfBCSins2OywS")


def test_repeated_refusals_block_the_host(nights):
    host = nights["hosts"]["refusing"]
    (block,) = rows(nights["db"], "select * from blocks where run_id = 1 and host = ?", host.host)
    assert (block["reason"], block["detail"]) == (
        "refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS)", "HTTP 403: 3 refusals in a row")
    log = sent(nights, "refusing")
    assert [s.status for s in log].count(403) == 3 and log[-1].status == 403
    errors = rows(nights["db"], "select message from errors where run_id = 1 and url like ?", host.base_url + "%")
    assert [e["message"] for e in errors] == ["HTTP 403", "HTTP 403"]


def test_block_reasons_are_a_few_sentences_to_facet_by(nights):
    """Three nights, twelve blocks, three reasons: what varies per host (its status, the
    challenge's markers, the number of refusals) is the detail, the same each night."""
    db = nights["db"]
    facet = dict(db.execute("select reason, count(*) from blocks group by reason").fetchall())
    assert facet == {"$_ts script challenge": 6, "__jsl_clearance-style script challenge": 3,
                     "refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS)": 3}
    hosts = {h.host: name for name, h in nights["hosts"].items()}
    for night in (1, 2, 3):
        why = {hosts[r["host"]]: (r["reason"], r["detail"])
               for r in rows(db, "select * from blocks where run_id = ?", night)}
        assert why == {
            "challenge-412": ("$_ts script challenge", "HTTP 412: $_ts script, r='m' markup, cookie NfBCSins2OywS"),
            "challenge-200": ("$_ts script challenge", "HTTP 200: $_ts script, r='m' markup"),
            "challenge-521": ("__jsl_clearance-style script challenge", "HTTP 521, sets document.cookie"),
            "refusing": ("refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS)", "HTTP 403: 3 refusals in a row"),
        }, night


def test_blocks_are_counted_in_the_run_and_drops_are_no_errors(nights):
    run = rows(nights["db"], "select * from crawl_runs where id = 1")[0]
    assert run["blocked"] == 4 and run["status"] == "finished"
    errors = rows(nights["db"], "select * from errors")
    assert {(e["error"], e["message"]) for e in errors} == {("HttpError", "HTTP 403")}  # the refusing host only


def test_rate_limited_host_is_retried_after_its_wait_not_blocked(nights):
    log = sent(nights, "rate-limited")
    assert [s.status for s in log if s.path == "/zwgk/zfxxgknb/index.html"] == [429, 429, 200]
    for answer, following in zip(log, log[1:]):
        if answer.status == 429:
            assert following.received_at - answer.sent_at >= 0.95  # Retry-After: 1


def test_withdrawn_report_is_recorded_not_parsed(nights):
    host = nights["hosts"]["hostile-column"]
    site = nights["portal"].portals["hostile-column"].site
    url = host.base_url + site.extra["withdrawn"]
    (skip,) = rows(nights["db"], "select * from skipped where url = ?", url)
    assert skip["title"] == "示范区人民政府2023年政府信息公开工作年度报告"
    assert rows(nights["db"], "select status from snapshots where url = ? and run_id = 1", url) == [{"status": 302}]
    column = [s for s in sent(nights, "hostile-column") if s.path.startswith("/zwgk/zfxxgknb/index")]
    assert len(column) == 1  # the column was not fetched again as the "report"


def test_report_with_tables_as_images_is_parsed_and_says_so(nights):
    site = nights["portal"].portals["hostile-column"].site
    url = nights["hosts"]["hostile-column"].base_url + site.extra["images"]
    (report,) = rows(nights["db"], "select * from reports where url = ?", url)
    kinds = [p["kind"] for p in rows(nights["db"], "select kind from problems where report_id = ?", report["id"])]
    assert kinds.count("tables_as_images") == 3 and report["has_tables"] == 0


def test_the_crawl_stays_on_loopback(nights, netguard_log):
    assert netguard_log.read_text() == ""


# -- the sites table alone ----------------------------------------------------------------------

def test_sites_are_added_to_an_older_archive_and_updated_from_the_registry(tmp_path):
    from archive.schema import open_database
    from archive.sites import attach_site, record_sites

    db = open_database(tmp_path / "n.db")
    report = db["reports"].insert({"url": "http://a/t1.html", "version": 1, "is_current": 1}).last_pk
    # An archive from before the sites table (schema 3): no table, no column.
    for kind, name in db.execute("select type, name from sqlite_master where type in ('view', 'trigger') "
                                 "and sql like '%sites%'").fetchall():
        db.execute(f"drop {kind} [{name}]")
    db.execute("drop table sites")
    db.execute("drop index idx_reports_site_id")
    db.execute("alter table reports drop column site_id")
    db.execute("pragma user_version = 3")
    db.close()
    db = open_database(tmp_path / "n.db")
    assert db["reports"].get(report)["site_id"] is None  # unknown until its site is crawled again
    assert [fk.other_table for fk in db["reports"].foreign_keys if fk.column == "site_id"] == ["sites"]

    ids = record_sites(db, [{"name": "A", "start_urls": ["http://a/"], "agency": "甲", "region": "990100"}])
    attach_site(db, "http://a/t1.html", ids["A"])
    again = record_sites(db, [{"name": "A", "start_urls": ["http://a/"], "agency": "甲局", "region": "990101"},
                              {"name": "B", "start_urls": ["http://b/"]}])
    assert again["A"] == ids["A"]
    attach_site(db, "http://a/t1.html", again["B"])  # the first site that found it keeps it
    assert [(r["site"], r["registry_agency"], r["region"]) for r in db.query("select * from site_reports")] == [
        ("A", "甲局", "990101")]
