"""Floors under each host's download delay: robots.txt Crawl-delay, and a minimum.

Scrapy's robots.txt middleware obeys ``Disallow`` but not ``Crawl-delay``; its parsers
(Protego by default) read it, though: ``RobotParser.crawl_delay(user_agent)``.
``SlotDelays`` listens for ``robots_parsed``, remembers the host's delay (capped at
``NIANBAO_CRAWL_DELAY_MAX``) and applies it to the host's download slot whenever a request
reaches the downloader, so it also survives Scrapy's garbage collection of idle slots.
Such a slot's jitter is switched off: a random ±50 % would undercut the delay asked for.

The minimum (``NIANBAO_MIN_SLOT_DELAY``, 1 ms) is there because Scrapy 2.19's downloader
only keeps ``CONCURRENT_REQUESTS_PER_DOMAIN`` when the slot has a delay: with none, one
pass over the slot's queue sends everything queued, since a transfer is counted only once
its task starts. With any delay it sends one request per pass.

AutoThrottle moves slot delays with the latency it sees and would lower a Crawl-delay
down to ``DOWNLOAD_DELAY``; ``PoliteAutoThrottle`` keeps the floors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scrapy import signals
from scrapy.extensions.throttle import AutoThrottle

from .settings import NIANBAO_CRAWL_DELAY_MAX, NIANBAO_MIN_SLOT_DELAY, NIANBAO_OBEY_CRAWL_DELAY

logger = logging.getLogger(__name__)


@dataclass
class DelayFloors:
    minimum: float = 0.0
    crawl_delays: dict[str, float] = field(default_factory=dict)  # slot key (the host) -> seconds


def delay_floors(crawler) -> DelayFloors:
    floors = getattr(crawler, "nianbao_delay_floors", None)
    if floors is None:
        floors = crawler.nianbao_delay_floors = DelayFloors()
    return floors


def apply_floors(crawler, key: str | None) -> None:
    """Raise the delay of slot ``key`` to its floor, if it is under it."""
    slot = crawler.engine.downloader.slots.get(key) if key else None
    if slot is None:
        return
    floors = delay_floors(crawler)
    crawl_delay = floors.crawl_delays.get(key)
    if crawl_delay is not None:
        slot.jitter = 0.0
    floor = max(floors.minimum, crawl_delay or 0.0)
    if slot.delay < floor:
        slot.delay = floor


class SlotDelays:
    def __init__(self, crawler, user_agent: str | None, max_crawl_delay: float, minimum: float):
        self.crawler = crawler
        self.user_agent = user_agent  # None: Crawl-delay is not obeyed
        self.max_crawl_delay = max_crawl_delay
        delay_floors(crawler).minimum = minimum

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        obey = settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("NIANBAO_OBEY_CRAWL_DELAY", NIANBAO_OBEY_CRAWL_DELAY)
        user_agent = (settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")) if obey else None
        ext = cls(crawler, user_agent, settings.getfloat("NIANBAO_CRAWL_DELAY_MAX", NIANBAO_CRAWL_DELAY_MAX),
                  settings.getfloat("NIANBAO_MIN_SLOT_DELAY", NIANBAO_MIN_SLOT_DELAY))
        if user_agent:
            crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        return ext

    def robots_parsed(self, robotparser, request):
        try:
            delay = robotparser.crawl_delay(self.user_agent)
        except Exception:  # a parser backend without it, or a malformed value
            logger.debug("No Crawl-delay read for %s", request.url, exc_info=True)
            return
        if not delay or delay <= 0:
            return
        if delay > self.max_crawl_delay:
            logger.warning("Crawl-delay %.1f s for %s capped at NIANBAO_CRAWL_DELAY_MAX (%.1f s)",
                           delay, request.url, self.max_crawl_delay)
            delay = self.max_crawl_delay
        key = self.crawler.engine.downloader.get_slot_key(request)
        delay_floors(self.crawler).crawl_delays[key] = delay
        self.crawler.stats.max_value("nianbao/crawl_delay_max", delay)
        apply_floors(self.crawler, key)
        logger.info("Crawl-delay %.2f s for %s (robots.txt)", delay, key)

    def request_reached_downloader(self, request, spider=None):
        apply_floors(self.crawler, request.meta.get("download_slot"))


class PoliteAutoThrottle(AutoThrottle):
    """AutoThrottle that never sets a host's delay under its floors."""

    def _response_downloaded(self, response, request, spider=None):
        super()._response_downloaded(response, request, spider)
        apply_floors(self.crawler, request.meta.get("download_slot"))
