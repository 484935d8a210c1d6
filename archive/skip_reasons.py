"""Why a URL was skipped: ``skipped.reason`` is one of a few fixed sentences, and what
varies from page to page (an address, where a redirect led, why a host was blocked) is in
``skipped.detail``.

A reason is what researchers facet ``skipped`` by, and what each run's skips are counted
by (``skipped_counts``, the run's summary): with the URL in it, every URL would be a
reason of its own. The reasons whose rows carry a detail are named here, where the
crawler takes them from; the others are the spider's (crawler/spiders/reports.py), the
listing-title recognition's (parsers/recognize.py) and the dropping middlewares' own
(crawler/middlewares/: mirrors, robots, withdrawn).

Before schema 10 the detail was written into the reason. ``split_old_reasons`` splits
such rows by the reasons' known beginnings and ends (``OLD_FORMS``), exactly: the same
reason and detail a crawl writes now. ``nianbao merge`` reads an older input's rows
through the same expressions (``REASON_SQL``, ``detail_sql``). ``blocks.reason`` was split
the same way in schema 12, by forms of its own (archive/blocks.py): ``OldForm``,
``split_rows``, ``reason_sql`` and ``detail_sql`` take a table's forms.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import sqlite_utils

SPLIT_FROM_SCHEMA = 10

# A request to a host blocked for the run; detail: why the host was blocked (as in ``blocks``).
HOST_BLOCKED = "host blocked for this run"
_SETTING = "NIANBAO_REFUSE_PRIVATE_ADDRESSES"
# A URL whose host is, or resolves to, an address the crawl refuses (crawler/private_addresses.py);
# detail: which address and why ("10.0.0.5 is a private address").
REFUSED_ADDRESS = f"private address or the crawl's proxy ({_SETTING}): not fetched"
# A URL that redirects to such an address; detail: where it led, and why that is refused.
REDIRECT_TO_REFUSED_ADDRESS = f"redirects to a private address or the crawl's proxy ({_SETTING}): not fetched"

class OldForm(NamedTuple):
    """A reason as written before its detail had a column of its own: it began with ``begins``
    and ended with ``ends``, and is ``now`` today. The detail is the text between, or the whole
    old reason (``whole``: it said no more than what varies, as "HTTP 403: 3 refusals in a row"
    did). archive/blocks.py splits ``blocks.reason`` by forms of its own through the same SQL."""

    begins: str
    ends: str
    now: str
    whole: bool = False


# The reasons written before schema 10 with the detail inside; the first form that fits is the
# one: a refused redirect also ends as a refused address does. None of today's reasons fits any.
_OLD_REFUSED_END = f": not fetched ({_SETTING})"
OLD_FORMS = (
    OldForm("host blocked for this run: ", "", HOST_BLOCKED),
    # "redirects to URL: why: not fetched (…)"
    OldForm("redirects to ", _OLD_REFUSED_END, REDIRECT_TO_REFUSED_ADDRESS),
    OldForm("", _OLD_REFUSED_END, REFUSED_ADDRESS),  # "why: not fetched (…)"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _glob(form: OldForm) -> str:
    """A GLOB pattern (case-sensitive, unlike LIKE, and "_" is no wildcard) for such a reason."""
    def exact(text):
        return re.sub(r"([*?\[])", r"[\1]", text)
    return _literal(f"{exact(form.begins)}*{exact(form.ends)}")


# SQL over a table with a ``reason`` column, for a table's old forms: whether the row's reason
# is of an old form, its reason now (unchanged when it is not of an old form), and its detail.
def is_old_sql(forms=OLD_FORMS) -> str:
    return " or ".join(f"reason glob {_glob(form)}" for form in forms)


def reason_sql(forms=OLD_FORMS) -> str:
    return "case " + " ".join(f"when reason glob {_glob(form)} then {_literal(form.now)}" for form in forms) + \
        " else reason end"


def detail_sql(otherwise: str, forms=OLD_FORMS) -> str:
    """SQL: the detail inside a reason of an old form, else ``otherwise`` (an SQL expression)."""
    taken = " ".join(
        f"when reason glob {_glob(form)} then " + (
            "reason" if form.whole else
            f"substr(reason, {len(form.begins) + 1}, length(reason) - {len(form.begins) + len(form.ends)})")
        for form in forms)
    return f"case {taken} else {otherwise} end"


IS_OLD_SQL = is_old_sql()
REASON_SQL = reason_sql()


def split_rows(db: sqlite_utils.Database, table: str, forms) -> None:
    """The rows of ``table`` whose reason is of one of ``forms``: reason and detail apart."""
    # (Every expression of an UPDATE reads the row as it was.)
    db.execute(f"update [{table}] set detail = {detail_sql('detail', forms)}, reason = {reason_sql(forms)} "
               f"where {is_old_sql(forms)}")


def split_old_reasons(db: sqlite_utils.Database, version: int) -> None:
    """Part of the schema (archive/schema.py, 10): in a database of an older ``version``, the
    ``skipped`` rows whose reason holds its detail are split, and each run's counts of such
    reasons (``skipped_counts``) are added up under the reason they share now. Once: the
    reasons it writes are of no old form."""
    if version >= SPLIT_FROM_SCHEMA:
        return
    with db.atomic():
        split_rows(db, "skipped", OLD_FORMS)
        db.execute(f"insert into skipped_counts (run_id, reason, urls) "
                   f"select run_id, {REASON_SQL}, sum(urls) from skipped_counts where {IS_OLD_SQL} group by 1, 2 "
                   f"on conflict (run_id, reason) do update set urls = urls + excluded.urls")
        db.execute(f"delete from skipped_counts where {IS_OLD_SQL}")
