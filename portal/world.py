"""Start every flavour site on its own loopback address and write the registry that crawls them.

    portals, registry = start_flavour_sites(tmp_path, pdf)   # pdf: a report's PDF, its attachments
    ...  # nianbao crawl --sites registry
    stop_all(portals)

Scrapy's per-host slots are keyed by host name without port, so each site gets its own
127.0.0.x. ``portals["department"]`` is another host of the same body that every flavour
site links one report to (listed under ``hosts`` in the registry). The hostile hosts
(challenges, robots, big5 mirrors) can be added beside these with their own addresses.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .flavour_sites import BUILDERS, department_site
from .flavours import FlavourSite
from .server import DemoPortal

ADDRESSES = {"trs": "127.0.0.2", "hanweb": "127.0.0.3", "gkmlpt": "127.0.0.4", "generic": "127.0.0.5",
             "legacy": "127.0.0.6", "department": "127.0.0.7"}
# The registry names a flavour for some sites and leaves detection to the crawler for the others.
REGISTRY_FLAVOURS = {"trs": "trs", "hanweb": "hanweb"}


def start_flavour_sites(directory, pdf: bytes, addresses: dict | None = None):
    """Start the five flavour sites and the department host; return (portals by name, registry path).
    ``pdf`` is the report the sites attach (the tests give tests/data/attachments/report_2024.pdf,
    which is not installed with the package)."""
    addresses = {**ADDRESSES, **(addresses or {})}
    portals = {name: DemoPortal(FlavourSite({}, "/"), host=addresses[name]).start() for name in addresses}
    department = portals["department"]
    for name, build in BUILDERS.items():
        portals[name].site = build(portals[name].base_url, department.base_url, pdf)
    cross = [u for name in BUILDERS for u in portals[name].site.extra["reports"] if u.startswith(department.base_url)]
    department.site = department_site(department.base_url, cross)
    path = Path(directory) / "flavour-sites.yaml"
    path.write_text(yaml.safe_dump(registry_entries(portals), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return portals, path


def registry_entries(portals: dict) -> list[dict]:
    entries = []
    for name in BUILDERS:
        portal = portals[name]
        starts = portal.site.extra.get("start_paths") or [portal.site.start_path]
        entry = {"name": f"{name} site", "start_urls": [portal.url(p) for p in starts]}
        if name in REGISTRY_FLAVOURS:
            entry["flavour"] = REGISTRY_FLAVOURS[name]
        entry["agency"] = "示范区人民政府"
        entry["hosts"] = [portals["department"].base_url.split("//", 1)[1]]
        entries.append(entry)
    return entries


def stop_all(portals: dict) -> None:
    for portal in portals.values():
        portal.stop()
