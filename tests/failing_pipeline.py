"""Test-only item pipelines that fail on one page: set ``NIANBAO_TEST_FAIL_TO_STORE`` to the
end of that page's URL and name one in ITEM_PIPELINES (``nianbao crawl -s ITEM_PIPELINES=...``).
The page is fetched and archived as usual.

- ``FailToStore``, before the report pipeline: raises as a storing bug or a locked archive
  would; what the page brought never reaches the report pipeline.
- ``KillParseWorkers``, instead of the report pipeline: the parse workers die on that page."""

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
