"""The Scrapy project: spiders, downloader middlewares, extensions and settings.

crawler/ owns fetching: it walks report columns, recognises reports, hands every exchange
to archive/ (raw snapshots) and every report page to pipelines/ (parsing, storing).

A page's way through the system (one ``nianbao crawl``):

1. nianbao/commands/crawling.py ``crawl`` reads the registry (registry/) and calls run.py ``run_crawl``:
   settings (settings.py, a profile from profiles.py, ``NIANBAO_*`` from the environment,
   ``-s``), the archive's lock (archive/run_lock.py), Scrapy's CrawlerProcess.
2. spiders/reports.py ``ReportSpider.start`` asks for each column's start page
   (listing.py ``start_pages``); the scheduler's queue is scheduling.py's (distributed/ with
   ``--redis``).
3. Downloader middlewares, request path, by priority (middlewares/): mirrors 60, robots
   100, private_addresses 555, retry_after 570, challenges 585 (a blocked host: blocking.py),
   conditional 800 (validators from the archive). A request dropped on purpose is a
   ``skipped`` row (drops.py). The download itself: per-host delays (politeness.py), DNS
   through private_addresses.py's resolver.
4. Response path: snapshots 900 stores the exchange as received (archive/snapshots.py),
   conditional 800 turns a 304 into the archived 200, withdrawn 610, redirect_loops 605,
   then Scrapy's redirects (600) and decompression (590), challenges 585, retry_after 570,
   Scrapy's retries (550). Exception path: snapshots 900, oversize 560 (a download cancelled
   for its size), private_addresses 555 (a refused lookup), before Scrapy's retries.
5. Spider callbacks (spiders/reports.py): ``parse_listing`` reads items and further pages
   through the site's flavour (flavours/), keeps reports (parsers/recognize.py) on the site's hosts
   (site_hosts.py); ``parse_report`` and ``parse_attachment`` yield a ``ReportPage``; a
   failed request (a non-2xx answer too: Scrapy's HttpErrorMiddleware) reaches
   ``record_failure``, a ``FailedPage``; a link not followed is a ``SkippedPage`` (items.py).
6. pipelines/reports.py stores the items through archive/: a report page is read back from
   the archive and parsed (archive/reparse.py ``parse_stored_snapshot``, or worker processes:
   pipelines/parse_workers.py) by parsers/ ``parse_report``, its rows written by
   archive/records.py ``store_report``.
7. At the end: extensions.py closes the run (archive/runs.py), run.py checks it
   (monitoring.py) and tells the hooks (notify.py).

The modules, by concept:

Running a crawl
- run.py              ``run_crawl``: one crawl in this process; the crawl's settings (``crawl_settings``)
- settings.py         every setting with its default; profiles.py: ``polite``, ``demo``, ``test`` on top
- crawl_archive.py    the crawl's archive (``crawl_archive``: one connection, one ``crawl_runs`` row)
                      shared by middlewares and pipeline, a killed run resumed as it opens
- extensions.py       ``CrawlRunExtension``: closes the run (counts, stats, status; a full disk stops it)
- progress.py         the periodic progress line on stderr
- interrupts.py       Ctrl-C and SIGTERM: the run ends ``interrupted`` and is resumed
- monitoring.py       the end-of-run checks and exit statuses; notify.py: the hooks told the outcome
- distributed/        several processes, one crawl: queue and duplicate filter in Redis
What to crawl
- registry/           the site registry: read, checked, added to
- discover.py         ``nianbao discover``: find a site's report columns (its own ``DiscoverSpider``)
- site_hosts.py       which hosts belong to a site (followed)
Reading pages
- spiders/reports.py  ``ReportSpider``: the callbacks above; it dispatches, the flavours read
- flavours/           one adapter per CMS (trs, hanweb, gkmlpt, generic) and their detection
- listing.py          URL helpers (absolute, as written, a column's directory) and listing items
- items.py            what the spider yields: ``ReportPage``, ``FailedPage``, ``SkippedPage``
Fetching politely and safely
- middlewares/        the downloader middlewares, one per file (listed in its __init__)
- drops.py            a request dropped on purpose: a ``skipped`` row and a ``RequestDropped``
- blocking.py         hosts given up on for the run (challenges, refusals, long Retry-After)
- politeness.py       per-host delay floors: robots.txt Crawl-delay, a minimum; AutoThrottle keeps them
- private_addresses.py  which addresses are never fetched; the resolver that refuses them
- scheduling.py       the priority queue: the next host in time bounded by the concurrency
- offline_psl.py      the public-suffix list read from tldextract's bundled copy, never fetched
"""

from .offline_psl import use_bundled_public_suffix_list

use_bundled_public_suffix_list()
