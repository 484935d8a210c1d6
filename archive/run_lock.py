"""The archive's lock: one writer at a time, crawl or reparse.

The lock is an ``flock`` on DB_PATH.lock, which the OS releases however its holder
ends, so a killed crawl can never leave the archive locked. ``nianbao reparse`` holds
the same lock (archive/reparse.py): a crawl and a reparse never write the archive at once.
``hold_archive`` (taken by ``crawler.run.run_crawl`` before anything else) also writes the
holder's pid into the file and empties it on a clean exit: a second crawl can say who is
running, and a crawl that finds the file free but not empty knows it clears a stale lock
of a killed run. Holding the lock is what lets a crawl mark the runs left ``running``
interrupted (archive/runs.py): no other crawl is alive.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .timestamps import utc_now

try:
    import fcntl
except ImportError:  # not POSIX: no lock, interrupted runs stay `running`
    fcntl = None


def lock_path(db_path) -> Path:
    return Path(str(db_path) + ".lock")


# Locks taken by ``hold_archive`` in this process, by lock path: the crawl's own pieces
# (crawler/crawl_archive.py) share them through ``lock_archive`` instead of finding the
# archive locked; a second ``hold_archive`` here is refused, as another process's would be.
_held: dict[str, object] = {}


def lock_archive(db_path) -> object | None:
    """Hold DB_PATH.lock for this process's lifetime (the OS releases it however the
    process ends); None when another live crawl holds it."""
    if fcntl is None:
        return None
    held = _held.get(str(lock_path(db_path)))
    if held is not None and not held.closed:
        # A duplicate descriptor shares the flock: closing it leaves the lock held.
        return os.fdopen(os.dup(held.fileno()), "a+")
    handle = open(lock_path(db_path), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class ArchiveLocked(RuntimeError):
    """Another live crawl (or reparse) holds the archive's lock; ``holder`` is what it wrote there."""

    def __init__(self, db_path, holder: dict | None):
        self.holder = holder or {}
        who = f"pid {self.holder['pid']}, started {self.holder.get('started', '?')}" if "pid" in self.holder else "pid unknown"
        command = self.holder.get("command", "crawl")
        what = "another crawl" if command == "crawl" else f"a {command}"
        super().__init__(f"{what} is running on {db_path} ({who}); not starting")


def _read_holder(handle) -> dict | None:
    handle.seek(0)
    text = handle.read().strip()
    if not text:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {"unreadable": text[:200]}
    return holder if isinstance(holder, dict) else {"unreadable": text[:200]}


class ArchiveHold:
    """This process's crawl holds the archive (see ``hold_archive``)."""

    def __init__(self, db_path, handle, stale: dict | None):
        self.path = lock_path(db_path)
        self.handle = handle
        self.stale = stale  # what a killed crawl left in the lock file, if one did

    def release(self) -> None:
        if self.handle is None or self.handle.closed:
            return
        _held.pop(str(self.path), None)
        self.handle.truncate(0)  # a clean exit: nothing stale left behind
        self.handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def hold_archive(db_path, command: str = "crawl") -> ArchiveHold:
    """Take the archive's lock for this process's crawl (or ``command``: a ``nianbao
    reparse`` holds it too, so that the two never write the archive at once), or raise
    ``ArchiveLocked``: also when a command of this process holds it already (two commands
    writing the archive at once, whatever process they run in; the crawl's own pieces share
    its hold through ``lock_archive`` instead)."""
    if fcntl is None:
        return ArchiveHold(db_path, None, None)
    held = _held.get(str(lock_path(db_path)))
    if held is not None and not held.closed:
        raise ArchiveLocked(db_path, _read_holder(held))
    handle = lock_archive(db_path)
    if handle is None:
        with open(lock_path(db_path), "a+") as other:
            raise ArchiveLocked(db_path, _read_holder(other))
    stale = _read_holder(handle)
    if stale is not None and stale.get("command", "crawl") != command:
        stale = None  # a killed reparse's, say: no run of this command to resume
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "started": utc_now(), "command": command}) + "\n")
    handle.flush()
    _held[str(lock_path(db_path))] = handle
    return ArchiveHold(db_path, handle, stale)
