"""Start Datasette on ``nianbao.db`` with nianbao's metadata and plugin.

Datasette 0.65 loads plugins from setuptools entry points or ``--plugins-dir``; nianbao's
plugin is a module of this package, so it is registered with Datasette's plugin manager
here, in the process that then runs Datasette's own ``serve`` command.

Datasette reads through ``mode=ro`` connections, which make ``nianbao.db-wal`` and ``-shm``
beside a WAL database and cannot remove them, and it leaves them open when it stops. So
``serve`` closes them once the server has stopped (Ctrl-C, SIGTERM, SIGHUP), then a connection that
may write, opened as ``nianbao verify`` opens one (``archive.read_only.connect_read_only``) before
Datasette opened any: closed last, it removes both, and the folder is left as it was found.

Datasette also opens its databases as URIs it writes without escaping (``file:{path}?mode=ro``):
a path holding ``?``, ``#`` or ``%`` named another file, an empty one Datasette made, and the
server answered "Table not found". Such a path is handed over as a symlink in a private
folder (``uri_safe``); SQLite follows it, so -wal and -shm are still made beside the real file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
import tempfile
from pathlib import Path

from archive import DATABASE_NAME
from archive.read_only import connect_read_only

METADATA_PATH = Path(__file__).resolve().parent.parent / "datasette_metadata.yaml"
# Research queries over a whole archive (canned queries, facets on views) take longer
# than Datasette's default 1 s. Suggested facets are off: Datasette tries each column of a
# table for them on every page, ~30 ms a column on a wide table of 100,000 rows (10,000
# reports) — most of a page's time. The metadata's facets stay, and ?_facet= adds any.
SETTINGS = {"sql_time_limit_ms": "10000", "facet_time_limit_ms": "1000", "suggest_facets": "off"}


def prepare_database(path, archive_db=None) -> None:
    """Bring the schema up to date (archive/schema.py: tables, wide tables, views). A
    database that cannot be written (a published copy on read-only storage) is served as
    it is; one that cannot be opened raises (raw_store.RawStoreError, sqlite3.DatabaseError)."""
    from archive.schema import open_database

    try:
        open_database(path, archive=archive_db).close()
    except sqlite3.OperationalError as exc:
        print(f"nianbao: serving {path} as it is (cannot update its schema: {exc})", file=sys.stderr)


def register_plugin() -> None:
    from datasette.plugins import pm

    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="nianbao")


def datasette_arguments(path, host: str, port: int) -> list[str]:
    args = ["serve", str(path), "--metadata", str(METADATA_PATH), "--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


@contextlib.contextmanager
def uri_safe(path):
    """``path``, or a symlink to it whose path a URI can hold unescaped, while the block runs."""
    path = Path(path).resolve()
    if not set("?#%") & set(str(path)):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="nianbao-serve-") as folder:
        link = Path(folder) / DATABASE_NAME  # the name Datasette calls the database by, as in DATA
        link.symlink_to(path)
        yield link


def serve(path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette until interrupted (it exits the process when it stops). Call
    ``prepare_database`` first.

    uvicorn stops the server on SIGINT and SIGTERM, then sends the signal again to the
    handler it found, which raises KeyboardInterrupt (nianbao/stop_signals.py: SIGTERM too),
    and uvicorn.run ends on that: the cleaning up below runs either way. SIGHUP (the terminal
    gone) it does not handle: raised in its event loop, it left the server stopping half-way
    (a lifespan traceback, at times no end), so it is sent on as SIGTERM."""
    from datasette.cli import cli as datasette_cli

    from . import plugin

    register_plugin()
    # Opened before Datasette's: where nothing is beside the file, one that may write (and,
    # closed last, removes the -wal and -shm a read made); else read-only, leaving them be.
    closed_last = connect_read_only(path)
    hang_up = signal.getsignal(signal.SIGHUP)
    if hang_up is not signal.SIG_IGN:  # nohup's stays ignored
        signal.signal(signal.SIGHUP, _as_sigterm)
    try:
        closed_last.execute("select count(*) from sqlite_master")  # opens the WAL it will remove
        with uri_safe(path) as served:
            datasette_cli.main(args=datasette_arguments(served, host, port), prog_name="datasette")
    finally:
        plugin.close_connections()
        closed_last.close()
        signal.signal(signal.SIGHUP, hang_up)


def _as_sigterm(signum, frame):
    os.kill(os.getpid(), signal.SIGTERM)
