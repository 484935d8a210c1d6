"""Which site's request the scheduler hands out next, at thousands of sites.

Scrapy's ``DownloaderAwarePriorityQueue`` (its default since 2.13) keeps one queue per
download slot (host) and dequeues from a slot with the fewest active downloads, so one
slow site does not hold the crawl's concurrency. To find that slot it asks every slot
with queued requests for its active downloads on every pop: O(sites) per request. At
5,000 sites that was most of the fall in crawl rate from 500 to 5,000 sites
(bench/README.md, "Crawl memory over 5,000 sites").

No more than ``CONCURRENT_REQUESTS`` slots can be downloading at once, so a slot with
none is found among the first ``CONCURRENT_REQUESTS + 1`` slots of any order. This queue
keeps its slots in a ring and takes the first idle one after the last it served: the
same rule (fewest active downloads first, the slots taking turns), at a cost bounded by
the concurrency instead of the registry's size. Only when every slot is downloading
(a registry smaller than the concurrency) is the whole ring looked at.
"""

from __future__ import annotations

from collections import deque
from contextlib import suppress
from pathlib import Path

from scrapy.pqueues import DownloaderAwarePriorityQueue, _path_safe


class IdleSlotFirstQueue(DownloaderAwarePriorityQueue):
    """``DownloaderAwarePriorityQueue`` with a slot choice that does not grow with the sites."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The slots with queued requests in turn order; a slot emptied by a pop leaves the
        # ring when it next comes round (``_ringed``: what the ring holds, stale or not).
        self._ring: deque[str] = deque(self.pqueues)
        self._ringed: set[str] = set(self._ring)

    def push(self, request) -> None:
        slot = self._downloader_interface.get_slot_key(request)
        if slot not in self._ringed:
            self._ring.append(slot)
            self._ringed.add(slot)
        super().push(request)

    def pop(self):
        slot = self._choose_slot(turn=True)
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue) == 0:  # as Scrapy's pop does (a JOBDIR's slot directory included)
            del self.pqueues[slot]
            queue.close()
            if self.key:
                with suppress(OSError):
                    Path(self.key, _path_safe(slot)).rmdir()
        return request

    def peek(self):
        slot = self._choose_slot(turn=False)
        return None if slot is None else self.pqueues[slot].peek()

    def close(self):
        self._ring.clear()
        self._ringed.clear()
        return super().close()

    def _choose_slot(self, turn: bool) -> str | None:
        """The first slot of the ring with no active download, else the least busy one.
        ``turn``: a pop's choice, which moves the slots it looks at to the back of the ring;
        a peek looks without moving anything, so it names what a pop would take."""
        active_downloads = self._downloader_interface._active_downloads
        best, fewest = None, None
        for slot in self._turns() if turn else self._in_order():
            active = active_downloads(slot)
            if active == 0:
                return slot
            if fewest is None or active < fewest:
                best, fewest = slot, active
        return best

    def _turns(self):
        """Each slot of the ring once, moved to the back as it is looked at; stale ones leave."""
        ring = self._ring
        for _ in range(len(ring)):
            slot = ring.popleft()
            if slot not in self.pqueues:
                self._ringed.discard(slot)
                continue
            ring.append(slot)
            yield slot

    def _in_order(self):
        return (slot for slot in self._ring if slot in self.pqueues)
