"""Crawl throughput of ``nianbao crawl`` against ``wget -i URLS --warc-file`` from one local nginx.

Writes an imitation report column as static files (the report pages of bench/pages.tar.xz,
listed 20 to a page behind the WCM pager, plus robots.txt) into a temporary directory, serves
it with Debian's nginx (its own config, ``daemon off``, 127.0.0.1, an access log), and lists
every URL the crawler fetches. Then, each over the same site:

- ``wget -i URLS --warc-file`` (one process: wget is sequential),
- ``nianbao crawl`` with CONCURRENT_REQUESTS=1 and per-host 1 (equal total concurrency),
- ``nianbao crawl --profile test`` (the crawler's own concurrency: 16 in all, 4 per host,
  1 ms delays; the ``polite`` profile's 1 s delays would measure the delay, not the crawler),
- K wgets in parallel on K slices of the list, K = the concurrency the crawler's default
  reaches here (4 per host times the hosts, at most 16), for the same comparison at K,
- and, to show where the crawler's time goes, ``nianbao crawl`` at concurrency 1 parsing in the
  crawling process (``NIANBAO_PARSE_WORKERS=0``, as before parse workers), and with its item
  pipeline (parse, store the report's rows) switched off: fetch and archive only;
- with ``--ceiling``, stock Scrapy (none of nianbao's code) over the same URL list at
  concurrency 1, its callback doing nothing, then writing each response to a gzip WARC with
  warcio: what Scrapy itself costs, the bound on any crawler built on it.

Each run starts from an empty archive / WARC. Rates are pages/s and MB/s of body bytes over
the run's wall time (process start to exit: the crawler's includes Python start-up, archive,
parse and end-of-run checks; wget's its WARC writing). nginx's access log says what each run
fetched: the bench checks both fetched the same URLs and the same body bytes.

Example:
    .venv/bin/python bench/crawl_bench.py                  # 1,000 report pages, one site
    .venv/bin/python bench/crawl_bench.py --pages 200 --sites 4
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))   # the repo, when not installed
sys.path.insert(0, str(BENCH))

import pages_archive  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WGET = shutil.which("wget") or "/usr/bin/wget"
COLUMN = "/zwgk/zfxxgknb/"
PER_LISTING = 20
# The crawler's own default (the test profile: crawler/profiles.py, crawler/settings.py).
DEFAULT_TOTAL, DEFAULT_PER_HOST = 16, 4


def have_tools() -> bool:
    return os.path.exists(NGINX) and os.path.exists(WGET)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the site, as static files

def _title(data: bytes) -> str:
    charset = "gb2312" if b"charset=gb2312" in data[:2000] else "utf-8"
    found = re.search(r"<title>(.*?)</title>", data.decode(charset, "replace"), re.S | re.I)
    return found.group(1).split("_")[0].strip() if found else "政府信息公开工作年度报告"


def listing_html(index: int, count: int, links: list[tuple[str, str]]) -> str:
    """One page of the column, as the imitation portal draws it (portal/pages.py)."""
    from portal import pages
    return pages.listing_page(index, count, [pages.Link(href, title, "2025-01-20") for href, title in links])


_ATTACHMENT = re.compile(rb'href="\./(P\d+\.pdf)"')


def attachment_pdf() -> bytes:
    """A one-page PDF served at every attachment link of the report pages (some carry one)."""
    import io
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=1)
    pdf.drawString(72, 720, "Attachment / annual report scan")
    pdf.save()
    return out.getvalue()


def write_column(root: Path, reports: list[tuple[str, bytes]], attachment: bytes = b"") -> list[str]:
    """Write robots.txt, the column's listing pages and ``reports`` (title, body) under ``root``,
    with ``attachment`` at each report's attachment links; return the paths a crawl fetches."""
    from portal import pages
    (root / COLUMN.strip("/")).mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text(pages.ROBOTS_TXT)
    paths = ["/robots.txt"]
    count = max(1, -(-len(reports) // PER_LISTING))
    for index in range(count):
        chunk = reports[index * PER_LISTING:(index + 1) * PER_LISTING]
        links = []
        for number, (title, body) in enumerate(chunk, start=index * PER_LISTING):
            rel = f"202501/t20250120_{100000 + number}.html"
            (root / COLUMN.strip("/") / rel).parent.mkdir(exist_ok=True)
            (root / COLUMN.strip("/") / rel).write_bytes(body)
            links.append(("./" + rel, title))
            for name in _ATTACHMENT.findall(body):
                (root / COLUMN.strip("/") / "202501" / name.decode()).write_bytes(attachment)
        name = "index.html" if index == 0 else f"index_{index}.html"
        (root / COLUMN.strip("/") / name).write_text(listing_html(index, count, links), encoding="utf-8")
        paths.append(COLUMN + name)
        paths.extend(COLUMN + rel[2:] for rel, _ in links)
    attachments = sorted({COLUMN + "202501/" + name.decode()
                          for _, body in reports for name in _ATTACHMENT.findall(body)})
    return paths + attachments


def report_pages(count: int) -> list[tuple[str, bytes]]:
    """``count`` (title, body) pairs from bench/pages.tar.xz, cycled past its 1,000 pages."""
    pages = pages_archive.read_pages(limit=min(count, 1000))
    return [(_title(pages[i % len(pages)][1]), pages[i % len(pages)][1]) for i in range(count)]


# ---------------------------------------------------------------- nginx

@dataclass
class Nginx:
    process: subprocess.Popen
    port: int
    access_log: Path
    addresses: list[str]

    def base(self, address: str = "127.0.0.1") -> str:
        return f"http://{address}:{self.port}"

    def log_mark(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def requests_since(self, mark: int) -> tuple[list[tuple[str, str, int, int]], float]:
        """(address, uri, status, body bytes) of each request logged since ``mark``, and the
        seconds from the first request's end to the last's."""
        time.sleep(0.2)     # nginx writes its log line after the response
        with self.access_log.open("rb") as f:
            f.seek(mark)
            lines = f.read().decode().splitlines()
        out, times = [], []
        for line in lines:
            msec, address, uri, status, sent = line.split(" ")
            out.append((address, uri, int(status), int(sent)))
            times.append(float(msec))
        return out, (max(times) - min(times) if times else 0.0)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_nginx(work: Path, www: Path, addresses: list[str] | None = None) -> Nginx:
    """A real nginx serving ``www/<address>/`` for each 127.0.0.x address it listens on."""
    addresses = addresses or ["127.0.0.1"]
    port = free_port()
    (work / "nginx").mkdir(exist_ok=True)
    listens = "\n".join(f"        listen {a}:{port};" for a in addresses)
    config = textwrap.dedent(f"""\
        daemon off;
        worker_processes 1;
        worker_rlimit_nofile {max(4096, 4 * len(addresses) + 1024)};
        pid {work}/nginx/nginx.pid;
        error_log {work}/nginx/error.log warn;
        events {{ worker_connections {max(4096, 2 * len(addresses) + 1024)}; }}
        http {{
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            sendfile on;
            keepalive_requests 100000;
            client_body_temp_path {work}/nginx/body;
            proxy_temp_path {work}/nginx/proxy;
            fastcgi_temp_path {work}/nginx/fastcgi;
            uwsgi_temp_path {work}/nginx/uwsgi;
            scgi_temp_path {work}/nginx/scgi;
            log_format bench '$msec $server_addr $request_uri $status $body_bytes_sent';
            access_log {work}/nginx/access.log bench;
            server {{
        {listens}
                root {www}/$server_addr;
            }}
        }}
        """)
    conf = work / "nginx" / "nginx.conf"
    conf.write_text(config)
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(work / "nginx"), "-e", str(work / "nginx/error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr.read().decode()}")
        try:
            socket.create_connection((addresses[-1], port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        raise RuntimeError("nginx did not start")
    return Nginx(process, port, work / "nginx" / "access.log", addresses)


# ---------------------------------------------------------------- the two clients

@dataclass
class Run:
    label: str
    seconds: float
    requests: list[tuple[str, str, int, int]]
    span: float = 0.0          # first to last request in nginx's log: the run without start-up
    peak_rss: int = 0          # bytes, the crawl process's
    exit_status: int = 0
    peak_tree_rss: int = 0     # bytes, the crawl and its parse workers together (sampled)

    @property
    def pages(self) -> int:
        return len(self.requests)

    @property
    def bytes(self) -> int:
        return sum(r[3] for r in self.requests)

    def line(self) -> str:
        return (f"{self.label}: {self.pages} pages, {self.bytes / 1e6:.1f} MB in {self.seconds:.2f} s = "
                f"{self.pages / self.seconds:.1f} pages/s, {self.bytes / 1e6 / self.seconds:.2f} MB/s "
                f"(first to last request {self.span:.2f} s)")


def wait_for_exit(process: subprocess.Popen) -> tuple[int, int]:
    """Wait for ``process``; its exit status and peak RSS in bytes (Linux reports KiB)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss * 1024


def run_wget(server: Nginx, urls: list[str], work: Path, parallel: int = 1) -> Run:
    """``parallel`` wgets, each on every parallel-th URL, each writing its own gzip WARC."""
    out = work / f"wget-{parallel}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for n in range(parallel):
        (out / f"urls{n}.txt").write_text("".join(u + "\n" for u in urls[n::parallel]))
    mark = server.log_mark()
    t0 = time.perf_counter()
    processes = [subprocess.Popen([WGET, "-q", "-i", f"urls{n}.txt", "-O", "/dev/null", "--warc-file", f"out{n}",
                                   "--no-proxy", "--tries=1"], cwd=out, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
                 for n in range(parallel)]
    statuses = [wait_for_exit(p)[0] for p in processes]
    seconds = time.perf_counter() - t0
    label = "wget" if parallel == 1 else f"wget x{parallel}"
    return Run(label, seconds, *server.requests_since(mark), exit_status=max(statuses))


# Runs the real `nianbao crawl` command with one more settings profile (no crawler/ edits).
_CRAWL_CHILD = """
import sys, json
sys.path.insert(0, {repo!r})
from crawler.profiles import PROFILES
PROFILES["bench"] = {{**PROFILES["test"], **json.loads({overrides!r})}}
from nianbao.cli import cli
cli(["crawl", "--sites", {sites!r}, "--data", {data!r}, "--profile", "bench"])
"""


# Stock Scrapy over a URL list at concurrency 1 (``--ceiling``): nothing of nianbao is loaded.
_BARE_SCRAPY_CHILD = """
import io, sys
import scrapy
from scrapy.crawler import CrawlerProcess
urls = open(sys.argv[1]).read().split()
warc = sys.argv[2] if len(sys.argv) > 2 else None
if warc:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter
    writer = WARCWriter(open(warc, "wb"), gzip=True)

class Bare(scrapy.Spider):
    name = "bare"

    async def start(self):
        for url in urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        if warc:
            headers = StatusAndHeaders(f"{response.status} OK", [(k.decode(), b",".join(v).decode("latin-1"))
                                       for k, v in response.headers.items()], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(response.url, "response",
                                payload=io.BytesIO(response.body), http_headers=headers))

process = CrawlerProcess({"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "LOG_LEVEL": "ERROR",
                          "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False})
process.crawl(Bare)
process.start()
"""


def run_bare_scrapy(server: Nginx, urls: list[str], work: Path, warc: bool) -> Run:
    """Stock Scrapy fetching ``urls`` one at a time; with ``warc``, each response to a gzip WARC."""
    out = work / "bare-scrapy"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "urls.txt").write_text("".join(u + "\n" for u in urls))
    mark = server.log_mark()
    t0 = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", _BARE_SCRAPY_CHILD, "urls.txt", *(["out.warc.gz"] if warc else [])],
                               cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    status, _ = wait_for_exit(process)
    seconds = time.perf_counter() - t0
    label = "stock Scrapy c=1, " + ("gzip WARC (warcio)" if warc else "callback does nothing")
    return Run(label, seconds, *server.requests_since(mark), exit_status=status)


def write_registry(path: Path, start_urls: list[str]) -> None:
    import yaml
    path.write_text(yaml.safe_dump([{"name": f"site {n}", "start_urls": [u]} for n, u in enumerate(start_urls)],
                                   allow_unicode=True), encoding="utf-8")


def run_crawler(server: Nginx, registry: Path, data: Path, label: str, overrides: dict | None = None,
                fresh: bool = True, quiet: bool = True) -> Run:
    """``nianbao crawl --sites registry --data data`` (the test profile plus ``overrides``)."""
    if fresh:
        shutil.rmtree(data, ignore_errors=True)
    code = _CRAWL_CHILD.format(repo=str(REPO), overrides=json.dumps(overrides or {}), sites=str(registry),
                               data=str(data))
    mark = server.log_mark()
    t0 = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO,
                               stdout=subprocess.DEVNULL if quiet else None, stderr=subprocess.PIPE)
    tree = TreeMemory(process.pid)
    stderr = process.stderr.read()
    tree.stop()
    status, rss = wait_for_exit(process)
    seconds = time.perf_counter() - t0
    if status not in (0, 3):     # 3: the run's checks failed; still a crawl, reported below
        raise RuntimeError(f"{label} exited {status}: {stderr.decode()[-2000:]}")
    return Run(label, seconds, *server.requests_since(mark), rss, status, max(tree.peak, rss))


class TreeMemory:
    """The peak of the summed RSS of a process and its descendants (its parse workers),
    sampled from /proc every ``interval`` seconds: wait4() reports the largest single one."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, sum(_rss(pid) for pid in _descendants(self.pid) + [self.pid]))


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def _rss(pid: int) -> int:
    """Resident bytes of a process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def archived_counts(data: Path) -> tuple[int, int]:
    """(snapshots, reports) in the crawl's archive."""
    import sqlite3
    db = sqlite3.connect(data / "nianbao.db")
    try:
        return (db.execute("select count(*) from snapshots").fetchone()[0],
                db.execute("select count(*) from reports").fetchone()[0])
    finally:
        db.close()


def parse_workers_used(data: Path) -> int:
    """How many worker processes the crawl's last run parsed in (0: in the crawling process)."""
    import sqlite3
    db = sqlite3.connect(data / "nianbao.db")
    try:
        (stats,) = db.execute("select stats from crawl_runs order by id desc limit 1").fetchone()
        return json.loads(stats or "{}").get("nianbao/parse_workers", 0)
    finally:
        db.close()


def same_fetches(a: Run, b: Run) -> str:
    """'same' or what differs between the two runs' (address, uri, status, bytes)."""
    ca, cb = Counter(a.requests), Counter(b.requests)
    if ca == cb:
        return "same"
    only_a, only_b = ca - cb, cb - ca
    return (f"DIFFERENT: {sum(only_a.values())} only in {a.label} (e.g. {list(only_a)[:3]}), "
            f"{sum(only_b.values())} only in {b.label} (e.g. {list(only_b)[:3]})")


def make_workdir(keep: Path | None, prefix: str) -> Path:
    """The bench's directory, readable by nginx's workers (they run as nobody when we are root)."""
    work = keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    return work


def build(work: Path, page_count: int, site_count: int) -> tuple[Nginx, list[str], Path]:
    """Write ``site_count`` sites sharing ``page_count`` report pages, start nginx; return it,
    every URL a crawl fetches, and the registry file."""
    addresses = [f"127.0.0.{2 + n}" for n in range(site_count)] if site_count > 1 else ["127.0.0.1"]
    reports, pdf = report_pages(page_count), attachment_pdf()
    paths_by_address = {}
    for n, address in enumerate(addresses):
        paths_by_address[address] = write_column(work / "www" / address, reports[n::site_count], pdf)
    server = start_nginx(work, work / "www", addresses)
    urls = [server.base(a) + p for a, paths in paths_by_address.items() for p in paths]
    registry = work / "sites.yaml"
    write_registry(registry, [server.base(a) + COLUMN + "index.html" for a in addresses])
    return server, urls, registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="report pages in all (default 1,000)")
    parser.add_argument("--sites", type=int, default=1, help="sites (127.0.0.x hosts) they are spread over")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip the last two runs (the crawler at concurrency 1 parsing in its own "
                             "process, and without parsing)")
    parser.add_argument("--ceiling", action="store_true",
                        help="also time stock Scrapy over the same URLs at concurrency 1 (an empty callback, "
                             "then a gzip WARC written with warcio): what Scrapy itself costs")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    if not have_tools():
        parser.error(f"needs nginx ({NGINX}) and wget ({WGET})")
    work = make_workdir(args.keep, "crawl-bench-")
    server, urls, registry = build(work, args.pages, args.sites)
    try:
        body = sum((work / "www" / u.split("/")[2].split(":")[0] / u.split("/", 3)[3]).stat().st_size for u in urls)
        print(f"site: {args.pages} report pages on {args.sites} site(s), {len(urls)} URLs "
              f"(robots.txt, listings, reports), {body / 1e6:.1f} MB; nginx on port {server.port}")
        k = min(DEFAULT_TOTAL, DEFAULT_PER_HOST * args.sites)
        wget1 = run_wget(server, urls, work)
        refused = [r for r in wget1.requests if r[2] != 200]
        if refused:
            print(f"NOT 200: {len(refused)} of wget's requests, e.g. {refused[:3]} (see {work}/nginx/error.log)")
            return 1
        crawl1 = run_crawler(server, registry, work / "data-1", "nianbao crawl c=1",
                             {"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1})
        crawl_default = run_crawler(server, registry, work / "data-default", f"nianbao crawl default (c={k})")
        wget_k = run_wget(server, urls, work, parallel=k)
        runs = [wget1, crawl1, crawl_default, wget_k]
        if not args.no_breakdown:     # where the crawler's time goes: parse in process, no parse
            runs.append(run_crawler(server, registry, work / "data-inprocess", "nianbao crawl c=1, parse in process",
                                    {"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                                     "NIANBAO_PARSE_WORKERS": 0}))
            runs.append(run_crawler(server, registry, work / "data-noparse", "nianbao crawl c=1, no parse",
                                    {"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                                     "ITEM_PIPELINES": {}}))
        ceiling = [run_bare_scrapy(server, urls, work, warc) for warc in (False, True)] if args.ceiling else []
        for run in runs + ceiling:
            print(run.line())
        snapshots, reports = archived_counts(work / "data-default")
        workers = parse_workers_used(work / "data-default")
        print(f"crawler archive: {snapshots} snapshots, {reports} reports; parsed in {workers} worker process(es); "
              f"peak RSS {crawl_default.peak_rss / 2**20:.0f} MB"
              f"; exit status {crawl1.exit_status}/{crawl_default.exit_status}")
        print(f"fetched (from nginx's access log): crawl c=1 vs wget {same_fetches(crawl1, wget1)}; "
              f"crawl default vs wget {same_fetches(crawl_default, wget1)}; "
              f"wget x{k} vs wget {same_fetches(wget_k, wget1)}"
              + (f"; parse in process vs wget {same_fetches(runs[-2], wget1)}"
                 f"; no parse vs wget {same_fetches(runs[-1], wget1)}" if not args.no_breakdown else ""))
        for name, crawl, wget in (("crawl/wget at equal concurrency 1", crawl1, wget1),
                                  ("crawl default/wget (1 process)", crawl_default, wget1),
                                  (f"crawl default/wget x{k} at equal concurrency {k}", crawl_default, wget_k)):
            print(f"ratio {name} = {wget.seconds / crawl.seconds:.3f} "
                  f"(first to last request: {wget.span / max(crawl.span, 1e-9):.3f})")
        if not args.no_breakdown:
            print(f"ratio crawl c=1 parsing in process/wget = {wget1.seconds / runs[-2].seconds:.3f}; "
                  f"parse workers speed-up at c=1 = {runs[-2].seconds / crawl1.seconds:.2f}x")
            print(f"ratio crawl c=1 without parse/wget = {wget1.seconds / runs[-1].seconds:.3f} "
                  f"(fetch and archive only: the pipeline that parses and stores reports is off)")
        for run in ceiling:
            print(f"ratio {run.label}/wget = {wget1.seconds / run.seconds:.3f} "
                  f"(first to last request: {wget1.span / max(run.span, 1e-9):.3f}); fetched vs wget "
                  f"{same_fetches(run, wget1)}")
        ok = all(same_fetches(r, wget1) == "same" for r in runs[1:])
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
