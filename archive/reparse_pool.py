"""Parse stored snapshots by id: in this process, or in N worker processes.

Workers open the archive read-only (the main file and every file it has attached, under
the same names), read and parse their own bodies, and send back only the parsed report;
the parent is the one writer. ``ParsePool`` keeps the workers for as long as it is open
(a crawl hands them each report page it fetched: pipelines/parse_workers.py);
``parse_ids`` runs one over a list of ids (``nianbao reparse``). Results come back in
the order the ids went in, so the rows written do not depend on the number of workers.
At most ``window`` tasks are in flight: a writer slower than the workers holds them back
instead of queueing results without bound. When a worker dies (a page that crashes a
parser library or exhausts memory), the pages in flight are parsed again one at a time:
a page that kills its worker alone comes back as a ``WorkerDied`` error, the rest as
parsed, and the run goes on (it died at that page again on every run before); a crawl's
parse queue does the same with ``parse_alone``. Parsed in
this process (no workers), such a page ends the run, but not the next: ``_parse_here``
names each page before parsing it, and the next run parses the one named in a worker.

Workers leave signals to the parent (Ctrl-C and a lost terminal's SIGHUP reach the whole
process group; a crawl closing on SIGTERM still wants the pages in flight parsed) and die
with it: the kernel kills a worker whose parent is gone (Linux), so a parent killed outright
leaves none behind. A ``parse_ids`` cut short (Ctrl-C, SIGTERM: the reparse stops) kills its
workers at once rather than wait for pages whose results nobody will read (a large PDF can
take minutes, past a unit's stop timeout).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import sqlite_utils

from nianbao.stop_signals import ignore_stop_signals

from parsers import ParseError, UnreadableFormat

from . import read_only
from .snapshot_parse import parse_snapshot
from .snapshots import DamagedBody, read_snapshot

CHUNK = 4  # ids per task: fewer round trips, still a smooth progress bar
# The one writer takes ~2.3 ms a report against ~5 ms to read and parse it (bench/README.md):
# past two or three workers it is the limit, and each more worker only costs its memory.
MAX_DEFAULT_WORKERS = 4
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Pages in a row whose worker dies when each is parsed alone: past this, the machine (its
# memory), not the pages, is the cause, and the run stops (BrokenProcessPool).
MAX_DEATHS_IN_A_ROW = 3
WORKER_DIED = "WorkerDied"


@dataclass(frozen=True)
class Parsed:
    """One snapshot parsed: the report (``Report.to_dict(include_cells=True)``) or the error."""

    snapshot_id: int
    url: str
    payload_digest: str
    report: dict | None = None
    text: str | None = None
    error: str | None = None
    message: str | None = None


def parse_one(db: sqlite_utils.Database, snapshot_id: int) -> Parsed:
    try:
        snapshot = read_snapshot(db, snapshot_id)
    except DamagedBody as exc:  # recorded as what it is, not as a page the parser could not read
        damaged = exc.snapshot
        return Parsed(damaged.id, damaged.url, damaged.payload_digest, error="DamagedBody", message=str(exc))
    done = dict(snapshot_id=snapshot.id, url=snapshot.url, payload_digest=snapshot.payload_digest)
    try:
        report = parse_snapshot(snapshot)
    except ParseError as exc:  # recorded with the snapshot, whose body the archive keeps
        kept = "; file kept" if isinstance(exc, UnreadableFormat) else ""
        return Parsed(**done, error="ParseError", message=f"{exc}{kept}")
    except Exception as exc:  # a parser bug: recorded per page, the reparse goes on
        return Parsed(**done, error=type(exc).__name__, message=f"parser crashed: {exc}")
    return Parsed(**done, report=report.to_dict(include_cells=True), text=getattr(report, "text", None))


def database_files(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(schema name, file) of the main database and each attached one; [] if in memory."""
    files = [(name, path) for _, name, path in db.execute("pragma database_list") if name != "temp"]
    return files if files and files[0][0] == "main" and files[0][1] else []


def open_read_only(files: list[tuple[str, str]]) -> sqlite_utils.Database:
    conn = read_only.connect_read_only(files[0][1], check_same_thread=False)
    for name, path in files[1:]:
        read_only.attach_read_only(conn, path, name)
    return sqlite_utils.Database(conn)


class ParsePool:
    """``workers`` processes parsing snapshots of ``db``'s archive by id until closed.

    Example::

        with ParsePool(db, workers=2) as pool:
            future = pool.submit([12, 13])   # a Future of [Parsed, Parsed]

    ``submit`` only after the snapshots are committed: a worker reads its own snapshot of
    the archive. A worker that dies breaks the pool (its futures raise BrokenProcessPool).
    """

    def __init__(self, db: sqlite_utils.Database | None, workers: int, files: list[tuple[str, str]] | None = None):
        """Workers over ``db``'s files, or over ``files`` (``database_files``) when given: then
        ``db`` is not read, and a thread other than its own may start the pool."""
        files = files or database_files(db)
        if not files:
            raise ValueError("parsing in worker processes needs an archive file, not an in-memory database")
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        self.workers = workers
        self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                            initargs=(files, os.getpid()))

    def start(self) -> None:
        """Start the workers now rather than at the first ``submit`` (a fork is cheapest early,
        before the parent has grown or started threads)."""
        self.submit([]).result()

    def submit(self, ids) -> Future:
        """The future of ``ids`` parsed. Raises BrokenProcessPool once a worker has died (the
        crawl's ParseQueue then starts new workers for the page)."""
        return self.executor.submit(_parse_chunk, list(ids))

    def close(self, wait: bool = True) -> None:
        """Stop the workers: tasks not started are cancelled, ``wait`` for the running ones."""
        self.executor.shutdown(wait=wait, cancel_futures=True)

    def kill(self) -> None:
        """Stop the workers now, without the results of the tasks they are running."""
        # The executor's own list of its processes: no public way before Python 3.14's terminate_workers().
        workers = list((self.executor._processes or {}).values())
        for worker in workers:
            worker.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)  # its manager thread sees them gone, and ends

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_worker_db: sqlite_utils.Database | None = None


def _init_worker(files, parent: int) -> None:
    global _worker_db
    ignore_stop_signals()
    signal.set_wakeup_fd(-1)  # the parent's event loop pipe, inherited by the fork: not ours
    _die_with(parent)
    _worker_db = open_read_only(files)


def _die_with(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a killed parent may leave idle workers
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _parse_chunk(ids: list[int]) -> list[Parsed]:
    return [parse_one(_worker_db, i) for i in ids]


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_workers() -> int:
    """Parse workers for ``nianbao reparse``: one fewer than the CPUs (the writing process
    keeps one), at most ``MAX_DEFAULT_WORKERS``; none on one CPU, where this process
    parses too. (On 2 CPUs, 1 worker reparses as fast as 2, in less memory.)"""
    return max(0, min(MAX_DEFAULT_WORKERS, usable_cpus() - 1))


def max_workers() -> int:
    """The most parse workers a reparse takes: the CPUs this process may use (at least
    ``MAX_DEFAULT_WORKERS``)."""
    return max(MAX_DEFAULT_WORKERS, usable_cpus())


def parse_ids(db: sqlite_utils.Database, ids, workers: int = 0, window: int | None = None):
    """Yield ``Parsed`` for each id, in order: parsed in ``workers`` processes, or in this
    one when ``workers`` is 0 (or ``db`` is in memory: workers need a database file)."""
    ids = iter(ids)
    if workers < 1 or not database_files(db):
        yield from _parse_here(db, ids)
        return
    window = window or workers * 4
    pool = ParsePool(db, workers)
    pending = deque()  # (ids, Future of their Parsed)
    try:
        while True:
            while len(pending) < window:
                chunk = list(islice(ids, CHUNK))
                if not chunk:
                    break
                pending.append((chunk, _submitted(pool, chunk)))
            if not pending:
                return
            try:
                parsed = pending[0][1].result()
            except BrokenProcessPool:  # a worker died, on one of the pages in flight
                in_flight = [i for chunk, _ in pending for i in chunk]
                pending.clear()
                pool.close(wait=False)
                yield from _parse_alone(db, in_flight)
                pool = ParsePool(db, workers)
                continue
            pending.popleft()
            yield from parsed
    finally:
        if pending:  # cut short (Ctrl-C, SIGTERM, the reader stopped): nobody reads what is in flight
            pool.kill()
        else:
            pool.close()


def _parse_here(db: sqlite_utils.Database, ids):
    """Parse each id in this process, naming it first in a note beside the archive
    (``_parsing_note``). A page that kills this process (a crash in a parser library, the
    OOM killer; a Python error is only that page's error) stays named there, and the next
    run parses that one page alone in a worker (``_parse_alone``): a ``WORKER_DIED`` error
    if it dies there too, else parsed. So a re-run does not die on the same page forever,
    and a run ended for another reason (SIGTERM, kill -9) blames no page. Call only while
    holding the archive's lock (a reparse does): the note is the holder's."""
    files = database_files(db)
    if not files:  # in memory: no worker could parse a suspect page, and nothing outlives the process
        for snapshot_id in ids:
            yield parse_one(db, snapshot_id)
        return
    note = _parsing_note(files[0][1])
    suspect = _read_note(note)
    fd = os.open(note, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for snapshot_id in ids:
            if snapshot_id == suspect:  # the page the last run died parsing here
                yield from _parse_alone(db, [snapshot_id])
                continue
            # Not synced: the note has to outlive this process, not the machine.
            os.pwrite(fd, f"{snapshot_id}\n".encode(), 0)
            parsed = parse_one(db, snapshot_id)
            os.ftruncate(fd, 0)  # a death from now on, writing say, is not this page's
            yield parsed
    finally:  # ended, cut short or Ctrl-C: no page to blame
        os.close(fd)
        note.unlink(missing_ok=True)


def _parsing_note(database: str) -> Path:
    """The file naming the snapshot a reparse is parsing in its own process: ``nianbao.db.parsing``."""
    return Path(f"{database}.parsing")


def _read_note(note: Path) -> int | None:
    try:
        text = note.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def _submitted(pool: ParsePool, chunk: list[int]) -> Future:
    """``pool.submit(chunk)``; refused because a worker has died meanwhile (seen as the writer
    hands out the next chunk), a future holding that refusal, handled with the pages in
    flight when its result is asked for."""
    try:
        return pool.submit(chunk)
    except BrokenProcessPool as exc:
        refused = Future()
        refused.set_exception(exc)
        return refused


def _parse_alone(db: sqlite_utils.Database, ids: list[int]):
    """Parse each id alone in one worker, in order: one whose worker dies again comes back
    as a ``WORKER_DIED`` error. Raises BrokenProcessPool as ``parse_alone`` does."""
    for snapshot_id, parsed in parse_alone(database_files(db), ids):
        yield parsed if parsed is not None else worker_died(db, snapshot_id)


def parse_alone(files: list[tuple[str, str]], ids: list[int], new_pool=None):
    """Parse each id alone in one worker over the archive ``files`` (``database_files``), in
    order, after a worker died on one of them (or on a page beside them): yield (id, Parsed),
    or (id, None) for one whose worker dies again (``worker_died`` makes its error). Reads no
    database in this process, so a thread may run it while another writes (a crawl's
    ParseQueue does, passing ``new_pool``: a function giving each fresh one-worker pool, forked
    in the thread of its choice). Raises BrokenProcessPool when ``MAX_DEATHS_IN_A_ROW`` pages
    in a row die, before any of them is handed on (not the pages' fault, and not to be recorded)."""
    new_pool = new_pool or (lambda: ParsePool(None, 1, files))
    held = []  # results not handed on while the last pages died
    deaths = 0
    pool = new_pool()
    parsing = False  # a page is in the worker
    try:
        for snapshot_id in ids:
            try:
                parsing = True
                held += [(snapshot_id, parsed) for parsed in pool.submit([snapshot_id]).result()]
                parsing = False
                deaths = 0
            except BrokenProcessPool:
                parsing = False
                pool.close(wait=False)
                deaths += 1
                if deaths >= MAX_DEATHS_IN_A_ROW:
                    raise
                held.append((snapshot_id, None))
                pool = new_pool()
                continue
            yield from held
            held = []
        yield from held
    finally:
        if parsing:  # cut short (Ctrl-C, SIGTERM) while the worker parses a page nobody will read
            pool.kill()
        else:
            pool.close()


def worker_died(db: sqlite_utils.Database, snapshot_id: int) -> Parsed:
    """The ``WORKER_DIED`` error of a page whose worker died on it, also when it was parsed alone."""
    url, digest = db.execute("select url, payload_digest from snapshots where id = ?", [snapshot_id]).fetchone()
    return Parsed(snapshot_id, url, digest, error=WORKER_DIED,
                  message="its parse worker died on it, also when it was parsed alone (out of memory, or a crash "
                          "in a parser library); its earlier rows are kept, and --force tries it again")
