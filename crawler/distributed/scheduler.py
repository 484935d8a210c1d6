"""The scheduler of a crawl shared through Redis: scrapy-redis' ``Scheduler`` with the seed
mark, the requests in flight (in_flight.py), the idle close, and a stop when Redis is lost.

- The seed marks the crawl seeded; a joiner takes part from when it sees the mark. The mark
  expires ``SEED_MARK_TTL`` after the last process that took part in the crawl.
- A process with nothing to do asks the queue every ``NIANBAO_REDIS_POLL`` seconds (1 s;
  the engine's heartbeat, 5 s in Scrapy). It stops once the crawl is seeded and the whole
  crawl has had nothing to do for ``NIANBAO_REDIS_IDLE_CLOSE`` seconds: the queue empty and
  no process with a request in flight, whose answer may queue more (a joiner counts from
  the moment it saw the seed mark, not from when it began waiting for it). scrapy-redis'
  own idle wait (``SCHEDULER_IDLE_BEFORE_CLOSE``) blocks the reactor in BRPOP, which its
  priority queue does not support anyway.
- Redis is this crawl's memory: a process that cannot reach it (a command refused or timed
  out after redis-py's retries), or finds the crawl's state gone from it (a Redis
  restarted without persistence, or a new seed), stops with the close reason
  ``shared_queue_lost``, its run ``failed`` and the reason in the log and the run checks.
  Going on would lose the requests it could not queue without a word. Stopped, it leaves
  its requests in flight in Redis, where another process queues them again as a dead
  process's (in_flight.py), their pages' links with them; those of a crawl gone from Redis
  are dropped with it rather than queued in the next crawl.
"""

from __future__ import annotations

import logging
import time
import uuid

import redis
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler

from ..settings import NIANBAO_REDIS_POLL, NIANBAO_REDIS_WORKER_TTL
from .config import KEY_PREFIX, SharedQueue, without_password
from .in_flight import InFlight, poll_when_idle_every, when_the_engine_is_done
from .queue import RequestCodec

logger = logging.getLogger(__name__)

SEED_MARK_TTL = 120  # seconds the seed mark outlives the last process that kept it
QUEUE_LOST = "shared_queue_lost"  # the close reason of a process that lost Redis or the crawl in it


class SharedScheduler(Scheduler):
    """scrapy-redis' scheduler, with the seed mark, the requests in flight and the idle close
    described above."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.serializer = RequestCodec
        scheduler.seed = settings.getbool("NIANBAO_REDIS_SEED")
        scheduler.idle_close = settings.getfloat("NIANBAO_REDIS_IDLE_CLOSE", SharedQueue.idle_close)
        scheduler.seed_wait = settings.getfloat("NIANBAO_REDIS_SEED_WAIT", SharedQueue.seed_wait)
        scheduler.worker_ttl = settings.getfloat("NIANBAO_REDIS_WORKER_TTL", NIANBAO_REDIS_WORKER_TTL)
        scheduler.crawl_id = None  # the seed mark's value: the crawl this process takes part in, once it does
        scheduler.idle_since = None
        scheduler.lost = None  # why this process lost the shared crawl, once it has
        poll_when_idle_every(crawler, settings.getfloat("NIANBAO_REDIS_POLL", NIANBAO_REDIS_POLL))
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        # scrapy-redis' open, less its "Resuming crawl" line through the deprecated spider.log
        self.spider = spider
        key = KEY_PREFIX % {"spider": spider.name}
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, serializer=self.serializer,
                                                 key=self.queue_key % {"spider": spider.name})
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        self.seeded_key = f"{key}:seeded"
        self.in_flight = InFlight(self.server, key, self.queue.key, self.worker_ttl)
        if self.seed:
            self.flush()  # the last crawl's queue and fingerprints
            self.in_flight.drop_gone()  # and its gone processes' requests in flight (a live one's are its own)
            self.crawl_id = f"{uuid.uuid4().hex} {spider.name}"
            self.server.set(self.seeded_key, self.crawl_id, ex=SEED_MARK_TTL)
            logger.info("Seeding the shared crawl at %s", self.queue.key)
        elif self.server.exists(self.seeded_key):
            logger.info("Joining the shared crawl at %s (%d requests queued)", self.queue.key, len(self.queue))
        else:  # a warning: the one line a quiet profile shows while this process waits
            logger.warning("No crawl seeded at %s yet: waiting up to %.0f s for a process started with --seed",
                           without_password(self.server_url), self.seed_wait)
        self.in_flight.keep_alive()
        when_the_engine_is_done(self.crawler, self._forget)
        self.keeper = create_looping_call(self._keep)
        self.keeper.start(min(SEED_MARK_TTL / 8, self.worker_ttl / 4), now=False)

    def close(self, reason):
        if self.keeper.running:
            self.keeper.stop()
        self._shared(self.in_flight.leave)
        super().close(reason)

    def _shared(self, command, default=None):
        """``command()``, a call to Redis; once Redis fails, this process stops (see the
        module's docstring) and ``default`` is returned for this and every later call."""
        if self.lost is not None:
            return default
        try:
            return command()
        except redis.RedisError as exc:
            self._lose(f"lost the shared queue at {without_password(self.server_url)}: {str(exc).rstrip('.')}. "
                       f"Its requests in flight are left in Redis: a process still in this crawl queues them again "
                       f"once this one has been silent for {self.worker_ttl:.0f} s (the links it could not "
                       f"queue are found again then); with none left, seed the crawl again (--seed) once "
                       f"Redis is back")
            return default

    @property
    def server_url(self) -> str:
        return self.crawler.settings.get("REDIS_URL")

    def _lose(self, why: str) -> None:
        self.lost = why
        logger.error("Stopping this process, its pages archived: %s", why)
        self.stats.set_value("nianbao/shared_queue_lost", why)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=QUEUE_LOST))

    def _forget(self, request) -> None:
        self._shared(lambda: self.in_flight.forget(request))

    def _keep(self) -> None:
        self._shared(self.in_flight.keep_alive)
        self._shared(self._keep_seed_mark)
        moved = self._shared(self.in_flight.requeue_gone, default=0)
        if moved:
            logger.warning("Put %d request(s) back on the shared queue: the process that took them "
                           "stopped answering for %.0f s (killed?)", moved, self.worker_ttl)
            self.stats.inc_value("nianbao/requeued_from_gone_processes", moved)

    def _keep_seed_mark(self) -> None:
        """The seed mark lives while processes that took part in the crawl do, and expires
        after them: a process started for tomorrow's crawl waits for tomorrow's seed. A
        mark gone or changed under a process that took part: its crawl is gone from Redis."""
        if self.crawl_id is None:
            return
        mark = self.server.get(self.seeded_key)
        if mark is None or mark.decode("utf-8", "replace") != self.crawl_id:
            self.in_flight.drop()
            self._lose(f"the shared crawl is gone from Redis at {without_password(self.server_url)} "
                       + ("(Redis restarted without persistence, or flushed?), its requests in flight with it. "
                          "Seed the crawl again (--seed)" if mark is None
                          else "(another process seeded a new crawl), its requests in flight with it"))
            return
        self.server.expire(self.seeded_key, SEED_MARK_TTL)

    def _joined(self) -> bool:
        """Whether this process takes part in a seeded crawl. The seed does from the start; a
        joiner from when it sees the seed mark: it takes nothing from the queue before (a
        queue left by a crawl that ended is not one), and its idle time counts from then, so
        that a joiner that waited longer than ``idle_close`` for the seed does not close the
        moment the mark comes, before the seed's first requests reach the queue."""
        if self.crawl_id is None:
            mark = self.server.get(self.seeded_key)
            if mark is None:
                return False
            self.crawl_id = mark.decode("utf-8", "replace")  # which _keep_seed_mark checks from now on
            self.idle_since = None  # waiting for the seed was not idleness within the crawl
        return True

    # scrapy-redis' methods again, without the ``spider`` argument to the stats that
    # Scrapy 2.19 deprecates, marking this process busy, and through ``_shared``.
    def enqueue_request(self, request) -> bool:
        return self._shared(lambda: self._enqueue(request), default=False)

    def _enqueue(self, request) -> bool:
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        if not self.queue.push_new(request, self.df.key, fingerprint):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.idle_since = None
        return True

    def next_request(self):
        if not self._shared(self._joined, default=False):
            return None
        request = self._shared(lambda: self.in_flight.take(self.queue.decode))
        if request is None:
            return None
        self.stats.inc_value("scheduler/dequeued/redis")
        self.idle_since = None
        return request

    def __len__(self) -> int:
        return self._shared(lambda: len(self.queue), default=0)

    def spider_idle(self, spider):
        joined = self._shared(self._joined, default=False)
        others_busy = joined and self._shared(self.in_flight.others_busy, default=False)
        if self.lost is not None:
            return  # closing already
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        idle = now - self.idle_since
        if not joined:
            if idle < self.seed_wait:
                raise DontCloseSpider
            raise CloseSpider("not_seeded")
        if others_busy:
            self.idle_since = now  # another process's answers may still queue work
            raise DontCloseSpider
        if idle < self.idle_close:
            raise DontCloseSpider
        logger.info("Shared queue empty, no request in flight, and this process idle for %.0f s: closing", idle)
