"""Scrapy item pipelines: they call the pure functions in parsers/ and store results
through archive/. No parsing logic lives here, so a live crawl and a reparse of the
archive run the same code.

- reports.py        the report pipeline: store skips, fetch failures, parsed reports
- parse_workers.py  parse report pages in worker processes, store them in arrival order
"""
