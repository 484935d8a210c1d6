"""Parse report pages in worker processes while the crawl goes on fetching.

The report pipeline hands each new report snapshot's id to ``archive.reparse_pool.ParsePool``
(workers open the archive read-only, parse, and send back only the parsed report) and
stores what comes back in the reactor thread, the archive's one writer. Items are stored
in the order they arrived, parsed or not: the rows are those an in-process parse writes,
whatever the number of workers.

At most ``window`` pages are parsing or waiting to be stored; the next report page waits
for a slot (its response stays in Scrapy's scraper slot, whose size limit then holds the
downloader back), so memory stays flat however fast pages come in.

A page whose parse does not come back (a worker died: the pool is then replaced, at
most ``MAX_RESTARTS`` times before parsing moves into the crawling process) is left
unparsed, recorded in ``errors`` as ``ParseLost`` (stage ``store``: the run's checks fail);
the next crawl parses it, as any body never parsed. A page a worker could not
read (not committed yet, a read error) is parsed in the crawling process instead.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures.process import BrokenProcessPool

from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredSemaphore
from twisted.python.failure import Failure

from archive.reparse_pool import ParsePool, default_workers as reparse_default_workers

logger = logging.getLogger(__name__)

MAX_RESTARTS = 3
IN_PROCESS = "in process"  # what a page gets when a worker will not parse it: parse it here
LOST = "lost"  # its parse did not come back


class ParseLost(Exception):
    """A report page whose parse did not come back: the report pipeline raises it, and the page
    gets an ``errors`` row (stage ``store``) as any item a pipeline failed on."""


def default_workers() -> int:
    """Reparse's default (one fewer than the CPUs this process may use, at most 4: the
    crawling process keeps one, it fetches, archives and stores), but at least 1."""
    return max(1, reparse_default_workers())


def configured_workers(settings) -> int:
    """How many parse workers ``NIANBAO_PARSE_WORKERS`` asks for (0: parse in the crawling
    process); ``default_workers()`` when it is unset."""
    value = settings.get("NIANBAO_PARSE_WORKERS")
    if value is None or value == "":
        return default_workers()
    return max(0, int(value))


class _Entry:
    __slots__ = ("item", "snapshot_id", "parsed", "ready", "done")

    def __init__(self, item, snapshot_id):
        self.item, self.snapshot_id = item, snapshot_id
        self.parsed = None  # a reparse_pool.Parsed, IN_PROCESS or LOST
        self.ready = snapshot_id is None
        self.done: Deferred = Deferred()


class ParseQueue:
    """Items in arrival order; ``store(item, parsed)`` is called for each in that order
    once its parse (if it needs one) is back. ``parsed`` is None for an item not parsed."""

    def __init__(self, db, workers: int, store, stats, window: int | None = None):
        self.db, self.workers, self.store, self.stats = db, workers, store, stats
        self.slots = DeferredSemaphore(window or 4 * workers)
        self.queue: deque[_Entry] = deque()
        self.pool: ParsePool | None = None
        self.restarts = 0
        self.draining = False
        self._start_pool()

    def add(self, item, snapshot_id: int | None = None) -> Deferred:
        """Queue ``item``; parse ``snapshot_id`` (a committed snapshot) first. The Deferred
        fires with the item once stored (or fails as the store failed)."""
        entry = _Entry(item, snapshot_id)
        self.queue.append(entry)
        if entry.ready:
            self._drain()
        else:
            self.slots.acquire().addCallback(lambda _: self._submit(entry))
        return entry.done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    # -- parsing ------------------------------------------------------------------------

    def _start_pool(self) -> None:
        try:
            self.pool = ParsePool(self.db, self.workers)
            self.pool.start()
        except (OSError, ValueError, BrokenProcessPool) as exc:
            logger.warning("Could not start %d parse worker(s) (%s); parsing in the crawling process",
                           self.workers, exc)
            self.pool = None

    def _submit(self, entry: _Entry) -> None:
        while True:
            pool = self.pool
            # A snapshot stored inside a transaction still open is not visible to a worker yet.
            if pool is None or self.db.conn.in_transaction:
                self.stats.inc_value("nianbao/parsed_in_process")
                self._parsed(entry, IN_PROCESS)
                return
            try:
                future = pool.submit([entry.snapshot_id])
            except RuntimeError:  # found broken (BrokenProcessPool) or shut down: the page is
                self._broken(pool)  # still here, for the next workers (or this process)
                continue
            future.add_done_callback(lambda f: reactor.callFromThread(self._returned, entry, pool, f))
            return

    def _returned(self, entry: _Entry, pool: ParsePool, future) -> None:
        if future.cancelled():
            self._parsed(entry, LOST)
            return
        exc = future.exception()
        if exc is None:
            self.stats.inc_value("nianbao/parsed_in_workers")
            self._parsed(entry, future.result()[0])
        elif isinstance(exc, BrokenProcessPool):
            self._broken(pool)
            self._parsed(entry, LOST)
        else:  # the worker could not read the snapshot: the crawling process can
            logger.debug("A parse worker failed on snapshot %s (%r); parsing it here", entry.snapshot_id, exc)
            self.stats.inc_value("nianbao/parsed_in_process")
            self._parsed(entry, IN_PROCESS)

    def _broken(self, pool: ParsePool) -> None:
        if pool is not self.pool:
            return  # already replaced
        pool.close(wait=False)
        self.restarts += 1
        self.stats.inc_value("nianbao/parse_workers_lost")
        if self.restarts > MAX_RESTARTS:
            logger.error("Parse workers died %d times; parsing in the crawling process from now on",
                         self.restarts)
            self.pool = None
        else:
            logger.error("A parse worker died; the pages it had are parsed on the next crawl. "
                         "Starting new workers")
            self._start_pool()

    def _parsed(self, entry: _Entry, parsed) -> None:
        entry.parsed, entry.ready = parsed, True
        self._drain()

    # -- storing, in arrival order ------------------------------------------------------

    def _drain(self) -> None:
        if self.draining:  # a store that freed a slot, re-entering: the loop below goes on
            return
        self.draining = True
        try:
            while self.queue and self.queue[0].ready:
                entry = self.queue.popleft()
                try:
                    self.store(entry.item, entry.parsed)
                except Exception:
                    entry.done.errback(Failure())
                else:
                    entry.done.callback(entry.item)
                finally:
                    if entry.snapshot_id is not None:
                        self.slots.release()
        finally:
            self.draining = False
