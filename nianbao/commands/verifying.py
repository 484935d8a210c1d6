"""``verify`` the archive, and recompute what it finds out of step with the cells:
``rebuild-wide-tables``, ``rebuild-cross-checks``."""

from __future__ import annotations

import shlex
import sqlite3
import sys
import time
from pathlib import Path

import click

from .common import archive_option, data_option, database_path, open_archive, this_command


# Problems of a body or dictionary that a merge repairs from an input's intact copy (archive/merge_repair.py).
DAMAGED_BODY = {"corrupt-body", "digest-mismatch", "missing-base", "delta-chain", "corrupt-dictionary"}


@click.command()
@data_option
@archive_option
def verify(data_dir, archive_db):
    """Check the archive without changing it: every body's digest, every reference,
    SQLite's integrity check of nianbao.db and of the raw store file, and that what is
    derived from the cells (the wide tables, the cross-year checks R6/R7) agrees with them.

    An archive at an older schema is not brought up to date: what that would make again
    from the cells (R6/R7 before schema 7) is left unchecked, and a line says so.

    Exit status 0 when clean, 1 when there are problems (each is listed).

    \b
    Example:
        nianbao verify --data ./data
        nianbao verify --data ./data --archive-db /big/disk/raw.db
    """
    from archive.raw_store import RawStoreError
    from archive.verify import payload_count, verify as run_verify

    path = database_path(data_dir)
    try:
        total = payload_count(path, archive_db)
        with click.progressbar(length=total, label="Verifying bodies", file=sys.stderr) as bar:
            result = run_verify(path, archive_db, progress=bar.update)
    except (RawStoreError, FileNotFoundError, sqlite3.DatabaseError) as exc:
        raise click.ClickException(f"cannot verify {path}: {exc}") from None
    counts = result.counts
    click.echo(f"Checked {counts['payloads']} bodies ({counts['bytes'] / 1e6:.1f} MB), "
               f"{counts['snapshots']} snapshots, {counts['references']} kinds of reference, "
               f"{counts['dictionaries']} dictionaries, integrity of {counts['files']} file(s), "
               f"{_checked_against_cells(counts, 'wide_tables', 'wide tables')} and "
               f"{_checked_against_cells(counts, 'cross_checks', 'R6/R7 checks')} against the cells")
    note = _schema_note(path, result, data_dir, archive_db)
    if note:
        click.echo(note)
    for problem in result.problems:
        click.echo(str(problem))
    for kind, more in sorted(result.not_listed.items()):
        click.echo(f"{kind}: {more} more not listed")
    if not result.ok:
        click.echo(f"{result.problem_count()} problem(s)")
        if any(problem.kind == "wide-table-mismatch" for problem in result.problems):
            click.echo("The wide tables are derived from the cells: `nianbao rebuild-wide-tables` recomputes them.")
        if any(problem.kind == "cross-check-mismatch" for problem in result.problems):
            click.echo("R6/R7 are derived from the cells: `nianbao rebuild-cross-checks` recomputes them.")
        if any(problem.kind in DAMAGED_BODY for problem in result.problems):
            output = shlex.quote(str(path)) + (f" --archive-db {shlex.quote(str(archive_db))}" if archive_db else "")
            click.echo("A damaged body or dictionary is repaired from a backup, or another archive that holds it "
                       f"intact: `{this_command()} merge {output} BACKUP/nianbao.db`.")
        sys.exit(1)
    click.echo("No problems found.")


def _checked_against_cells(counts, key: str, what: str) -> str:
    """'12 wide tables'; 'no wide tables' where verify did not compare them (an older schema,
    or tables it lacks): not '0', which would read as compared and empty."""
    return f"{counts[key]} {what}" if key in counts else f"no {what}"


def _schema_note(path: Path, result, data_dir: str, archive_db: str | None) -> str | None:
    """What verify left unchecked in an archive at another schema than this nianbao's, and
    what to do about it; None at this nianbao's schema."""
    from archive.schema import SCHEMA_VERSION

    if result.schema > SCHEMA_VERSION:
        return (f"{path} is at schema {result.schema}, newer than this nianbao's ({SCHEMA_VERSION}): "
                "a newer nianbao checks what this one does not know of.")
    if not result.not_checked:
        return None
    at = f"is at schema {result.schema}" if result.schema else "has no schema version (made before schema 2)"
    upgrade = f"{this_command()} rebuild-cross-checks --data {shlex.quote(str(data_dir))}" + (
        f" --archive-db {shlex.quote(str(archive_db))}" if archive_db else "")
    return (f"{path} {at}; this nianbao's is {SCHEMA_VERSION}. Not checked: {' and '.join(result.not_checked)}, "
            "which bringing it up to date makes again from the cells.\n"
            f"Bring it up to date with `{upgrade}` (or any command that writes to it: crawl, reparse, "
            "serve), then verify again.")


@click.command("rebuild-wide-tables")
@data_option
@archive_option
def rebuild_wide_tables(data_dir, archive_db):
    """Recompute the wide tables (applications, reviews_litigation, active_disclosure) from
    the cells and corrections, in one transaction: after `nianbao verify` reports a
    wide-table-mismatch. Nothing else changes.

    \b
    Example:
        nianbao rebuild-wide-tables --data ./data
    """
    from archive import wide_tables

    db = open_archive(data_dir, archive_db)
    started = time.perf_counter()

    def filled(table: str, rows: int) -> None:
        click.echo(f"{table}: {rows} rows ({time.perf_counter() - started:.1f}s)")

    click.echo("Rebuilding in one transaction (nothing changes until the last table is filled) ...", err=True)
    wide_tables.rebuild(db, progress=filled)


@click.command("rebuild-cross-checks")
@data_option
@archive_option
def rebuild_cross_checks(data_dir, archive_db):
    """Recompute the cross-year checks R6 and R7 (in checks) of every logical report from
    the cells and corrections, in one transaction: after `nianbao verify` reports a
    cross-check-mismatch. Nothing else changes (but an archive at an older schema is first
    brought up to date, as by any command that writes to it).

    \b
    Example:
        nianbao rebuild-cross-checks --data ./data
    """
    from archive.cross_checks import run_cross_checks

    db = open_archive(data_dir, archive_db)
    started = time.perf_counter()
    click.echo("Recomputing in one transaction (nothing changes until every check is made) ...", err=True)
    written = run_cross_checks(db)
    click.echo(f"R6/R7: {written} checks ({time.perf_counter() - started:.1f}s)")
