"""A periodic progress line on stderr while a crawl runs, whatever the log level.

    nianbao: 120 pages fetched (3.3 MiB), 18 reports parsed, 40 skipped, 0 errors

Every NIANBAO_PROGRESS_INTERVAL seconds (0 switches it off), and once at the end.

Pages and reports are the crawl's stats; skipped and errors are the run's rows in the
archive, as the end-of-run summary counts them (``archive.runs.rows_of_run``): every link
the spider did not follow and every request a middleware dropped (robots.txt, a private
address, a blocked host, a mirror, a withdrawn document) is one row per URL, however often
it was met. (Counting the pipeline's items counted a link each time a page listed it, and
no request a middleware dropped.)
"""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archive.runs import rows_of_run

from .crawl_archive import crawl_archive
from .settings import NIANBAO_PROGRESS_INTERVAL


class ProgressExtension:
    def __init__(self, crawler, interval: float, stream=None):
        self.crawler = crawler
        self.interval = interval
        self.stream = stream or sys.stderr
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", NIANBAO_PROGRESS_INTERVAL)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        # Its last line reads the archive, which CrawlRunExtension closes on spider_closed:
        # EXTENSIONS loads this one first, so it hears the signal first.
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        get = self.crawler.stats.get_value
        archive = crawl_archive(self.crawler)
        skipped, errors = (rows_of_run(archive.db, table, archive.run_id) for table in ("skipped", "errors"))
        return (
            f"nianbao: {get('nianbao/snapshots_stored') or 0} pages fetched ({size(get('nianbao/bytes_received') or 0)}), "
            f"{get('nianbao/reports_parsed') or 0} reports parsed, {skipped} skipped, {errors} errors"
        )

    def report(self):
        print(self.line(), file=self.stream, flush=True)

    def spider_opened(self, spider):
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report()


def size(count: int) -> str:
    """Bytes as a person reads them: 711 bytes, 1.7 KiB, 44 KiB, 3.2 MiB, 1.2 GiB."""
    if count < 1024:
        return f"{count:,} bytes"
    value, unit = count / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
