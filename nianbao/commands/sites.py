"""Site registries (yours, and those nianbao ships in nianbao/sites/): ``discover`` finds a site's
report columns and writes its entries, ``check-sites`` checks registries without crawling."""

from __future__ import annotations

import click

from .. import EXIT_LOCKED
from ..stop_signals import stopped_status
from .common import OutputPath, archive_option, data_option, error_with_status, registry_files, set_option


@click.command()
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
    for you to add (nianbao/sites/README.md).

    \b
    Example:
        nianbao discover http://www.example.gov.cn/ --out sites/mine.yaml
        nianbao discover http://www.example.gov.cn/ -s NIANBAO_DISCOVER_MAX_PAGES=60
        nianbao discover http://127.0.0.1:8000/ --profile demo   # nianbao portal's: loopback is refused otherwise
    """
    import yaml

    from archive.run_lock import ArchiveLocked
    from crawler.discover import StartFailed, run_discover
    from crawler.interrupts import Interrupted
    from crawler.registry import add_entries, text_to_add_to

    try:
        if out_file:
            text_to_add_to(out_file)  # a registry to add to, before any page is fetched
        entries = run_discover(url, data_dir, profile=profile, overrides=settings, archive_db=archive_db)
    except (Interrupted, ArchiveLocked) as exc:  # Ctrl-C: no entries, which would be taken for the site's
        status = stopped_status(exc.signum) if isinstance(exc, Interrupted) else EXIT_LOCKED
        raise error_with_status(str(exc), status) from None
    # The start URL refused (a private address under the polite profile, robots.txt) or failed;
    # the --out registry (RegistryError), a setting it cannot take (SettingError), a bad profile,
    # a moved raw store (RawStoreError).
    except (StartFailed, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not entries:
        raise click.ClickException(f"no report column found from {url}")
    click.echo(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), nl=False)
    if out_file:
        try:
            add_entries(out_file, entries)
        except ValueError as exc:
            raise click.ClickException(f"{exc} (the entries are printed above)") from None


@click.command("check-sites")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check_sites(files):
    """Check site registries without crawling anything.

    Every entry is checked as `nianbao crawl --sites` checks it: its keys and values, and
    names and start URLs unique across all the FILES. A FILE may also be the name of a
    registry nianbao ships (demo, cn-unverified). Prints one line per problem, naming
    the file, line, site and key; exits 1 when there is one.

    \b
    Example:
        nianbao check-sites sites/*.yaml
        nianbao check-sites demo cn-unverified
    """
    from crawler.registry import read_registries

    registry = read_registries(registry_files(files))
    for problem in registry.problems:
        click.echo(problem)
    if registry.problems:
        raise click.ClickException(f"{len(registry.problems)} problem(s); {len(registry.sites)} site(s) fine")
    click.echo(f"{len(registry.sites)} site(s) fine")
