"""The scheduler's queue (crawler/scheduling.py): idle sites first, in turn, at any number of sites.

The queue reads two things off Scrapy's downloader: a request's slot key and each slot's
active downloads. The crawl tests run it inside real crawls; here a downloader of that
shape (real ``Slot`` objects) lets a test set which sites are busy.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.settings import Settings
from scrapy.squeues import FifoMemoryQueue

from crawler.scheduling import IdleSlotFirstQueue


class Downloader:
    """What the queue asks of Scrapy's downloader (``scrapy.pqueues.DownloaderInterface``)."""

    def __init__(self):
        self.slots: dict[str, Slot] = {}
        self.asked = 0

    def get_slot_key(self, request) -> str:
        return urlsplit(request.url).hostname

    def busy(self, host: str, downloads: int) -> None:
        slot = self.slots.setdefault(host, Slot(concurrency=8, delay=0))
        slot.active = {Request(f"http://{host}/busy{n}") for n in range(downloads)}


def make_queue():
    downloader = Downloader()
    crawler = SimpleNamespace(settings=Settings({"CONCURRENT_REQUESTS_PER_IP": 0}),
                              engine=SimpleNamespace(downloader=downloader))
    queue = IdleSlotFirstQueue.from_crawler(crawler, FifoMemoryQueue, "")
    counting = queue._downloader_interface._active_downloads

    def active_downloads(slot):
        downloader.asked += 1
        return counting(slot)

    queue._downloader_interface._active_downloads = active_downloads
    return queue, downloader


def urls(queue, count):
    return [queue.pop().url for _ in range(count)]


def test_sites_take_turns():
    queue, _ = make_queue()
    for host in ("a", "b", "c"):
        for n in (1, 2):
            queue.push(Request(f"http://{host}.gov.cn/{n}"))
    assert urls(queue, 6) == ["http://a.gov.cn/1", "http://b.gov.cn/1", "http://c.gov.cn/1",
                              "http://a.gov.cn/2", "http://b.gov.cn/2", "http://c.gov.cn/2"]
    assert queue.pop() is None and len(queue) == 0


def test_a_site_that_is_downloading_waits_for_the_idle_ones():
    queue, downloader = make_queue()
    for host in ("a", "b", "c"):
        queue.push(Request(f"http://{host}.gov.cn/1"))
    downloader.busy("a.gov.cn", 1)
    downloader.busy("b.gov.cn", 2)
    assert queue.peek().url == "http://c.gov.cn/1"
    assert urls(queue, 1) == ["http://c.gov.cn/1"]
    # No idle site left: the least busy goes first.
    assert queue.peek().url == "http://a.gov.cn/1"
    assert urls(queue, 2) == ["http://a.gov.cn/1", "http://b.gov.cn/1"]


def test_a_site_emptied_and_refilled_gets_one_turn():
    queue, _ = make_queue()
    queue.push(Request("http://a.gov.cn/1"))
    queue.push(Request("http://b.gov.cn/1"))
    assert urls(queue, 1) == ["http://a.gov.cn/1"]  # a's queue is empty now
    for url in ("http://a.gov.cn/2", "http://a.gov.cn/3", "http://b.gov.cn/2"):
        queue.push(Request(url))
    assert urls(queue, 4) == ["http://b.gov.cn/1", "http://a.gov.cn/2", "http://b.gov.cn/2", "http://a.gov.cn/3"]
    assert queue.pop() is None


def test_choosing_does_not_grow_with_the_registry():
    """Scrapy's own queue asks every site with queued requests on every pop; at 5,000 sites
    that was most of the crawl's time per request. At most CONCURRENT_REQUESTS sites can be
    downloading, so an idle one is found among that many plus one."""
    queue, downloader = make_queue()
    for n in range(5000):
        queue.push(Request(f"http://site{n}.gov.cn/report.html"))
    for n in range(16):
        downloader.busy(f"site{n}.gov.cn", 1)
    downloader.asked = 0
    popped = urls(queue, 100)
    assert popped[0] == "http://site16.gov.cn/report.html"
    assert len(set(popped)) == 100
    assert downloader.asked <= 100 + 16
