"""The ``nianbao`` command group. Each command (nianbao/commands/, one module per concept)
is a thin shell over a library function; library errors become ``click.ClickException``,
those any command can meet here in the group, so users see ``Error: …``, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sqlite3
import sys

import click

from . import __version__
from .commands import corrections, crawling, exporting, parsing, serving, sites, verifying
from .stop_signals import exit_stopped


class Nianbao(click.Group):
    """The command group: library errors any command can meet become ``Error: …`` here,
    once, instead of in every command."""

    def parse_args(self, ctx, args):
        ctx.meta["nianbao.command"] = args[0] if args else None  # for Ctrl-C before click resolves it
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            from archive.raw_store import RawStoreError
            from archive.schema import NOT_OPENED
        except KeyboardInterrupt as interrupt:
            exit_stopped(ctx.meta["nianbao.command"], interrupt)

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP in a command that does not say more itself
            exit_stopped(ctx.meta["nianbao.command"], interrupt)
        except RawStoreError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", None) not in NOT_OPENED:
                raise
            database = ctx.meta.get("nianbao.database")
            message = f"{database}: {exc}" if database else str(exc)
            if exc.sqlite_errorname == "SQLITE_CORRUPT":  # in nianbao.db or in the raw store it attaches
                message += " (in it or in its raw store: `nianbao verify` checks both)"
            raise click.ClickException(message) from None
        except BrokenPipeError:
            if not _stdout_is_broken():  # a socket or another pipe: not the reader gone
                raise
            # Standard output's reader stopped early (`| head`): end quietly, with the status
            # of a command killed by SIGPIPE, as Unix tools do (Python ignores the signal).
            with contextlib.suppress(OSError, ValueError):  # no flush of what is left at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(128 + signal.SIGPIPE)


def _stdout_is_broken() -> bool:
    """Whether standard output is a pipe or socket whose reader is gone (poll says POLLERR)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's runner)
        return False


@click.group(cls=Nianbao, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def cli():
    """Crawl, archive and parse China's government information-disclosure
    annual reports (政府信息公开工作年度报告).

    \b
    Start with:
        nianbao demo           crawl the bundled local demo portal into ./data
        nianbao serve          browse the result in Datasette
    """


# `nianbao --help` lists them by name.
for command in (crawling.demo, crawling.crawl, crawling.runs, crawling.merge,
                sites.discover, sites.check_sites,
                parsing.parse, parsing.reparse,
                exporting.export, exporting.export_warc, exporting.export_wacz,
                serving.serve, serving.portal,
                verifying.verify, verifying.rebuild_wide_tables, verifying.rebuild_cross_checks,
                corrections.correct):
    cli.add_command(command)


if __name__ == "__main__":
    cli()
