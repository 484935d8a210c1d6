"""Run the parsers over stored snapshots: the same code path as a live crawl.

The crawl's pipeline calls ``parse_stored_snapshot`` on each report page it fetched
(the snapshot middleware has stored it by then);
``parse_pending`` parses the report snapshots a killed crawl stored but never parsed.

``reparse`` (``nianbao reparse``) re-runs the parsers over the archive when they improve,
once per report version (each distinct body of a report URL), reading only stored bytes.
Versions already parsed by the current ``PARSER_VERSION`` are skipped unless ``force``.
Parsing runs in N worker processes, or in this process when N is 0 (reparse_pool.py);
this process alone writes, a batch of reports per transaction, each report's rows
replaced together with its ``reparse_changes`` row (reparse_runs.py), so a run killed
at any point leaves whole reports behind and the next run continues where it stopped.
The wide tables' rows of the logical reports a batch touched are refreshed once, at the
end of its transaction (archive/wide_tables.py: cheaper than once per report, and exact
at every commit). A reparse holds the archive's lock, as a crawl does (archive/run_lock.py):
the two never write at once; another program's short write makes a batch wait its turn.

How one snapshot is parsed is archive/snapshot_parse.py. Nothing here loads the crawler
(nor Scrapy): a page whose body is embedded in a script is rebuilt by ``parsers.embedded_body``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import sqlite_utils

import parsers
from nianbao.stop_signals import stop_signals_held

from . import reparse_runs, wide_tables
from .records import parsed_already, record_error, store_report
from .reparse_pool import (CHUNK, MAX_DEATHS_IN_A_ROW, Parsed, database_files, max_workers, parse_ids, parse_one,
                           usable_cpus)
from .reparse_select import Selection, SelectionError, check_site, count_versions, iter_version_ids
from .run_lock import ArchiveLocked, hold_archive
from .transactions import BUSY_SECONDS, write_transaction

logger = logging.getLogger(__name__)


def parser_version() -> str:
    return getattr(parsers, "PARSER_VERSION", "0")


@dataclass(frozen=True)
class Outcome:
    snapshot_id: int
    report_id: int | None = None
    error: str | None = None
    message: str | None = None


def parse_stored_snapshot(db: sqlite_utils.Database, snapshot_id: int, run_id: int | None = None) -> Outcome:
    """Parse one snapshot and replace its report's rows; record a failure instead of raising."""
    return store_parsed(db, parse_one(db, snapshot_id), run_id=run_id)


def store_parsed(db: sqlite_utils.Database, parsed: Parsed, run_id: int | None = None) -> Outcome:
    """Store one parsed snapshot (``reparse_pool.parse_one``, here or in a worker): the
    report's rows, or the parse error."""
    if parsed.error is not None:
        record_error(db, url=parsed.url, stage="parse", error=parsed.error, message=parsed.message,
                     snapshot_id=parsed.snapshot_id, run_id=run_id)
        return Outcome(snapshot_id=parsed.snapshot_id, error=parsed.error, message=parsed.message)
    report_id = store_report(db, url=parsed.url, snapshot_id=parsed.snapshot_id, report=parsed.report,
                             parser_version=parser_version(), text=parsed.text)
    return Outcome(snapshot_id=parsed.snapshot_id, report_id=report_id)


def report_snapshot_ids(db: sqlite_utils.Database) -> list[int]:
    """Every version of every report page in the archive: the snapshot that first
    brought each distinct body of each report URL."""
    rows = db.execute(
        "select min(id) from snapshots where kind in ('report', 'attachment') and status = 200 "
        "group by url, payload_digest order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def pending_snapshot_ids(db: sqlite_utils.Database, run_ids) -> list[int]:
    """Report snapshots of these runs whose body was never parsed (the run was killed
    between storing and parsing): the newest such snapshot per URL."""
    if not run_ids:
        return []
    marks = ",".join("?" * len(run_ids))
    rows = db.execute(
        f"select max(id) from snapshots where kind in ('report', 'attachment') and run_id in ({marks}) "
        f"and (status = 200 or revisit_of is not null) group by url order by 1",
        list(run_ids),
    ).fetchall()
    return [r[0] for r in rows if not parsed_already(db, r[0])]


def parse_pending(db: sqlite_utils.Database, run_ids, run_id: int | None = None) -> list[Outcome]:
    """Parse what earlier runs stored but did not parse (cheap when there is nothing), in one
    worker process: among those pages may be one whose parse killed a crawl's parse worker
    (pipelines/parse_workers.py leaves it unparsed), which must not kill the crawl resuming
    the run, night after night. A page whose worker dies again is recorded ``WorkerDied``;
    when workers die on ``MAX_DEATHS_IN_A_ROW`` pages in a row (not the pages' fault: out of
    memory?), the pages left stay pending for the next run."""
    outcomes = []
    pending = pending_snapshot_ids(db, run_ids)
    try:
        for parsed in parse_ids(db, pending, workers=1):
            outcomes.append(store_parsed(db, parsed, run_id=run_id))
    except BrokenProcessPool:  # what is left is found pending again by the next run
        logger.warning("Parse workers died on %d pages in a row (out of memory?): %d of %d pending page(s) "
                       "left for the next run", MAX_DEATHS_IN_A_ROW, len(pending) - len(outcomes), len(pending))
    return outcomes


class ReparseError(ValueError):
    """A reparse cannot start (an unknown site, too many workers), or cannot go on."""


class ReparseLocked(ReparseError):
    """A crawl or another reparse holds this archive: nothing was done."""


class ReparseStopped(ReparseError):
    """The reparse stopped before its end (its run is recorded ``interrupted``); running it
    again continues it."""


BATCH_REPORTS = 50  # reports per transaction, at most
BATCH_SECONDS = 1.0  # parsing time gathered per transaction, at most
CACHE_KIB = -65536  # SQLite page cache while reparsing: 64 MiB


class Reparse:
    """One ``nianbao reparse``: take the archive's lock (the one a crawl holds: the two
    never write at once, archive/run_lock.py), mark reparse runs a kill left ``running``
    interrupted, count what is to do, then ``run()``.

    Example::

        with Reparse(db, workers=2, site="pingtan") as job:
            summary = job.run(progress=bar.update)   # job.todo: versions to parse
    """

    def __init__(self, db, *, workers=0, site=None, since=None, force=False,
                 batch_reports=BATCH_REPORTS, batch_seconds=BATCH_SECONDS):
        """``workers``: processes that parse while this one writes; 0 parses here too."""
        if workers > max_workers():  # each is a process of ~100 MB: 1000 would take the machine down
            raise ReparseError(f"{workers} parse workers: at most {max_workers()} on this machine "
                               f"({usable_cpus()} CPUs; past two or three, the one writing process is the limit)")
        self.db, self.workers, self.force = db, max(0, workers), force
        self.batch_reports, self.batch_seconds = batch_reports, batch_seconds
        self.version = parser_version()
        self.site, self.since = site, since
        self.hold = None
        self.run_id = None

    def __enter__(self) -> "Reparse":
        self.hold = _hold_archive(self.db)
        try:
            self._start()
        except BaseException:
            self._unlock()
            raise
        return self

    def _start(self) -> None:
        db = self.db
        resumes = reparse_runs.mark_interrupted(db)
        if resumes is not None and not self._same_request(resumes):
            resumes = None  # asked for something else: start afresh
        done_by = tuple(reparse_runs.chain(db, resumes))
        self.selection = Selection(self.version, self.site, self.since, self.force, done_by)
        try:
            check_site(db, self.selection)
        except SelectionError as exc:
            raise ReparseError(str(exc)) from None
        selected = count_versions(db, self.selection, pending=False)
        self.todo = count_versions(db, self.selection)
        marks = ",".join("?" * len(done_by))
        done = db.execute(f"select count(*) from reparse_changes where run_id in ({marks})",
                          done_by).fetchone()[0] if done_by else 0
        self.selected, self.skipped = selected, selected - self.todo - done
        if self.todo == 0 and resumes is None:
            return  # nothing to parse: nothing recorded, the archive left as it was (no run row)
        self.run_id = reparse_runs.start_run(
            db, parser_version=self.version, workers=self.workers, site=self.site, since=self.since,
            force=self.force, selected=selected, skipped=self.skipped, resumes=resumes)

    def _same_request(self, run_id: int) -> bool:
        row = self.db.execute("select parser_version, force, site, since from reparse_runs where id = ?",
                              [run_id]).fetchone()
        return tuple(row) == (self.version, int(self.force), self.site, self.since)

    def __exit__(self, *exc) -> None:
        self._unlock()

    def _unlock(self) -> None:
        if self.hold is not None:
            self.hold.release()
            self.hold = None

    def run(self, progress=None) -> reparse_runs.ReparseSummary:
        """Parse every version still to do and replace its rows, a batch per transaction."""
        if self.run_id is None:  # nothing to do
            return self.summary()
        started = time.perf_counter()
        # While this process writes one batch, the workers parse the next: the pages in flight
        # cover two batches, not only the workers' own few (a worker waiting on a full window
        # while the batch is written cost a third of a 1-worker reparse's speed; bench/README.md).
        window = self.workers * 4 + 2 * -(-self.batch_reports // CHUNK)
        results = parse_ids(self.db, iter_version_ids(self.db, self.selection), self.workers, window)
        status = "interrupted"
        # Every report rewrites its cells in indexes as large as the archive: a bigger page
        # cache (a fixed size, not the archive's) keeps their upper levels in memory.
        (cache_size,) = self.db.execute("pragma cache_size").fetchone()
        (busy_ms,) = self.db.execute("pragma busy_timeout").fetchone()
        self.db.execute(f"pragma cache_size = {CACHE_KIB}")
        self.db.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
        try:
            with reparse_runs.watch_cross_checks(self.db, self.run_id):
                while batch := self._next_batch(results):
                    # The wide tables' rows of each logical report touched: once per batch.
                    with write_transaction(self.db), wide_tables.deferred(self.db):
                        for parsed in batch:
                            write_parsed(self.db, self.run_id, self.version, parsed)
                    if progress:
                        progress(len(batch))
            status = "finished"
        except BrokenProcessPool:  # pages in a row each killed the worker that parsed it alone
            raise ReparseStopped(f"parse workers died on {MAX_DEATHS_IN_A_ROW} pages in a row, each parsed alone "
                               "(out of memory?); run again to continue") from None
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            raise ReparseStopped(f"another program kept the archive locked for over {BUSY_SECONDS}s; "
                               "run again to continue") from None
        finally:
            results.close()  # stops the workers
            self.db.execute(f"pragma cache_size = {cache_size}")
            with stop_signals_held():  # a signal landing here would roll back the run's end, left `running`
                reparse_runs.finish_run(self.db, self.run_id, status)
            self.db.execute(f"pragma busy_timeout = {busy_ms}")
        return self.summary(time.perf_counter() - started)

    def summary(self, seconds: float = 0.0) -> reparse_runs.ReparseSummary:
        if self.run_id is None:  # a run with nothing to do, not recorded
            return reparse_runs.ReparseSummary(None, self.version, selected=self.selected,
                                               skipped_current=self.skipped, workers=self.workers)
        return reparse_runs.summarize(self.db, self.run_id, seconds=seconds)

    def _next_batch(self, results) -> list:
        """Gather parsed pages for one transaction (parsing happens outside it)."""
        batch, deadline = [], time.monotonic() + self.batch_seconds
        for parsed in results:
            batch.append(parsed)
            if len(batch) >= self.batch_reports or time.monotonic() > deadline:
                break
        return batch


def reparse(db: sqlite_utils.Database, progress=None, **options) -> reparse_runs.ReparseSummary:
    """Re-run the current parsers over the archive's report versions (no network); see Reparse."""
    with Reparse(db, **options) as job:
        return job.run(progress)


def write_parsed(db, run_id: int, version: str, parsed) -> None:
    """Replace one version's rows with what the parser read now, and record what changed.

    A page that fails now keeps the rows an earlier parser wrote (they are still the best
    reading there is); its error is recorded once."""
    before = reparse_runs.read_before(db, parsed.url, parsed.payload_digest)
    change = dict(run_id=run_id, snapshot_id=parsed.snapshot_id, url=parsed.url,
                  parser_version=version, before=before)
    if parsed.error:
        seen = db.execute(
            "select 1 from errors where snapshot_id = ? and stage = 'parse' and error = ? and message is ?",
            [parsed.snapshot_id, parsed.error, parsed.message]).fetchone()
        if not seen:
            record_error(db, url=parsed.url, stage="parse", error=parsed.error, message=parsed.message,
                         snapshot_id=parsed.snapshot_id)
        reparse_runs.record_change(db, **change, report_id=before.report_id if before else None,
                                   outcome="error", error=parsed.error, message=parsed.message)
        return
    report_id = store_report(db, url=parsed.url, snapshot_id=parsed.snapshot_id, report=parsed.report,
                             parser_version=version, text=parsed.text)
    checks = reparse_runs.read_checks(db, report_id) if before else {}
    fields = reparse_runs.read_fields(db, report_id) if before else {}
    outcome, cells_changed, flipped, fields_changed = reparse_runs.compare(before, parsed.report, checks, fields)
    reparse_runs.record_change(db, **change, report_id=report_id, outcome=outcome, cells_changed=cells_changed,
                               flipped=flipped, fields_changed=fields_changed)


def _hold_archive(db):
    """Hold the archive's lock while reparsing (the OS drops it however the process ends),
    so that no crawl writes beside the reparse and a reparse can tell a run that was
    killed from one still going. None for an archive in memory."""
    files = database_files(db)
    if not files:
        return None
    try:
        return hold_archive(files[0][1], command="reparse")
    except ArchiveLocked as exc:
        raise ReparseLocked(str(exc)) from None
