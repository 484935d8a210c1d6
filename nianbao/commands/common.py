"""What every command shares: the options (``--data``, ``--archive-db``, ``-s NAME=VALUE``,
``-s/--silent``), the archive they open, files they write (``OutputPath``), the progress bar,
``Error:`` lines with an exit status of their own (a crawl stopped before it started: 4), how
to name ``nianbao`` in what is printed, and the site registries shipped with nianbao (``--sites demo``).

The errors any command can meet become ``Error: …`` once, in the group (nianbao/cli.py).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import click

from archive import DATABASE_NAME

from .. import EXIT_CRAWL_FAILED, NOTHING_RECORDED


def _remember_database(ctx, param, data_dir):
    """Note DATA/nianbao.db for the error the group gives when it is no database."""
    ctx.meta["nianbao.database"] = Path(data_dir) / DATABASE_NAME
    return data_dir


data_option = click.option(
    "--data",
    "data_dir",
    default="data",
    show_default=True,
    envvar="NIANBAO_DATA_DIR",
    show_envvar=True,
    type=click.Path(file_okay=False),
    callback=_remember_database,
    help="Directory holding nianbao.db (the archive and the normalized tables).",
)


def _settings_given(ctx, param, values) -> dict:
    """``-s NAME=VALUE`` (repeatable) as a dict; the crawl refuses names it does not know."""
    settings = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{value!r}: give NAME=VALUE, e.g. -s DOWNLOAD_DELAY=2", ctx, param)
        settings[name.strip()] = setting
    return settings


set_option = click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_settings_given,
    help="Set a crawler setting, as Scrapy's -s (repeatable): any in crawler/settings.py or Scrapy's own, "
    "e.g. -s DOWNLOAD_DELAY=2. Wins over the environment (NIANBAO_* variables) and the profile; "
    "this command's own options win over it.",
)


# The site registries nianbao ships (package data, so an installed nianbao has them too), named
# without their folder and .yaml: `nianbao crawl --sites demo`, `nianbao check-sites cn-unverified`.
BUNDLED_SITES = Path(__file__).resolve().parents[1] / "sites"


def bundled_registry_names() -> list[str]:
    return sorted(path.stem for path in BUNDLED_SITES.glob("*.yaml"))


def registry_files(names: tuple[str, ...]) -> list[str]:
    """``--sites`` and ``check-sites`` FILES: each a registry file, or, when no such file is
    there, the name of a shipped registry (``demo``), read from nianbao/sites/."""
    bundled = set(bundled_registry_names())
    return [str(BUNDLED_SITES / f"{name}.yaml") if name in bundled and not Path(name).exists() else name
            for name in names]


def database_path(data_dir: str, must_exist: bool = True) -> Path:
    path = Path(data_dir) / DATABASE_NAME
    if must_exist and not path.exists():
        raise click.ClickException(f"no database at {path}; run `nianbao demo` or `nianbao crawl` first")
    return path


class OutputPath(click.Path):
    """A file to write, refused before any work when its directory is missing or read-only
    (``-`` passes when ``allow_dash``). ``make_directory``: a missing directory is made
    instead, as ``crawl`` makes DATA (a database the command creates: ``merge``)."""

    def __init__(self, make_directory: bool = False, **kwargs):
        super().__init__(dir_okay=False, writable=True, **kwargs)
        self.make_directory = make_directory

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        directory = Path(value).parent
        if value == "-" and self.allow_dash:
            return value
        if self.make_directory and not directory.exists():
            try:
                directory.mkdir(parents=True)
            except OSError as exc:
                self.fail(f"cannot make directory {str(directory)!r}: {exc.strerror}.", param, ctx)
        if not directory.is_dir():
            self.fail(f"cannot write {str(value)!r}: directory {str(directory)!r} does not exist.", param, ctx)
        if not os.access(directory, os.W_OK):
            self.fail(f"cannot write {str(value)!r}: directory {str(directory)!r} is not writable.", param, ctx)
        return value


archive_option = click.option(
    "--archive-db",
    "archive_db",
    type=click.Path(dir_okay=False),
    help="A second SQLite file for the raw bodies (payloads), attached to nianbao.db so that it "
    "stays small enough to publish. nianbao.db remembers it: later commands need it only if it moved.",
)


def open_archive(data_dir: str, archive_db: str | None, must_exist: bool = True):
    """nianbao.db with its raw store attached (archive/raw_store.py); its errors are one
    line (the ``Nianbao`` group)."""
    from archive.schema import open_database

    path = database_path(data_dir, must_exist)
    path.parent.mkdir(parents=True, exist_ok=True)
    return open_database(path, archive=archive_db)


silent_option = click.option("-s", "--silent", is_flag=True, help="No progress bar.")


def error_with_status(message: str, exit_code: int) -> click.ClickException:
    """``Error: message``, ending the command with ``exit_code`` (a status of nianbao/__init__.py's
    scheme, or a signal's) instead of click's 1."""
    error = click.ClickException(message)
    error.exit_code = exit_code
    return error


def interrupted_before_the_crawl(message: str = NOTHING_RECORDED) -> click.ClickException:
    return error_with_status(message, EXIT_CRAWL_FAILED)


def this_command() -> str:
    """``nianbao`` as the user can run it again: by that name when it is on PATH and is this
    one, else as this one was started (``.venv/bin/nianbao``, ``/path/to/python -m nianbao``)."""
    on_path = shutil.which("nianbao")
    started = sys.argv[0]
    if Path(started).name == "__main__.py":  # python -m nianbao
        if on_path and Path(on_path).parent == Path(sys.executable).parent:  # the same environment
            return "nianbao"
        return f"{shlex.quote(sys.executable)} -m nianbao"
    with contextlib.suppress(OSError):  # either may be missing (a stale PATH entry)
        if on_path and os.path.samefile(on_path, started):
            return "nianbao"
    return shlex.quote(started)


@contextlib.contextmanager
def progressbar(length: int, label: str, silent: bool):
    """A progress bar with rate and ETA on stderr; ``update(n)`` advances it."""
    if silent:
        yield lambda n: None
        return
    started = time.monotonic()
    done = 0

    def rate(_item):
        seconds = time.monotonic() - started
        return f"{done / seconds:.1f} pages/s" if done and seconds else ""

    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True,
                           item_show_func=rate) as bar:
        def update(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n, done)

        yield update
