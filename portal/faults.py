"""Faulty hosts for the crawler's fault tests: broken connections, bombs and traps.

    portals, entries = start_fault_sites()
    ...  # run_crawl(entries, data, "test", {"DOWNLOAD_TIMEOUT": 2, ...})
    portals["fault-column"].faults_on = True     # the second night goes wrong
    ...
    for portal in portals.values(): portal.stop()

Three hosts, each a ``FaultPortal`` on its own loopback address:

- ``fault-column`` (127.0.0.40): a report column listing good reports and reports whose
  answer goes wrong in one way each (``FAULTS``): the connection reset, a stall past
  the read timeout, a body cut short of its Content-Length, a 5xx burst that recovers
  and a 5xx that does not, a redirect loop, a gzip bomb, an oversize PDF announced and
  one streamed without a length. With ``faults_on`` false the first four serve good
  reports instead: a first night archives them, a second night's faults must lose nothing.
- ``pager-trap`` (127.0.0.41): a TRS column whose pager claims a million pages, every
  one of which exists.
- ``calendar-trap`` (127.0.0.42): a calendar whose 下一页 always leads to the next day.

Fault answers need the socket itself (a reset, a stall), so they are served by a handler
of their own before ``DemoPortal``'s usual lookup.
"""

from __future__ import annotations

import gzip
import re
import socket
import struct
import threading
from datetime import date, timedelta
from pathlib import Path

import yaml

from . import pages
from .hostile import AGENCY, HTML, LAST_MODIFIED, _article, fake_pdf
from .report_body import report_body
from .seed_text import read_seed
from .server import DemoPortal, _Handler, _Server
from .site import COLUMN_PATH, START_PATH, Resource, Site

ADDRESSES = {"fault-column": "127.0.0.40", "pager-trap": "127.0.0.41", "calendar-trap": "127.0.0.42"}
SEEDS = ("000_a7e6a703afb669e1", "003_1cf59b4176a625ae", "004_cbaa75f9e60907ca")  # each parses with its tables
CLAIMED_PAGES = 1_000_000
STALL_SECONDS = 30.0   # far past the test profile's DOWNLOAD_TIMEOUT; cut short when the portal stops
BURST = 2              # 503s before the burst path recovers (the crawl must retry at least this often)

# Each fault: the path it is served at, what goes wrong, and whether the first night serves a
# good report there instead.
FAULTS = {
    "reset": ("202501/t20250105_400011.html", True),
    "stall": ("202501/t20250106_400012.html", True),
    "truncated": ("202501/t20250107_400013.html", True),
    "gzip-bomb": ("202501/t20250108_400014.html", True),
    "burst": ("202501/t20250109_400015.html", False),
    "5xx": ("202501/t20250110_400016.html", False),
    "redirect-loop": ("202501/t20250111_400017.html", False),
    "oversize-pdf": ("202501/P020250112400018.pdf", False),
    "oversize-stream": ("202501/P020250113400019.pdf", False),
}
GOOD = {"good-1": "202501/t20250101_400001.html", "good-2": "202501/t20250102_400002.html"}


def gzip_bomb(inflated: int) -> bytes:
    """A gzip member of zeros that inflates to ``inflated`` bytes (about 1/1000 of that sent)."""
    return gzip.compress(b"\0" * inflated, compresslevel=9, mtime=0)


class FaultSite(Site):
    """A ``Site`` whose ``fault_at(path)`` names the fault to serve there, if any."""

    def __init__(self, resources, start_path: str = START_PATH, faults: dict[str, str] | None = None):
        super().__init__(resources, start_path)
        self.faults = dict(faults or {})   # path -> fault name
        self.faults_on = True
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def fault_at(self, path: str) -> str | None:
        fault = self.faults.get(path)
        if fault is None or not self.faults_on:
            return None
        with self._lock:
            self.counts[fault] = self.counts.get(fault, 0) + 1
        return fault


class _FaultHandler(_Handler):
    portal: "FaultPortal"

    def _serve(self, send_body: bool):
        path = self.path.split("?", 1)[0]
        fault_at = getattr(self.portal.site, "fault_at", None)
        fault = fault_at(path) if fault_at else None
        if fault is None:
            return super()._serve(send_body)
        getattr(self, "_fault_" + fault.replace("-", "_"))(path)

    # -- the faults -----------------------------------------------------------------------

    def _fault_reset(self, path):
        """Hang up with a TCP RST (SO_LINGER 0) instead of an answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _fault_stall(self, path):
        """Headers and the first bytes, then nothing until long after any sane read timeout."""
        self._head(200, HTML, 50_000)
        self.wfile.write(b"<html><head><title>")
        self.wfile.flush()
        self.portal.stopping.wait(STALL_SECONDS)
        self.close_connection = True

    def _fault_truncated(self, path):
        """A Content-Length of 50,000 and 1,000 bytes, then the connection closes."""
        self._head(200, HTML, 50_000)
        self.wfile.write(b"<html><body>" + b"x" * 988)
        self.close_connection = True

    def _fault_burst(self, path):
        if self.portal.site.counts["burst"] > BURST:
            return _Handler._serve(self, send_body=True)
        self._send(503, [("Content-Type", HTML)], b"<html><body><h1>503 Service Unavailable</h1></body></html>")

    def _fault_5xx(self, path):
        self._send(500, [("Content-Type", HTML)], b"<html><body><h1>500 Internal Server Error</h1></body></html>")

    def _fault_redirect_loop(self, path):
        """The report redirects to ``?hop=1``, which redirects back to the report."""
        location = path if "hop=1" in self.path else path + "?hop=1"
        self._send(302, [("Location", location), ("Content-Type", HTML)], b"")

    def _fault_gzip_bomb(self, path):
        self._send(200, [("Content-Type", HTML), ("Content-Encoding", "gzip")], self.portal.bomb)

    def _fault_oversize_pdf(self, path):
        self._send(200, [("Content-Type", "application/pdf")], fake_pdf(self.portal.oversize_bytes))

    def _fault_oversize_stream(self, path):
        """The same size of PDF with no Content-Length: the body ends when the connection does."""
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Connection", "close")
        self.end_headers()
        body = fake_pdf(self.portal.oversize_bytes)
        try:
            for start in range(0, len(body), 65536):
                self.wfile.write(body[start:start + 65536])
        except ConnectionError:
            pass  # the crawler hung up at its limit
        self.close_connection = True

    def _head(self, status: int, content_type: str, length: int):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()


class FaultPortal(DemoPortal):
    """A ``DemoPortal`` that also serves the faults its site names."""

    def __init__(self, site: Site, host: str, bomb_inflates_to: int = 20_000_000, oversize_bytes: int = 1_500_000):
        super().__init__(site, host=host)
        self.stopping = threading.Event()
        self.bomb = gzip_bomb(bomb_inflates_to)
        self.oversize_bytes = oversize_bytes

    def start(self) -> "FaultPortal":
        if self._server is not None:
            return self
        handler = type("FaultHandler", (_FaultHandler,), {"portal": self})
        self._server = _Server(self._address, handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # stalled answers end now
        super().stop()


# -- the sites -------------------------------------------------------------------------------

def _title(n: int) -> str:
    return f"示范区第{n}局2024年政府信息公开工作年度报告"


def fault_column_site() -> FaultSite:
    col = COLUMN_PATH
    resources, links, faults = {}, [], {}
    seeds = [read_seed(s) for s in SEEDS]
    for n, (name, rel) in enumerate([*GOOD.items(), *((k, v[0]) for k, v in FAULTS.items())], 1):
        path = col + rel
        if name in FAULTS:
            faults[path] = name
        if not path.endswith(".pdf"):
            # Served when the path has no fault (the first night) and after the burst.
            resources[path] = _article(path, _title(n), 400000 + n, "2025-01-%02d 10:00:00" % n,
                                       report_body(seeds[n % len(seeds)]))
        links.append(pages.Link("./" + rel, _title(n), "2025-01-%02d" % n))
    resources[START_PATH] = Resource(pages.listing_page(0, 1, links, max_title=40).encode("utf-8"), HTML,
                                     LAST_MODIFIED, "listing", pages.COLUMN_NAME)
    resources["/robots.txt"] = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8",
                                        LAST_MODIFIED, "robots")
    site = FaultSite(resources, START_PATH, faults)
    site.extra = {name: col + rel for name, rel in GOOD.items()}
    site.extra.update({name: col + rel for name, (rel, _) in FAULTS.items()})
    return site


class PagerTrapSite(Site):
    """Every ``index_N.html`` of the column exists and claims a million pages."""

    def __init__(self):
        robots = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8", LAST_MODIFIED, "robots")
        super().__init__({"/robots.txt": robots}, START_PATH)
        self.listing = re.compile(re.escape(COLUMN_PATH) + r"index(?:_(\d+))?\.html$")

    def answer(self, method, path, headers):
        m = self.listing.match(path)
        if not m:
            return None
        page = int(m.group(1) or 0)
        body = pages.listing_page(page, CLAIMED_PAGES, [], max_title=40).encode("utf-8")
        return 200, [("Content-Type", HTML)], body


class CalendarTrapSite(Site):
    """``/calendar/?date=D``: a day with nothing published, whose 下一页 is the next day, forever
    (and whose own date is linked too: a calendar links to itself)."""

    PATH = "/calendar/"

    def __init__(self):
        robots = Resource(pages.ROBOTS_TXT.encode("ascii"), "text/plain; charset=utf-8", LAST_MODIFIED, "robots")
        super().__init__({"/robots.txt": robots}, self.PATH + "?date=2025-01-01")

    def day_page(self, day: date) -> bytes:
        link = lambda d, text: f'<a href="?date={d.isoformat()}">{text}</a>'  # noqa: E731
        days = "".join(f"<td>{link(day.replace(day=n), n)}</td>" for n in range(1, 29))
        return (
            f"<html><head><meta charset='utf-8'><title>信息公开日历 {day}</title></head><body>"
            f"<table class='calendar'><tr>{days}</tr></table>"
            f"<div class='pager'>{link(day - timedelta(days=1), '上一页')} {link(day, day.isoformat())} "
            f"{link(day + timedelta(days=1), '下一页')}</div></body></html>"
        ).encode("utf-8")


def _calendar_answer(site: CalendarTrapSite):
    def respond(method, path, query, form, headers):
        if path != CalendarTrapSite.PATH:
            return None
        m = re.fullmatch(r"date=(\d{4}-\d{2}-\d{2})", query)
        day = date.fromisoformat(m.group(1)) if m else date(2025, 1, 1)
        return Resource(site.day_page(day), HTML, LAST_MODIFIED, "listing")
    return respond


def build_fault_sites() -> dict[str, Site]:
    calendar = CalendarTrapSite()
    calendar.respond = _calendar_answer(calendar)
    return {"fault-column": fault_column_site(), "pager-trap": PagerTrapSite(), "calendar-trap": calendar}


def start_fault_sites(directory=None, addresses: dict | None = None, **portal_options):
    """Start the three hosts; return (portals by name, registry entries).

    Given DIRECTORY, the entries are also written to DIRECTORY/fault-sites.yaml."""
    addresses = {**ADDRESSES, **(addresses or {})}
    sites = build_fault_sites()
    portals = {name: FaultPortal(sites[name], address, **portal_options).start() for name, address in addresses.items()}
    flavours = {"fault-column": "trs", "pager-trap": "trs", "calendar-trap": "generic"}
    entries = [
        {"name": f"{name} site", "start_urls": [portal.start_url], "flavour": flavours[name], "agency": AGENCY}
        for name, portal in portals.items()
    ]
    if directory is not None:
        path = Path(directory) / "fault-sites.yaml"
        path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return portals, entries
