"""Parsing: ``parse`` one report file, ``reparse`` the archived report pages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import EXIT_CHECKS_FAILED, EXIT_CRAWL_FAILED, EXIT_LOCKED
from ..stop_signals import signal_of, stopped_status
from .common import archive_option, data_option, error_with_status, open_archive, progressbar, silent_option


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", help="The page's URL (resolves attachment links, helps metadata).")
@click.option("--cells", is_flag=True, help="Also list every cell with its kind and location.")
def parse(file, url, cells):
    """Parse a report FILE (an HTML page in any encoding, or text) and print JSON.

    \b
    Example:
        nianbao parse page.html --url http://example.gov.cn/zfxxgknb/t20240130_1.html
    """
    from parsers import ParseError, parse_report

    data = Path(file).read_bytes()
    try:
        report = parse_report(data, url=url)
    except ParseError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    except Exception as exc:  # a parser bug: still one line, no traceback
        raise click.ClickException(f"{file}: parser failed ({type(exc).__name__}: {exc})") from None
    click.echo(json.dumps(report.to_dict(include_cells=cells), ensure_ascii=False, indent=2))


@click.command()
@data_option
@archive_option
@click.option("-w", "--workers", type=click.IntRange(0), metavar="N",
              help="Processes that parse while this one writes; 0 parses in this process (a page that crashes "
                   "it then ends the run: the next run parses that page alone in a worker; 1 or more never "
                   "stop on one). Default: one fewer than the CPUs, at most 4; more than the CPUs (or 4) is refused.")
@click.option("--site", help="Only this site: a registry name, or a host (bare, with its port, or a URL of it).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Only report pages first fetched on or after this date (UTC).")
@click.option("--force", is_flag=True, help="Also pages already parsed by the current parser version.")
@silent_option
def reparse(data_dir, archive_db, workers, site, since, force, silent):
    """Re-run the current parsers over the archived report pages (no network).

    Each report version's rows are replaced in one transaction with a note of what
    changed (reparse_runs, reparse_changes). Pages already parsed by this parser version
    are skipped, so an interrupted reparse continues where it stopped when run again.

    A page that cannot be parsed keeps its earlier rows; its error is recorded
    (reparse_changes where outcome = 'error', and errors) and the rest is reparsed. A page
    that kills the process parsing it (a crash in a parser library, out of memory) is such
    an error too, WorkerDied, when parsed in a worker (-w 1 or more); parsed in this process
    (-w 0) it ends the run, and the next run parses that page alone in a worker.

    The exit status tells a scheduler how it went, as for crawl: 0 every page parsed
    (or nothing to do), 3 finished but some pages could not be parsed, 4 stopped before
    its end (workers dying on page after page, the archive kept locked by another
    program: run again to continue), 75 a crawl or another reparse holds DATA (nothing
    done), 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (run again to continue), 1 an error.

    \b
    Example:
        nianbao reparse --data ./data --workers 2
        nianbao reparse --site "demo portal" --since 2025-01-01 --force
    """
    from archive.reparse import Reparse, ReparseError, ReparseStopped
    from archive.reparse_pool import default_workers
    from archive.reparse_runs import format_summary

    db = open_archive(data_dir, archive_db)
    options = dict(workers=default_workers() if workers is None else workers, site=site, force=force,
                   since=since.isoformat() if since else None)
    try:
        with Reparse(db, **options) as job:
            with progressbar(job.todo, "Reparsing", silent) as update:
                try:
                    summary = job.run(progress=update)
                except (KeyboardInterrupt, ReparseStopped) as exc:  # Ctrl-C, SIGTERM, SIGHUP; or stopped
                    click.echo("", err=True)
                    click.echo(format_summary(job.summary()))
                    if isinstance(exc, KeyboardInterrupt):
                        sys.exit(stopped_status(signal_of(exc)))
                    raise
    except ReparseError as exc:
        raise _reparse_error(exc) from None
    click.echo(format_summary(summary))
    if summary.outcomes.get("error"):
        sys.exit(EXIT_CHECKS_FAILED)


def _reparse_error(exc) -> click.ClickException:
    """The ``Error:`` line of a reparse that did not start or did not end, with its exit status."""
    from archive.reparse import ReparseLocked, ReparseStopped

    if isinstance(exc, ReparseLocked):
        return error_with_status(str(exc), EXIT_LOCKED)
    if isinstance(exc, ReparseStopped):
        return error_with_status(str(exc), EXIT_CRAWL_FAILED)
    return click.ClickException(str(exc))
