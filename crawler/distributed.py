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
  per-process ``listing_key`` has them.
- One process seeds (``SharedQueue(seed=True)``): it clears the previous crawl's queue
  and fingerprints, marks the crawl seeded and enqueues the start URLs. The others join:
  their start requests are not sent (``JoinedStart``); they take work from the queue, and
  wait up to ``NIANBAO_REDIS_SEED_WAIT`` for the seed when they come first. The seed mark
  expires ``SEED_MARK_TTL`` after the last process that took part in the crawl.
- The queue and fingerprints outlive each process (``SCHEDULER_PERSIST``): scrapy-redis
  would otherwise flush them when the first process closes, under the ones still running.
- A process with nothing to do asks the queue every ``NIANBAO_REDIS_POLL`` seconds (1 s;
  the engine's heartbeat, 5 s in Scrapy). It stops once the crawl is seeded and it has had
  nothing to do for ``NIANBAO_REDIS_IDLE_CLOSE`` seconds (a joiner counts them from the
  moment it saw the seed mark, not from when it began waiting for it). A request is never stranded: the
  process that queued it was busy then, so it is still there to take it. scrapy-redis' own
  idle wait (``SCHEDULER_IDLE_BEFORE_CLOSE``) blocks the reactor in BRPOP, which its
  priority queue does not support anyway.

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
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from .spiders.reports import listing_key

logger = logging.getLogger(__name__)

KEY_PREFIX = "nianbao:%(spider)s"
# Meta naming rows of the archive of the process that queued the request.
LOCAL_META = ("nianbao_snapshot_id", "nianbao_encoding", "nianbao_unchanged", "nianbao_validated_from")
VALIDATORS = ("If-None-Match", "If-Modified-Since")
SEED_MARK_TTL = 120  # seconds the seed mark outlives the last process that kept it


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
            "SCHEDULER_FLUSH_ON_START": shared.seed,
            "REDIS_URL": shared.url,
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
        redis.Redis.from_url(url, socket_connect_timeout=10).ping()
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
    """scrapy-redis' scheduler, with the seed mark and the idle close described above."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.serializer = RequestCodec
        scheduler.seed = settings.getbool("NIANBAO_REDIS_SEED")
        scheduler.idle_close = settings.getfloat("NIANBAO_REDIS_IDLE_CLOSE", 30.0)
        scheduler.seed_wait = settings.getfloat("NIANBAO_REDIS_SEED_WAIT", 600.0)
        scheduler.idle_since = None
        scheduler.took_work = False
        scheduler.seen_seeded = False  # whether this process has seen the crawl seeded
        # How often a process with nothing to do asks the queue: the engine's heartbeat
        # (5 s in Scrapy, not a setting), set before the engine starts it.
        crawler.engine._SLOT_HEARTBEAT_INTERVAL = settings.getfloat("NIANBAO_REDIS_POLL", 1.0)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        super().open(spider)  # the seed flushes the last crawl here (SCHEDULER_FLUSH_ON_START)
        self.seeded_key = f"{KEY_PREFIX}:seeded" % {"spider": spider.name}
        if self.seed:
            self.server.set(self.seeded_key, spider.name, ex=SEED_MARK_TTL)
            logger.info("Seeding the shared crawl at %s", self.queue.key)
        else:
            logger.info("Joining the shared crawl at %s (%d requests queued)", self.queue.key, len(self.queue))
        self.mark_keeper = create_looping_call(self._keep_seed_mark)
        self.mark_keeper.start(SEED_MARK_TTL / 8, now=False)

    def close(self, reason):
        if self.mark_keeper.running:
            self.mark_keeper.stop()
        super().close(reason)

    def _keep_seed_mark(self) -> None:
        """The seed mark lives while processes that took part in the crawl do, and expires
        after them: a process started for tomorrow's crawl waits for tomorrow's seed."""
        if self.seed or self.took_work:
            self.server.expire(self.seeded_key, SEED_MARK_TTL)

    def _crawl_is_on(self) -> bool:
        return self.seed or self.took_work or bool(self.server.exists(self.seeded_key))

    # scrapy-redis' two methods again, without the ``spider`` argument to the stats that
    # Scrapy 2.19 deprecates, and marking this process busy.
    def enqueue_request(self, request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        self.idle_since = None
        return True

    def next_request(self):
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
            self.idle_since = None
            self.took_work = True
        return request

    def spider_idle(self, spider):
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        idle = now - self.idle_since
        if not self.seen_seeded:
            if not self._crawl_is_on():
                if idle < self.seed_wait:
                    raise DontCloseSpider
                raise CloseSpider("not_seeded")
            # Waiting for the seed is not idleness within the crawl: counted from now, a
            # joiner that waited longer than idle_close does not close the moment the seed
            # marks the crawl, before its first requests reach the queue.
            self.seen_seeded = True
            self.idle_since = now
            raise DontCloseSpider
        if idle < self.idle_close:
            raise DontCloseSpider
        logger.info("Shared queue empty and this process idle for %.0f s: closing", idle)


class JoinedStart:
    """A process joining a seeded crawl sends no start requests: the seed queued them."""

    async def process_start(self, start):
        return
        yield  # an async generator with nothing in it
