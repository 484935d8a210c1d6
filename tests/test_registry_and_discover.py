"""The site registry (YAML, checked with one-line errors), which hosts belong to a site, and
`nianbao discover` finding report columns on the imitation flavour sites."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.registry import RegistryError, belongs_to_site, load_registry, validate_registry

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_entry_is_read(tmp_path):
    (site,) = load_registry(write(tmp_path, """
- name: 城中区人民政府
  start_urls: [http://www.example.gov.cn/zwgk/zfxxgknb/index.html]
  flavour: trs
  agency: 城中区人民政府
  region: 630103
  hosts: [xxgk.example.gov.cn]
  verified: false
"""))
    assert site == {"name": "城中区人民政府", "start_urls": ["http://www.example.gov.cn/zwgk/zfxxgknb/index.html"],
                    "flavour": "trs", "agency": "城中区人民政府", "region": "630103",
                    "hosts": ["xxgk.example.gov.cn"], "verified": False}


@pytest.mark.parametrize("text,message", [
    ("- start_urls: [http://a.gov.cn/]", "site 1: missing name"),
    ("- name: A\n  start_urls: []", "site 1 (A): start_urls must be a non-empty list"),
    ("- name: A\n  start_urls: [ftp://a.gov.cn/x]", "site 1 (A): start_urls: not an http(s) URL: 'ftp://a.gov.cn/x'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  flavour: joomla", "site 1 (A): unknown flavour 'joomla'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  regoin: '110000'", "site 1 (A): unknown field 'regoin'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  region: '11'", "site 1 (A): region must be a 6, 9 or 12-digit"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n- name: A\n  start_urls: [http://b.gov.cn/]",
     "site 2: duplicate name 'A'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  verified: 'no'", "verified must be true or false"),
    ("name: A", "expected a non-empty list of sites"),
    ("- name: A\n  start_urls: [http://a.gov.cn/\n", "not valid YAML"),
])
def test_bad_registries_are_refused_in_one_line(tmp_path, text, message):
    with pytest.raises(RegistryError) as info:
        load_registry(write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_shipped_registries_load():
    assert load_registry(REPO / "sites" / "demo.yaml")[0]["start_urls"][0].startswith("http://127.0.0.1:8000/")
    real = load_registry(REPO / "sites" / "cn-unverified.yaml")
    assert len(real) >= 8
    assert all(site["verified"] is False for site in real)
    assert {"trs", "hanweb", "gkmlpt"} <= {site.get("flavour") for site in real}


def test_hosts_of_a_site():
    site = validate_registry([{"name": "A", "start_urls": ["http://www.gd.gov.cn/gkmlpt/index"],
                               "hosts": ["127.0.0.7:8080"]}])[0]
    assert belongs_to_site(site, "http://www.gd.gov.cn/gkmlpt/content/post_1.html")
    assert belongs_to_site(site, "http://zwgk.gd.gov.cn/x.html")           # same registered domain
    assert belongs_to_site(site, "http://127.0.0.7:9999/bm/t20250101_1.html")   # listed in hosts
    assert not belongs_to_site(site, "http://www.sz.gov.cn/x.html")
    assert not belongs_to_site(site, "http://127.0.0.8/x.html")
    # gov.cn is a public suffix: two bodies under it are not one site
    other = validate_registry([{"name": "B", "start_urls": ["http://www.gov.cn/zhengce/"]}])[0]
    assert not belongs_to_site(other, "http://www.ndrc.gov.cn/x.html")


def test_crawl_refuses_a_bad_registry_in_one_line(run_nianbao, tmp_path):
    path = write(tmp_path, "- name: A\n  start_urls: [http://a.gov.cn/]\n  flavour: joomla\n")
    result = run_nianbao("crawl", "--sites", path, "--data", tmp_path, check=False)
    assert result.returncode != 0
    assert "Error:" in result.stderr and "unknown flavour 'joomla'" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_nianbao("crawl", "--data", tmp_path, check=False)
    assert result.returncode != 0 and "--sites FILE or at least one --start-url" in result.stderr


def test_crawl_refuses_a_start_url_as_the_registry_does(run_nianbao, tmp_path):
    result = run_nianbao("crawl", "--start-url", "http://127.0.0.1:9/", "--start-url", "notaurl",
                         "--profile", "demo", "--data", tmp_path, check=False)
    assert (result.returncode, result.stderr) == (1, "Error: --start-url: not an http(s) URL: 'notaurl'\n")
    assert not (tmp_path / "nianbao.db").exists()  # refused before anything was opened


def test_crawl_help_shows_a_registry_example(run_nianbao):
    assert "nianbao crawl --sites sites/demo.yaml" in run_nianbao("crawl", "--help").stdout
    assert "nianbao discover http" in run_nianbao("discover", "--help").stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from portal.world import start_flavour_sites, stop_all

    directory = tmp_path_factory.mktemp("discover-world")
    portals, _ = start_flavour_sites(directory)
    yield portals
    stop_all(portals)


@pytest.mark.parametrize("name,flavour,columns", [
    ("trs", "trs", ["/zwgk/zfxxgknb/index.html"]),
    ("hanweb", "hanweb", ["/col/col12377/index.html", "/col/col12378/index.html"]),
    ("gkmlpt", "gkmlpt", ["/gkmlpt/index"]),
    ("legacy", "generic", ["/list.asp?classid=12&page=1"]),
])
def test_discover_finds_the_report_columns_from_the_home_page(world, run_nianbao, tmp_path, name, flavour, columns):
    portal = world[name]
    out = tmp_path / "found.yaml"
    result = run_nianbao("discover", portal.base_url + "/", "--out", out, "--data", tmp_path, "--profile", "test")
    (entry,) = load_registry(out)
    assert entry["flavour"] == flavour
    assert entry["start_urls"] == [portal.url(c) for c in columns]
    assert entry["name"] == "示范区人民政府"
    assert "start_urls:" in result.stdout
    # polite and bounded: robots.txt first, a handful of pages, each archived
    db = sqlite3.connect(tmp_path / "nianbao.db")
    urls = [u for (u,) in db.execute("select url from snapshots order by id")]
    assert urls[0].endswith("/robots.txt") and len(urls) <= 6


def test_discovered_entries_crawl_the_whole_column(world, run_nianbao, tmp_path):
    portal = world["hanweb"]
    out = tmp_path / "found.yaml"
    run_nianbao("discover", portal.base_url + "/zwgk/index.html", "--out", out, "--data", tmp_path / "d",
                "--profile", "test")
    run_nianbao("crawl", "--sites", out, "--data", tmp_path / "c", "--profile", "test")
    db = sqlite3.connect(tmp_path / "c" / "nianbao.db")
    stored = {u for (u,) in db.execute("select url from reports")}
    site = portal.site.extra
    # the department host is not in a discovered entry: its report is skipped as unrelated
    own = {u for u in site["reports"] if u.startswith(portal.base_url)}
    assert stored == own | set(site["attachments"])


def test_discover_reports_when_nothing_is_found(world, run_nianbao, tmp_path):
    result = run_nianbao("discover", world["department"].base_url + "/robots.txt", "--data", tmp_path,
                         "--profile", "test", check=False)
    assert result.returncode != 0 and "no report column found" in result.stderr


def test_discover_takes_a_column_linked_as_its_directory_and_its_index_page_for_one(run_nianbao, tmp_path):
    from portal import DemoPortal

    out = tmp_path / "found.yaml"
    with DemoPortal() as portal:  # its pages link the column as /zwgk/zfxxgknb/ and .../index.html
        result = run_nianbao("discover", portal.base_url + "/", "--out", out, "--data", tmp_path, "--profile",
                             "test")
        column = portal.url("/zwgk/zfxxgknb/")
    (entry,) = load_registry(out)
    assert entry["start_urls"] == [column]
    db = sqlite3.connect(tmp_path / "nianbao.db")
    fetched = [u for (u,) in db.execute("select url from snapshots where url like '%/zfxxgknb/%'")]
    assert fetched == [column]  # asked for once
    assert "start_urls:" in result.stdout


@pytest.mark.parametrize("url,same", [
    ("http://h/col/index.html", "http://h/col/"),
    ("http://h/col/index.shtml#top", "http://h/col/"),
    ("http://h/col/Default.aspx", "http://h/col/"),
    ("http://h/col/index.jsp", "http://h/col/"),
    ("http://h/col/", "http://h/col/"),
    ("http://h/list.asp?classid=12&page=1", "http://h/list.asp?classid=12&page=1"),
    ("http://h/col/index_1.html", "http://h/col/index_1.html"),
    ("http://h/col/t20240130_1.html", "http://h/col/t20240130_1.html"),
])
def test_a_default_document_is_its_directory(url, same):
    from crawler.listing import directory_url

    assert directory_url(url) == same


def test_discover_logs_warnings_only_unless_told_otherwise(tmp_path):
    from crawler.discover import discover_settings

    assert discover_settings(tmp_path)["LOG_LEVEL"] == "WARNING"  # polite: the crawl's INFO log is for nightly runs
    assert discover_settings(tmp_path, overrides={"LOG_LEVEL": "INFO"})["LOG_LEVEL"] == "INFO"
