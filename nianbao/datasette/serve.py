"""Start Datasette on ``nianbao.db`` with nianbao's metadata and plugin.

Datasette 0.65 loads plugins from setuptools entry points or ``--plugins-dir``; nianbao's
plugin is a module of this package, so it is registered with Datasette's plugin manager
here, in the process that then runs Datasette's own ``serve`` command.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

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


def serve(path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette until interrupted (it exits the process when it stops). Call
    ``prepare_database`` first."""
    from datasette.cli import cli as datasette_cli

    register_plugin()
    datasette_cli.main(args=datasette_arguments(path, host, port), prog_name="datasette")
