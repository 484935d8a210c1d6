"""The shared queue and duplicate filter: requests as JSON, fingerprints as Scrapy makes them.

- Requests cross processes as JSON, not pickle (a Redis reachable from several machines must
  not be a way to run code): URL, method, headers, body, callback and errback by name,
  ``meta`` and ``cb_kwargs`` as plain data, request classes from ``scrapy.http`` only. Meta
  that points into this process's own archive (snapshot ids, the validators a conditional
  request took from it) stays behind; the process that downloads the request looks in its
  own archive.
- Fingerprints come from Scrapy's request fingerprinter (scrapy-redis computes its own), and
  a listing page's ``col/`` and ``col/index.html`` are one request, as the spider's
  per-process ``listing_key`` has them.
- A request is queued and its fingerprint recorded in one step (scrapy-redis sends the two
  apart): a fingerprint always has its request queued, whenever a process dies.
"""

from __future__ import annotations

import base64
import json

from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from ..spiders.reports import listing_key
from .in_flight import IN_FLIGHT

# Meta naming rows of the archive of the process that queued the request, or its hash.
LOCAL_META = ("nianbao_snapshot_id", "nianbao_encoding", "nianbao_unchanged", "nianbao_validated_from", IN_FLIGHT)
VALIDATORS = ("If-None-Match", "If-Modified-Since")

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


class RequestQueue(PriorityQueue):
    """scrapy-redis' queue by priority (a sorted set), whose requests are queued with their
    fingerprints (``push_new``) in the form ``encode`` gives them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._push_new = self.server.register_script(PUSH_NEW)

    def push_new(self, request, fingerprints_key: str, fingerprint: str | None) -> bool:
        """Queue ``request`` unless ``fingerprint`` is in the set ``fingerprints_key``, and
        add it there; False for a duplicate. A ``fingerprint`` of None queues it whatever."""
        data = self.encode(request)  # first: a request that cannot cross processes leaves no trace
        return bool(self._push_new(keys=[self.key, fingerprints_key], args=[-request.priority, data, fingerprint or ""]))

    # The queue's form of a request, through Scrapy's public to_dict and request_from_dict:
    # the same bytes as scrapy-redis' private _encode_request, which its own push stores.
    def encode(self, request) -> bytes:
        return self.serializer.dumps(request.to_dict(spider=self.spider))

    def decode(self, data: bytes):
        return request_from_dict(self.serializer.loads(data), spider=self.spider)


class SharedDupeFilter(RFPDupeFilter):
    """scrapy-redis' filter with Scrapy's fingerprints, which ``RequestQueue.push_new`` records;
    its set is never cleared by a closing process."""

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

    def request_seen(self, request):
        # scrapy-redis' would record the fingerprint alone. Only a scheduler calls it (Scrapy's
        # or scrapy-redis'); SharedScheduler records fingerprints with their requests instead.
        raise NotImplementedError("a fingerprint is recorded with its request (RequestQueue.push_new, "
                                  "SharedScheduler), never alone: no process would fetch its request")

    def log(self, request, spider):
        self.stats.inc_value("dupefilter/filtered")
        super().log(request, spider)

    def close(self, reason=""):
        pass  # other processes still use the fingerprints; the next seed clears them
