"""The ``nianbao`` command. Each subcommand is a thin shell over a library function;
library errors become ``click.ClickException`` here, so users see ``Error: …``, never
a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from . import __version__

DATABASE_NAME = "nianbao.db"
METADATA_PATH = Path(__file__).with_name("datasette_metadata.yaml")

data_option = click.option(
    "--data",
    "data_dir",
    default="data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory holding nianbao.db (the archive and the normalized tables).",
)


def database_path(data_dir: str, must_exist: bool = True) -> Path:
    path = Path(data_dir) / DATABASE_NAME
    if must_exist and not path.exists():
        raise click.ClickException(f"no database at {path}; run `nianbao demo` or `nianbao crawl` first")
    return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def cli():
    """Crawl, archive and parse China's government information-disclosure
    annual reports (政府信息公开工作年度报告).

    \b
    Start with:
        nianbao demo           crawl the bundled local demo portal into ./data
        nianbao serve          browse the result in Datasette
    """


@cli.command()
@data_option
@click.option("--profile", default="demo", show_default=True, help="Crawler settings profile.")
def demo(data_dir, profile):
    """Start the bundled demo portal on 127.0.0.1, crawl it, and summarise.

    The portal imitates a TRS WCM government site whose 政府信息公开年报 column lists
    five real reports among other documents. Everything is written under DATA.

    \b
    Example:
        nianbao demo --data ./data
    """
    from archive.runs import format_summary, run_counts
    from archive.schema import open_database
    from crawler.run import run_crawl
    from portal import DemoPortal

    with DemoPortal() as portal:
        click.echo(f"Demo portal serving at {portal.start_url}")
        click.echo("Crawling (robots.txt, listing pages, reports) ...")
        run_id = run_crawl(
            [{"name": "demo portal", "start_urls": [portal.start_url]}], data_dir, profile=profile
        )
    path = database_path(data_dir)
    db = open_database(path)
    click.echo("")
    click.echo(format_summary(run_counts(db, run_id)))
    click.echo("")
    click.echo(f"Database: {path}")
    click.echo(f"Browse it:  nianbao serve --data {data_dir}   (Datasette on http://127.0.0.1:8001/)")
    click.echo(f"Export it:  nianbao export-warc --data {data_dir}")


@cli.command()
@click.option("--sites", "sites_file", type=click.Path(dir_okay=False),
              help="A YAML site registry (see sites/README.md).")
@click.option("--start-url", "start_urls", multiple=True, help="A report column URL (repeatable).")
@data_option
@click.option("--profile", default="polite", show_default=True, help="Crawler settings profile: polite, demo or test.")
def crawl(sites_file, start_urls, data_dir, profile):
    """Crawl the report columns of a site registry (or given URLs) into DATA/nianbao.db.

    \b
    Example:
        nianbao crawl --sites sites/demo.yaml --data ./data
        nianbao crawl --start-url http://127.0.0.1:8000/zwgk/zfxxgknb/index.html
    """
    from archive.runs import format_summary, run_counts
    from archive.schema import open_database
    from crawler.registry import load_registry
    from crawler.run import run_crawl

    if not sites_file and not start_urls:
        raise click.UsageError("give --sites FILE or at least one --start-url")
    try:
        sites = load_registry(sites_file) if sites_file else []
        if start_urls:
            sites.append({"name": "command line", "start_urls": list(start_urls)})
        run_id = run_crawl(sites, data_dir, profile=profile)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_summary(run_counts(open_database(database_path(data_dir)), run_id)))


@cli.command()
@click.argument("url")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Also write the entries to this YAML file.")
@data_option
@click.option("--profile", default="polite", show_default=True, help="Crawler settings profile: polite, demo or test.")
def discover(url, out_file, data_dir, profile):
    """Find the report column(s) of the site at URL (its home or 政府信息公开 page)
    and print registry entries for `nianbao crawl --sites`.

    \b
    Example:
        nianbao discover http://127.0.0.1:8000/ --out sites/found.yaml
    """
    import yaml

    from crawler.discover import run_discover

    entries = run_discover(url, data_dir, profile=profile)
    if not entries:
        raise click.ClickException(f"no report column found from {url}")
    text = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    if out_file:
        Path(out_file).write_text(text, encoding="utf-8")
    click.echo(text, nl=False)


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
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Default: DATA/nianbao.warc.gz")
def export_warc(data_dir, output):
    """Export every archived exchange as a gzip WARC 1.1 file.

    \b
    Example:
        nianbao export-warc --data ./data -o reports.warc.gz
    """
    from archive.schema import open_database
    from archive.warc import export_warc as write_warc

    db = open_database(database_path(data_dir))
    output = Path(output or Path(data_dir) / "nianbao.warc.gz")
    total = db.execute("select count(*) from snapshots").fetchone()[0]
    with open(output, "wb") as stream, click.progressbar(length=total, label="Writing WARC", file=sys.stderr) as bar:
        count = write_warc(db, stream, filename=output.name, progress=bar.update)
    click.echo(f"Wrote {count} exchanges ({2 * count + 1} records) to {output}")


@cli.command()
@data_option
def reparse(data_dir):
    """Re-run the parsers over the archived report pages (no network).

    \b
    Example:
        nianbao reparse --data ./data
    """
    from archive.reparse import report_snapshot_ids, reparse as run_reparse
    from archive.schema import open_database

    db = open_database(database_path(data_dir))
    total = len(report_snapshot_ids(db))
    with click.progressbar(length=total, label="Reparsing", file=sys.stderr) as bar:
        outcomes = run_reparse(db, progress=bar.update)
    failed = [o for o in outcomes if o.report_id is None]
    click.echo(f"Reparsed {len(outcomes)} report pages: {len(outcomes) - len(failed)} stored, {len(failed)} failed")


@cli.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
def serve(data_dir, host, port):
    """Browse DATA/nianbao.db in Datasette, with nianbao's table descriptions.

    \b
    Example:
        nianbao serve --data ./data --port 8001
    """
    path = database_path(data_dir)
    command = [
        sys.executable, "-m", "datasette", "serve", str(path),
        "--metadata", str(METADATA_PATH), "--host", host, "--port", str(port),
    ]
    click.echo(f"Datasette on http://{host}:{port}/{path.stem}  (Ctrl-C to stop)")
    try:
        sys.exit(subprocess.call(command, env=os.environ.copy()))
    except KeyboardInterrupt:
        pass


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

    serve_forever(host, port)


if __name__ == "__main__":
    cli()
