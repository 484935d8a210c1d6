"""Run the report spider in this process and return the run's id (``run_crawl``), and the
crawl's settings: crawler/settings.py, a profile, the environment, the command line
(``crawl_settings``). crawler/discover.py runs its spider through the same ``run_spider``."""

from __future__ import annotations

import contextlib
import difflib
import logging
import math
import os
import sqlite3
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import BaseSettings, Settings

from archive import DATABASE_NAME
from archive.run_lock import ArchiveLocked, hold_archive
from archive.runs import format_summary, mark_interrupted_runs, record_monitor, run_counts
from archive.schema import NOT_OPENED, open_database
from archive.timestamps import utc_now
from nianbao import EXIT_CRAWL_FAILED, EXIT_LOCKED

from .distributed import SharedQueue, use_redis
from .extensions import DISK_FULL
from .interrupts import CutShort, Interrupted, Interrupts
from .monitoring import Thresholds, exit_status, format_monitor, monitor_run
from .notify import outcome, tell
from .private_addresses import check_settings as check_private_addresses
from .profiles import profile_settings
from .spiders.reports import ReportSpider

logger = logging.getLogger(__name__)


class DiskFull(ValueError):
    """The crawl stopped because the archive's disk is full (a ValueError: ``nianbao crawl``
    reports it in one line and exits 1, like any crawl it could not run)."""


class SettingError(ValueError):
    """A setting given on the command line (``-s NAME=VALUE``) or in the environment that a
    crawl cannot take: an unknown name, or a value its setting cannot read."""


def known_settings() -> dict:
    """Every setting a crawl reads, with its default: crawler/settings.py over Scrapy's own."""
    from scrapy.settings import default_settings

    from . import settings as ours

    return {name: getattr(module, name) for module in (default_settings, ours)
            for name in dir(module) if name.isupper()}


def environment_settings(environ=None) -> dict:
    """The ``NIANBAO_*`` settings of crawler/settings.py that the environment sets, by the same
    name (systemd's ``Environment=``, ``EnvironmentFile=``); other variables are not read."""
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in known_settings() if name.startswith("NIANBAO_") and name in environ}


def crawl_settings(data_dir, profile: str = "polite", overrides: dict | None = None,
                   environ=None) -> Settings:
    """The crawl's settings, each taken from the first that sets it: ``overrides`` (the command
    line: its options and ``-s NAME=VALUE``), the environment (``NIANBAO_*``), the profile
    (crawler/profiles.py), crawler/settings.py, Scrapy's defaults. ``data_dir`` is
    ``NIANBAO_DATA_DIR``. Raises ``SettingError`` for an unknown name or a value its setting
    cannot read, before anything starts."""
    overrides = dict(overrides or {})
    known = known_settings()
    for name in overrides:
        if name == "NIANBAO_DATA_DIR":
            raise SettingError("NIANBAO_DATA_DIR is where the archive lives: give it as --data DIR")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            raise SettingError(f"unknown setting {name!r} (not in crawler/settings.py or Scrapy's settings)"
                               + (f"; did you mean {close[0]}?" if close else ""))
    from_environment = environment_settings(environ)
    for source, given in (("environment variable", from_environment), ("-s", overrides)):
        for name, value in given.items():
            _check_value(name, value, known[name], source)  # before Scrapy reads a JSON object
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    # One priority, applied from the weakest source to the strongest: the last one set wins.
    settings.setdict(profile_settings(profile), priority="cmdline")
    settings.setdict(from_environment, priority="cmdline")
    settings.set("NIANBAO_DATA_DIR", str(Path(data_dir)), priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    try:
        check_private_addresses(settings)
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    return settings


# Settings not read as their default's type: Scrapy reads two whole-number defaults as
# seconds, fractions allowed (getfloat); two whole-number settings are unset (None) unless
# given. tests/test_settings.py checks this against every getint and getfloat.
READ_AS = {"DOWNLOAD_TIMEOUT": float, "DNS_TIMEOUT": float,
           "NIANBAO_PARSE_WORKERS": int, "AWS_MAX_POOL_CONNECTIONS": int}

# The least value a few settings take: 0 requests at once is a crawl that fetches nothing
# and never ends; a negative delay or recheck interval is no setting.
LEAST = {"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "CONCURRENT_ITEMS": 1,
         "DOWNLOAD_DELAY": 0, "NIANBAO_RECHECK_AFTER_DAYS": 0}

TYPE_NAMES = {bool: "true or false (1 or 0)", int: "a whole number", float: "a number", dict: "a JSON object"}


def setting_type(name: str, default) -> type | None:
    """What a setting's value is read as: bool, int, float or dict (None: text, a list, a
    class path, taken as given). Its default's type, but for the few in ``READ_AS``."""
    if name in READ_AS:
        return READ_AS[name]
    for kind in (bool, int, float, dict):  # bool first: True is an int too
        if isinstance(default, kind):
            return kind
    return None


def _check_value(name: str, value, default, source: str) -> None:
    """A text value (from the environment or ``-s``) must read as its setting's type, as the
    crawl reads it (Scrapy's getint, getfloat, …): a whole number for a count (2.5 requests
    at once is no setting), a finite number for a delay or a threshold. Else the crawl would
    fail deep inside Scrapy, or only once it has run (its run checks)."""
    kind = setting_type(name, default)
    if not isinstance(value, str) or kind is None:
        return
    if default is None and not value.strip():  # NIANBAO_PARSE_WORKERS= : left unset
        return
    given = BaseSettings({name: value})
    read = {bool: given.getbool, int: given.getint, float: given.getfloat, dict: given.getdict}[kind]
    try:
        value_read = read(name)
        if kind is float and not math.isfinite(value_read):  # nan, inf: a delay never over, no threshold
            raise ValueError(value)
    except ValueError:
        raise SettingError(f"{source} {name}={value!r}: not {TYPE_NAMES[kind]}") from None
    if name in LEAST and value_read < LEAST[name]:
        raise SettingError(f"{source} {name}={value!r}: at least {LEAST[name]}")


def run_crawl(sites: list[dict], data_dir, profile: str = "polite", overrides: dict | None = None,
              shared_queue: SharedQueue | None = None, archive_db=None, refused: list[str] = ()) -> int:
    """Crawl ``sites`` (dicts with ``name`` and ``start_urls``) into DATA_DIR/nianbao.db
    (its raw bodies in ``archive_db`` when given: ``--archive-db``). ``refused``: the
    registry's problems (``crawler.registry.Registry``), entries not crawled, which fail the
    run's checks.

    Blocks until the crawl ends. Twisted's reactor cannot be restarted, so call this
    once per process. Raises ``archive.run_lock.ArchiveLocked`` when another crawl is
    running on the same archive, and what ``prepare_archive`` raises for a database that cannot
    be opened, before the crawl starts. Ctrl-C, SIGTERM or SIGHUP closes the crawl early and its run is
    recorded ``interrupted`` (``crawler.interrupts``): the next crawl resumes it; one that
    comes before the run is opened raises ``crawler.interrupts.Interrupted`` (nothing
    recorded). At the end the run's checks (``crawler.monitoring``) are stored with its
    summary in ``crawl_runs`` and the notification hooks are called; a crawl that ends
    without them (any of the errors above, a full disk, a crash) calls them with its error.
    """
    started = utc_now()
    with Interrupts() as interrupts:  # Ctrl-C, SIGTERM, SIGHUP: the run ends `interrupted`
        try:
            settings = crawl_settings(data_dir, profile, overrides)
        except ValueError as exc:  # an unknown profile, a setting that cannot be read
            tell_without_a_crawl(data_dir, profile, overrides, exc)
            raise
        path = Path(data_dir) / DATABASE_NAME
        run_id = None
        try:
            if shared_queue is not None:  # one of several processes on one queue (crawler/distributed/)
                use_redis(settings, shared_queue)
            process = CrawlerProcess(settings)  # sets up logging, so the lock's news is seen
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            with hold_archive(path) as hold:
                if hold.stale:
                    logger.warning("Cleared a stale lock on %s left by crawl pid %s (started %s), which is gone; "
                                   "its run is resumed", path, hold.stale.get("pid", "?"),
                                   hold.stale.get("started", "?"))
                crawler, failed = run_spider(process, ReportSpider, interrupts, path, archive_db, sites=sites)
                archive = getattr(crawler, "nianbao_archive", None)
                if archive is not None:
                    run_id = archive.run_id
                    if failed or interrupts.count > 1:
                        close_interrupted(path)  # stopped at once, or failed to start: the run never closed
                if failed:
                    failed[0].raiseException()
                if archive is None:  # stopped at once before the run was opened
                    interrupts.check()
                    raise RuntimeError(f"the crawl of {path} ended before it opened its run")
                if crawler.stats.get_value("finish_reason") == DISK_FULL:
                    # Nothing more can be written, not even the run's checks.
                    raise DiskFull(f"the disk holding {path} is full: run {run_id} stopped; everything stored "
                                   "before is intact (free space and crawl again to resume)")
                if settings.getbool("NIANBAO_MONITOR_ENABLED"):
                    check_run(path, run_id, sites, settings, refused)
        except CutShort as exc:  # Ctrl-C while the checks or hooks ran: no more hooks
            exc.run_id = run_id
            raise
        except Exception as exc:
            with contextlib.suppress(CutShort):  # Ctrl-C while the hooks hear it: the error still shows
                tell_failure(settings, path, exc, run_id=run_id, started=started)
            raise
    return run_id


def tell_failure(settings, path, exc: Exception, *, run_id: int | None, started: str) -> None:
    """Call the hooks for a crawl that ended without its run checks, with the ``Error:`` line
    ``nianbao crawl`` prints and the status it exits with: another crawl holds the archive
    (75), interrupted before it opened its run (4), it could not run or crashed (1)."""
    if isinstance(exc, ArchiveLocked):
        status, code = "locked", EXIT_LOCKED
    elif isinstance(exc, Interrupted):
        status, code = "interrupted", EXIT_CRAWL_FAILED
    else:
        status, code = (f"failed: {DISK_FULL}" if isinstance(exc, DiskFull) else "error"), 1
    if isinstance(exc, sqlite3.DatabaseError) and getattr(exc, "sqlite_errorname", None) in NOT_OPENED:
        line = f"{path}: {exc}"  # the file that cannot be opened as a database, as the command says
    elif isinstance(exc, (ValueError, RuntimeError, Interrupted)):  # ours: ArchiveLocked, DiskFull, RawStoreError …
        line = str(exc)
    else:  # a crash
        line = f"{type(exc).__name__}: {exc}"
    tell(settings, f"Error: {line}", outcome(run_id=run_id, ok=False, status=status, exit_status=code, archive=path,
                                             started=started, finished=utc_now(), summary=f"Error: {line}",
                                             error=line))


def tell_without_a_crawl(data_dir, profile: str, overrides: dict | None, exc: Exception) -> None:
    """Call the hooks for a crawl that could not start from what it was given: a registry
    that cannot be read, an unknown profile, a setting that cannot be read (a mistyped value
    in systemd's EnvironmentFile). Those hooks are the crawl's settings' when they can be
    read, else the ``NIANBAO_NOTIFY_*`` ones of the command line and the environment alone."""
    hooks = {name: value for name, value in (overrides or {}).items() if name.startswith("NIANBAO_NOTIFY_")}
    environ = {name: value for name, value in os.environ.items() if name.startswith("NIANBAO_NOTIFY_")}
    for attempt in (lambda: crawl_settings(data_dir, profile, overrides),
                    lambda: crawl_settings(data_dir, "polite", hooks, environ=environ)):
        try:
            settings = attempt()
        except ValueError:
            continue
        tell_failure(settings, Path(data_dir) / DATABASE_NAME, exc, run_id=None, started=utc_now())
        return


def run_spider(process: CrawlerProcess, spidercls, interrupts: Interrupts, path, archive_db=None, **spider_args):
    """Open the archive at ``path``, then run one ``spidercls`` in ``process`` to its end
    (blocks), Ctrl-C and SIGTERM watched by ``interrupts``. Returns the crawler and the
    failures of a spider that could not start, for the caller to raise (inside the reactor
    they would only be logged as unhandled)."""
    prepare_archive(path, archive_db)
    crawler = process.create_crawler(spidercls)
    interrupts.check()  # the last moment before anything is recorded
    failed: list = []
    process.crawl(crawler, **spider_args).addErrback(failed.append)
    interrupts.watch(crawler)
    process.start(install_signal_handlers=False)
    interrupts.stopped()
    return crawler, failed


def prepare_archive(path, archive_db=None) -> None:
    """Open the archive once before the crawl starts, creating it or recording its raw store
    (``archive_db``), so that a file that is no database (``sqlite3.DatabaseError``) or a raw
    store that moved (``archive.raw_store.RawStoreError``) is raised to the caller: inside the
    reactor it would only be logged, as tracebacks."""
    open_database(path, archive=archive_db).close()


def close_interrupted(path) -> None:
    """Mark this crawl's run ``interrupted`` when it stopped without closing (the archive's lock
    is held: no other crawl's run is ``running``)."""
    db = open_database(path)
    try:
        mark_interrupted_runs(db)
    finally:
        db.close()


def check_run(path, run_id: int, sites: list[dict], settings, refused: list[str] = ()) -> None:
    """Run the end-of-run checks, store them and the summary, call the hooks."""
    db = open_database(path)
    try:
        monitor = monitor_run(db, run_id, sites, Thresholds.from_settings(settings), refused=refused)
        summary = format_summary(run_counts(db, run_id)) + "\n" + format_monitor(monitor)
        record = monitor.to_dict()
        record_monitor(db, run_id, record, summary)
        if not monitor.ok:
            failed = "; ".join(f"{c.name}: {c.message}" for c in monitor.checks if not c.ok)
            logger.warning("Run %d failed its run checks: %s", run_id, failed)
        run = db["crawl_runs"].get(run_id)
        problems = tell(settings, summary, outcome(
            run_id=run_id, ok=monitor.ok, status=run["status"], exit_status=exit_status(run), archive=path,
            started=run["started"], finished=run["finished"], summary=summary, checks=record["checks"]))
        if problems:
            record_monitor(db, run_id, {**record, "notify_failed": problems}, summary)
    finally:
        db.close()
