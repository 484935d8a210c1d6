"""The ``nianbao`` command. Each subcommand is a thin shell over a library function;
library errors become ``click.ClickException`` here, so users see ``Error: …``, never
a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import click

from . import CRAWL_COMMANDS, EXIT_CHECKS_FAILED, EXIT_CRAWL_FAILED, EXIT_LOCKED, NOTHING_RECORDED, __version__
from .stop_signals import aborted, ignore_stop_signals, signal_of, stopped_status

DATABASE_NAME = "nianbao.db"


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
            _interrupted(ctx.meta["nianbao.command"], interrupt)

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP in a command that does not say more itself
            _interrupted(ctx.meta["nianbao.command"], interrupt)
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


def _interrupted(command: str | None, interrupt: KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP (stop_signals.py): one line, as __main__.py says it while the
    command line loads. crawl and demo exit 4, as when stopped before their crawl started; the
    others say click's word, with the status a shell gives a command the signal ended (click's
    own is 1)."""
    if command in CRAWL_COMMANDS:
        raise _interrupted_before_the_crawl()
    click.echo(aborted(interrupt), err=True)
    sys.exit(stopped_status(signal_of(interrupt)))


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


def _interrupted_before_the_crawl(message: str = NOTHING_RECORDED):
    error = click.ClickException(message)
    error.exit_code = EXIT_CRAWL_FAILED
    return error


@cli.command()
@data_option
@click.option("--profile", default="demo", show_default=True, help="Crawler settings profile.")
@archive_option
def demo(data_dir, profile, archive_db):
    """Start the bundled demo portal on 127.0.0.1, crawl it, and summarise.

    The portal imitates a TRS WCM government site whose 政府信息公开年报 column lists
    five real reports among other documents. Everything is written under DATA. Run it
    again on the same DATA and the portal serves on the same port, so the crawl does
    what a nightly run does: unchanged pages answer 304 and nothing is archived twice.

    \b
    Example:
        nianbao demo --data ./data
    """
    from portal.demo_port import remember_port, start_on_remembered_port

    portal, note = start_on_remembered_port(data_dir)  # the last demo's port: this crawl is its next night
    with portal:
        if note:
            click.echo(f"Note: {note}", err=True)
        click.echo(f"Demo portal serving at {portal.start_url}")
        click.echo("Crawling (robots.txt, listing pages, reports) ...")
        status = _crawl_and_summarise([{"name": "demo portal", "start_urls": [portal.start_url]}], data_dir,
                                      profile=profile, archive_db=archive_db)
        remember_port(data_dir, portal)
    if status != EXIT_CRAWL_FAILED:
        nianbao, data = _this_command(), shlex.quote(str(data_dir))
        click.echo("")
        click.echo(f"Database: {database_path(data_dir)}")
        click.echo(f"Browse it:  {nianbao} serve --data {data}   (Datasette on http://127.0.0.1:8001/)")
        click.echo(f"Export it:  {nianbao} export-warc --data {data}")
    sys.exit(status)


def _this_command() -> str:
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


def _crawl_and_summarise(sites: list[dict], data_dir: str, **options) -> int:
    """Run the crawl of ``crawl`` and ``demo``, print the run's summary and end-of-run checks,
    and return the exit status they give (crawler/monitoring.py): 4 for a run interrupted by
    Ctrl-C, SIGTERM or SIGHUP, with a line saying so. A crawl that cannot run is one ``Error:`` line:
    exit 75 when another crawl holds DATA, 4 when interrupted before it opened its run."""
    from archive.run_lock import ArchiveLocked
    from archive.runs import format_summary, run_counts
    from archive.schema import open_database
    from crawler.interrupts import CutShort, Interrupted
    from crawler.monitoring import exit_status
    from crawler.run import run_crawl

    try:
        run_id = run_crawl(sites, data_dir, **options)
    except ArchiveLocked as exc:
        error = click.ClickException(str(exc))
        error.exit_code = EXIT_LOCKED
        raise error from None
    except Interrupted as exc:
        raise _interrupted_before_the_crawl(str(exc)) from None
    except CutShort as exc:
        raise _interrupted_before_the_crawl(
            f"{exc.signal_name} after run {exc.run_id} ended: its run checks and notifications were cut short "
            f"(`nianbao runs {exc.run_id}` shows the run)") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    ignore_stop_signals()  # the crawl has ended: what is left is printing it
    db = open_database(database_path(data_dir))
    run = db["crawl_runs"].get(run_id)
    click.echo(run["summary"] or format_summary(run_counts(db, run_id)))
    if run["status"] == "interrupted":
        click.echo(f"Interrupted: run {run_id} stopped before its end; run the same command again to resume it.",
                   err=True)
    return exit_status(run)


@cli.command()
@click.option("--sites", "sites_files", multiple=True, type=click.Path(dir_okay=False),
              help="A YAML site registry (see sites/README.md); repeatable, the files are one registry. "
                   "A bad entry is not crawled and fails the run's checks; the others are crawled.")
@click.option("--start-url", "start_urls", multiple=True, help="A report column URL (repeatable).")
@data_option
@click.option("--profile", default="polite", show_default=True, help="Crawler settings profile: polite, demo or test.")
@click.option("--notify-command", metavar="CMD", help="Shell command run at the end with the summary on stdin.")
@click.option("--notify-url", metavar="URL", help="URL the run's summary and checks are POSTed to as JSON.")
@click.option("--notify-on", type=click.Choice(["always", "failure"]),
              help="Call the hooks after every run, or only when it fails.  [default: always]")
@click.option("--redis", "redis_url", metavar="URL", envvar="NIANBAO_REDIS_URL", show_envvar=True,
              help="Share one request queue and duplicate filter with other crawler processes "
                   "through Redis (redis://HOST:6379/0); each process keeps its own DATA. From the "
                   "environment, a password in it stays out of the process list.")
@click.option("--seed", is_flag=True, help="With --redis: start a new shared crawl (clear the last one's "
              "queue, enqueue the start URLs). One process seeds; the others join.")
@click.option("--idle", "idle_close", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="With --redis: stop once the shared queue has given this process nothing for SECONDS.")
@click.option("--parse-workers", type=click.IntRange(0), metavar="N",
              help="Processes that parse report pages while the crawl fetches (0: parse in the crawling "
                   "process). Default: one fewer than the CPUs, 1 to 4.")
@click.option("--recheck-after", type=click.FloatRange(0), metavar="DAYS",
              help="Do not ask again for a report page or attachment whose server was asked less than "
                   "DAYS ago: use the archived answer (listed in not_asked). Default 0: ask every run.")
@archive_option
@set_option
def crawl(sites_files, start_urls, data_dir, profile, notify_command, notify_url, notify_on, redis_url, seed,
          idle_close, parse_workers, recheck_after, archive_db, settings):
    """Crawl the report columns of a site registry (or given URLs) into DATA/nianbao.db.

    One crawl at a time per archive. At the end the run is checked (crawler/monitoring.py)
    and the exit status tells a scheduler how it went: 0 ok, 3 checks failed, 4 the crawl
    stopped early (Ctrl-C, SIGTERM, SIGHUP: the next crawl resumes it), 75 another crawl is running
    on DATA (nothing done), 1 an error.

    Settings (crawler/settings.py lists them) come from this command's options, then
    -s NAME=VALUE, then environment variables of the same name (NIANBAO_* settings only),
    then the profile.

    \b
    Example:
        nianbao crawl --sites sites/demo.yaml --data ./data
        nianbao crawl --sites sites/cn-unverified.yaml --sites sites/mine.yaml
        nianbao crawl --start-url http://127.0.0.1:8000/zwgk/zfxxgknb/index.html
        nianbao crawl --sites sites.yaml --notify-command 'mail -s nianbao ops@example.org'
        nianbao crawl --sites sites.yaml --recheck-after 7   # each report asked about weekly
        nianbao crawl --sites sites.yaml -s DOWNLOAD_DELAY=3 -s CONCURRENT_REQUESTS_PER_DOMAIN=1
        NIANBAO_MONITOR_MAX_ERROR_RATE=0.2 nianbao crawl --sites sites.yaml
        nianbao crawl --sites sites.yaml --redis redis://10.0.0.5:6379/0 --seed --data ./part1
    """
    from crawler.distributed import SharedQueue
    from crawler.registry import http_url, read_registries

    if not sites_files and not start_urls:
        raise click.UsageError("give --sites FILE or at least one --start-url")
    if seed and not redis_url:
        raise click.UsageError("--seed starts a crawl shared through Redis: give --redis URL (or NIANBAO_REDIS_URL) too")
    shared_queue = SharedQueue(redis_url, seed=seed, idle_close=idle_close) if redis_url else None
    overrides = dict(settings)  # -s; the named options below win, as in Scrapy
    if notify_on:
        overrides["NIANBAO_NOTIFY_ON"] = notify_on
    if notify_command:
        overrides["NIANBAO_NOTIFY_COMMAND"] = notify_command
    if notify_url:
        overrides["NIANBAO_NOTIFY_URL"] = notify_url
    if parse_workers is not None:
        overrides["NIANBAO_PARSE_WORKERS"] = parse_workers
    if recheck_after is not None:
        overrides["NIANBAO_RECHECK_AFTER_DAYS"] = recheck_after
    registry = read_registries(sites_files)
    try:
        sites = registry.sites
        if start_urls:
            sites.append({"name": "command line", "start_urls": [http_url(u, "--start-url") for u in start_urls]})
        if not sites:  # every entry refused: nothing to crawl
            raise registry.error("`nianbao check-sites`")
    except ValueError as exc:  # a crawl that cannot start from what it was given: told to the hooks too
        from crawler.run import tell_without_a_crawl

        tell_without_a_crawl(data_dir, profile, overrides, exc)
        raise click.ClickException(str(exc)) from None
    for problem in registry.problems:  # the night goes on without them; the run's checks fail
        click.echo(f"Warning: not crawled: {problem}", err=True)
    sys.exit(_crawl_and_summarise(sites, data_dir, profile=profile, overrides=overrides,
                                  shared_queue=shared_queue, archive_db=archive_db, refused=registry.problems))


@cli.command("check-sites")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check_sites(files):
    """Check site registries (sites/*.yaml) without crawling anything.

    Every entry is checked as `nianbao crawl --sites` checks it: its keys and values, and
    names and start URLs unique across all the FILES. Prints one line per problem, naming
    the file, line, site and key; exits 1 when there is one.

    \b
    Example:
        nianbao check-sites sites/*.yaml
    """
    from crawler.registry import read_registries

    registry = read_registries(files)
    for problem in registry.problems:
        click.echo(problem)
    if registry.problems:
        raise click.ClickException(f"{len(registry.problems)} problem(s); {len(registry.sites)} site(s) fine")
    click.echo(f"{len(registry.sites)} site(s) fine")


@cli.command()
@click.argument("url")
@click.option("--out", "out_file", type=OutputPath(),
              help="Also add the entries to this registry file (made when missing; what it holds is kept). "
                   "Nothing is added when it would then hold a name or start URL twice.")
@data_option
@click.option("--profile", default="polite", show_default=True, help="Crawler settings profile: polite, demo or test.")
@archive_option
@set_option
def discover(url, out_file, data_dir, profile, archive_db, settings):
    """Find the report column(s) of the site at URL (its home or 政府信息公开 page)
    and print registry entries for `nianbao crawl --sites`.

    The walk is a small crawl, archived in DATA, with the crawl's settings (-s and the
    environment as for crawl). Check the entries before crawling them: the name is the
    site's own (its SiteName meta tag or title), and hosts, agency and region are left
    for you to add (sites/README.md).

    \b
    Example:
        nianbao discover http://127.0.0.1:8000/ --out sites/found.yaml
        nianbao discover http://127.0.0.1:8000/ -s NIANBAO_DISCOVER_MAX_PAGES=60
    """
    import yaml

    from archive.run_lock import ArchiveLocked
    from crawler.discover import run_discover
    from crawler.interrupts import Interrupted
    from crawler.registry import add_entries, text_to_add_to

    try:
        if out_file:
            text_to_add_to(out_file)  # a registry to add to, before any page is fetched
        entries = run_discover(url, data_dir, profile=profile, overrides=settings, archive_db=archive_db)
    except (Interrupted, ArchiveLocked) as exc:  # Ctrl-C: no entries, which would be taken for the site's
        error = click.ClickException(str(exc))
        error.exit_code = stopped_status(exc.signum) if isinstance(exc, Interrupted) else EXIT_LOCKED
        raise error from None
    except ValueError as exc:  # the --out registry (RegistryError), a setting it cannot take (SettingError),
        raise click.ClickException(str(exc)) from None  # a bad profile, a moved raw store (RawStoreError)
    if not entries:
        raise click.ClickException(f"no report column found from {url}")
    click.echo(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), nl=False)
    if out_file:
        try:
            add_entries(out_file, entries)
        except ValueError as exc:
            raise click.ClickException(f"{exc} (the entries are printed above)") from None


@cli.command()
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


@cli.command("export-warc")
@data_option
@click.option("-o", "--output", type=OutputPath(), help="Default: DATA/nianbao.warc.gz")
@archive_option
def export_warc(data_dir, output, archive_db):
    """Export every archived exchange as a gzip WARC 1.1 file, with a CDXJ index beside it
    (a FILE named .warc is written uncompressed).

    Repeated payloads and 304 answers become revisit records. The index (FILE.cdxj) is
    what pywb or ReplayWeb.page replay the WARC from.

    \b
    Example:
        nianbao export-warc --data ./data -o reports.warc.gz
    """
    from archive.warc import cdxj_path_for, write_cdxj
    from archive.warc import export_warc as write_warc
    from archive.whole_files import written_whole

    db = open_archive(data_dir, archive_db)
    output = Path(output or Path(data_dir) / "nianbao.warc.gz")
    index = cdxj_path_for(output)
    total = db.execute("select count(*) from snapshots").fetchone()[0]
    left_out: list = []
    # An export cut short leaves the previous WARC and index as they were, never a WARC cut
    # short, nor a WARC beside the index of another.
    with written_whole(output, index) as (warc_partial, index_partial):
        with open(warc_partial, "wb") as stream, \
                click.progressbar(length=total, label="Writing WARC", file=sys.stderr) as bar:
            count = write_warc(db, stream, filename=output.name, progress=bar.update, left_out=left_out)
        write_cdxj(warc_partial, index_partial, filename=output.name)
    click.echo(f"Wrote {count} exchanges ({2 * count + 1} records) to {output}, index {index}")
    if left_out:  # what was intact is written; the rest is said, and the command fails
        for _, _, why in left_out[:10]:
            click.echo(f"Left out: {why}", err=True)
        raise click.ClickException(f"{len(left_out)} snapshot(s) left out of {output}: their stored bodies are "
                                   "missing or damaged (`nianbao verify` lists the damage)")


@cli.command("export-wacz")
@data_option
@click.option("-o", "--output", type=OutputPath(), help="Default: DATA/nianbao.wacz")
@archive_option
def export_wacz(data_dir, output, archive_db):
    """Export the archive as a WACZ (WARC, index and pages.jsonl of the report pages).

    Open it in ReplayWeb.page, or add it to a pywb collection.

    \b
    Example:
        nianbao export-wacz --data ./data -o reports.wacz
    """
    from archive.wacz import WaczError
    from archive.wacz import export_wacz as write_wacz

    db = open_archive(data_dir, archive_db)
    output = Path(output or Path(data_dir) / "nianbao.wacz")
    total = db.execute("select count(*) from snapshots").fetchone()[0]
    with click.progressbar(length=total, label="Writing WARC", file=sys.stderr) as bar:
        try:
            counts = write_wacz(db, output, progress=bar.update)
        except WaczError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {counts['exchanges']} exchanges and {counts['pages']} report pages to {output}")


@cli.command()
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
@click.option("-s", "--silent", is_flag=True, help="No progress bar.")
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
            with _progressbar(job.todo, "Reparsing", silent) as update:
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

    error = click.ClickException(str(exc))
    if isinstance(exc, ReparseLocked):
        error.exit_code = EXIT_LOCKED
    elif isinstance(exc, ReparseStopped):
        error.exit_code = EXIT_CRAWL_FAILED
    return error


@contextlib.contextmanager
def _progressbar(length: int, label: str, silent: bool):
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


@cli.command()
@click.argument("output", type=OutputPath(make_directory=True))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@archive_option
@click.option("-s", "--silent", is_flag=True, help="No progress bar.")
def merge(output, inputs, archive_db, silent):
    """Merge the databases of several crawler processes (`nianbao crawl --redis`) into OUTPUT.

    Bodies are stored once per digest, snapshots once per (crawl run, URL, fetch time,
    digest), reports once per (URL, digest) with their versions renumbered, skipped once per
    URL with its latest skip (of the run that started last); cells, checks, errors and the
    rest come with their rows. Merging the same input again adds nothing.
    A progress bar counts the input rows read. Bodies are copied as stored, and where two
    inputs hold one digest the first copy is kept: run `nianbao verify` on each input first.

    \b
    Example:
        nianbao merge data/nianbao.db part1/nianbao.db part2/nianbao.db part3/nianbao.db
    """
    from archive.merge import check_paths, merge_databases, rows_to_read

    try:
        check_paths(output, inputs)
        total = 0 if silent else rows_to_read(inputs)
        with click.progressbar(length=total, label="Merging", file=sys.stderr, show_pos=True, hidden=silent) as bar:
            result = merge_databases(output, inputs, archive=archive_db, progress=bar.update)
    except (ValueError, FileNotFoundError) as exc:  # raw_store.RawStoreError too
        raise click.ClickException(str(exc)) from None
    click.echo(f"Merged {len(inputs)} database(s) into {output}: {result.total} rows added")
    for table, count in sorted(result.added.items()):
        if count:
            click.echo(f"  {table}: {count}")
    if result.left_out:
        click.echo(f"Not merged (OUTPUT has no such table): {', '.join(result.left_out)}", err=True)


@cli.command()
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


@cli.command()
@click.option("--table", "table", required=True, help="The table or view to export (e.g. applications, cells).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@data_option
@click.option("-o", "--output", type=OutputPath(allow_dash=True), help="Default: DATA/TABLE.csv or DATA/TABLE.parquet; '-' writes CSV to stdout.")
@click.option("--bom", is_flag=True, help="Begin the CSV with a UTF-8 byte-order mark (Excel then reads Chinese right).")
@click.option("--excel-safe", is_flag=True,
              help="Text beginning with = + - @ (a formula to a spreadsheet; portals' text can) gets a ' before it. "
                   "Off by default: the CSV keeps every value exactly.")
@click.option("-s", "--silent", is_flag=True, help="No progress bar.")
@archive_option
def export(table, fmt, data_dir, output, bom, excel_safe, silent, archive_db):
    """Export a table or view to CSV or Parquet, for analysis outside Datasette.

    Rows stream in batches, so memory stays flat however big the table.

    \b
    Example:
        nianbao export --table applications --format parquet -o applications.parquet
        nianbao export --table report_list -o - | head
        nianbao export --table report_list --bom --excel-safe -o reports.csv   # for Excel
    """
    from archive.export import ExportError, check_table, export_table
    from archive.whole_files import written_whole

    if output == "-" and fmt != "csv":
        raise click.UsageError("only CSV can be written to stdout; give -o FILE for parquet")
    if excel_safe and fmt != "csv":
        raise click.UsageError("--excel-safe is for CSV; Parquet keeps values typed")
    db = open_archive(data_dir, archive_db)
    try:
        check_table(db, table)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    target = output or str(Path(data_dir) / f"{table}.{fmt}")
    if target == "-":
        stream = sys.stdout
        if bom:
            stream.write("\ufeff")
        export_table(db, table, fmt, stream, excel_safe=excel_safe)
        stream.flush()  # a reader gone shows here, inside the command
        return
    total = 0 if silent else db.execute(f"select count(*) from [{table}]").fetchone()[0]
    # Cut short, it leaves the previous file as it was, never a file that looks complete.
    with click.progressbar(length=total, label=f"Exporting {table}", file=sys.stderr, hidden=silent) as bar, \
            written_whole(target) as partial:
        if fmt == "csv":
            with open(partial, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
                count = export_table(db, table, fmt, stream, progress=bar.update, excel_safe=excel_safe)
        else:
            count = export_table(db, table, fmt, partial, progress=bar.update)
    click.echo(f"Wrote {count} rows of {table} to {target}")


@cli.command()
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
    upgrade = f"{_this_command()} rebuild-cross-checks --data {shlex.quote(str(data_dir))}" + (
        f" --archive-db {shlex.quote(str(archive_db))}" if archive_db else "")
    return (f"{path} {at}; this nianbao's is {SCHEMA_VERSION}. Not checked: {' and '.join(result.not_checked)}, "
            "which bringing it up to date makes again from the cells.\n"
            f"Bring it up to date with `{upgrade}` (or any command that writes to it: crawl, reparse, "
            "serve), then verify again.")


@cli.command()
@data_option
@click.argument("run_id", type=int, required=False)
@click.option("-n", "--last", default=10, show_default=True, type=click.IntRange(1), help="How many runs to list.")
@archive_option
def runs(data_dir, run_id, last, archive_db):
    """List the last crawl runs, newest first, or show RUN_ID's summary.

    The list gives each run's start, duration, status, pages fetched, reports
    found, errors, blocked hosts and its end-of-run checks (ok, or the ones that
    failed; NOTIFY FAILED when a --notify hook failed). With RUN_ID: the summary the
    run printed when it ended, with its checks, and each hook that failed.

    \b
    Example:
        nianbao runs --data ./data
        nianbao runs 12
    """
    from archive.run_list import format_runs, recent_runs, run_line
    from archive.runs import format_summary, run_counts

    db = open_archive(data_dir, archive_db)
    if run_id is None:
        found = recent_runs(db, last)
        click.echo(format_runs(found) if found else "No crawl runs yet.")
        return
    line = run_line(db, run_id)
    if line is None:
        raise click.ClickException(f"no crawl run {run_id} in {database_path(data_dir)}")
    click.echo(format_runs([line]))
    click.echo("")
    summary = db.execute("select summary from crawl_runs where id = ?", [run_id]).fetchone()[0]
    click.echo(summary or format_summary(run_counts(db, run_id)))
    for problem in line.notify_failed:
        click.echo(f"notification failed: {problem}")


@cli.command("rebuild-wide-tables")
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


@cli.command("rebuild-cross-checks")
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


@cli.command()
@click.option("--report", "report_id", required=True, type=int, help="The report id (reports.id, or report_id in a view).")
@click.option("--table", required=True, help="active_disclosure, applications or reviews_litigation.")
@click.option("--row", required=True, help="Canonical row key, e.g. new_received.")
@click.option("--column", required=True, help="Canonical column key, e.g. total.")
@click.option("--value", required=True, help="The right cell as it should read: a number (48, 1,234), 0, / (not "
              "applicable; also -, 无, 不涉及), or '' (blank). Counts are whole; only the amounts have decimals, "
              "and only items_change is negative. Other text is refused: put the source's words in --why.")
@click.option("--who", required=True, help="Who makes the correction.")
@click.option("--why", required=True, help="Why: what the source got wrong, or what the parser could not read.")
@data_option
@archive_option
def correct(report_id, table, row, column, value, who, why, data_dir, archive_db):
    """Correct one cell of a report. The views show the corrected value; reparse never
    overwrites it; it is flagged (corrections_flagged) if the parsed cell later changes.
    The correction in effect made again (same report, value, who and why) records nothing
    and says so, unless its parsed cell changed since (then it is made anew over it). The report's own consistency rules (R1, R3-R5 in checks and failing_rules)
    stay those of the cells as parsed; R6 and R7, between years, use the corrected values.

    \b
    Example:
        nianbao correct --report 12 --table applications --row new_received \\
            --column total --value 48 --who "Li Wei" --why "the PDF prints 48; the page lost a digit"
    """
    from archive.corrections import CorrectionError, CorrectionInEffect, add_correction

    db = open_archive(data_dir, archive_db)
    cell = f"report {report_id} {table} {row}/{column} = {value!r}"
    try:
        correction_id = add_correction(db, report_id=report_id, table=table, row=row, column=column,
                                       value=value, who=who, why=why)
    except CorrectionInEffect as exc:
        click.echo(f"Nothing recorded: {cell} is correction {exc.correction_id}, already in effect")
        return
    except CorrectionError as exc:
        raise click.ClickException(str(exc)) from None
    k = db["corrections"].get(correction_id)
    was = "no cell" if k["parsed_kind"] is None else repr(k["parsed_text"])
    click.echo(f"Correction {correction_id}: {cell} (parsed: {was})")


@cli.command()
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


if __name__ == "__main__":
    cli()
