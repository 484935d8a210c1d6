"""Servers that run until stopped (exit status 0: being stopped is their end): ``serve``
(Datasette on the archive) and ``portal`` (the bundled demo portal)."""

from __future__ import annotations

import click

from .common import archive_option, data_option, database_path


@click.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@archive_option
def serve(data_dir, host, port, archive_db):
    """Browse DATA/nianbao.db in Datasette: described tables, facets, research queries,
    charts (/-/charts) and every report's raw page as captured (/-/raw/ID, scripts off).

    The schema is brought up to date first (archive/schema.py migrates an older database).
    Ctrl-C (or SIGTERM, SIGHUP) stops it, with exit status 0, and leaves DATA as it found it
    (no nianbao.db-wal, -shm).

    \b
    Example:
        nianbao serve --data ./data --port 8001
    """
    from nianbao.datasette.serve import prepare_database
    from nianbao.datasette.serve import serve as run_datasette

    path = database_path(data_dir)
    prepare_database(path, archive_db)  # a database or raw store that cannot be opened stops here
    click.echo(f"Datasette on http://{host}:{port}/{path.stem}  (charts: /-/charts; Ctrl-C to stop)")
    try:
        run_datasette(path, host=host, port=port)
    except KeyboardInterrupt:
        pass


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8000, show_default=True, type=int)
def portal(host, port):
    """Serve the bundled demo portal until Ctrl-C (to crawl or browse it by hand).

    \b
    Example:
        nianbao portal --port 8000
    """
    from portal import serve_forever

    try:
        serve_forever(host, port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
