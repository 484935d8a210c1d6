"""Requests in flight, kept in Redis so that none is lost with its process.

A request is moved from the queue to its process's in-flight hash in one step (``TAKE``),
and leaves it when the engine is done with it (``when_the_engine_is_done``: its answer
stored and what it links to queued). Each process renews a liveness key every few seconds;
when one stops renewing it (killed, its machine gone) for ``NIANBAO_REDIS_WORKER_TTL``
seconds, another process puts its requests back on the queue (``REQUEUE_GONE``). A request
is so fetched at least once, never lost with its process. The in-flight hashes also tell a
process with nothing to do whether another may still queue work (``others_busy``).

The two hooks into Scrapy's engine that no public API offers are here too, each failing at
once on a Scrapy without what it uses: ``when_the_engine_is_done``, and
``poll_when_idle_every`` (how often an idle process asks the queue).
"""

from __future__ import annotations

import uuid

import scrapy

IN_FLIGHT = "nianbao_in_flight"  # meta: the request's field in its process's in-flight hash

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


class InFlight:
    """This process's requests in flight and its liveness, under the crawl's keys (``prefix``).
    Every method is one or a few Redis commands; the scheduler handles their failures."""

    def __init__(self, server, prefix: str, queue_key: str, ttl: float):
        self.server, self.prefix, self.queue_key, self.ttl = server, prefix, queue_key, ttl
        self.worker = uuid.uuid4().hex  # this process in Redis' keys
        self.key = f"{prefix}:in_flight:{self.worker}"
        self.alive_key = f"{prefix}:alive:{self.worker}"
        self.workers_key = f"{prefix}:workers"
        self.taken = 0  # requests taken from the queue: their fields in the hash
        self._take = server.register_script(TAKE)
        self._requeue_gone = server.register_script(REQUEUE_GONE)

    def take(self, decode):
        """The queue's first request (``decode(data)``), moved into this process's hash; None
        when the queue is empty."""
        field = str(self.taken + 1)
        data = self._take(keys=[self.queue_key, self.key], args=[field])
        if data is None:
            return None
        self.taken += 1
        request = decode(data)
        request.meta[IN_FLIGHT] = field
        return request

    def forget(self, request) -> None:
        """``request`` is done with: out of the hash (a request not taken from the queue, such
        as robots.txt, never was in it)."""
        field = request.meta.get(IN_FLIGHT)
        if field is not None:
            self.server.hdel(self.key, field)

    def keep_alive(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self.alive_key, 1, ex=max(1, round(self.ttl)))
        pipe.sadd(self.workers_key, self.worker)
        pipe.execute()

    def requeue_gone(self) -> int:
        """The requests in flight of every process whose liveness key has expired, back on
        the queue: how many."""
        return self._requeue_gone(keys=[self.queue_key, self.workers_key], args=[self.prefix, self.worker, 1])

    def drop_gone(self) -> None:
        """The requests in flight of the processes gone, dropped (a new seed: the last crawl's)."""
        self._requeue_gone(keys=[self.queue_key, self.workers_key], args=[self.prefix, self.worker, 0])

    def others_busy(self) -> bool:
        """Requests queued, or in flight in another process (their answers may queue more).
        Asked when this process is idle: its own hash holds nothing in flight."""
        workers = [w.decode() for w in self.server.smembers(self.workers_key) if w.decode() != self.worker]
        pipe = self.server.pipeline()
        pipe.delete(self.key)
        pipe.zcard(self.queue_key)
        for worker in workers:
            pipe.hlen(f"{self.prefix}:in_flight:{worker}")
        _, queued, *in_flight = pipe.execute()
        return bool(queued) or any(in_flight)

    def drop(self) -> None:
        """This process's crawl is gone from Redis (a new seed, a Redis that forgot it): its
        requests in flight, dropped with it rather than put on the next crawl's queue once its
        liveness key expires."""
        pipe = self.server.pipeline()
        pipe.delete(self.key, self.alive_key)
        pipe.srem(self.workers_key, self.worker)
        pipe.execute()

    def leave(self) -> None:
        """This process stops. Requests still in flight (a process stopped at once) are left
        to the others, which requeue them now that its liveness key is gone."""
        self.server.delete(self.alive_key)
        if not self.server.hlen(self.key):
            self.server.srem(self.workers_key, self.worker)


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
                           f"{__name__} cannot tell when a request is done")

    def remove_and_tell(request):
        remove_request(request)
        done(request)

    slot.remove_request = remove_and_tell


def poll_when_idle_every(crawler, seconds: float) -> None:
    """Have the engine ask the scheduler for a request every ``seconds`` while it has none:
    its heartbeat, 5 s in Scrapy 2.19. Call it before the engine starts (the heartbeat's
    interval is read then), as the scheduler's ``from_crawler`` does.

    Scrapy has no setting or public call for this (2.19): the interval is the engine's
    private class attribute ``_SLOT_HEARTBEAT_INTERVAL``, which this sets on the engine.
    A Scrapy without the attribute fails here at once, rather than leaving idle processes
    polling every 5 s without a word; ``test_the_engine_polls_an_idle_scheduler_as_often_as_set``
    checks on the real engine that the attribute still sets the heartbeat."""
    if not hasattr(crawler.engine, "_SLOT_HEARTBEAT_INTERVAL"):
        raise RuntimeError(f"Scrapy {scrapy.__version__}'s engine has no _SLOT_HEARTBEAT_INTERVAL: "
                           f"{__name__} cannot set how often an idle process asks for work")
    crawler.engine._SLOT_HEARTBEAT_INTERVAL = seconds
