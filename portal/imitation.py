"""The whole imitation portal: every flavour site, a big county column and the hostile hosts.

    portal = start_imitation_portal(tmp_path, pdf)   # writes tmp_path/imitation-sites.yaml
    ...  # crawl portal.registry, with portal.crawl_settings
    portal.manifest.reports     # every URL that must end up as a report
    portal.stop()

Fourteen hosts, each a ``DemoPortal`` on its own loopback address: the five flavour sites and
the department host of ``portal.world`` (127.0.0.2-7), the county column of
``portal.county_site`` (127.0.0.8) and the hostile hosts of ``portal.hostile``
(127.0.0.20-26: script challenges answering 412, 521 and 200, a robots.txt that disallows
the column, a rate-limited host, a host refusing its reports, and the column with a
withdrawn report, tables as images and 繁體 mirror links). Its files are real PDFs here:
oversize downloads are crawled on their own (tests/test_hostile_hosts.py).

The manifest says, host by host, what a crawl must make of it: which URLs are reports,
which must be skipped and why, which end in errors, which hosts get blocked and which paths
robots.txt disallows. It is written from how the sites were built, not from a crawl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import hostile
from .county_site import COUNTY, build_county
from .server import DemoPortal, SentResponse
from .site import COLUMN_PATH, Site
from .world import registry_entries, start_flavour_sites

COUNTY_ADDRESS = "127.0.0.8"
AGENCY = "示范区人民政府"
# Division codes under 99, which is no province: plainly made up, yet shaped like real ones.
REGIONS = {"county": "990121", "default": "990100"}
# Why a URL must be skipped; the crawler's own reason must say as much (see the test).
NOT_A_REPORT, UNRELATED, MIRROR, WITHDRAWN, BLOCKED, ROBOTS = (
    "not a report", "unrelated host", "mirror", "withdrawn", "host blocked", "robots.txt")


@dataclass
class HostManifest:
    name: str                     # the portal's name for the host (trs, county, challenge-412 …)
    site: str | None              # the registry site crawled on it (None: reached from other sites)
    base_url: str
    pages: list[str]              # every URL it answers with content (200) to an ordinary GET
    reports: list[str] = field(default_factory=list)         # must be stored as reports
    skipped: dict[str, str] = field(default_factory=dict)    # URL -> why it must be skipped
    refused: list[str] = field(default_factory=list)         # reports the host answers 403
    blocked: str | None = None    # "challenge" | "refusals": the host is blocked for the run
    disallowed: list[str] = field(default_factory=list)      # robots.txt Disallow paths

    @property
    def host(self) -> str:
        return self.base_url.split("//", 1)[1].split(":", 1)[0]


@dataclass
class Manifest:
    hosts: dict[str, HostManifest]

    @property
    def pages(self) -> set[str]:
        return {u for h in self.hosts.values() for u in h.pages}

    @property
    def reports(self) -> set[str]:
        return {u for h in self.hosts.values() for u in h.reports}

    @property
    def skipped(self) -> dict[str, str]:
        return {u: why for h in self.hosts.values() for u, why in h.skipped.items()}


@dataclass
class ImitationPortal:
    portals: dict[str, DemoPortal]
    registry: Path
    manifest: Manifest
    # What the crawl needs to meet the hostile hosts as the manifest expects them: the
    # rate-limited host answers 429 twice before a 200; the refusing host is asked one
    # request at a time, so "nothing after the third refusal" is exact.
    crawl_settings: dict = field(default_factory=dict)

    def sent(self) -> dict[str, list[SentResponse]]:
        return {name: portal.sent for name, portal in self.portals.items()}

    def clear_sent(self) -> None:
        for portal in self.portals.values():
            portal.clear_sent()

    def stop(self) -> None:
        for portal in self.portals.values():
            portal.stop()


def start_imitation_portal(directory, pdf: bytes) -> ImitationPortal:
    """Start every host, attaching ``pdf`` where a report has a PDF; write
    DIRECTORY/imitation-sites.yaml for ``nianbao crawl --sites``."""
    portals, _ = start_flavour_sites(directory, pdf)
    county = portals["county"] = DemoPortal(Site({}), host=COUNTY_ADDRESS).start()
    county.site = build_county(county.base_url, portals["department"].base_url, pdf)
    hostile_portals, hostile_entries = hostile.start_hostile_sites(directory, pdf=pdf)
    portals.update(hostile_portals)

    entries = registry_entries(portals)
    entries.append({"name": f"{COUNTY}部门信息公开年报", "start_urls": [county.start_url],
                    "agency": f"{COUNTY}人民政府", "region": REGIONS["county"]})
    entries += hostile_entries
    for entry in entries:
        entry.setdefault("region", REGIONS["default"])
    path = Path(directory) / "imitation-sites.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")

    names = {portals[k].base_url: e["name"] for e in entries for k in portals
             if any(u.startswith(portals[k].base_url + "/") for u in e["start_urls"])}
    manifest = Manifest({name: _host_manifest(name, portal, names.get(portal.base_url), portals)
                         for name, portal in portals.items()})
    settings = {"RETRY_TIMES": 2,
                "DOWNLOAD_SLOTS": {hostile.ADDRESSES["refusing"]: {"concurrency": 1}}}
    return ImitationPortal(portals, path, manifest, settings)


def _served(name: str, portal: DemoPortal) -> list[str]:
    """The URLs the host answers 200 with content: its pages, less those its rules answer."""
    site = portal.site
    if name in ("challenge-412", "challenge-521"):
        return []                      # every path answers the challenge
    hidden = set()
    if name == "challenge-200":
        hidden = set(site.paths("listing"))
    elif name == "refusing":
        hidden = set(site.paths("report") + site.paths("non_report"))
    return [portal.url(p) for p in site if p not in hidden]


def _host_manifest(name: str, portal: DemoPortal, site_name: str | None, portals: dict) -> HostManifest:
    m = HostManifest(name, site_name, portal.base_url, _served(name, portal))
    site, base = portal.site, portal.base_url
    extra = getattr(site, "extra", {})
    if name == "department":
        m.reports = [u for p in portals.values() for u in getattr(p.site, "extra", {}).get("reports", ())
                     if u.startswith(base + "/")]
    elif "reports" in extra:   # the flavour sites and the county
        m.reports = [u for u in extra["reports"] + extra["attachments"] if u.startswith(base + "/")]
        m.skipped = {u: UNRELATED if "127.0.0.99" in u else NOT_A_REPORT for u in extra["skipped"]}
    elif name in ("challenge-412", "challenge-521"):
        m.blocked = "challenge"        # at robots.txt already: the column is never asked for
        m.skipped = {portal.start_url: BLOCKED}
    elif name == "challenge-200":
        m.blocked = "challenge"        # the column's own answer is the challenge
    elif name == "robots-disallow":
        m.disallowed = [COLUMN_PATH, "/search/"]
        m.skipped = {portal.start_url: ROBOTS}
    elif name == "refusing":
        m.blocked = "refusals"
        m.refused = [base + p for p in site.paths("report")]
        m.skipped = {base + p: NOT_A_REPORT for p in site.paths("non_report")}
    elif name == "rate-limited":
        m.reports = [base + p for p in site.paths("report")]
        m.skipped = {base + p: NOT_A_REPORT for p in site.paths("non_report")}
    elif name == "hostile-column":
        m.reports = [base + extra[k] for k in ("report", "attachment", "images", "pdf_only")]
        m.skipped = {base + extra["withdrawn"]: WITHDRAWN, base + extra["gate"]: MIRROR,
                     extra["big5_host"]: MIRROR}
    return m
