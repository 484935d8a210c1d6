"""Several crawler processes, one crawl: a request queue and a duplicate filter shared in Redis.

scrapy-redis (0.9.1) supplies the queue (a sorted set by request priority, popped
atomically, so two processes never get the same request), its scheduler and its duplicate
filter; ``ReportSpider`` runs unchanged. Checked against Scrapy 2.19, what is adapted here:

- Requests cross processes as JSON, not pickle (a Redis reachable from several machines
  must not be a way to run code): URL, method, headers, body, callback and errback by
  name, ``meta`` and ``cb_kwargs`` as plain data, request classes from ``scrapy.http``
  only. Meta that points into this process's
  own archive (snapshot ids, the validators a conditional request took from it) stays
  behind; the process that downloads the request looks in its own archive.
- Fingerprints come from Scrapy's request fingerprinter (scrapy-redis computes its own),
  and a listing page's ``col/`` and ``col/index.html`` are one request, as the spider's
  per-process ``listing_key`` has them. A request is queued and its fingerprint recorded in
  one step (scrapy-redis sends the two apart): a fingerprint always has its request queued.
- One process seeds (``SharedQueue(seed=True)``): it clears the previous crawl's queue
  and fingerprints, marks the crawl seeded and enqueues the start URLs. The others join:
  their start requests are not sent (``JoinedStart``); they take work from the queue, and
  wait up to ``NIANBAO_REDIS_SEED_WAIT`` for the seed when they come first. The seed mark
  expires ``SEED_MARK_TTL`` after the last process that took part in the crawl.
- The queue and fingerprints outlive each process (``SCHEDULER_PERSIST``): scrapy-redis
  would otherwise flush them when the first process closes, under the ones still running.
- A process with nothing to do asks the queue every ``NIANBAO_REDIS_POLL`` seconds (1 s;
  the engine's heartbeat, 5 s in Scrapy). It stops once the crawl is seeded and the whole
  crawl has had nothing to do for ``NIANBAO_REDIS_IDLE_CLOSE`` seconds: the queue empty and
  no process with a request in flight, whose answer may queue more (a joiner counts from
  the moment it saw the seed mark, not from when it began waiting for it). scrapy-redis'
  own idle wait (``SCHEDULER_IDLE_BEFORE_CLOSE``) blocks the reactor in BRPOP, which its
  priority queue does not support anyway.
- Requests in flight are kept in Redis too: a request is moved from the queue to its
  process's in-flight hash in one step, and leaves it when the engine is done with it (its
  answer stored and what it links to queued). Each process renews a liveness key every few
  seconds; when one stops renewing it (killed, its machine gone) for
  ``NIANBAO_REDIS_WORKER_TTL`` seconds, another process puts its requests back on the
  queue. A request is so fetched at least once, never lost with its process.
- Redis is this crawl's memory: a process that cannot reach it (a command refused or timed
  out after redis-py's retries), or finds the crawl's state gone from it (a Redis
  restarted without persistence, or a new seed), stops with the close reason
  ``shared_queue_lost``, its run ``failed`` and the reason in the log and the run checks.
  Going on would lose the requests it could not queue without a word.

Caveats, per process rather than per crawl: politeness (``CONCURRENT_REQUESTS_PER_DOMAIN``,
delays, robots.txt ``Crawl-delay``, AutoThrottle, ``Retry-After``) and host blocks hold in
each process, so N processes can send up to N times a host's allowance; robots.txt is
fetched once per process and host; the listing-page bound per site counts each process's
pages; conditional requests use the validators of the process's own archive.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from .spiders.reports import listing_key

logger = logging.getLogger(__name__)

KEY_PREFIX = "nianbao:%(spider)s"
# Meta naming rows of the archive of the process that queued the request.
LOCAL_META = ("nianbao_snapshot_id", "nianbao_encoding", "nianbao_unchanged", "nianbao_validated_from",
              "nianbao_in_flight")
VALIDATORS = ("If-None-Match", "If-Modified-Since")
SEED_MARK_TTL = 120  # seconds the seed mark outlives the last process that kept it
QUEUE_LOST = "shared_queue_lost"  # the close reason of a process that lost Redis or the crawl in it
# Seconds a Redis command may take (scrapy-redis' 30 s would hold the crawl 2 minutes per
# command, with redis-py's retries, when Redis stops answering).
REDIS_TIMEOUT = 10

# Queue a request unless its fingerprint is known, and record the fingerprint, in one step:
# a process that dies (or loses Redis) in between would otherwise leave a fingerprint whose
# request no process ever fetches, every one taking it for a duplicate. The request is queued
# before its fingerprint is recorded, so a script stopped half-way errs on a second fetch.
# KEYS: queue, fingerprints; ARGV: score (PriorityQueue.push's), request, fingerprint ('': dont_filter).
PUSH_NEW = """
if ARGV[3] ~= '' and redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('SADD', KEYS[2], ARGV[3]) end
return 1
"""
# Take the queue's first request and keep it in this process's in-flight hash, in one step.
# KEYS: queue, in-flight hash; ARGV: the request's field in the hash.
TAKE = """
local taken = redis.call('ZRANGE', KEYS[1], 0, 0)
if #taken == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], taken[1])
return taken[1]
"""
# Every process whose liveness key is gone: its requests in flight back on the queue (by
# their priority, as PriorityQueue.push scores them), or dropped with ARGV[3] = 0 (a new seed).
# KEYS: queue, workers set; ARGV: key prefix, this process, requeue (1/0). Returns requests moved.
REQUEUE_GONE = """
local moved = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if worker ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. ':alive:' .. worker) == 0 then
    local in_flight = ARGV[1] .. ':in_flight:' .. worker
    if ARGV[3] == '1' then
      for _, data in ipairs(redis.call('HVALS', in_flight)) do
        redis.call('ZADD', KEYS[1], -(cjson.decode(data)['priority'] or 0), data)
        moved = moved + 1
      end
    end
    redis.call('DEL', in_flight)
    redis.call('SREM', KEYS[2], worker)
  end
end
return moved
"""


@dataclass(frozen=True)
class SharedQueue:
    """How this process takes part in a crawl shared through Redis."""

    url: str  # redis://host:6379/0; one crawl per Redis database
    seed: bool = False  # start a new crawl: clear the last one's queue, enqueue the start URLs
    idle_close: float = 30.0  # seconds with nothing to do before this process stops
    seed_wait: float = 600.0  # how long a joining process waits for the crawl to be seeded


def use_redis(settings, shared: SharedQueue) -> None:
    """Point a crawl's ``Settings`` at the shared queue and duplicate filter.

    Raises ValueError when no Redis answers at ``shared.url``."""
    check_redis(shared.url)
    settings.setdict(
        {
            "SCHEDULER": f"{__name__}.SharedScheduler",
            "DUPEFILTER_CLASS": f"{__name__}.SharedDupeFilter",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{KEY_PREFIX}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{KEY_PREFIX}:dupefilter",
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": shared.url,
            "REDIS_PARAMS": {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT},
            "NIANBAO_REDIS_SEED": shared.seed,
            "NIANBAO_REDIS_IDLE_CLOSE": shared.idle_close,
            "NIANBAO_REDIS_SEED_WAIT": shared.seed_wait,
        },
        priority="cmdline",
    )
    if not shared.seed:
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", JoinedStart, 0)


def check_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT).ping()
    except (redis.RedisError, ValueError) as exc:
        raise ValueError(f"no Redis at {without_password(url)}: {exc}") from None


def without_password(url: str) -> str:
    """URL as it may be printed: its password (``redis://:SECRET@host``) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


class RequestCodec:
    """``Request.to_dict()`` <-> JSON bytes (scrapy-redis' serializer interface)."""

    @staticmethod
    def dumps(d: dict) -> bytes:
        d = dict(d)
        meta = dict(d.get("meta") or {})
        headers = {
            name.decode("latin-1"): [v.decode("latin-1") for v in values]
            for name, values in d.pop("headers").items()
        }
        if meta.get("nianbao_validated_from") is not None:
            for name in VALIDATORS:
                headers.pop(name, None)
        for key in LOCAL_META:
            meta.pop(key, None)
        d.update(meta=meta, headers=headers, body=base64.b64encode(d.get("body") or b"").decode("ascii"))
        return json.dumps(d, ensure_ascii=False, default=_not_plain).encode("utf-8")

    @staticmethod
    def loads(data: bytes) -> dict:
        d = json.loads(data)
        if not d.get("_class", "scrapy.http.").startswith("scrapy.http."):
            raise ValueError(f"not a Scrapy request class: {d['_class']!r}")
        d["body"] = base64.b64decode(d["body"])
        return d


def _not_plain(value):
    raise TypeError(f"request meta/cb_kwargs must be plain data to cross processes, not {type(value).__name__}")


class SharedDupeFilter(RFPDupeFilter):
    """scrapy-redis' filter with Scrapy's fingerprints; its set is never cleared by a closing process."""

    fingerprinter = None
    stats = None

    @classmethod
    def from_spider(cls, spider):
        dupefilter = super().from_spider(spider)
        dupefilter.fingerprinter = spider.crawler.request_fingerprinter
        dupefilter.stats = spider.crawler.stats
        return dupefilter

    def request_fingerprint(self, request) -> str:
        if request.meta.get("nianbao_kind") == "listing":
            request = request.replace(url=listing_key(request)[1])
        return self.fingerprinter.fingerprint(request).hex()

    def log(self, request, spider):
        self.stats.inc_value("dupefilter/filtered")
        super().log(request, spider)

    def close(self, reason=""):
        pass  # other processes still use the fingerprints; the next seed clears them


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
        scheduler.idle_close = settings.getfloat("NIANBAO_REDIS_IDLE_CLOSE", 30.0)
        scheduler.seed_wait = settings.getfloat("NIANBAO_REDIS_SEED_WAIT", 600.0)
        scheduler.worker_ttl = settings.getfloat("NIANBAO_REDIS_WORKER_TTL", 60.0)
        scheduler.worker = uuid.uuid4().hex  # this process in Redis' keys
        scheduler.crawl_id = None  # the seed mark's value: the crawl this process takes part in, once it does
        scheduler.idle_since = None
        scheduler.taken = 0  # requests taken from the queue: their fields in the in-flight hash
        scheduler.lost = None  # why this process lost the shared crawl, once it has
        scheduler.push_new = scheduler.server.register_script(PUSH_NEW)
        scheduler.take = scheduler.server.register_script(TAKE)
        scheduler.requeue_gone = scheduler.server.register_script(REQUEUE_GONE)
        # How often a process with nothing to do asks the queue: the engine's heartbeat
        # (5 s in Scrapy, not a setting), set before the engine starts it.
        crawler.engine._SLOT_HEARTBEAT_INTERVAL = settings.getfloat("NIANBAO_REDIS_POLL", 1.0)
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
        self.workers_key = f"{key}:workers"
        self.key_prefix = key
        self.in_flight_key = f"{key}:in_flight:{self.worker}"
        self.alive_key = f"{key}:alive:{self.worker}"
        if self.seed:
            self.flush()  # the last crawl's queue and fingerprints
            # and the requests in flight of its processes that are gone (a live one's are its own)
            self.requeue_gone(keys=[self.queue.key, self.workers_key], args=[key, self.worker, 0])
            self.crawl_id = f"{uuid.uuid4().hex} {spider.name}"
            self.server.set(self.seeded_key, self.crawl_id, ex=SEED_MARK_TTL)
            logger.info("Seeding the shared crawl at %s", self.queue.key)
        elif self.server.exists(self.seeded_key):
            logger.info("Joining the shared crawl at %s (%d requests queued)", self.queue.key, len(self.queue))
        else:  # a warning: the one line a quiet profile shows while this process waits
            logger.warning("No crawl seeded at %s yet: waiting up to %.0f s for a process started with --seed",
                           without_password(self.server_url), self.seed_wait)
        self._keep_alive()
        when_the_engine_is_done(self.crawler, self._forget)
        self.keeper = create_looping_call(self._keep)
        self.keeper.start(min(SEED_MARK_TTL / 8, self.worker_ttl / 4), now=False)

    def close(self, reason):
        if self.keeper.running:
            self.keeper.stop()
        if self.lost is None:
            # Requests still in flight (a process stopped at once) are left to the others,
            # which requeue them now that this process's liveness key is gone.
            self._shared(lambda: self.server.delete(self.alive_key))
            if not self._shared(lambda: self.server.hlen(self.in_flight_key), default=1):
                self._shared(lambda: self.server.srem(self.workers_key, self.worker))
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
                       "Seed the crawl again (--seed) once Redis is back")
            return default

    @property
    def server_url(self) -> str:
        return self.crawler.settings.get("REDIS_URL")

    def _lose(self, why: str) -> None:
        self.lost = why
        logger.error("Stopping this process, its pages archived (what it could not queue or take is lost to "
                     "this crawl): %s", why)
        self.stats.set_value("nianbao/shared_queue_lost", why)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=QUEUE_LOST))

    def _keep(self) -> None:
        self._shared(self._keep_alive)
        self._shared(self._keep_seed_mark)
        moved = self._shared(lambda: self.requeue_gone(keys=[self.queue.key, self.workers_key],
                                                       args=[self.key_prefix, self.worker, 1]), default=0)
        if moved:
            logger.warning("Put %d request(s) back on the shared queue: the process that took them "
                           "stopped answering for %.0f s (killed?)", moved, self.worker_ttl)
            self.stats.inc_value("nianbao/requeued_from_gone_processes", moved)

    def _keep_alive(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self.alive_key, 1, ex=max(1, round(self.worker_ttl)))
        pipe.sadd(self.workers_key, self.worker)
        pipe.execute()

    def _keep_seed_mark(self) -> None:
        """The seed mark lives while processes that took part in the crawl do, and expires
        after them: a process started for tomorrow's crawl waits for tomorrow's seed. A
        mark gone or changed under a process that took part: its crawl is gone from Redis."""
        if self.crawl_id is None:
            return
        mark = self.server.get(self.seeded_key)
        if mark is None or mark.decode("utf-8", "replace") != self.crawl_id:
            self._lose(f"the shared crawl is gone from Redis at {without_password(self.server_url)} "
                       + ("(Redis restarted without persistence, or flushed?). Seed the crawl again (--seed)"
                          if mark is None else "(another process seeded a new crawl)"))
            return
        self.server.expire(self.seeded_key, SEED_MARK_TTL)

    def _others_busy(self) -> bool:
        """Requests queued, or in flight in another process (their answers may queue more).
        Asked when this process is idle: its own in-flight hash holds nothing in flight."""
        workers = [w.decode() for w in self.server.smembers(self.workers_key) if w.decode() != self.worker]
        pipe = self.server.pipeline()
        pipe.delete(self.in_flight_key)
        pipe.zcard(self.queue.key)
        for worker in workers:
            pipe.hlen(f"{self.key_prefix}:in_flight:{worker}")
        _, queued, *in_flight = pipe.execute()
        return bool(queued) or any(in_flight)

    def _forget(self, request) -> None:
        field = request.meta.get("nianbao_in_flight")
        if field is not None:
            self._shared(lambda: self.server.hdel(self.in_flight_key, field))

    # scrapy-redis' methods again, without the ``spider`` argument to the stats that
    # Scrapy 2.19 deprecates, marking this process busy, and through ``_shared``.
    def enqueue_request(self, request) -> bool:
        return self._shared(lambda: self._enqueue(request), default=False)

    def _enqueue(self, request) -> bool:
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)
        if not self.push_new(keys=[self.queue.key, self.df.key], args=[-request.priority, data, fingerprint]):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.idle_since = None
        return True

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

    def next_request(self):
        if not self._shared(self._joined, default=False):
            return None
        field = str(self.taken + 1)
        data = self._shared(lambda: self.take(keys=[self.queue.key, self.in_flight_key], args=[field]))
        if data is None:
            return None
        self.taken += 1
        request = self.queue._decode_request(data)
        request.meta["nianbao_in_flight"] = field
        self.stats.inc_value("scheduler/dequeued/redis")
        self.idle_since = None
        return request

    def __len__(self) -> int:
        return self._shared(lambda: len(self.queue), default=0)

    def spider_idle(self, spider):
        joined = self._shared(self._joined, default=False)
        others_busy = joined and self._shared(self._others_busy, default=False)
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


def when_the_engine_is_done(crawler, done) -> None:
    """Call ``done(request)`` once the engine is done with each request: its answer through
    the callback (or its failure through the errback), every request that yielded queued and
    every item through the pipelines; or, for a request a downloader middleware replaced (a
    redirect), the new request queued. Also for requests sent by ``engine.download_async``
    (robots.txt), which did not come from the scheduler.

    No public signal says when (Scrapy 2.19): ``response_received`` and
    ``request_left_downloader`` come before the callback runs, and the scraper hands a
    callback's output to concurrent workers, so even a spider middleware that has seen the
    output to its end does not know when its last request reaches the scheduler. The engine
    takes a request out of its slot (the private ``_Slot.remove_request``) once all is done;
    this wraps that. ``test_the_engine_is_done_with_a_request_once_what_it_yielded_is_queued``
    checks the order on the real engine; a Scrapy without the method fails here at once."""
    slot = getattr(crawler.engine, "_slot", None)
    remove_request = getattr(slot, "remove_request", None)
    if remove_request is None:
        raise RuntimeError(f"Scrapy {scrapy.__version__}'s engine has no _slot.remove_request: "
                           "crawler/distributed.py cannot tell when a request is done")

    def remove_and_tell(request):
        remove_request(request)
        done(request)

    slot.remove_request = remove_and_tell


class JoinedStart:
    """A process joining a seeded crawl sends no start requests: the seed queued them."""

    async def process_start(self, start):
        return
        yield  # an async generator with nothing in it
