"""A crawl never fetches the crawling machine's own networks unless told to (SSRF).

A compromised government page that answers ``302 → http://169.254.169.254/latest/meta-data/``,
or a host name that resolves to 127.0.0.1, would otherwise be fetched, archived and published.
``NIANBAO_REFUSE_PRIVATE_ADDRESSES`` is on in the ``polite`` profile and off in ``demo`` and
``test``, whose portals serve on 127.0.0.x. Here it is turned on with the portal's own address
allowed (``NIANBAO_ALLOWED_PRIVATE_NETWORKS``), and the portal's reports redirect to another
loopback address, spelled as a dotted quad and as a decimal number, and to ``localhost`` (a host
name the resolver answers 127.0.0.1 for, from /etc/hosts: no DNS). A server listens on each
target and is asked nothing, not even robots.txt; each refusal is a ``skipped`` row saying why
(one reason for all refused redirects, where each led in its detail), and the rest of the site
is crawled.

Behind a proxy (a forward proxy on 127.0.0.1 that resolves names itself, to loopback
addresses only) the same crawl refuses the address literals, the proxy's own included,
and hands host names to the proxy, as the documentation says.
"""

from __future__ import annotations

import http.client
import http.server
import ipaddress
import sqlite3
import threading
from urllib.parse import urlsplit

import pytest

from conftest import run_crawl_subprocess

from archive.skip_reasons import REDIRECT_TO_REFUSED_ADDRESS, REFUSED_ADDRESS
from crawler.private_addresses import AddressPolicy, address_kind, literal_address

PORTAL = "127.0.0.66"  # allowed
TRAP = "127.0.0.67"    # not allowed: a server listens here to show nothing reaches it
SETTING = "NIANBAO_REFUSE_PRIVATE_ADDRESSES"
REFUSING = {SETTING: True, "NIANBAO_ALLOWED_PRIVATE_NETWORKS": [PORTAL]}
METADATA = "/latest/meta-data/"


@pytest.mark.parametrize("host, address, kind", [
    ("127.0.0.99", "127.0.0.99", "loopback"),
    ("::1", "::1", "loopback"),
    ("10.0.0.5", "10.0.0.5", "private"),
    ("172.16.8.1", "172.16.8.1", "private"),
    ("192.168.1.1", "192.168.1.1", "private"),
    ("fd12::1", "fd12::1", "private"),  # unique-local
    ("169.254.169.254", "169.254.169.254", "link-local"),  # cloud metadata
    ("fe80::1%eth0", "fe80::1", "link-local"),
    ("100.64.0.1", "100.64.0.1", "carrier-grade NAT"),
    ("0.0.0.0", "0.0.0.0", "unspecified"),
    ("::", "::", "unspecified"),
    ("224.0.0.1", "224.0.0.1", "multicast"),
    ("ff02::1", "ff02::1", "multicast"),
    ("192.0.2.1", "192.0.2.1", "special-purpose"),  # documentation
    ("240.0.0.1", "240.0.0.1", "special-purpose"),  # reserved
    # Spellings the system resolver reads as IPv4 (inet_aton), which Twisted connects to.
    ("2852039166", "169.254.169.254", "link-local"),
    ("0xa9fea9fe", "169.254.169.254", "link-local"),
    ("0251.0376.0251.0376", "169.254.169.254", "link-local"),
    ("169.254.43518", "169.254.169.254", "link-local"),
    ("0x7f.1", "127.0.0.1", "loopback"),
    # IPv6 addresses carrying an IPv4 one are judged by it.
    ("::ffff:169.254.169.254", "::ffff:169.254.169.254", "link-local"),  # IPv4-mapped
    ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe", "link-local"),  # NAT64
    ("2002:a00:5::", "2002:a00:5::", "private"),  # 6to4 of 10.0.0.5
    ("64:ff9b:1::808:808", "64:ff9b:1::808:808", "special-purpose"),  # local-use NAT64 (RFC 8215), even of 8.8.8.8
    # Public addresses.
    ("8.8.8.8", "8.8.8.8", None),
    ("::ffff:8.8.8.8", "::ffff:8.8.8.8", None),
    ("2001:4860::8888", "2001:4860::8888", None),
])
def test_address_literals_and_what_kind_of_address_they_are(host, address, kind):
    assert literal_address(host) == ipaddress.ip_address(address)
    assert address_kind(literal_address(host)) == kind


@pytest.mark.parametrize("host", ["www.gov.cn", "localhost", "999.1.1.1", "0x", "1e100.net"])
def test_host_names_are_no_literals(host):
    assert literal_address(host) is None  # judged on the resolver's answer instead


def test_allowed_networks_are_crawled_all_the_same():
    from scrapy.settings import Settings

    policy = AddressPolicy.from_settings(Settings({SETTING: True, "NIANBAO_ALLOWED_PRIVATE_NETWORKS": ["10.1.2.0/24"]}))
    assert policy.refused_kind("10.1.2.7") is None
    assert policy.refused_kind("::ffff:10.1.2.7") is None
    assert policy.refused_kind("10.1.3.7") == "private"
    assert AddressPolicy.from_settings(Settings({SETTING: False})) is None


def test_the_setting_is_on_unless_the_profile_crawls_loopback():
    from crawler.run import crawl_settings

    assert crawl_settings("unused", "polite").getbool(SETTING)
    assert not crawl_settings("unused", "demo").getbool(SETTING)
    assert not crawl_settings("unused", "test").getbool(SETTING)
    assert not crawl_settings("unused", "polite", environ={SETTING: "0"}).getbool(SETTING)
    settings = crawl_settings("unused", "test", {SETTING: "1"},
                              environ={"NIANBAO_ALLOWED_PRIVATE_NETWORKS": "10.1.2.0/24,10.9.0.7"})
    assert settings.getbool(SETTING)
    assert AddressPolicy.from_settings(settings).refused_kind("10.9.0.7") is None


@pytest.mark.parametrize("overrides, message", [
    ({"NIANBAO_ALLOWED_PRIVATE_NETWORKS": "intranet.local"},
     "NIANBAO_ALLOWED_PRIVATE_NETWORKS: 'intranet.local' is not an address or network "
     "(e.g. 10.1.2.0/24; host names are not accepted)"),
    ({"TWISTED_DNS_RESOLVER": "scrapy.resolver.CachingThreadedResolver"},
     "NIANBAO_REFUSE_PRIVATE_ADDRESSES needs TWISTED_DNS_RESOLVER to be "
     "crawler.private_addresses.PrivateAddressRefusingResolver (or a subclass), not "
     "scrapy.resolver.CachingThreadedResolver: host names are checked there"),
    ({"DOWNLOAD_HANDLERS": '{"https": "scrapy.core.downloader.handlers._httpx.HttpxDownloadHandler"}'},
     "NIANBAO_REFUSE_PRIVATE_ADDRESSES needs Scrapy's HTTP/1.1 download handler for https, not "
     "scrapy.core.downloader.handlers._httpx.HttpxDownloadHandler: host names are checked by the resolver it uses"),
])
def test_settings_that_would_not_refuse_are_refused_before_anything_starts(overrides, message):
    from crawler.run import SettingError, crawl_settings

    with pytest.raises(SettingError) as refused:
        crawl_settings("unused", "polite", overrides)
    assert str(refused.value) == message


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, guarded_env):
    from portal import DemoPortal, Site, build_site
    from portal.hostile import HostileSite, redirect

    tmp = tmp_path_factory.mktemp("private-addresses")
    demo = build_site()
    reports = sorted(demo.paths("report"))
    with DemoPortal(Site({}), host=TRAP) as trap, DemoPortal(Site({}), host="127.0.0.1") as local:
        decimal = int(ipaddress.IPv4Address(TRAP))
        targets = {
            reports[0]: f"http://{TRAP}:{trap.port}{METADATA}",
            reports[1]: f"http://{decimal}:{trap.port}{METADATA}",
            reports[2]: f"http://localhost:{local.port}{METADATA}",
        }
        site = HostileSite.from_site(demo, [redirect(path, target) for path, target in targets.items()])
        with DemoPortal(site, host=PORTAL) as portal:
            result = run_crawl_subprocess(guarded_env, [{"name": "demo", "start_urls": [portal.start_url]}],
                                          tmp / "data", "test", REFUSING)
            base = portal.base_url
        asked = trap.sent + local.sent
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    yield {"db": db, "base": base, "reports": reports, "targets": targets, "asked": asked, "stderr": result.stderr}
    db.close()


def test_nothing_is_asked_of_a_refused_address(crawl):
    assert crawl["asked"] == []  # not a page, not a robots.txt


def refusals(crawl) -> dict:
    """What the crawl should have recorded: each refusal against the report that redirected,
    where it led and why in its detail."""
    reports, base, targets = crawl["reports"], crawl["base"], crawl["targets"]
    return {
        base + reports[0]: f"{targets[reports[0]]}: {TRAP} is a loopback address",
        base + reports[1]: f"{targets[reports[1]]}: {TRAP} is a loopback address",
        base + reports[2]: f"{targets[reports[2]]}: localhost resolves to 127.0.0.1, a loopback address",
    }


def refused_redirects(db) -> dict:
    """URL -> detail of the refused redirects; the reason is the same for all."""
    rows = db.execute("select url, reason, detail from skipped where reason like ?", [f"%{SETTING}%"]).fetchall()
    assert {reason for _, reason, _ in rows} == {REDIRECT_TO_REFUSED_ADDRESS}
    return {url: detail for url, _, detail in rows}


def test_each_refused_redirect_is_skipped_saying_why(crawl):
    assert crawl["targets"][crawl["reports"][1]].startswith("http://2130706499:")  # 127.0.0.67 as one number
    assert refused_redirects(crawl["db"]) == refusals(crawl)
    assert crawl["db"].execute("select url, error, message from errors").fetchall() == []
    assert "Traceback" not in crawl["stderr"]


def test_the_rest_of_the_site_is_crawled_and_the_run_summary_counts_the_refusals(crawl):
    reports, base = crawl["reports"], crawl["base"]
    found = {url for (url,) in crawl["db"].execute("select url from reports")}
    assert found == {base + path for path in reports[3:]}
    redirected = {url for (url,) in crawl["db"].execute("select url from snapshots where status = 302")}
    assert redirected == {base + path for path in reports[:3]}  # the 3xx answers are archived
    status, summary = crawl["db"].execute("select status, summary from crawl_runs").fetchone()
    assert status == "finished" and "run checks:           OK" in summary
    # Counted by reason: the three refusals are one line, whatever their addresses.
    assert f"\n  3 x {REDIRECT_TO_REFUSED_ADDRESS}\n" in summary + "\n"
    assert not any(target in summary for target in crawl["targets"].values())


def test_discover_refuses_a_private_address_by_default(run_nianbao, tmp_path):
    """The polite profile (the default): the URL given is not fetched when it names a private address,
    and the error says so (not "no report column found") and which profiles fetch one."""
    from portal import DemoPortal

    with DemoPortal(host=TRAP) as trap:
        url = trap.base_url + "/"
        result = run_nianbao("discover", url, "--data", tmp_path, check=False)
        asked = trap.sent
    assert asked == []
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: the start URL {url} was refused: {REFUSED_ADDRESS}: {TRAP} is a loopback address. "
        "For a portal on this machine or your network (such as `nianbao portal`'s), give --profile demo or --profile test")
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(tmp_path / "nianbao.db")
    assert db.execute("select url, reason, detail from skipped").fetchall() == [
        (url, REFUSED_ADDRESS, f"{TRAP} is a loopback address")]
    db.close()


def test_discover_refuses_a_host_name_that_resolves_to_a_private_address(run_nianbao, tmp_path):
    from portal import DemoPortal

    with DemoPortal(host="127.0.0.1") as local:
        url = f"http://localhost:{local.port}/"
        result = run_nianbao("discover", url, "--data", tmp_path, "--profile", "test", "-s", f"{SETTING}=true",
                             check=False)
        asked = local.sent
    assert asked == [] and result.returncode == 1
    db = sqlite3.connect(tmp_path / "nianbao.db")
    assert db.execute("select url, reason, detail from skipped").fetchall() == [
        (url, REFUSED_ADDRESS, "localhost resolves to 127.0.0.1, a loopback address")]
    db.close()


class ForwardProxy:
    """An HTTP forward proxy on 127.0.0.1 that resolves the host names of the URLs it is
    asked for itself (``names``: host -> address), as a proxy does with its own DNS, and
    forwards to loopback addresses only. ``asked``: each URL asked for."""

    def __init__(self, names: dict[str, str]):
        self.names, self.asked = names, []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                proxy.asked.append(self.path)
                target = urlsplit(self.path)
                address = proxy.names.get(target.hostname, target.hostname)
                try:
                    loopback = ipaddress.ip_address(address).is_loopback
                except ValueError:  # a name it cannot resolve
                    loopback = False
                if not loopback:
                    self.send_error(502)
                    return
                upstream = http.client.HTTPConnection(address, target.port or 80, timeout=30)
                headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
                upstream.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
                answer = upstream.getresponse()
                body = answer.read()
                upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def __enter__(self) -> "ForwardProxy":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


PORTAL_NAME = "reports.example.gov.cn"  # the portal's name, which only the proxy resolves
INTERNAL_NAME = "metadata.internal"  # a name the proxy resolves to its own loopback


@pytest.fixture(scope="module")
def crawl_behind_a_proxy(tmp_path_factory, guarded_env):
    """The crawl of ``crawl`` with its requests sent through a proxy (http_proxy) named
    ``localhost``, no network allowed. The portal is reached by a name only the proxy resolves;
    reports redirect to address literals, to the proxy's name, and to a name the proxy resolves
    to its own loopback."""
    from portal import DemoPortal, Site, build_site
    from portal.hostile import HostileSite, redirect

    tmp = tmp_path_factory.mktemp("behind-a-proxy")
    demo = build_site()
    reports = sorted(demo.paths("report"))
    with DemoPortal(Site({}), host=TRAP) as trap, DemoPortal(Site({}), host="127.0.0.1") as local:
        targets = {
            reports[0]: f"http://{TRAP}:{trap.port}{METADATA}",
            reports[1]: f"http://127.0.0.1:{local.port}{METADATA}",  # the proxy's own address
            reports[2]: f"http://localhost:{local.port}{METADATA}",  # the proxy's name
            reports[3]: f"http://{INTERNAL_NAME}:{local.port}{METADATA}",
        }
        site = HostileSite.from_site(demo, [redirect(path, target) for path, target in targets.items()])
        proxy = ForwardProxy({PORTAL_NAME: PORTAL, INTERNAL_NAME: "127.0.0.1"})
        with DemoPortal(site, host=PORTAL) as portal, proxy:
            base = f"http://{PORTAL_NAME}:{portal.port}"
            env = dict(guarded_env, http_proxy=proxy.url.replace("127.0.0.1", "localhost"), no_proxy="")
            start_url = base + urlsplit(portal.start_url).path
            result = run_crawl_subprocess(env, [{"name": "demo", "start_urls": [start_url]}],
                                          tmp / "data", "test", {SETTING: True})  # no network allowed
            asked_of_the_proxy = list(proxy.asked)
        asked = {"trap": trap.sent, "local": [sent.path for sent in local.sent]}
    db = sqlite3.connect(tmp / "data" / "nianbao.db")
    yield {"db": db, "base": base, "reports": reports, "targets": targets, "asked": asked,
           "asked_of_the_proxy": asked_of_the_proxy, "stderr": result.stderr}
    db.close()


def test_behind_a_proxy_address_literals_and_the_proxy_itself_are_refused(crawl_behind_a_proxy):
    """The proxy's name and address need not be allowed (allowing its address let a redirect
    to it through, to the services of the proxy's own machine); the portal is crawled through it."""
    crawl = crawl_behind_a_proxy
    reports, base, targets = crawl["reports"], crawl["base"], crawl["targets"]
    assert refused_redirects(crawl["db"]) == {
        base + reports[0]: f"{targets[reports[0]]}: {TRAP} is a loopback address",
        base + reports[1]: f"{targets[reports[1]]}: 127.0.0.1 is a loopback address",
        base + reports[2]: f"{targets[reports[2]]}: localhost is the crawl's proxy",
    }
    assert crawl["asked"]["trap"] == []
    assert not any(url in crawl["asked_of_the_proxy"] for url in (targets[reports[0]], targets[reports[1]],
                                                                  targets[reports[2]]))
    found = {url for (url,) in crawl["db"].execute("select url from reports")}
    assert found == {base + path for path in reports[4:]}


def test_behind_a_proxy_host_names_are_the_proxys_to_resolve_and_the_log_says_so(crawl_behind_a_proxy):
    """Documented (crawler/private_addresses.py, README, deploy/README.md): the proxy resolves
    host names, and the crawl cannot check its answers; a name of its own network reaches it."""
    crawl = crawl_behind_a_proxy
    assert (f"HTTP requests go through the proxy on localhost, which resolves their host names: only addresses in "
            f"URLs are refused here ({SETTING}); refuse private destinations at the proxy") in crawl["stderr"]
    assert crawl["targets"][crawl["reports"][3]] in crawl["asked_of_the_proxy"]
    assert crawl["asked"]["local"] == ["/robots.txt", METADATA]
