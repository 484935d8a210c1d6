"""The registry's sites in the archive, and which site each report was found for.

A crawl writes its registry sites to ``sites`` (one row per name; a later crawl's registry
replaces the agency, region and URLs, as the registry is where they are kept). A report
gets the site it was found for in ``reports.site_id``, beside the agency the parser read
from the page, which is never overwritten by the registry's.
"""

from __future__ import annotations

import json

from .timestamps import utc_now
from .transactions import write_transaction


def record_sites(db, sites: list[dict]) -> dict[str, int]:
    """Insert or update each registry site by name; return their ids by name."""
    ids = {}
    with write_transaction(db):
        for site in sites:
            db.execute(
                "insert into sites (name, agency, region, flavour, start_urls, hosts, updated) "
                "values (?, ?, ?, ?, ?, ?, ?) on conflict(name) do update set agency=excluded.agency, "
                "region=excluded.region, flavour=excluded.flavour, start_urls=excluded.start_urls, "
                "hosts=excluded.hosts, updated=excluded.updated",
                [site["name"], site.get("agency"), site.get("region"), site.get("flavour"),
                 json.dumps(site.get("start_urls") or [], ensure_ascii=False),
                 json.dumps(site.get("hosts") or [], ensure_ascii=False), utc_now()],
            )
            (ids[site["name"]],) = db.execute("select id from sites where name = ?", [site["name"]]).fetchone()
    return ids


def attach_site(db, url: str, site_id: int) -> None:
    """Tie the versions of the report at ``url`` that have no site yet to ``site_id``.

    A report already tied to a site keeps it (the first site that found it), so two
    registry entries reaching the same page do not take it from each other.
    """
    with write_transaction(db):
        db.execute("update reports set site_id = ? where url = ? and site_id is null", [site_id, url])
