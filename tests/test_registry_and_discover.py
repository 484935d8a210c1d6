"""The site registry (YAML, checked with one-line errors), which hosts belong to a site, and
`nianbao discover` finding report columns on the imitation flavour sites."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import get_test_file, registry_sites
from crawler.registry import read_registries
from crawler.site_hosts import belongs_to_site

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_entry_is_read(tmp_path):
    (site,) = registry_sites(write(tmp_path, """
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


# The mistakes a contributor makes, each one line naming the file, the line, the site and the key.
BAD_ENTRIES = [
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  flavor: trs\n",
     "{f}:3: site 1 (A): flavor: unknown key; did you mean flavour?"),
    ("- name: A\n  start_url: http://a.gov.cn/\n",
     "{f}:2: site 1 (A): start_url: unknown key; did you mean start_urls?"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  regoin: '110000'\n",
     "{f}:3: site 1 (A): regoin: unknown key; did you mean region?"),
    ("- name: A\n  start_urls: http://a.gov.cn/x/, http://a.gov.cn/y/\n",
     "{f}:2: site 1 (A): start_urls: 'http://a.gov.cn/x/, http://a.gov.cn/y/' is not one item: write a list, "
     "[a, b], or one `- a` line each"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  hosts: xxgk.a.gov.cn, b.gov.cn\n",
     "{f}:3: site 1 (A): hosts: 'xxgk.a.gov.cn, b.gov.cn' is not one item: write a list, [a, b], or one `- a` "
     "line each"),
    ("- name: A\n  start_urls: {url: http://a.gov.cn/}\n",
     "{f}:2: site 1 (A): start_urls: must be a list of URLs of the report column page(s), got keys"),
    ("- name: A\n  start_urls: [www.a.gov.cn/zwgk/]\n",
     "{f}:2: site 1 (A): start_urls: not an http(s) URL: 'www.a.gov.cn/zwgk/': begin it with http:// or https://"),
    ("- name: A\n  start_urls: [ftp://a.gov.cn/x]\n", "{f}:2: site 1 (A): start_urls: not an http(s) URL: 'ftp://a.gov.cn/x'"),
    ("- name: A\n  start_urls: http://a.gov.cn/x/,http://a.gov.cn/y/\n",
     "{f}:2: site 1 (A): start_urls: not one URL: 'http://a.gov.cn/x/,http://a.gov.cn/y/' (several? write a list: "
     "[URL, URL])"),
    ("- name: A\n  start_urls: []\n",
     "{f}:2: site 1 (A): start_urls: missing: each site needs the URL(s) of its report column, "
     "start_urls: [http://…/index.html]"),
    ("- name: A\n", "{f}:1: site 1 (A): start_urls: missing: each site needs the URL(s) of its report column, "
                    "start_urls: [http://…/index.html]"),
    ("- start_urls: [http://a.gov.cn/]\n", "{f}:1: site 1: no name: each site needs `name: …`"),
    ("- name: 2024\n  start_urls: [http://a.gov.cn/]\n",
     '{f}:1: site 1: name: must be text, got the number 2024 (quote it: name: "2024")'),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  name: B\n",
     "{f}:3: site 1 (B): name: given twice in this entry, at lines 1 and 3"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  flavour: jcms\n",
     "{f}:3: site 1 (A): flavour: unknown flavour 'jcms'; choose from trs, hanweb, gkmlpt, generic "
     "(or leave it out: detected)"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  flavour: TRS\n",
     "{f}:3: site 1 (A): flavour: unknown flavour 'TRS'; did you mean trs? (or leave it out: detected)"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  region: '11'\n",
     "{f}:3: site 1 (A): region: must be a 6, 9 or 12-digit division code, got '11'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  region: 0110000\n",
     "{f}:3: site 1 (A): region: must be a 6, 9 or 12-digit division code, got 36864 (quote it: a number with a "
     "leading 0 reads as octal)"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n  verified: 'no'\n",
     "{f}:3: site 1 (A): verified: must be true or false, got 'no'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n- name: A\n  start_urls: [http://b.gov.cn/]\n",
     "{f}:3: site 2 (A): name: 'A' is already the name of site 1 (line 1)"),
    # one column under two names: the crawl would fetch it once, for the first
    ("- name: A\n  start_urls: [http://a.gov.cn/nb/index.html]\n- name: B\n  start_urls: [http://A.gov.cn/nb/]\n",
     "{f}:4: site 2 (B): start_urls: http://A.gov.cn/nb/ is the same page as http://a.gov.cn/nb/index.html, "
     "a start URL of site 1 (A, line 1); the crawl fetches a page once, for one site"),
    # gkmlpt's categories of one shell page: each once, for one site (two sites may name two)
    ("- name: A\n  start_urls: [http://a.gov.cn/gkmlpt/index#2580, http://a.gov.cn/gkmlpt/index#2580]\n",
     "{f}:2: site 1 (A): start_urls: http://a.gov.cn/gkmlpt/index#2580 is already a start URL of this site; "
     "the crawl fetches a page once, for one site"),
    ("- name: A\n  start_urls: [http://a.gov.cn/gkmlpt/index#2580]\n"
     "- name: B\n  start_urls: [http://A.gov.cn/gkmlpt/index#2581, http://a.gov.cn/gkmlpt/index#2580]\n",
     "{f}:4: site 2 (B): start_urls: http://a.gov.cn/gkmlpt/index#2580 is already a start URL of site 1 (A, line 1); "
     "a gkmlpt category is crawled for one site"),
    # without a category the shell's report column is read, which may be the other site's
    ("- name: A\n  start_urls: [http://a.gov.cn/gkmlpt/index#2580]\n"
     "- name: B\n  start_urls: [http://a.gov.cn/gkmlpt/index]\n",
     "{f}:4: site 2 (B): start_urls: http://a.gov.cn/gkmlpt/index is the same page as "
     "http://a.gov.cn/gkmlpt/index#2580, a start URL of site 1 (A, line 1); the crawl fetches a page once, "
     "for one site (sites may share a gkmlpt shell page only by naming each its own category, #…)"),
    # other flavours read no fragment: two sites on one page would be one site's
    ("- name: A\n  start_urls: [http://a.gov.cn/nb/#1]\n  flavour: trs\n"
     "- name: B\n  start_urls: [http://a.gov.cn/nb/#2]\n",
     "{f}:5: site 2 (B): start_urls: http://a.gov.cn/nb/#2 is the same page as http://a.gov.cn/nb/#1, a start URL "
     "of site 1 (A, line 1); the crawl fetches a page once, for one site"),
    ("- name: A\n  start_urls: [http://a.gov.cn/gkmlpt/index#2580]\n  flavour: trs\n"
     "- name: B\n  start_urls: [http://a.gov.cn/gkmlpt/index#2581]\n",
     "{f}:5: site 2 (B): start_urls: http://a.gov.cn/gkmlpt/index#2581 is the same page as "
     "http://a.gov.cn/gkmlpt/index#2580, a start URL of site 1 (A, line 1); the crawl fetches a page once, "
     "for one site (sites may share a gkmlpt shell page only by naming each its own category, #…)"),
    ("- name: A\n  start_urls: [http://a.gov.cn/]\n- http://b.gov.cn/\n",
     "{f}:3: site 2: expected keys (`name: …`, `start_urls: […]`), got text"),
    ("- name: A\n\tstart_urls: [http://a.gov.cn/]\n",
     "{f}:2: not valid YAML: found character '\\t' that cannot start any token (indent with spaces: YAML refuses tabs)"),
    ("- name: A\n  start_urls: [http://a.gov.cn/\n", "{f}:3: not valid YAML: expected ',' or ']', but got '<stream end>'"),
    ("- name: A\n  start_urls: [http://a.gov.cn/list.asp?page=1]\n",
     "{f}:2: not valid YAML: expected ',' or ']', but got '?' (inside [ ], quote a URL with a ? in it: "
     '["http://…/list.asp?page=1"])'),
    ("name: A\nstart_urls: [http://a.gov.cn/]\n", "{f}: expected a list of sites, each beginning `- name: …`, got keys"),
    ("", "{f}: expected a list of sites, each beginning `- name: …`, got nothing"),
]


@pytest.mark.parametrize("text,message", BAD_ENTRIES)
def test_each_mistake_is_one_line_naming_file_line_site_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    assert read_registries([path]).problems == [message.format(f=path)]


@pytest.mark.parametrize("encoded,message", [
    ("- name: 城中区\n  start_urls: [http://a.gov.cn/]\n".encode("gbk"),
     "{f}:1: not UTF-8 (byte 0xb3); save the file as UTF-8, e.g. iconv -f gb18030 -t utf-8"),
    (b"\xef\xbb\xbf" + "- name: 城中区\n  start_urls: [http://a.gov.cn/]\n".encode(), None),  # a BOM is fine
])
def test_a_registry_is_utf8(tmp_path, encoded, message):
    path = tmp_path / "sites.yaml"
    path.write_bytes(encoded)
    registry = read_registries([path])
    if message:
        assert registry.problems == [message.format(f=path)] and registry.sites == []
    else:
        assert registry.problems == [] and registry.sites[0]["name"] == "城中区"


def test_a_bad_entry_leaves_the_others(tmp_path):
    path = write(tmp_path, "- name: A\n  start_urls: [http://a.gov.cn/]\n"
                           "- name: B\n  start_urls: [http://b.gov.cn/]\n  flavor: trs\n"
                           "- name: C\n  start_urls: [http://c.gov.cn/]\n")
    registry = read_registries([path])
    assert [site["name"] for site in registry.sites] == ["A", "C"]
    assert registry.problems == [f"{path}:5: site 2 (B): flavor: unknown key; did you mean flavour?"]


def test_names_and_columns_are_unique_across_files(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("- name: A\n  start_urls: [http://a.gov.cn/nb/]\n", encoding="utf-8")
    second.write_text("- name: A\n  start_urls: [http://b.gov.cn/nb/]\n"
                      "- name: B\n  start_urls: [http://a.gov.cn/nb/]\n", encoding="utf-8")
    registry = read_registries([first, second, first])  # a file named twice is read once
    assert [site["name"] for site in registry.sites] == ["A"]
    assert registry.problems == [
        f"{second}:1: site 1 (A): name: 'A' is already the name of site 1 ({first}:1)",
        f"{second}:4: site 2 (B): start_urls: http://a.gov.cn/nb/ is already a start URL of site 1 (A, {first}:1); "
        "the crawl fetches a page once, for one site",
    ]


def test_a_gkmlpt_shell_is_listed_once_per_category_by_one_site_or_several(tmp_path):
    """One shell page (/gkmlpt/index) serves several bodies' categories: a site lists each of
    its own, and another site (another body) may name another category of the same shell."""
    path = write(tmp_path, "- name: A\n  start_urls:\n    - http://a.gov.cn/gkmlpt/index#2580\n"
                           "    - http://A.gov.cn/gkmlpt/index#2581\n    - http://a.gov.cn/gkmlpt/index\n"
                           "- name: B\n  start_urls: [http://b.gov.cn/gkmlpt/index#2580]\n"
                           "- name: B's department\n  start_urls: ['http://b.gov.cn/gkmlpt/index#2583']\n"
                           "  flavour: gkmlpt\n")
    assert [site["start_urls"] for site in registry_sites(path)] == [
        ["http://a.gov.cn/gkmlpt/index#2580", "http://A.gov.cn/gkmlpt/index#2581", "http://a.gov.cn/gkmlpt/index"],
        ["http://b.gov.cn/gkmlpt/index#2580"], ["http://b.gov.cn/gkmlpt/index#2583"]]


def test_a_url_may_hold_another_in_its_query(tmp_path):
    url = "http://a.gov.cn/generic/web/viewer.html?file=http://a.gov.cn/nb/2024.pdf"
    assert registry_sites(write(tmp_path, f"- name: A\n  start_urls:\n    - {url}\n"))[0]["start_urls"] == [url]


def test_one_host_may_hold_several_sites_columns(tmp_path):
    """A county portal holds its departments' report columns: one host, several sites."""
    registry = read_registries([write(tmp_path, "- name: 县政府\n  start_urls: [http://x.gov.cn/col/col1/]\n"
                                                "- name: 县教育局\n  start_urls: [http://x.gov.cn/col/col2/]\n")])
    assert registry.problems == [] and len(registry.sites) == 2


def test_shipped_registries_load():
    assert registry_sites(REPO / "nianbao" / "sites" / "demo.yaml")[0]["start_urls"][0].startswith("http://127.0.0.1:8000/")
    real = registry_sites(REPO / "nianbao" / "sites" / "cn-unverified.yaml")
    assert len(real) >= 8
    assert all(site["verified"] is False for site in real)
    assert {"trs", "hanweb", "gkmlpt"} <= {site.get("flavour") for site in real}


def test_hosts_of_a_site(tmp_path):
    site, other = registry_sites(write(tmp_path, "- name: A\n  start_urls: [http://www.gd.gov.cn/gkmlpt/index]\n"
                                                "  hosts: ['127.0.0.7:8080']\n"
                                                "- name: B\n  start_urls: [http://www.gov.cn/zhengce/]\n"))
    assert belongs_to_site(site, "http://www.gd.gov.cn/gkmlpt/content/post_1.html")
    assert belongs_to_site(site, "http://zwgk.gd.gov.cn/x.html")           # same registered domain
    assert belongs_to_site(site, "http://127.0.0.7:9999/bm/t20250101_1.html")   # listed in hosts
    assert not belongs_to_site(site, "http://www.sz.gov.cn/x.html")
    assert not belongs_to_site(site, "http://127.0.0.8/x.html")
    # gov.cn is a public suffix: two bodies under it are not one site
    assert not belongs_to_site(other, "http://www.ndrc.gov.cn/x.html")


def test_crawl_refuses_a_registry_without_one_good_entry_in_one_line(run_nianbao, tmp_path):
    path = write(tmp_path, "- name: A\n  start_urls: [http://a.gov.cn/]\n  flavour: joomla\n")
    result = run_nianbao("crawl", "--sites", path, "--data", tmp_path / "data", check=False)
    assert (result.returncode, result.stderr) == (1, f"Error: {path}:3: site 1 (A): flavour: unknown flavour "
                                                     "'joomla'; choose from trs, hanweb, gkmlpt, generic (or leave "
                                                     "it out: detected)\n")
    assert not (tmp_path / "data").exists()  # refused before anything was opened or fetched
    result = run_nianbao("crawl", "--data", tmp_path, check=False)
    assert result.returncode != 0 and "--sites FILE or at least one --start-url" in result.stderr


def test_check_sites_lists_every_problem_without_crawling(tmp_path):
    from click.testing import CliRunner

    from nianbao.cli import cli

    path = write(tmp_path, "- name: A\n  start_urls: [http://a.gov.cn/]\n  flavor: trs\n"
                           "- name: B\n  start_urls: [http://b.gov.cn/]\n"
                           "- name: C\n  start_urls: [b.gov.cn/c/]\n")
    result = CliRunner().invoke(cli, ["check-sites", str(path)])
    assert (result.exit_code, result.output) == (1, (
        f"{path}:3: site 1 (A): flavor: unknown key; did you mean flavour?\n"
        f"{path}:7: site 3 (C): start_urls: not an http(s) URL: 'b.gov.cn/c/': begin it with http:// or https://\n"
        "Error: 2 problem(s); 1 site(s) fine\n"))
    shipped = sorted(str(p) for p in (REPO / "nianbao" / "sites").glob("*.yaml"))
    result = CliRunner().invoke(cli, ["check-sites", *shipped])
    assert (result.exit_code, result.output) == (0, f"{len(read_registries(shipped).sites)} site(s) fine\n")


def test_shipped_registries_are_named_without_their_folder(tmp_path, monkeypatch):
    """An installed nianbao has no sites/ folder at hand: `--sites demo` names the shipped one,
    unless a file of that name is where the command runs."""
    from click.testing import CliRunner

    from nianbao.cli import cli
    from nianbao.commands.common import BUNDLED_SITES, bundled_registry_names, registry_files

    monkeypatch.chdir(tmp_path)
    assert bundled_registry_names() == ["cn-unverified", "demo"]
    assert registry_files(("demo", "mine.yaml")) == [str(BUNDLED_SITES / "demo.yaml"), "mine.yaml"]
    shipped = read_registries(registry_files(("demo", "cn-unverified")))
    result = CliRunner().invoke(cli, ["check-sites", "demo", "cn-unverified"])
    assert (result.exit_code, result.output) == (0, f"{len(shipped.sites)} site(s) fine\n")
    (tmp_path / "demo").write_text("- name: mine\n  start_urls: [http://a.gov.cn/]\n", encoding="utf-8")
    assert registry_files(("demo",)) == ["demo"]


def test_crawl_refuses_a_start_url_as_the_registry_does(run_nianbao, tmp_path):
    result = run_nianbao("crawl", "--start-url", "http://127.0.0.1:9/", "--start-url", "notaurl",
                         "--profile", "demo", "--data", tmp_path, check=False)
    assert (result.returncode, result.stderr) == (1, "Error: --start-url: not an http(s) URL: 'notaurl'\n")
    assert not (tmp_path / "nianbao.db").exists()  # refused before anything was opened


def test_a_start_url_is_checked_against_the_registrys_sites(run_nianbao, tmp_path):
    """A --start-url is one more site, ``command line``, checked as an entry is against the
    files' sites: a page another site crawls, or a gkmlpt category another site reads, is
    refused with one line (it was crawled for that site, and the command line's site then
    counted as yielding nothing); another category of a shared shell is fine."""
    from crawler.registry import RegistryError

    path = write(tmp_path, "- name: A\n  start_urls: [http://a.gov.cn/nb/index.html, http://a.gov.cn/gkmlpt/index#2580]\n")
    with pytest.raises(RegistryError, match=r"^--start-url: http://A.gov.cn/nb/ is the same page as "
                                            rf"http://a.gov.cn/nb/index.html, a start URL of site 1 \(A, {path}:1\); "
                                            "the crawl fetches a page once, for one site$"):
        read_registries([path], ["http://A.gov.cn/nb/"])
    with pytest.raises(RegistryError, match="a gkmlpt category is crawled for one site$"):
        read_registries([path], ["http://a.gov.cn/gkmlpt/index#2580"])
    assert read_registries([path], ["http://a.gov.cn/gkmlpt/index#2581"]).sites[-1] == {
        "name": "command line", "start_urls": ["http://a.gov.cn/gkmlpt/index#2581"]}
    named = write(tmp_path, "- name: command line\n  start_urls: [http://a.gov.cn/nb/]\n")
    result = run_nianbao("crawl", "--sites", named, "--start-url", "http://b.gov.cn/nb/", "--data", tmp_path / "data",
                         check=False)
    assert (result.returncode, result.stderr) == (
        1, f"Error: --start-url: 'command line' is already the name of site 1 ({named}:1)\n")
    assert not (tmp_path / "data").exists()


def test_crawl_help_shows_a_registry_example(run_nianbao):
    assert "nianbao crawl --sites demo " in run_nianbao("crawl", "--help").stdout
    assert "nianbao discover http" in run_nianbao("discover", "--help").stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from portal.world import start_flavour_sites, stop_all

    directory = tmp_path_factory.mktemp("discover-world")
    portals, _ = start_flavour_sites(directory, get_test_file("attachments", "report_2024.pdf").read_bytes())
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
    (entry,) = registry_sites(out)
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


def test_discover_says_why_the_start_url_failed(run_nianbao, tmp_path):
    result = run_nianbao("discover", "http://127.0.0.1:9/", "--data", tmp_path, "--profile", "test", check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("Error: the start URL http://127.0.0.1:9/ failed: Connection ")


def test_discover_warns_of_a_linked_page_that_failed(run_nianbao, tmp_path):
    """A page other than the start URL that fails is passed over, but said: a column that
    answers 404 is why discover found none."""
    import http.server
    import threading

    class Home(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/":
                self.send_error(404)
                return
            body = '<html><body><a href="/zwgk/nb/">政府信息公开年报</a></body></html>'.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Home) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        result = run_nianbao("discover", base + "/", "--data", tmp_path, "--profile", "test", check=False)
        server.shutdown()
    assert result.returncode != 0 and "no report column found" in result.stderr
    assert f"Passed over {base}/zwgk/nb/: HTTP 404" in result.stderr


def test_discover_takes_a_column_linked_as_its_directory_and_its_index_page_for_one(run_nianbao, tmp_path):
    from portal import DemoPortal

    out = tmp_path / "found.yaml"
    with DemoPortal() as portal:  # its pages link the column as /zwgk/zfxxgknb/ and .../index.html
        result = run_nianbao("discover", portal.base_url + "/", "--out", out, "--data", tmp_path, "--profile",
                             "test")
        column = portal.url("/zwgk/zfxxgknb/")
    (entry,) = registry_sites(out)
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


@pytest.mark.parametrize("title", [
    "政府资讯公开年报", "政府資訊公開年報", "政府信息公開年報", "政府信息公开年报", "信息公開工作年度報告",
    "年度報告", " 政府資訊 公開年報 ",
    "政(zhèng)府(fǔ)資(zī)訊(xùn)公(gōng)開(kāi)年(nián)報(bào)",  # longer than a title may be, until read
])
def test_a_column_link_is_read_in_either_script(title):
    from crawler.discover import is_column_link

    assert is_column_link(title)


@pytest.mark.parametrize("title", ["2023年政府資訊公開工作年度報告", "政務資訊", "新聞中心", ""])
def test_a_report_or_another_link_is_no_column_in_either_script(title):
    from crawler.discover import is_column_link

    assert not is_column_link(title)


@pytest.mark.parametrize("title,section", [
    ("政府資訊公開", True), ("政務公開", True), ("政 府 信 息 公 開", True), ("政府資訊", False), ("政務資訊", False),
])
def test_a_section_link_is_read_in_either_script(title, section):
    from crawler.discover import is_section_link

    assert is_section_link(title) is section


def traditional_site():
    """A portal in traditional characters (Hong Kong- or Macau-facing, or a Big5 site): its home
    page links 政府資訊公開, which links two report columns, one of them with pinyin after each
    character; the section page is Big5, as such sites serve it."""
    from portal.site import Resource, Site

    modified = "Mon, 20 Jan 2025 02:12:00 GMT"

    def page(title: str, links: list[tuple[str, str]], charset: str = "utf-8") -> bytes:
        anchors = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
        html = (f'<html><head><meta charset="{charset}"><title>{title}</title></head>'
                f"<body><ul>{anchors}</ul></body></html>")
        return html.encode(charset, errors="xmlcharrefreplace")

    def listing(name: str) -> bytes:
        return page(name, [("./202401/t20240120_1.html", "示範區2023年政府資訊公開工作年度報告")])

    pinyin = "政(zhèng)府(fǔ)信(xìn)息(xī)公(gōng)開(kāi)年(nián)報(bào)"
    resources = {
        "/": page("示範區人民政府", [("/zwgk/index.html", "政府資訊公開"), ("/xwzx/index.html", "新聞中心")]),
        "/zwgk/index.html": page("政府資訊公開", [
            ("/zwgk/zfzxgknb/index.html", "政府資訊公開年報"),
            ("/zwgk/bmnb/index.html", pinyin),
            ("/zwgk/zfzxgknb/202401/t20240120_1.html", "2023年政府資訊公開工作年度報告"),  # a report, no column
        ], charset="big5"),
        "/zwgk/zfzxgknb/index.html": listing("政府資訊公開年報"),
        "/zwgk/bmnb/index.html": listing("部門年報"),
        "/xwzx/index.html": page("新聞中心", []),
    }
    content_types = {path: "text/html" if path == "/zwgk/index.html" else "text/html; charset=utf-8"
                     for path in resources}
    return Site({path: Resource(body, content_types[path], modified, "page") for path, body in resources.items()}, "/")


def test_discover_finds_columns_named_in_traditional_characters(run_nianbao, tmp_path):
    """政府資訊公開年報 (資訊 is 信息 in Hong Kong and Macau wording) and 政府信息公開年報 read as
    the mainland's 政府信息公开年报: ``nianbao discover`` found neither (it matched raw titles)."""
    from portal import DemoPortal

    out = tmp_path / "found.yaml"
    with DemoPortal(traditional_site()) as portal:
        run_nianbao("discover", portal.base_url + "/", "--out", out, "--data", tmp_path, "--profile", "test")
        columns = [portal.url("/zwgk/bmnb/index.html"), portal.url("/zwgk/zfzxgknb/index.html")]
    (entry,) = registry_sites(out)
    assert entry["start_urls"] == columns
    assert entry["name"] == "示範區人民政府"


def test_discover_logs_warnings_only_unless_told_otherwise(tmp_path):
    from crawler.discover import discover_settings

    assert discover_settings(tmp_path)["LOG_LEVEL"] == "WARNING"  # polite: the crawl's INFO log is for nightly runs
    assert discover_settings(tmp_path, overrides={"LOG_LEVEL": "INFO"})["LOG_LEVEL"] == "INFO"


def test_discover_passes_over_a_link_no_request_can_be_made_for():
    """Scrapy refuses a port of 99999 when the request is made: in the callback, that cost the
    home page every column it links."""
    from crawler.discover import page_links

    page = ('<a href="http://gov.example:99999/zwgk/nb/">政府信息公开年报</a><a href="http://[::1/nb/">年报</a>'
            '<a href="/zwgk/zfxxgknb/">政府信息公开年报</a>')
    assert list(page_links("http://gov.example/", page)) == [("http://gov.example/zwgk/zfxxgknb/", "政府信息公开年报")]


def test_a_bad_entry_is_not_crawled_and_fails_the_run_checks_while_the_others_are_crawled(world, run_nianbao,
                                                                                           tmp_path):
    """An operator's night is not lost to one contributor's typo, nor is the typo unnoticed."""
    column = world["trs"].url("/zwgk/zfxxgknb/index.html")
    path = write(tmp_path, f"- name: good\n  start_urls: [{column}]\n"
                           f"- name: bad\n  start_url: [{world['hanweb'].url('/col/col12377/index.html')}]\n")
    result = run_nianbao("crawl", "--sites", path, "--data", tmp_path / "data", "--profile", "test", check=False)
    problem = f"{path}:4: site 2 (bad): start_url: unknown key; did you mean start_urls?"
    assert result.returncode == 3, result.stderr[-2000:]  # a run check failed
    assert result.stderr.startswith(f"Warning: not crawled: {problem}\n")  # said before the crawl
    assert f"FAIL  registry: 1 entry refused, not crawled: {problem}\n" in result.stdout
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    hosts = {url.split("/")[2] for (url,) in db.execute("select url from snapshots")}
    assert world["trs"].base_url.split("//")[1] in hosts
    assert world["hanweb"].base_url.split("//")[1] not in hosts
    assert db.execute("select count(*) from reports").fetchone()[0] > 0


def test_discover_adds_to_a_registry_and_refuses_a_site_it_holds(world, run_nianbao, tmp_path):
    out = tmp_path / "province.yaml"
    kept = "# 示范省: checked by hand\n- name: 示范区人民政府 (hanweb)\n  start_urls: [%s]\n" % (
        world["hanweb"].url("/col/col12377/index.html"))
    out.write_text(kept, encoding="utf-8")
    run_nianbao("discover", world["trs"].base_url + "/", "--out", out, "--data", tmp_path, "--profile", "test")
    assert out.read_text(encoding="utf-8").startswith(kept)  # comments and entries kept
    assert [site["name"] for site in registry_sites(out)] == ["示范区人民政府 (hanweb)", "示范区人民政府"]
    before = out.read_text(encoding="utf-8")
    again = run_nianbao("discover", world["trs"].base_url + "/", "--out", out, "--data", tmp_path, "--profile", "test",
                        check=False)
    assert again.returncode == 1 and "start_urls:" in again.stdout  # the entries are still shown
    assert again.stderr.endswith(f"Error: {out}:8: site 3 (示范区人民政府): name: '示范区人民政府' is already the name "
                                 f"of site 2 (line 4); nothing added to {out} (the entries are printed above)\n")
    assert out.read_text(encoding="utf-8") == before


def test_discover_refuses_a_bad_registry_to_add_to_before_fetching(world, run_nianbao, tmp_path):
    out = write(tmp_path, "- name: A\n\tstart_urls: [http://a.gov.cn/]\n")
    result = run_nianbao("discover", world["trs"].base_url + "/", "--out", out, "--data", tmp_path / "data",
                         "--profile", "test", check=False)
    assert (result.returncode, result.stderr) == (1, f"Error: {out}:2: not valid YAML: found character '\\t' that "
                                                     "cannot start any token (indent with spaces: YAML refuses tabs)\n")
    assert not (tmp_path / "data").exists()  # nothing fetched


def test_discover_names_a_flavour_only_when_the_columns_share_it():
    from crawler.discover import DiscoverSpider

    spider = DiscoverSpider("http://x.gov.cn/")
    spider.columns = {"http://x.gov.cn/col/col1/index.html": "hanweb", "http://x.gov.cn/col/col2/index.html": "hanweb"}
    assert spider.entries()[0]["flavour"] == "hanweb"
    spider.columns["http://x.gov.cn/xxgk/ndbg/"] = "generic"
    assert "flavour" not in spider.entries()[0]  # the crawl detects each column's


def test_two_sites_on_one_host_are_counted_each_for_its_own_reports(world, run_nianbao, tmp_path):
    """Per-site counts (and so "sites still yielding") follow the site a report was found
    for, not its host: on one host the second site counted none, and could never fall silent."""
    import json

    path = write(tmp_path, f"- name: 县政府\n  start_urls: [{world['hanweb'].url('/col/col12377/index.html')}]\n"
                           f"- name: 县教育局\n  start_urls: [{world['hanweb'].url('/col/col12378/index.html')}]\n")
    run_nianbao("crawl", "--sites", path, "--data", tmp_path / "data", "--profile", "test")
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    found = dict(db.execute("select s.name, count(*) from reports r join sites s on s.id = r.site_id group by s.name"))
    (monitor,) = db.execute("select monitor from crawl_runs").fetchone()
    per_site = json.loads(monitor)["sites"]
    assert {name: counts["reports"] for name, counts in per_site.items()} == found
    assert found["县教育局"] > 0


def test_two_sites_on_two_categories_of_one_gkmlpt_shell_are_each_crawled_for_their_own(world, run_nianbao,
                                                                                        tmp_path):
    """The shell serves the government's category (#2580) and its departments' (#2581): two
    sites, two bodies. The shell is fetched once; each category's reports are its site's."""
    import json

    portal = world["gkmlpt"]
    shell = portal.url("/gkmlpt/index")
    department_host = world["department"].base_url.split("//", 1)[1]  # 2580 lists a report there
    path = write(tmp_path, f"- name: 示范区人民政府\n  start_urls: [{shell}#2580]\n  hosts: ['{department_host}']\n"
                           f"- name: 示范区政府部门\n  start_urls: [{shell}#2581]\n  flavour: gkmlpt\n")
    run_nianbao("check-sites", path)
    run_nianbao("crawl", "--sites", path, "--data", tmp_path / "data", "--profile", "test")
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    assert db.execute("select count(*) from snapshots where url = ?", (shell,)).fetchone() == (1,)
    found = {}
    for name, url in db.execute("select s.name, r.url from reports r join sites s on s.id = r.site_id"):
        found.setdefault(name, set()).add(url)
    departments = {u for u in portal.site.extra["reports"] if "/content/2/2581/" in u}
    assert len(departments) == 4
    assert found == {"示范区政府部门": departments,
                     "示范区人民政府": set(portal.site.extra["reports"]) - departments | set(portal.site.extra["attachments"])}
    (monitor,) = db.execute("select monitor from crawl_runs").fetchone()
    assert {name: counts["reports"] for name, counts in json.loads(monitor)["sites"].items()} == {
        name: len(urls) for name, urls in found.items()}


def test_a_wrong_flavour_fails_the_night_as_the_registry_s_not_as_a_failed_request(world, run_nianbao, tmp_path):
    """The registry names trs for a hanweb column: the page came (no failed request) and the
    parser was not asked; the entry is wrong, and the run fails "site flavours" saying so, every
    night until it is corrected (the first night the site is new too, and yielded nothing)."""
    from nianbao import EXIT_CHECKS_FAILED

    column = world["hanweb"].url("/col/col12377/index.html")
    trs = world["trs"].url("/zwgk/zfxxgknb/index.html")
    path = write(tmp_path, f"- name: 县政府\n  start_urls: [{column}]\n  flavour: trs\n"
                           f"- name: 好站\n  start_urls: [{trs}]\n")
    said = ("flavour trs found nothing here, a hanweb page: correct the flavour of site '县政府' in the registry, "
            "or leave it out (detected)")
    for night in (1, 2):
        result = run_nianbao("crawl", "--sites", path, "--data", tmp_path / "data", "--profile", "test", check=False)
        assert result.returncode == EXIT_CHECKS_FAILED, result.stdout + result.stderr[-3000:]
        assert "errors:               1 (1 registry)" in result.stdout
        assert "1 x registry WrongFlavour, e.g. " + column in result.stdout
        assert f"  FAIL  site flavours: 1 start page(s) on which the flavour the registry names found nothing: " \
               f"{column}: {said}" in result.stdout.splitlines()
        assert [line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("  FAIL")] == \
            ["  FAIL  site flavours", *(["  FAIL  new sites yielding"] if night == 1 else [])]
        assert "  ok    error rate: 0 of " in result.stdout
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    assert db.execute("select run_id, url, stage, error, message from errors").fetchall() == [
        (night, column, "registry", "WrongFlavour", said) for night in (1, 2)]


def test_the_examples_in_the_sites_readme_are_good_entries(tmp_path):
    import re

    readme = (REPO / "nianbao" / "sites" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    assert len(blocks) == 2
    for number, block in enumerate(blocks):
        path = tmp_path / f"example{number}.yaml"
        path.write_text(block, encoding="utf-8")
        assert read_registries([path]).problems == []
    flavours = {site.get("flavour") for site in registry_sites(tmp_path / "example1.yaml")}
    assert flavours == {"trs", "hanweb", "gkmlpt", "generic"}  # one example per flavour
    # every key is explained
    from crawler.registry import KEYS

    assert all(f"| `{key}` |" in readme for key in KEYS)
