"""All flavour sites crawled for real: five sites (TRS, Hanweb, gkmlpt, generic, legacy GB2312)
and the department host, each on its own loopback address, crawled through
`nianbao crawl --sites` in a subprocess into one archive."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest

from conftest import get_test_file

FLAVOUR_SITES = ("trs", "hanweb", "gkmlpt", "generic", "legacy")
PDF_SEED = "000_a7e6a703afb669e1"     # tests/data/attachments/report_2024.pdf carries its numbers


@pytest.fixture(scope="module")
def world(tmp_path_factory, run_nianbao):
    from portal.world import start_flavour_sites, stop_all

    data = tmp_path_factory.mktemp("flavours")
    portals, registry = start_flavour_sites(data, pdf=get_test_file("attachments", "report_2024.pdf").read_bytes())
    try:
        result = run_nianbao("crawl", "--sites", registry, "--data", data, "--profile", "test")
        sent = {name: list(p.sent) for name, p in portals.items()}
        bases = {name: p.base_url for name, p in portals.items()}
        reparse = run_nianbao("reparse", "--data", data)
    finally:
        stop_all(portals)
    db = sqlite3.connect(data / "nianbao.db")
    db.row_factory = sqlite3.Row
    yield {"db": db, "portals": portals, "sent": sent, "output": result.stdout, "reparse": reparse.stdout, "bases": bases,
           "data": data}
    db.close()


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


def expected(world, key):
    return {name: world["portals"][name].site.extra[key] for name in FLAVOUR_SITES}


def test_every_report_and_pdf_attachment_is_found_exactly(world):
    stored = {r["url"] for r in rows(world["db"], "select url from reports")}
    want = set()
    for name in FLAVOUR_SITES:
        site = world["portals"][name].site.extra
        assert len(site["reports"]) == 7 and len(site["attachments"]) == 1
        want |= set(site["reports"]) | set(site["attachments"])
    assert stored == want
    assert len(stored) == 40


def test_each_flavour_paged_its_own_way(world):
    listing = rows(world["db"], "select method, url, request_body from snapshots where kind = 'listing'")
    by_host = {}
    for r in listing:
        by_host.setdefault(urlsplit(r["url"]).hostname, []).append(r)
    hosts = {name: urlsplit(world["bases"][name]).hostname for name in FLAVOUR_SITES}
    assert len(by_host[hosts["trs"]]) == 6                   # 3 column pages + 2 (2024n) + 1 (2023n)
    assert any("/2024n/" in r["url"] for r in by_host[hosts["trs"]])
    posts = [r for r in by_host[hosts["hanweb"]] if r["method"] == "POST"]
    assert len(posts) == 2 and all(b"columnid=12377" in r["request_body"] for r in posts)
    assert sum("jquery/jpage/dataproxy.jsp?page=" in r["url"] for r in by_host[hosts["hanweb"]]) == 2
    assert sum("/gkmlpt/api/all/2580?page=" in r["url"] for r in by_host[hosts["gkmlpt"]]) == 3
    assert len(by_host[hosts["generic"]]) == 3 and len(by_host[hosts["legacy"]]) == 3
    # nothing was asked for twice
    keys = [(r["method"], r["url"], r["request_body"]) for r in listing]
    assert len(keys) == len(set(keys))


def test_non_reports_and_unrelated_hosts_are_skipped_with_reasons_never_fetched(world):
    db = world["db"]
    skipped = {r["url"]: r for r in rows(db, "select * from skipped")}
    want = {url: title for site in expected(world, "skipped").values() for url, title in site.items()}
    assert set(skipped) == set(want)
    assert all(skipped[u]["title"] == t and skipped[u]["reason"] for u, t in want.items())
    unrelated = [r for r in skipped.values() if "127.0.0.99" in r["url"]]
    assert len(unrelated) == 5 and {r["reason"] for r in unrelated} == {"on an unrelated host (not followed)"}
    fetched = {r["url"] for r in rows(db, "select url from snapshots")}
    assert not fetched & set(skipped)
    assert not {r["url"] for r in rows(db, "select url from reports")} & set(skipped)
    # no non-report page was requested from any server
    for name in FLAVOUR_SITES:
        site = world["portals"][name].site
        non_reports = set(site.paths("non_report"))
        assert not {urlsplit(s.path).path for s in world["sent"][name]} & non_reports


def test_cross_host_reports_of_the_same_body_are_followed(world):
    department = world["bases"]["department"]
    got = rows(world["db"], "select url, title from reports where url like ?", department + "%")
    assert len(got) == 5 and {r["title"] for r in got} == {"示范区财政局2024年政府信息公开工作年度报告"}


def seed_cells(seed: str) -> dict:
    values = json.loads(get_test_file("seeds", f"{seed}.expected.json").read_text(encoding="utf-8"))
    return {(t, row, col): v for t in ("active_disclosure", "applications", "reviews_litigation")
            for row, cols in (values.get(t) or {}).items() for col, v in cols.items()}


def cells_of(db, url):
    (report,) = rows(db, "select id from reports where url = ?", url)
    return {(c["table_name"], c["row_key"], c["column_key"]): c["value"]
            for c in rows(db, "select * from cells where report_id = ?", report["id"])}


def test_pdf_only_report_comes_out_of_its_attachment_with_numbers(world):
    db = world["db"]
    want = seed_cells(PDF_SEED)
    for name, (url,) in expected(world, "attachments").items():
        (snap,) = rows(db, "select kind, status from snapshots where url = ?", url)
        assert snap == {"kind": "attachment", "status": 200}, name
        assert cells_of(db, url) == pytest.approx(want), name
        (report,) = rows(db, "select year, text_form from reports where url = ?", url)
        assert report["year"] == 2024


def test_gkmlpt_report_is_parsed_from_its_detail_json_also_on_reparse(world):
    db = world["db"]
    base = world["bases"]["gkmlpt"]
    (report,) = rows(db, "select url, title, has_tables from reports where url like ? and title like '合作市%'",
                     base + "%")
    assert report["has_tables"] == 1
    assert cells_of(db, report["url"]) == pytest.approx(seed_cells("003_1cf59b4176a625ae"))
    assert "0 failed" in world["reparse"]


def test_legacy_gb2312_pages_decode_as_gb18030_from_their_meta(world):
    base = world["bases"]["legacy"]
    snaps = rows(world["db"], "select encoding, encoding_source from snapshots where url like ? and kind != 'robots' "
                 "and kind != 'attachment'", base + "%")
    assert snaps and {(s["encoding"], s["encoding_source"]) for s in snaps} == {("gb18030", "meta")}
    (report,) = rows(world["db"], "select has_tables from reports where url like ? and title like '合作市%'", base + "%")
    assert report["has_tables"] == 1


def test_no_errors_and_loopback_only(world, netguard_log):
    assert rows(world["db"], "select * from errors") == []
    assert netguard_log.read_text() == ""
    assert "reports found:        40" in world["output"]
