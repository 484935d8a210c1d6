"""Scrapy item pipelines: they call the pure functions in parsers/ and store results
through archive/. No parsing logic lives here, so a live crawl and a reparse of the
archive run the same code.
"""
