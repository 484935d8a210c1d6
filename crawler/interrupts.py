"""Ctrl-C (SIGINT), SIGTERM and SIGHUP while a crawl runs: the run ends ``interrupted``, and
the next crawl of the archive resumes it, as it resumes a run killed outright.

``run_crawl`` holds ``Interrupts`` from its first line to its last, in place of Scrapy's
and Twisted's handlers (which it starts the reactor without) and of the command's
(nianbao/stop_signals.py: a signal the command was started ignoring stays ignored):

- a signal before the crawl opens its run: nothing is recorded, ``run_crawl`` raises
  ``Interrupted``;
- the first signal once the crawl is under way closes it as Scrapy closes on SIGTERM (the
  requests in flight end, their pages are stored and parsed); the spider closes with the
  reason ``shutdown``, which ``crawler.extensions`` records as the status ``interrupted``.
  While the crawl is still starting (Scrapy building it before the reactor runs, the
  run being opened) the signal is only noted, and the crawl is closed as soon as its
  engine starts: a signal never lands in the middle of the start-up;
- a second signal stops the reactor at once; ``run_crawl`` then marks the run
  ``interrupted`` itself;
- a signal once the crawl has ended, while the run's checks and hooks run, raises
  ``CutShort`` there: they stop, and the command says so.

The signal's name is kept in the crawl's stats (``nianbao/stopped_by``), so the run's
checks can say what stopped it.
"""

from __future__ import annotations

import contextlib
import logging
import signal

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from nianbao.stop_signals import STOP_SIGNALS

logger = logging.getLogger(__name__)

STOPPED_BY = "nianbao/stopped_by"  # stats key: the signal that stopped the crawl


class Interrupted(Exception):
    """A signal came before the crawl opened its run: nothing was recorded (or, from
    discover, before the walk ended). ``signum``: the signal."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum


class CutShort(BaseException):
    """A signal came after the crawl had ended, while its run's checks or hooks ran: they stop
    there (a webhook could otherwise hold the command for NIANBAO_NOTIFY_TIMEOUT seconds).
    A BaseException, as KeyboardInterrupt is: no ``except Exception`` on the way swallows it."""

    def __init__(self, signal_name: str):
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.run_id: int | None = None


class Interrupts:
    """SIGINT, SIGTERM and SIGHUP for the length of a ``with`` block (see the module's docstring)."""

    def __init__(self):
        self.signum: int | None = None  # the first signal received
        self.count = 0
        self._previous: dict[int, object] = {}
        self._crawler = None
        self._reactor = None  # set while the reactor runs: signals act through it
        self._stopping = False
        self._started = False  # the engine has started
        self._ended = False  # the reactor has stopped: a signal cuts what follows short

    @property
    def name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum else None

    def __enter__(self) -> "Interrupts":
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup's SIGHUP stays ignored
                self._previous[signum] = signal.signal(signum, self._received)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
        self._crawler = self._reactor = None

    def check(self) -> None:
        """Raise ``Interrupted`` if a signal came (call before the crawl records anything)."""
        if self.count:
            raise Interrupted("interrupted before the crawl started: nothing was recorded", self.signum)

    def watch(self, crawler) -> None:
        """Stop ``crawler`` on a signal once the reactor runs (at once, if one came already)."""
        from twisted.internet import reactor

        self._crawler = crawler
        crawler.signals.connect(self._engine_started, signal=signals.engine_started)
        reactor.callWhenRunning(self._running, reactor)

    def stopped(self) -> None:
        """The reactor has stopped: a signal from now on raises ``CutShort`` where it lands
        (the run's checks, the hooks)."""
        self._reactor = None
        self._ended = True

    def _received(self, signum, frame) -> None:
        self.count += 1
        self.signum = self.signum or signum
        if self._ended:
            raise CutShort(signal.Signals(signum).name)
        if self._reactor is not None:
            self._reactor.callFromThread(self._stop)

    def _running(self, reactor) -> None:
        self._reactor = reactor
        if self.count:
            self._stop()

    def _stop(self) -> None:
        """In the reactor thread: close the crawl (the first signal), or stop now (the next)."""
        if self._reactor is None:
            return
        if self.count > 1:
            logger.warning("Received %s again: stopping at once", self.name)
            with contextlib.suppress(RuntimeError):  # already stopping
                self._reactor.stop()
            return
        if self._stopping:
            return
        self._stopping = True
        logger.warning("Received %s: closing the crawl; its run is recorded as interrupted and the next crawl "
                       "resumes it (%s again: stop at once)", self.name, self.name)
        self._crawler.stats.set_value(STOPPED_BY, self.name)
        self._close()

    def _close(self) -> None:
        # Scrapy's Crawler.stop_async() does nothing until the engine runs, so a crawl still
        # starting is closed when its engine starts (_engine_started).
        engine = self._crawler._engine  # None until Scrapy builds it
        if engine is not None and engine.running:
            deferred_from_coro(self._crawler.stop_async())
        elif self._started and self._crawler.crawling and self._reactor is not None:
            self._reactor.callLater(0.05, self._close)  # started, not running yet: in a moment

    def _engine_started(self):
        self._started = True
        if self._stopping:  # a signal came while the crawl started: its run is open, close it
            return deferred_from_coro(self._crawler.engine.stop_async())
        return None
