"""How a process takes part in a crawl shared through Redis, and the settings that say so.

One process seeds (``SharedQueue(seed=True)``): it clears the previous crawl's queue and
fingerprints, marks the crawl seeded and enqueues the start URLs. The others join: their
start requests are not sent (``JoinedStart``); they take work from the queue, and wait up to
``NIANBAO_REDIS_SEED_WAIT`` for the seed when they come first (scheduler.py).

The queue and fingerprints outlive each process (``SCHEDULER_PERSIST``): scrapy-redis would
otherwise flush them when the first process closes, under the ones still running.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis

KEY_PREFIX = "nianbao:%(spider)s"  # every key of a crawl: queue, fingerprints, seed mark, processes
# Seconds a Redis command may take (scrapy-redis' 30 s would hold the crawl 2 minutes per
# command, with redis-py's retries, when Redis stops answering).
REDIS_TIMEOUT = 10


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
            "SCHEDULER": f"{__package__}.scheduler.SharedScheduler",
            "DUPEFILTER_CLASS": f"{__package__}.queue.SharedDupeFilter",
            "SCHEDULER_QUEUE_CLASS": f"{__package__}.queue.RequestQueue",
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


class JoinedStart:
    """A process joining a seeded crawl sends no start requests: the seed queued them."""

    async def process_start(self, start):
        return
        yield  # an async generator with nothing in it
