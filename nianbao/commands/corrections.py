"""``correct``: a researcher's correction of one cell (archive/corrections.py)."""

from __future__ import annotations

import click

from .common import archive_option, data_option, open_archive


@click.command()
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
