"""Exports: ``export`` a table or view (CSV, Parquet), the whole archive as WARC
(``export-warc``) or WACZ (``export-wacz``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import OutputPath, archive_option, data_option, open_archive, silent_option


@click.command()
@click.option("--table", "table", required=True, help="The table or view to export (e.g. applications, cells).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@data_option
@click.option("-o", "--output", type=OutputPath(allow_dash=True), help="Default: DATA/TABLE.csv or DATA/TABLE.parquet; '-' writes CSV to stdout.")
@click.option("--bom", is_flag=True, help="Begin the CSV with a UTF-8 byte-order mark (Excel then reads Chinese right).")
@click.option("--excel-safe", is_flag=True,
              help="Text beginning with = + - @ (a formula to a spreadsheet; portals' text can) gets a ' before it. "
                   "Off by default: the CSV keeps every value exactly.")
@silent_option
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


@click.command("export-warc")
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
    from archive.warc import cdxj_path_for
    from archive.warc_file import export_warc_file

    db = open_archive(data_dir, archive_db)
    output = Path(output or Path(data_dir) / "nianbao.warc.gz")
    total = db.execute("select count(*) from snapshots").fetchone()[0]
    left_out: list = []
    with click.progressbar(length=total, label="Writing WARC", file=sys.stderr) as bar:
        count = export_warc_file(db, output, progress=bar.update, left_out=left_out)
    click.echo(f"Wrote {count} exchanges ({2 * count + 1} records) to {output}, index {cdxj_path_for(output)}")
    if left_out:  # what was intact is written; the rest is said, and the command fails
        for _, _, why in left_out[:10]:
            click.echo(f"Left out: {why}", err=True)
        raise click.ClickException(f"{len(left_out)} snapshot(s) left out of {output}: their stored bodies are "
                                   "missing or damaged (`nianbao verify` lists the damage)")


@click.command("export-wacz")
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
