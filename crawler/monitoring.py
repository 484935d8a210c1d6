"""Checks at the end of each crawl run: did it do what a night's crawl must?

A run fails its checks, and ``nianbao crawl`` exits non-zero saying why, when:

- an entry of the registry was refused (crawler/registry/): it was not crawled, the others were
  (the check ``registry`` is listed only then);
- a column's start page came, but the flavour the registry names for its site found nothing on it
  (``errors`` of stage ``registry``, error ``WrongFlavour``; of stage ``fetch`` in archives from
  before 2026-11-23): the entry is wrong, or the portal changed its CMS. It is no failed request
  (the page came) nor the parser's failure (nothing was parsed): it fails every night until the
  entry is corrected (the check ``site flavours`` is listed only then);
- the crawl did not finish (interrupted by Ctrl-C, SIGTERM or SIGHUP, or closed for another reason);
- nothing was archived but robots.txt: every request failed (however few were made);
- a page was fetched but what it brought was not stored: an item pipeline raised on it (a bug,
  'database is locked', a parse worker that died), recorded in ``errors`` with stage ``store``
  (crawler/extensions.py). One such page fails the run, unlike a fetch error: a fetch error is
  the web's, expected now and then and judged by the error rate; a page lost between the
  archive and its rows is this program's failure, the same on every page it meets, and the
  run's rows are incomplete until it is fixed;
- a site that yielded reports in an earlier run has yielded none since: every night until it
  yields again, saying when it last did and for how many runs it has not;
- a site crawled for the first time (by none of the ``LOOK_BACK_RUNS`` checked runs before) yielded
  no report: a start URL that answers a temporary redirect to an unrelated host, or a listing
  holding no link the spider recognises, passes every other check. Judged on the site's first
  run only (a column may hold no report yet), when the crawl finished and fetched pages (the
  check ``new sites yielding`` is listed only when it fails), naming what its start URL answered
  when that was no page;
- requests failed (``errors`` of stage ``fetch``: an error status, a timeout, a refused
  connection: the portal failed us) over ``NIANBAO_MONITOR_MAX_ERROR_RATE`` of the requests
  (judged once ``NIANBAO_MONITOR_ERROR_RATE_MIN_PAGES`` pages were fetched or failed);
- pages fetched fine but not read (``errors`` of stage ``parse``: the parser could not read a
  report page; of stage ``spider``: a spider's parse callback raised on a page) over
  ``NIANBAO_MONITOR_MAX_PARSE_ERROR_RATE`` of the pages read (judged from as many pages).
  A page the parser cannot read is no failed request: it counts here, never in the error
  rate, so the checks tell "the portal failed us" from "we could not read what it gave";
- more than ``NIANBAO_MONITOR_MAX_BLOCKED_HOSTS`` hosts were blocked;
- the archive did not grow while pages were fetched: every answer received (Scrapy's
  ``downloader/response_count``) must be archived as a snapshot row
  (``NIANBAO_MONITOR_MIN_ARCHIVED_SHARE``). On a first crawl every such row brings a
  new body; a nightly run over unchanged sites legitimately stores almost no bytes,
  its answers are revisits pointing at bodies already stored, so growth is measured
  in rows per answer, never in bytes.

A run's checks may also carry a notice, which passes (the run is ok) but is printed ``note``:

- a site's start URL answered a permanent redirect (301, 308) to a moved listing: the crawl
  followed it, but the registry still names the old URL; the notice (listed only then) names
  the site, the old URL and where it leads now, every night until the registry is updated.
  When the move led to a host outside the site's, that host was crawled as the site's for the
  run (crawler/spiders/reports.py), and the notice names it.

Everything is read from the database (the run's rows and the Scrapy stats stored at
close), so a check can be tried on a constructed archive. The counts span the logical
crawl: this run and the killed runs it resumes. Reports are attributed to the registry
site they were found for (``reports.site_id``); pages, and reports of an archive older than
that, to the site whose start URLs share their host and port, else whose hosts they belong to
(``crawler.site_hosts.belongs_to_site``); per-site counts are kept in the run's
``monitor`` JSON, with the run a silent site last yielded in, which is where the next run
finds them.

Spidermon 1.27 runs under Scrapy 2.19, but it would be a new dependency to assert
over Scrapy stats, and these checks need the archive and earlier runs, not stats.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import sqlite_utils
from w3lib.url import safe_url_string

from archive.runs import RUN_REPORT_IDS, logical_run_ids, runs_named
from nianbao import EXIT_CHECKS_FAILED, EXIT_CRAWL_FAILED, EXIT_OK

from . import settings as project_settings
from .drops import said
from .extensions import STORE_FAILED_UNRECORDED
from .interrupts import STOPPED_BY
from .items import REGISTRY_STAGE, WRONG_FLAVOUR
from .listing import absolute_url
from .middlewares import PERMANENT_REDIRECTS
from .registry import Registry
from .site_hosts import belongs_to_site, host_name, taking_on
from .spiders.reports import COMMAND_LINE


@dataclass
class Thresholds:
    # crawler/settings.py's, also where the crawl's settings are Scrapy's alone (tests)
    max_error_rate: float = project_settings.NIANBAO_MONITOR_MAX_ERROR_RATE
    max_parse_error_rate: float = project_settings.NIANBAO_MONITOR_MAX_PARSE_ERROR_RATE
    error_rate_min_pages: int = project_settings.NIANBAO_MONITOR_ERROR_RATE_MIN_PAGES
    max_blocked_hosts: int = project_settings.NIANBAO_MONITOR_MAX_BLOCKED_HOSTS
    min_archived_share: float = project_settings.NIANBAO_MONITOR_MIN_ARCHIVED_SHARE
    compare_sites: bool = True  # with earlier runs; off for one of several processes on a shared queue

    @classmethod
    def from_settings(cls, settings) -> "Thresholds":
        return cls(
            max_error_rate=settings.getfloat("NIANBAO_MONITOR_MAX_ERROR_RATE", cls.max_error_rate),
            max_parse_error_rate=settings.getfloat("NIANBAO_MONITOR_MAX_PARSE_ERROR_RATE", cls.max_parse_error_rate),
            error_rate_min_pages=settings.getint("NIANBAO_MONITOR_ERROR_RATE_MIN_PAGES", cls.error_rate_min_pages),
            max_blocked_hosts=settings.getint("NIANBAO_MONITOR_MAX_BLOCKED_HOSTS", cls.max_blocked_hosts),
            min_archived_share=settings.getfloat("NIANBAO_MONITOR_MIN_ARCHIVED_SHARE", cls.min_archived_share),
            # A process sharing a Redis queue (crawler/distributed/) gets whichever of a
            # site's pages the queue hands it: one night's share says nothing of the site.
            compare_sites=not settings.get("REDIS_URL"),
        )


@dataclass
class Check:
    name: str
    ok: bool
    message: str


START_URLS_MOVED = "start URLs moved"
NOTICES = frozenset({START_URLS_MOVED})  # checks that always pass, printed ``note`` when listed


@dataclass
class RunMonitor:
    run_id: int
    checks: list[Check]
    sites: dict[str, dict] = field(default_factory=dict)  # site name -> {"pages": n, "reports": n}
    first_crawl: bool = False

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def notes(self) -> list[str]:
        """The names of the notices listed (``NOTICES``): `nianbao runs` shows them beside ok."""
        return [c.name for c in self.checks if c.name in NOTICES]

    def to_dict(self) -> dict:
        return {"ok": self.ok, **({"notes": self.notes} if self.notes else {}), **asdict(self)}


def monitor_run(db: sqlite_utils.Database, run_id: int, sites: list[dict],
                thresholds: Thresholds | None = None, refused: list[str] = ()) -> RunMonitor:
    thresholds = thresholds or Thresholds()
    run_ids = logical_run_ids(db, run_id)
    marks = ",".join("?" * len(run_ids))
    one = lambda sql: db.execute(sql.format(runs=marks), run_ids).fetchone()[0] or 0  # noqa: E731
    run = db["crawl_runs"].get(run_id)
    stats = json.loads(run["stats"] or "{}")
    moved = moved_start_urls(db, run_ids, sites)
    per_site = _per_site(db, run_ids, marks, _as_crawled(sites, moved))
    pages = one("select count(*) from snapshots where run_id in ({runs})")
    errors = one("select count(*) from errors where run_id in ({runs})")
    # The error rate is of requests: this crawl's answers (archived) and its requests that got none.
    (failed, other_failed), (unreadable, other_unreadable) = _pages_with_errors(db, run_ids, marks)
    requests = pages + other_failed
    # The parse error rate is of the pages read: every answer with a body a callback reads, and
    # of report pages those whose body the parser had not read before (an unchanged one is not
    # parsed again).
    read = one("select count(*) from snapshots where run_id in ({runs}) and kind is not 'robots' and case "
               "when kind in ('report', 'attachment') then status = 200 and revisit_of is null "
               "else status = 200 or revisit_of is not null end") + other_unreadable
    # The counts span the logical crawl; after a resume, the messages name its runs (the
    # summary's counts are the run's own).
    span = f" in {runs_named(run_ids)}" if len(run_ids) > 1 else ""
    wrong_flavours = _wrong_flavours(db, run_ids, marks)
    first_crawl = not db.execute(
        f"select 1 from snapshots where run_id < ? and run_id not in ({marks}) limit 1", [run_id, *run_ids]
    ).fetchone()
    finished = run["status"] == "finished"
    fetched = _fetched(db, run_ids, marks, errors, shared=not thresholds.compare_sites, finished=finished, span=span)
    checks = [
        *([_refused_entries(refused)] if refused else []),  # shown only when an entry was refused
        *([wrong_flavours] if wrong_flavours else []),  # shown only when a registry flavour read nothing
        *([_start_urls_moved(moved)] if moved else []),  # a notice, shown only when a start URL moved
        _finished(run["status"], stats),
        fetched,
        _stored(db, run_ids, marks, stats, span),
        # New sites are judged when the crawl went to its end and brought pages: a crawl cut
        # short may not have reached them, and of one whose every request failed "pages fetched" says why.
        *(_sites_yielding(db, run_ids, sites, per_site, judge_new=finished and fetched.ok)
          if thresholds.compare_sites else
          [Check("sites still yielding", True, "not judged: one of several processes on a shared queue")]),
        _error_rate(failed, requests, thresholds.max_error_rate, thresholds.error_rate_min_pages, span),
        _parse_errors(db, run_ids, marks, unreadable, read, thresholds.max_parse_error_rate,
                      thresholds.error_rate_min_pages, span),
        _blocked(db, run_ids, marks, thresholds.max_blocked_hosts),
        _archive_growing(db, run_id, stats, first_crawl, thresholds.min_archived_share,
                         f" in run {run_id}" if span else ""),
    ]
    return RunMonitor(run_id=run_id, checks=checks, sites=per_site, first_crawl=first_crawl)


def _refused_entries(refused: list[str]) -> Check:
    """Registry entries refused before the crawl (crawler/registry/): the night went on
    without them, but not unnoticed."""
    problems = Registry(problems=list(refused)).error("`nianbao check-sites`")
    return Check("registry", False, f"{len(refused)} entr{'y' if len(refused) == 1 else 'ies'} refused, "
                                    f"not crawled: {problems}")


@dataclass
class MovedStartUrl:
    site: str
    start_url: str  # as the registry gives it
    moved_to: str  # where its permanent redirects lead (the registry's fragment kept)
    statuses: list[int]  # each redirect's status: [301], or [301, 308] for two in a row
    # The host of moved_to, when it is outside the site's and answered: crawled as the site's
    # for the run. (A move to an address the crawl refused was never asked: no answer.)
    host_taken_on: str | None = None


def moved_start_urls(db, run_ids, sites) -> list[MovedStartUrl]:
    """The sites' start URLs that answered these runs with a permanent redirect (301, 308),
    each with where its permanent redirects lead, read from the snapshots the crawl stored
    as Scrapy followed them."""
    moved = []
    for site in sites:
        for start_url in site.get("start_urls", ()):
            found = _permanent_moves(db, run_ids, _as_asked(start_url))
            fragment = start_url.partition("#")[2]
            if found:
                url, statuses, answered = found
                if fragment and "#" not in url:  # Scrapy keeps the fragment across a redirect too
                    url += f"#{fragment}"
                taken_on = urlsplit(url).hostname if answered and not belongs_to_site(site, url) else None
                moved.append(MovedStartUrl(site["name"], start_url, url, statuses, taken_on))
    return moved


def _as_asked(start_url: str) -> str:
    """A start URL as Scrapy asked for it: no fragment, escaped."""
    return safe_url_string(start_url.partition("#")[0])


def _last_answer(db, run_ids, url: str) -> tuple[int, str | None] | None:
    """(status, response headers) of the last answer archived for ``url`` in these runs."""
    return db.execute(f"select status, response_headers from snapshots where url = ? and run_id in "
                      f"({','.join('?' * len(run_ids))}) order by id desc limit 1", [url, *run_ids]).fetchone()


def _as_crawled(sites, moved: list[MovedStartUrl]) -> list[dict]:
    """The sites with the hosts their moved start URLs led to, as the crawl took them on."""
    by_name = {site["name"]: site for site in sites}
    for move in moved:
        if move.host_taken_on:
            by_name[move.site] = taking_on(by_name[move.site], [move.host_taken_on])
    return list(by_name.values())


def _permanent_moves(db, run_ids, url: str) -> tuple[str, list[int], bool] | None:
    """Where ``url``'s permanent redirects led in these runs, their statuses, and whether that
    URL answered (it was asked); None when ``url`` answered otherwise. A temporary redirect on
    the way ends the walk (the registry keeps what it led from); a chain back into itself is no
    move: it is an ``errors`` row (a loop)."""
    chain, statuses = [url], []
    while True:
        row = _last_answer(db, run_ids, url)
        target = _permanent_redirect_target(url, *row) if row else None
        if target is None:
            return (url, statuses, row is not None) if statuses else None
        if target in chain:
            return None
        chain.append(target)
        statuses.append(row[0])
        url = target


def _permanent_redirect_target(url: str, status: int, response_headers: str | None) -> str | None:
    """Where a stored answer of ``url`` permanently redirects to; None for any other answer."""
    return _redirect_target(url, response_headers) if status in PERMANENT_REDIRECTS else None


def _redirect_target(url: str, response_headers: str | None) -> str | None:
    """Where a stored redirect of ``url`` leads, as Scrapy's RedirectMiddleware reads its
    Location (the header's bytes, stored decoded as latin-1); None without one."""
    location = next((value for name, value in json.loads(response_headers or "[]") if name.lower() == "location"),
                    None)
    if not location:
        return None
    with contextlib.suppress(UnicodeEncodeError):  # not stored by the crawl: read as the text it is
        location = location.encode("latin-1")
    return absolute_url(url, safe_url_string(location))


def _start_urls_moved(moved: list[MovedStartUrl]) -> Check:
    """A notice, not a failure: the crawl follows the redirect (where it may go: one to a
    refused address is a ``skipped`` row), but each night asks the old URL first, and the
    registry names a page that is no longer there."""
    listed = "; ".join(f"{'--start-url' if m.site == COMMAND_LINE else 'site ' + m.site + ':'} {m.start_url} "
                       f"moved permanently (HTTP {', '.join(map(str, m.statuses))}) to {m.moved_to}"
                       + (f", whose host {m.host_taken_on} is the site's for this run"
                          if m.host_taken_on else "")
                       for m in moved[:10])
    more = f" and {len(moved) - 10} more" if len(moved) > 10 else ""
    return Check(START_URLS_MOVED, True, f"{len(moved)} start URL(s) answered a permanent redirect: "
                                         f"update the registry's start_urls: {listed}{more}")


def _finished(status: str, stats: dict) -> Check:
    if status == "finished":
        return Check("crawl finished", True, "the crawl ran to its end")
    if status == "interrupted":
        by = stats.get(STOPPED_BY)
        return Check("crawl finished", False, f"no: interrupted{' by ' + by if by else ''}; the next crawl resumes it")
    lost = stats.get("nianbao/shared_queue_lost")  # crawler/distributed/scheduler.py
    return Check("crawl finished", False, f"no: it stopped early ({status}{': ' + lost if lost else ''})")


def _fetched(db, run_ids, marks, errors: int, shared: bool, finished: bool, span: str = "") -> Check:
    """Something was archived besides robots.txt: a night whose every request failed fails,
    however few requests it made (the error rate is not judged on a few pages)."""
    name = "pages fetched"
    pages = db.execute(f"select count(*) from snapshots where run_id in ({marks}) and kind is not 'robots'",
                       run_ids).fetchone()[0]
    if pages:
        return Check(name, True, f"{pages} page(s) archived besides robots.txt{span}")
    if shared and not errors:
        return Check(name, True, "none: the shared queue gave this process nothing")
    if not finished and not errors:  # "crawl finished" says why
        return Check(name, True, "none: the crawl stopped before a page came")
    first = db.execute(f"select url, message from errors where run_id in ({marks}) order by id limit 1",
                       run_ids).fetchone()
    if first is None:
        return Check(name, False, "none: no page was archived besides robots.txt, and no request failed")
    return Check(name, False, f"none: every request failed ({errors} error(s); the first: {first[0]}: {first[1]})")


def _stored(db, run_ids, marks, stats: dict, span: str = "") -> Check:
    """No page was lost between fetching and storing: every item a pipeline raised on has an
    ``errors`` row of stage ``store``, or, where the archive refused that write too, is
    counted in the run's stats (``STORE_FAILED_UNRECORDED``)."""
    name = "pages stored"
    recorded = db.execute(f"select count(*) from errors where stage = 'store' and run_id in ({marks})",
                          run_ids).fetchone()[0]
    unrecorded = stats.get(STORE_FAILED_UNRECORDED) or 0
    failed = recorded + unrecorded
    if not failed:
        return Check(name, True, f"no page failed to store{span}")
    message = f"{failed} page(s) fetched but not stored{span}"
    if recorded:
        url, error, error_message = db.execute(f"select url, error, message from errors where stage = 'store' "
                                               f"and run_id in ({marks}) order by id limit 1", run_ids).fetchone()
        message += f" (the first: {url}: {error}{': ' + error_message if error_message else ''})"
    if unrecorded:
        message += f"; {unrecorded} not in errors: the archive refused that write too (see the log)"
    return Check(name, False, message + "; the next crawl tries them again")


def _per_site(db, run_ids, marks, sites) -> dict[str, dict]:
    counts = {site["name"]: {"pages": 0, "reports": 0} for site in sites}
    site_of = _site_attribution(sites)
    for (url,) in db.execute(f"select url from snapshots where run_id in ({marks})", run_ids):
        if (name := site_of(url)) is not None:
            counts[name]["pages"] += 1
    # Report versions the run fetched, confirmed unchanged or took from the archive unasked
    # (as archive.runs.run_counts), each for the site it was found for (two sites may share a
    # host: a county portal holds its departments' columns), else by its host.
    reports = (f"select found.url, s.name from reports found left join sites s on s.id = found.site_id "
               f"where found.id in ({RUN_REPORT_IDS})")
    for url, found_for in db.execute(reports, {"runs": json.dumps(list(run_ids))}):
        if (name := found_for if found_for in counts else site_of(url)) is not None:
            counts[name]["reports"] += 1
    return counts


def _site_attribution(sites):
    """url -> the registry site it was crawled for: same host and port as a start URL
    first (sites sharing a host, as on 127.0.0.1), else the site it belongs to."""
    by_netloc = {}
    for site in sites:
        for url in site.get("start_urls", ()):
            by_netloc.setdefault(urlsplit(url).netloc.lower(), site["name"])
        for host in site.get("hosts", ()):
            by_netloc.setdefault(host_name(host), site["name"])
    cache: dict[str, str | None] = {}

    def site_of(url: str) -> str | None:
        netloc = urlsplit(url).netloc.lower()
        if netloc not in cache:
            cache[netloc] = by_netloc.get(netloc) or by_netloc.get(urlsplit(url).hostname) or next(
                (site["name"] for site in sites if belongs_to_site(site, url)), None
            )
        return cache[netloc]

    return site_of


# How many checked runs back a silent site is looked for, when the runs since did not crawl it
# (a one-off --start-url crawl into the same archive, registries crawled in turn): a month of
# nights, each run's row read once, however large the registry.
LOOK_BACK_RUNS = 31


def _sites_yielding(db, run_ids, sites, per_site: dict[str, dict], judge_new: bool) -> list[Check]:
    """"sites still yielding", and "new sites yielding" when a site crawled for the first time
    yielded nothing. Only the sites silent in this crawl are looked for in earlier runs."""
    silent = sorted(site for site, n in per_site.items() if n["reports"] == 0)
    last_crawled = _last_crawled(db, min(run_ids), silent)
    checks = [_sites_still_yielding(last_crawled, per_site)]
    new = [site for site in silent if site not in last_crawled]
    if new and judge_new:
        checks.append(_new_sites_silent(db, run_ids, sites, new, per_site))
    return checks


def _last_crawled(db, first_of_crawl: int, names: list[str]) -> dict[str, tuple[int, str, dict]]:
    """For each site of ``names``, the last checked run before this crawl whose per-site counts
    name it (at most ``LOOK_BACK_RUNS`` back): (run id, started, the site's counts then). Usually
    the run before, one row, however large the registry and however old the archive. A site
    missing from the answer was not crawled in those runs."""
    found = {}
    pending = set(names)
    runs = db.execute(
        "select id, started, monitor from crawl_runs where id < ? and monitor is not null order by id desc limit ?",
        [first_of_crawl, LOOK_BACK_RUNS],
    ) if pending else ()
    for run_id, started, monitor in runs:
        earlier = json.loads(monitor).get("sites") or {}
        for site in pending & earlier.keys():
            found[site] = (run_id, started, earlier[site])
        pending -= earlier.keys()
        if not pending:
            break
    return found


def _sites_still_yielding(last_crawled: dict[str, tuple[int, str, dict]], per_site: dict[str, dict]) -> Check:
    """A site that yielded reports in an earlier run and none since fails, every night until it
    yields again. Each run's per-site counts keep, for such a site, the run it last yielded in
    (``silent_since``: run, started, reports, and how many checked runs found none since), so
    only the last checked run that crawled a silent site is read (``last_crawled``).
    ``per_site`` gets this run's ``silent_since`` entries."""
    name = "sites still yielding"
    silent = sum(1 for n in per_site.values() if n["reports"] == 0)
    stopped = []
    for site, (run_id, started, before) in sorted(last_crawled.items()):
        if before.get("reports"):
            since = {"run": run_id, "started": started, "reports": before["reports"], "runs": 1}
        elif before.get("silent_since"):
            since = {**before["silent_since"], "runs": before["silent_since"].get("runs", 1) + 1}
        else:
            continue  # crawled then, and silent: never seen yielding (or since before these records)
        per_site[site]["silent_since"] = since
        stopped.append((site, since))
    if not stopped:
        return Check(name, True, f"{len(per_site) - silent} of {len(per_site)} site(s) yielded reports; "
                                 "none that yielded before fell silent")
    listed = "; ".join(f"{site} ({since['reports']} in run {since['run']} of {(since.get('started') or '?')[:10]}; "
                       f"none in {since['runs']} run{'s' if since['runs'] > 1 else ''} since)"
                       for site, since in stopped[:10])
    more = f" and {len(stopped) - 10} more" if len(stopped) > 10 else ""
    return Check(name, False, f"{len(stopped)} site(s) that yielded reports before yield none now: {listed}{more}")


def _new_sites_silent(db, run_ids, sites, new: list[str], per_site: dict[str, dict]) -> Check:
    """Sites crawled for the first time (by no checked run of the ``LOOK_BACK_RUNS`` before this
    crawl) that yielded no report. A site just added whose start URL leads elsewhere (a temporary
    redirect to an unrelated host) or whose listing holds no link the spider recognises passes
    every other check, and "sites still yielding" judges only sites that yielded before. Judged
    on a site's first run only: a column with no report yet passes from its next run (and is
    judged as the others once it has yielded)."""
    start_urls = {site["name"]: site.get("start_urls", ()) for site in sites}
    listed = "; ".join(
        f"{'--start-url' if site == COMMAND_LINE else 'site ' + site} ({per_site[site]['pages']} page(s) archived"
        + "".join(f"; {said}" for url in start_urls.get(site, ()) if (said := _start_url_answer(db, run_ids, url)))
        + ")" for site in new[:10])
    more = f" and {len(new) - 10} more" if len(new) > 10 else ""
    return Check("new sites yielding", False,
                 f"{len(new)} site(s) crawled for the first time yielded no reports: {listed}{more}; check each "
                 f"one's start URL and flavour (the summary's skipped pages and errors say what its pages held); "
                 f"a column with no report yet passes from the site's next run")


def _start_url_answer(db, run_ids, start_url: str) -> str | None:
    """What a start URL answered in these runs when it was not a page (200, or 304 to a
    conditional request): a redirect and where to, an error status, or no answer archived."""
    url = _as_asked(start_url)
    row = _last_answer(db, run_ids, url)
    if row is None:
        return f"its start URL {start_url} was not archived (see its errors and skipped pages)"
    status, response_headers = row
    if status in (200, 304):
        return None
    target = _redirect_target(url, response_headers) if 300 <= status < 400 else None
    return f"its start URL {start_url} answered HTTP {status}" + (f" to {target}" if target else "")


# The ``errors`` rows of a column's start page the registry's flavour found nothing on: stage
# ``registry`` (crawler/items.py WRONG_FLAVOUR). The ``error`` clause is for the rows of stage
# ``fetch`` written before 2026-11-23: these checks run only at the end of a crawl, over its
# own runs, so they meet such a row only in a crawl interrupted under the old code and resumed
# under this one.
WRONG_FLAVOUR_ROWS = f"(stage = '{REGISTRY_STAGE}' or error = '{WRONG_FLAVOUR}')"
REQUEST_FAILED = f"stage = 'fetch' and not {WRONG_FLAVOUR_ROWS}"  # the ``errors`` rows that are failed requests
NOT_READ = "stage in ('parse', 'spider')"  # ... and pages fetched fine that this program could not read


def _wrong_flavours(db, run_ids, marks) -> Check | None:
    """Column start pages on which the flavour the registry names for their site found nothing:
    the column was not crawled, a page of another flavour. No failed request (the page came)
    and no parser's failure: the registry entry is wrong, or the portal changed its CMS. Fails
    every night until the registry is corrected; None when there is no such page."""
    rows = db.execute(f"select url, message from errors where id in (select min(id) from errors "
                      f"where run_id in ({marks}) and {WRONG_FLAVOUR_ROWS} group by url) order by id",
                      run_ids).fetchall()
    if not rows:
        return None
    listed = "; ".join(f"{url}: {message}" for url, message in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return Check("site flavours", False, f"{len(rows)} start page(s) on which the flavour the registry names "
                                         f"found nothing: {listed}{more}")


def _pages_with_errors(db, run_ids, marks) -> tuple[tuple[int, int], tuple[int, int]]:
    """For the ``errors`` of failed requests (REQUEST_FAILED), then of pages not read (NOT_READ),
    in the runs: how many pages have them, and how many of those are no answer of the runs. An
    error about one of the runs' answers is one page however many rows it has; one about an
    answer archived before (a page answered from the archive under --recheck-after) or about no
    answer at all (a request that got none) is a page of its own. One pass over the runs' error
    rows, each looking up its own snapshot (``s``: the answer when it is one of the runs')."""
    tallies = ", ".join(f"count(distinct case when {kind} and s.id is not null then e.snapshot_id end), "
                        f"count(case when {kind} and s.id is null then 1 end)" for kind in ("failed", "unread"))
    failed, other_failed, unread, other_unread = db.execute(
        f"select {tallies} from (select snapshot_id, {REQUEST_FAILED} as failed, {NOT_READ} as unread "
        f"from errors where run_id in ({marks}) and ({REQUEST_FAILED} or {NOT_READ})) e "
        f"left join snapshots s on s.id = e.snapshot_id and s.run_id in ({marks})",
        [*run_ids, *run_ids]).fetchone()
    return (failed + other_failed, other_failed), (unread + other_unread, other_unread)


def _error_rate(failed: int, requests: int, limit: float, min_pages: int, span: str = "") -> Check:
    """``failed`` of the crawl's ``requests`` got no usable answer (see monitor_run)."""
    return _rate_check("error rate", f"{failed} of {requests} request(s){span} failed", failed, requests, limit,
                       min_pages)


def _parse_errors(db, run_ids, marks, unreadable: int, read: int, limit: float, min_pages: int,
                  span: str = "") -> Check:
    """``unreadable`` of the crawl's pages ``read`` were fetched fine but not read: the parser's
    or a spider callback's failure, not the portal's (see monitor_run)."""
    message = f"{unreadable} of {read} page(s) read{span} could not be read"
    if unreadable:
        by_stage = dict(db.execute(f"select stage, count(*) from errors where run_id in ({marks}) "
                                   f"and {NOT_READ} group by stage", run_ids).fetchall())
        message += ": " + ", ".join(f"{by_stage[stage]} by {reader}" for stage, reader in
                                    (("parse", "the parser"), ("spider", "a spider callback")) if by_stage.get(stage))
    return _rate_check("parse errors", message, unreadable, read, limit, min_pages)


def _rate_check(name: str, message: str, failed: int, of: int, limit: float, min_pages: int) -> Check:
    rate = failed / of if failed else 0.0
    message += f" ({rate:.1%}; at most {limit:.1%})"
    if of < min_pages:
        return Check(name, True, message + f", not judged under {min_pages} pages")
    return Check(name, rate <= limit, message)


def _blocked(db, run_ids, marks, limit: int) -> Check:
    # Each host once, as its first block in the run(s) says why.
    rows = db.execute(
        f"select host, site, reason, detail from blocks where id in "
        f"(select min(id) from blocks where run_id in ({marks}) group by host) order by host",
        run_ids,
    ).fetchall()
    if len(rows) <= limit:
        return Check("hosts blocked", True, f"{len(rows)} host(s) blocked (at most {limit})")
    listed = "; ".join(f"{host} ({site or 'no site'}: {said(reason, detail)})"
                       for host, site, reason, detail in rows[:10])
    return Check("hosts blocked", False, f"{len(rows)} host(s) blocked (at most {limit}): {listed}")


def _archive_growing(db, run_id, stats, first_crawl, min_share, span: str = "") -> Check:
    name = "archive growing"
    # Pages taken from the archive unasked (a recheck interval) pass the downloader's
    # counters as answers: no server sent them, so none was to be archived.
    not_asked = db.execute("select count(*) from not_asked where run_id = ?", [run_id]).fetchone()[0]
    answers = (stats.get("downloader/response_count") or 0) - not_asked
    archived = db.execute("select count(*) from snapshots where run_id = ?", [run_id]).fetchone()[0]
    message = f"{archived} of {answers} answer(s) received archived{span}"
    if answers and archived < answers * min_share:
        return Check(name, False, message + (" on a first crawl" if first_crawl else ""))
    revisits = db.execute("select count(*) from snapshots where run_id = ? and revisit_of is not null",
                          [run_id]).fetchone()[0]
    return Check(name, True, message + (f", {revisits} of them unchanged" if revisits else ""))


def format_monitor(monitor: RunMonitor) -> str:
    failed = [c for c in monitor.checks if not c.ok]
    head = "OK" if not failed else f"FAILED ({len(failed)} of {len(monitor.checks)})"
    lines = [f"run checks:           {head}"]
    lines += [f"  {'FAIL' if not c.ok else 'note' if c.name in NOTICES else 'ok  '}  {c.name}: {c.message}"
              for c in monitor.checks]
    return "\n".join(lines)


def exit_status(run: dict) -> int:
    """What ``nianbao crawl`` exits with for this ``crawl_runs`` row."""
    if run["status"] != "finished":
        return EXIT_CRAWL_FAILED
    monitor = json.loads(run.get("monitor") or "{}")
    return EXIT_OK if monitor.get("ok", True) else EXIT_CHECKS_FAILED
