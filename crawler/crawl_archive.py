"""The crawl's link to the archive: one database and one ``crawl_runs`` row per crawl.

Whatever in the crawl reads or writes the archive (the middlewares, crawler/drops.py,
crawler/blocking.py, the report pipeline, crawler/progress.py, crawler/extensions.py) shares
one ``CrawlArchive`` (one SQLite connection, used from the reactor thread only), found
through ``crawl_archive(crawler)``; crawler/extensions.py closes it as the crawl ends.

Resume after a crash: opening the archive takes its lock file; runs left ``running``
by a killed crawl are marked ``interrupted``, the new run ``resumes`` the last one,
and report snapshots the killed run stored but never parsed are parsed first.
Redoing the rest is cheap: report pages are asked for conditionally and unchanged
bodies are not stored or parsed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from archive.reparse import parse_pending
from archive.run_lock import lock_archive
from archive.runs import logical_run_ids, mark_interrupted_runs, start_run
from archive import DATABASE_NAME
from archive.schema import open_database

logger = logging.getLogger(__name__)

@dataclass
class CrawlArchive:
    db: sqlite_utils.Database
    run_id: int
    path: Path
    lock: object | None = None  # the open lock file, held until the run closes

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.close()


def crawl_archive(crawler) -> CrawlArchive:
    """The archive of this crawl, opened (and its run started) on first use."""
    archive = getattr(crawler, "nianbao_archive", None)
    if archive is None:
        data_dir = Path(crawler.settings.get("NIANBAO_DATA_DIR"))
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DATABASE_NAME
        db = open_database(path)
        lock = lock_archive(path)
        resumes = None
        if lock is not None:
            resumes = mark_interrupted_runs(db, crawler.spidercls.name)
        else:
            logger.warning("Another crawl holds %s.lock; not resuming its runs", path)
        run_id = start_run(db, crawler.spidercls.name, resumes=resumes)
        archive = crawler.nianbao_archive = CrawlArchive(db=db, run_id=run_id, path=path, lock=lock)
        logger.info("Archiving into %s (run %d)", path, run_id)
        if resumes is not None:
            earlier = logical_run_ids(db, run_id)[1:]
            outcomes = parse_pending(db, earlier, run_id=run_id)
            crawler.stats.set_value("nianbao/resumed_run", resumes)
            crawler.stats.set_value("nianbao/reports_parsed_on_resume", len(outcomes))
            logger.info("Resuming run %d: parsed %d report(s) it had stored", resumes, len(outcomes))
    return archive
