"""Parse stored snapshots by id: in this process, or in N worker processes.

Workers open the archive read-only (the main file and every file it has attached, under
the same names), read and parse their own bodies, and send back only the parsed report;
the parent is the one writer. Results come back in the order the ids went in, so the
rows written do not depend on the number of workers. At most ``window`` tasks are in
flight: a writer slower than the workers holds them back instead of queueing results
without bound.
"""

from __future__ import annotations

import multiprocessing
import signal
import sqlite3
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from urllib.parse import quote

import sqlite_utils

from .snapshots import read_snapshot

CHUNK = 4  # ids per task: fewer round trips, still a smooth progress bar


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
    from parsers import ParseError

    from .reparse import parse_snapshot

    snapshot = read_snapshot(db, snapshot_id)
    done = dict(snapshot_id=snapshot.id, url=snapshot.url, payload_digest=snapshot.payload_digest)
    try:
        report = parse_snapshot(snapshot)
    except ParseError as exc:
        return Parsed(**done, error="ParseError", message=str(exc))
    except Exception as exc:  # a parser bug: recorded per page, the reparse goes on
        return Parsed(**done, error=type(exc).__name__, message=f"parser crashed: {exc}")
    return Parsed(**done, report=report.to_dict(include_cells=True), text=getattr(report, "text", None))


def database_files(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(schema name, file) of the main database and each attached one; [] if in memory."""
    files = [(name, path) for _, name, path in db.execute("pragma database_list") if name != "temp"]
    return files if files and files[0][0] == "main" and files[0][1] else []


def open_read_only(files: list[tuple[str, str]]) -> sqlite_utils.Database:
    conn = sqlite3.connect(f"file:{quote(files[0][1])}?mode=ro", uri=True, check_same_thread=False)
    for name, path in files[1:]:
        conn.execute(f"attach database ? as [{name}]", [f"file:{quote(path)}?mode=ro"])
    return sqlite_utils.Database(conn)


_worker_db: sqlite_utils.Database | None = None


def _init_worker(files) -> None:
    global _worker_db
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_db = open_read_only(files)


def _parse_chunk(ids: list[int]) -> list[Parsed]:
    return [parse_one(_worker_db, i) for i in ids]


def parse_ids(db: sqlite_utils.Database, ids, workers: int = 1, window: int | None = None):
    """Yield ``Parsed`` for each id, in order. ``workers`` > 1 needs a database file."""
    ids = iter(ids)
    files = database_files(db)
    if workers <= 1 or not files:
        for snapshot_id in ids:
            yield parse_one(db, snapshot_id)
        return
    _warm_imports()
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    window = window or workers * 4
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(files,)) as pool:
        pending = deque()
        try:
            while True:
                while len(pending) < window:
                    chunk = list(islice(ids, CHUNK))
                    if not chunk:
                        break
                    pending.append(pool.submit(_parse_chunk, chunk))
                if not pending:
                    return
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _warm_imports() -> None:
    """Import the parsers (and the flavours' page rebuilders) before forking, so each
    worker starts with them loaded instead of importing them again."""
    import parsers  # noqa: F401

    from .reparse import embedded_report  # noqa: F401
    try:
        import crawler.flavours  # noqa: F401
    except ImportError:
        pass
