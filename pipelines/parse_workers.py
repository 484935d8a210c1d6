"""Parse report pages in worker processes while the crawl goes on fetching.

The report pipeline hands each new report snapshot's id to ``archive.reparse_pool.ParsePool``
(workers open the archive read-only, parse, and send back only the parsed report) and
stores what comes back in the reactor thread, the archive's one writer. Items are stored
in the order they arrived, parsed or not: the rows are those an in-process parse writes,
whatever the number of workers.

At most ``window`` pages are parsing or waiting to be stored; the next report page waits
for a slot (its response stays in Scrapy's scraper slot, whose size limit then holds the
downloader back), so memory stays flat however fast pages come in.

When a worker dies (a page that crashes a parser library or exhausts memory), the pool is
replaced (at most ``MAX_RESTARTS`` times before parsing moves into the crawling process) and
the pages it had in flight are parsed again one at a time in a fresh worker, in a thread
while the crawl goes on, as ``nianbao reparse`` does (``archive.reparse_pool.parse_alone``):
a page whose worker dies again is recorded as a ``WorkerDied`` parse error (stage ``parse``:
the next crawl does not try it again, ``nianbao reparse --force`` does), the others are
stored as usual. Only when workers die on ``MAX_DEATHS_IN_A_ROW`` pages in a row (the
machine's memory, not the pages) are they left unparsed, recorded as ``ParseLost`` (stage
``store``: the run's checks fail), for the next crawl. A page a worker could not read (not
committed yet, a read error) is parsed in the crawling process instead.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures.process import BrokenProcessPool

from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredSemaphore
from twisted.internet.threads import blockingCallFromThread
from twisted.python.failure import Failure

from archive.reparse_pool import (MAX_DEATHS_IN_A_ROW, ParsePool, database_files, parse_alone, worker_died,
                                  default_workers as reparse_default_workers)

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
        self.parsed = None  # a reparse_pool.Parsed (maybe a WorkerDied error), IN_PROCESS or LOST
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
        self.in_flight: dict[ParsePool, int] = {}  # pages handed to each pool, not back yet
        self.orphans: dict[ParsePool, list[_Entry]] = {}  # pages a dead pool had: to parse again alone
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
            self.in_flight[pool] = self.in_flight.get(pool, 0) + 1
            future.add_done_callback(lambda f: reactor.callFromThread(self._returned, entry, pool, f))
            return

    def _returned(self, entry: _Entry, pool: ParsePool, future) -> None:
        self.in_flight[pool] -= 1
        if future.cancelled() or isinstance(future.exception(), BrokenProcessPool):
            self._broken(pool)
            self.orphans.setdefault(pool, []).append(entry)
            if not self.in_flight[pool]:  # the last of the pages it had: which one killed it?
                del self.in_flight[pool]
                self._parse_alone(self.orphans.pop(pool))
            return
        exc = future.exception()
        if exc is None:
            self.stats.inc_value("nianbao/parsed_in_workers")
            self._parsed(entry, future.result()[0])
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
            logger.error("A parse worker died; starting new workers")
            self._start_pool()

    def _parse_alone(self, entries: list[_Entry]) -> None:
        """Parse the pages a dead pool had again, one at a time in a fresh worker, in a thread
        (a page can take minutes): the crawl goes on fetching meanwhile."""
        ids = [entry.snapshot_id for entry in entries]
        files = database_files(self.db)  # read here: the thread touches no database of this process
        logger.warning("Parsing the %d page(s) the dead parse worker had again, one at a time", len(ids))

        def new_pool() -> ParsePool:
            # Forked in the reactor thread, as every worker of the crawl: forked from this one, a
            # worker could inherit a lock (SQLite's) the reactor thread holds at that moment.
            return blockingCallFromThread(reactor, self._started_pool, files)

        def parse() -> None:  # the results go back to the reactor thread, as a worker's do
            results = []
            try:
                results.extend(parse_alone(files, ids, new_pool))
            except BrokenProcessPool:  # not the pages' fault: those left are lost, for the next crawl
                logger.error("Parse workers died on %d pages in a row, each parsed alone (out of memory?): "
                             "%d page(s) left for the next crawl", MAX_DEATHS_IN_A_ROW, len(ids) - len(results))
            except Exception as exc:  # a worker that would not start, say
                logger.error("Could not parse the pages a dead parse worker had again: %r", exc)
            reactor.callFromThread(self._parsed_alone, results, entries)

        threading.Thread(target=parse, name="parse-alone", daemon=True).start()

    @staticmethod
    def _started_pool(files) -> ParsePool:
        pool = ParsePool(None, 1, files)
        pool.start()
        return pool

    def _parsed_alone(self, results: list, entries: list[_Entry]) -> None:
        """Hand on what ``parse_alone`` gave back; the pages it did not reach are lost."""
        for entry, (snapshot_id, parsed) in zip(entries, results):
            if parsed is None:
                parsed = worker_died(self.db, snapshot_id)
                self.stats.inc_value("nianbao/parse_worker_died")
                logger.error("A parse worker died on %s, also when it was parsed alone: recorded as WorkerDied, "
                             "not parsed again by the next crawl", parsed.url)
            else:
                self.stats.inc_value("nianbao/parsed_in_workers")
            self._parsed(entry, parsed)
        for entry in entries[len(results):]:
            self._parsed(entry, LOST)

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
