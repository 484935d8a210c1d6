"""Test-only item pipelines that fail on one page: set ``NIANBAO_TEST_FAIL_TO_STORE`` to the
end of that page's URL and name one in ITEM_PIPELINES (``nianbao crawl -s ITEM_PIPELINES=...``).
The page is fetched and archived as usual.

- ``FailToStore``, before the report pipeline: raises as a storing bug or a locked archive
  would; what the page brought never reaches the report pipeline.
- ``KillParseWorkers``, instead of the report pipeline: the parse workers die as that page is
  handed to them, once (the page itself parses).
- ``DeadlyPage``, instead of the report pipeline: every parse worker parsing that page dies,
  as on a page that crashes a parser library."""

from __future__ import annotations

import os
import signal
import sqlite3

from pipelines.reports import ReportPipeline

FAIL_TO_STORE = "NIANBAO_TEST_FAIL_TO_STORE"


class FailToStore:
    def process_item(self, item):
        if item.url.endswith(os.environ[FAIL_TO_STORE]):
            raise sqlite3.OperationalError("database is locked")
        return item


class KillParseWorkers(ReportPipeline):
    """The report pipeline, whose parse workers die while parsing the page whose URL ends with
    ``NIANBAO_TEST_FAIL_TO_STORE``, as a crash in a parser library would end them: stopped
    (SIGSTOP) before the page is handed to them, so none can finish it, then killed."""

    async def process_item(self, item):
        if self.parsing is not None and self.parsing.pool is not None and item.url.endswith(
                os.environ[FAIL_TO_STORE]):
            from twisted.internet import reactor  # the crawl's, installed by then

            workers = [process.pid for process in self.parsing.pool.executor._processes.values()]
            for pid in workers:
                os.kill(pid, signal.SIGSTOP)
            reactor.callLater(0.1, lambda: [os.kill(pid, signal.SIGKILL) for pid in workers])
        return await super().process_item(item)


class DeadlyPage(ReportPipeline):
    """The report pipeline, where a parse worker dies (SIGKILL) whenever it parses the page whose
    URL ends with ``NIANBAO_TEST_FAIL_TO_STORE``: the crawl's workers are forked, so they inherit
    the parse patched here. The crawling process itself parses it as usual."""

    def open_spider(self):
        import archive.reparse_pool

        crawling, real = os.getpid(), archive.reparse_pool.parse_snapshot
        deadly = os.environ[FAIL_TO_STORE]

        def parse_snapshot(snapshot):
            if snapshot.url.endswith(deadly) and os.getpid() != crawling:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(snapshot)

        archive.reparse_pool.parse_snapshot = parse_snapshot  # before the workers are forked
        super().open_spider()
