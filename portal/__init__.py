"""portal/ owns the imitation government portals the demo and the crawler tests crawl, built from
the seed texts: the demo's TRS WCM portal, and sites of every CMS flavour, hostile and faulty hosts.

`build_site()` renders every page (listing pages paged by `createPageHTML`, report pages with
Word-style tables, non-reports, one GBK page) as bytes; `DemoPortal` serves them over real HTTP on
127.0.0.1 and records every response it sends. `portal.imitation.start_imitation_portal` starts the
whole imitation portal for the crawl tests (flavour sites, a county column of synthetic reports,
hostile hosts; over 200 pages) with a manifest of what every host serves.

The modules, by what a test needs:
- site.py, pages.py, report_body.py, word_html.py   the demo's TRS site (``build_site``) and
                      its page chrome; seed_text.py, seed_tables.py read the seed reports
- server.py           ``DemoPortal``: any Site over real HTTP (304s, gzip, a log of what it sent)
- demo_port.py        the port ``nianbao demo`` reuses in the same DATA
- flavours.py         what the flavour sites share; flavour_sites.py one site per CMS flavour
                      (``BUILDERS``: a new flavour's imitation site goes here); world.py starts
                      them and writes their registry
- synthetic.py, county_site.py   synthetic reports and a county column of them
- hostile.py, faults.py   challenges, refusals, mirrors, withdrawals; broken connections, bombs
- nights.py           a column that changes from night to night
- imitation.py        the flavour sites, the county column and the hostile hosts together
                      (fourteen hosts), with a manifest of what a crawl must make of each
"""

from .server import DemoPortal, SentResponse, serve_forever
from .site import Resource, Site, build_site

__all__ = ["DemoPortal", "Resource", "SentResponse", "Site", "build_site", "serve_forever"]
