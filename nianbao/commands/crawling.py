"""Running crawls: ``demo`` (the bundled portal, crawled), ``crawl``, ``runs`` (the runs they
recorded) and ``merge`` (the archives of several crawler processes, ``crawl --redis``, in one)."""

from __future__ import annotations

import shlex
import sys

import click

from .. import EXIT_CRAWL_FAILED, EXIT_LOCKED
from ..stop_signals import exit_stopped, ignore_stop_signals, stop_signals_held
from .common import (OutputPath, archive_option, data_option, database_path, error_with_status,
                     interrupted_before_the_crawl, open_archive, registry_files, set_option, silent_option,
                     this_command)


@click.command()
@data_option
@click.option("--profile", default="demo", show_default=True,
              help="Crawler settings profile: demo or test (polite refuses the portal's loopback address).")
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
        nianbao, data = this_command(), shlex.quote(str(data_dir))
        click.echo("")
        click.echo(f"Database: {database_path(data_dir)}")
        click.echo(f"Browse it:  {nianbao} serve --data {data}   (Datasette on http://127.0.0.1:8001/)")
        click.echo(f"Export it:  {nianbao} export-warc --data {data}")
    sys.exit(status)


def _crawl_and_summarise(sites: list[dict], data_dir: str, **options) -> int:
    """Run the crawl of ``crawl`` and ``demo``, print the run's summary and end-of-run checks,
    and return the exit status they give (crawler/monitoring.py): 4 for a run interrupted by
    Ctrl-C, SIGTERM or SIGHUP, with a line saying so. A crawl that cannot run is one ``Error:`` line:
    exit 75 when another crawl holds DATA, 4 when interrupted before it opened its run."""
    from archive.run_lock import ArchiveLocked
    from archive.runs import run_summary
    from archive.schema import open_database
    from crawler.interrupts import CutShort, Interrupted
    from crawler.monitoring import exit_status
    from crawler.run import run_crawl

    try:
        run_id = run_crawl(sites, data_dir, **options)
    except ArchiveLocked as exc:
        raise error_with_status(str(exc), EXIT_LOCKED) from None
    except Interrupted as exc:
        raise interrupted_before_the_crawl(str(exc)) from None
    except CutShort as exc:
        raise interrupted_before_the_crawl(
            f"{exc.signal_name} after run {exc.run_id} ended: its run checks and notifications were cut short "
            f"(`nianbao runs {exc.run_id}` shows the run)") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    # The run is recorded whole (its end, checks, summary; the hooks told). A signal now ends the
    # printing at once, which may wait on a pager left open: the command ends with the run's status.
    try:
        with stop_signals_held():  # the run's row read first
            db = open_database(database_path(data_dir))
            run = db["crawl_runs"].get(run_id)
        click.echo(run_summary(db, run_id))
        if run["status"] == "interrupted":
            click.echo(f"Interrupted: run {run_id} stopped before its end; run the same command again to resume it.",
                       err=True)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP
        exit_stopped(click.get_current_context().info_name, interrupt, recorded_run=(run_id, exit_status(run)))
    ignore_stop_signals()  # what is left is quick: demo's last lines, its portal stopping
    return exit_status(run)


@click.command()
@click.option("--sites", "sites_files", multiple=True, type=click.Path(dir_okay=False),
              help="A YAML site registry (see nianbao/sites/README.md), or the name of one nianbao ships: "
                   "demo, cn-unverified; repeatable, the files are one registry. "
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
        nianbao crawl --sites demo --data ./data --profile demo   # after: nianbao portal --port 8000
        nianbao crawl --sites cn-unverified --sites sites/mine.yaml
        nianbao crawl --start-url http://127.0.0.1:8000/zwgk/zfxxgknb/index.html --profile demo
        nianbao crawl --sites sites.yaml --notify-command 'mail -s nianbao ops@example.org'
        nianbao crawl --sites sites.yaml --recheck-after 7   # each report asked about weekly
        nianbao crawl --sites sites.yaml -s DOWNLOAD_DELAY=3 -s CONCURRENT_REQUESTS_PER_DOMAIN=1
        NIANBAO_MONITOR_MAX_ERROR_RATE=0.2 nianbao crawl --sites sites.yaml
        nianbao crawl --sites sites.yaml --redis redis://10.0.0.5:6379/0 --seed --data ./part1
    """
    from crawler.distributed import SharedQueue
    from crawler.registry import read_registries

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
    try:
        registry = read_registries(registry_files(sites_files), start_urls)  # a --start-url is checked against the files' sites
        sites = registry.sites
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


@click.command()
@data_option
@click.argument("run_id", type=int, required=False)
@click.option("-n", "--last", default=10, show_default=True, type=click.IntRange(1), help="How many runs to list.")
@archive_option
def runs(data_dir, run_id, last, archive_db):
    """List the last crawl runs, newest first, or show RUN_ID's summary.

    The list gives each run's start, duration, status, pages fetched, reports
    found, errors, blocked hosts and its end-of-run checks (ok, or the ones that
    failed; a note when one passed with a notice, such as a start URL that moved;
    NOTIFY FAILED when a --notify hook failed). With RUN_ID: the summary the
    run printed when it ended, with its checks, and each hook that failed.

    \b
    Example:
        nianbao runs --data ./data
        nianbao runs 12
    """
    from archive.run_list import format_runs, recent_runs, run_line
    from archive.runs import run_summary

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
    click.echo(run_summary(db, run_id))
    for problem in line.notify_failed:
        click.echo(f"notification failed: {problem}")


@click.command()
@click.argument("output", type=OutputPath(make_directory=True))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@archive_option
@silent_option
def merge(output, inputs, archive_db, silent):
    """Merge the databases of several crawler processes (`nianbao crawl --redis`) into OUTPUT.

    Bodies are stored once per digest, snapshots once per (crawl run, URL, fetch time,
    digest), reports once per (URL, digest) with their versions renumbered, skipped once per
    URL with its latest skip (of the run that started last); cells, checks, errors and the
    rest come with their rows. Merging the same input again adds nothing.
    A progress bar counts the input rows read. Bodies are copied as stored, and where two
    inputs hold one digest the first copy is kept, unless it is damaged (it no longer reads
    as its digest names: `nianbao verify` reports it) and a later input's copy is good: then
    that copy replaces it; a damaged zstd dictionary (codec_dicts) is replaced the same way
    by a later input's of the same digest. So merging a backup into a damaged archive
    repairs its bodies and dictionaries.

    \b
    Example:
        nianbao merge data/nianbao.db part1/nianbao.db part2/nianbao.db part3/nianbao.db
        nianbao merge data/nianbao.db /mnt/backup/data/nianbao.db   # repair from a backup
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
    for path, count in result.repaired_dictionaries.items():
        if count:
            click.echo(f"{count} damaged dictionaries repaired from {path}")
    for path, count in result.repaired.items():
        if count:
            click.echo(f"{count} damaged bodies repaired from {path}")
    if result.left_out:
        click.echo(f"Not merged (OUTPUT has no such table): {', '.join(result.left_out)}", err=True)
