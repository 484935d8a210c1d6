"""Scrapy item pipelines: they call the pure functions in parsers/ and store results
through archive/. No parsing logic lives here, so a live crawl and a reparse of the
archive run the same code.

- reports.py        the report pipeline (``ReportPipeline``, ITEM_PIPELINES in crawler/settings.py):
                    store skips, fetch failures, parsed reports
- parse_workers.py  parse report pages in worker processes (``ParseQueue`` over
                    archive/reparse_pool.py's ``ParsePool``), store them in arrival order

An item's way through (the items are crawler/items.py's):

- ``SkippedPage``  -> archive/records.py ``record_skipped`` (a ``skipped`` row)
- ``FailedPage``   -> archive/records.py ``record_error`` (an ``errors`` row, stage ``fetch``, or
  ``registry`` for a page the site's registry flavour found nothing on)
- ``ReportPage``   -> a body parsed before (archive/records.py ``parsed_already``) is only made
  current (``mark_current_version``); a new one is parsed from its stored snapshot,
  archive/reparse_pool.py ``parse_one`` (archive/snapshots.py ``read_snapshot``, then
  archive/snapshot_parse.py ``parse_snapshot``, then parsers/ ``parse_report``), here or in a worker,
  and stored by archive/reparse.py ``store_parsed`` -> archive/records.py ``store_report``;
  the report is tied to its registry site (archive/sites.py).

An exception escaping a pipeline (a bug, 'database is locked', ``ParseLost``: a page whose parse
workers kept dying, also when it was parsed alone: parse_workers.py) is not caught here:
Scrapy's ``item_error`` signal reaches crawler/extensions.py, which records an ``errors`` row
of stage ``store`` against the page; the run's checks fail on it (crawler/monitoring.py
"pages stored").
"""
