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
through the same expressions (``REASON_SQL``, ``detail_sql``).
"""

from __future__ import annotations

import re

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

# The reasons written before schema 10 with the detail inside: (how the reason began, how it
# ended, the reason now); the detail is the text between. The first form that fits is the
# one: a refused redirect also ends as a refused address does. None of today's reasons fits any.
_OLD_REFUSED_END = f": not fetched ({_SETTING})"
OLD_FORMS = (
    ("host blocked for this run: ", "", HOST_BLOCKED),
    ("redirects to ", _OLD_REFUSED_END, REDIRECT_TO_REFUSED_ADDRESS),  # "redirects to URL: why: not fetched (…)"
    ("", _OLD_REFUSED_END, REFUSED_ADDRESS),  # "why: not fetched (…)"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _glob(begins: str, ends: str) -> str:
    """A GLOB pattern (case-sensitive, unlike LIKE, and "_" is no wildcard) for such a reason."""
    def exact(text):
        return re.sub(r"([*?\[])", r"[\1]", text)
    return _literal(f"{exact(begins)}*{exact(ends)}")


# SQL over a table with a ``reason`` column: whether the row's reason is of an old form, and
# its reason now (unchanged when it is not of an old form).
IS_OLD_SQL = " or ".join(f"reason glob {_glob(begins, ends)}" for begins, ends, _ in OLD_FORMS)
REASON_SQL = ("case " + " ".join(f"when reason glob {_glob(begins, ends)} then {_literal(now)}"
                                 for begins, ends, now in OLD_FORMS) + " else reason end")


def detail_sql(otherwise: str) -> str:
    """SQL: the detail inside a reason of an old form, else ``otherwise`` (an SQL expression)."""
    taken = " ".join(
        f"when reason glob {_glob(begins, ends)} then "
        f"substr(reason, {len(begins) + 1}, length(reason) - {len(begins) + len(ends)})"
        for begins, ends, _ in OLD_FORMS)
    return f"case {taken} else {otherwise} end"


def split_old_reasons(db: sqlite_utils.Database, version: int) -> None:
    """Part of the schema (archive/schema.py, 10): in a database of an older ``version``, the
    ``skipped`` rows whose reason holds its detail are split, and each run's counts of such
    reasons (``skipped_counts``) are added up under the reason they share now. Once: the
    reasons it writes are of no old form."""
    if version >= SPLIT_FROM_SCHEMA:
        return
    with db.atomic():
        # (Every expression of an UPDATE reads the row as it was.)
        db.execute(f"update skipped set detail = {detail_sql('detail')}, reason = {REASON_SQL} where {IS_OLD_SQL}")
        db.execute(f"insert into skipped_counts (run_id, reason, urls) "
                   f"select run_id, {REASON_SQL}, sum(urls) from skipped_counts where {IS_OLD_SQL} group by 1, 2 "
                   f"on conflict (run_id, reason) do update set urls = urls + excluded.urls")
        db.execute(f"delete from skipped_counts where {IS_OLD_SQL}")
