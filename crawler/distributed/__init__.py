"""Several crawler processes, one crawl: a request queue and a duplicate filter shared in Redis.

scrapy-redis (0.9.1) supplies the queue (a sorted set by request priority), its scheduler and
its duplicate filter; ``ReportSpider`` runs unchanged. Checked against Scrapy 2.19, what is
adapted here, by module:

- ``config``: how a process takes part (``SharedQueue``: seed or join), the settings that
  point Scrapy at Redis (``use_redis``), a joiner's start requests left unsent.
- ``queue``: requests cross processes as JSON, with Scrapy's fingerprints; a request is
  queued and its fingerprint recorded in one step.
- ``in_flight``: the requests a process has taken stay in Redis until it is done with
  them; those of a process that died go back on the queue.
- ``scheduler``: the seed mark, when a process with nothing to do stops, and why one that
  loses Redis stops at once.

Caveats, per process rather than per crawl: politeness (``CONCURRENT_REQUESTS_PER_DOMAIN``,
delays, robots.txt ``Crawl-delay``, AutoThrottle, ``Retry-After``) and host blocks hold in
each process, so N processes can send up to N times a host's allowance; robots.txt is
fetched once per process and host; the listing-page bound per site counts each process's
pages; conditional requests use the validators of the process's own archive.
"""

from .config import JoinedStart, SharedQueue, check_redis, use_redis, without_password
from .in_flight import poll_when_idle_every, when_the_engine_is_done
from .queue import RequestCodec, RequestQueue, SharedDupeFilter
from .scheduler import SharedScheduler

__all__ = ["JoinedStart", "RequestCodec", "RequestQueue", "SharedDupeFilter", "SharedQueue", "SharedScheduler",
           "check_redis", "poll_when_idle_every", "use_redis", "when_the_engine_is_done", "without_password"]
