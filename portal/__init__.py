"""portal/ owns an imitation TRS WCM government portal, built from the seed texts, for the demo and
the crawler tests.

`build_site()` renders every page (listing pages paged by `createPageHTML`, report pages with
Word-style tables, non-reports, one GBK page) as bytes; `DemoPortal` serves them over real HTTP on
127.0.0.1 and records every response it sends. `portal.imitation.start_imitation_portal` starts the
whole imitation portal for the crawl tests (flavour sites, a county column of synthetic reports,
hostile hosts; over 200 pages) with a manifest of what every host serves.
"""

from .server import DemoPortal, SentResponse, serve_forever
from .site import Resource, Site, build_site

__all__ = ["DemoPortal", "Resource", "SentResponse", "Site", "build_site", "serve_forever"]
