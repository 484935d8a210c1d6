"""Hosts a crawl gave up on for the rest of its run, and why (``blocks``).

A host is blocked when it answers with a script challenge (``$_ts`` / ``__jsl_clearance``
pages), refuses several requests in a row (403/429), or asks to be left alone for longer
than the crawler waits (``Retry-After``). The answer that decided it stays archived as a
snapshot; ``snapshot_id`` points at it, so the evidence is one join away. A block lasts
one run: the next run tries the host again.

``blocks.reason`` is one of the few sentences below, which researchers facet by; what the
answer showed (its status, the challenge's markers, how many refusals, how long a wait) is
in ``blocks.detail``, as ``skipped`` keeps its reasons (archive/skip_reasons.py). Before
schema 12 the detail was written into the reason: ``split_old_reasons`` splits such rows by
``OLD_FORMS`` into the reason and detail a crawl writes now, and ``nianbao merge`` reads an
older input's rows through the same expressions.
"""

from __future__ import annotations

import sqlite_utils

from .skip_reasons import OldForm, split_rows
from .timestamps import utc_now
from .transactions import write_transaction

SPLIT_FROM_SCHEMA = 12

# Why a host was blocked (crawler/middlewares/challenges.py, retry_after.py), and its detail.
# A page that names the __jsl_clearance cookie (Jiasule, 加速乐); detail: "HTTP 521".
JSL_CHALLENGE = "__jsl_clearance script challenge"
# An HTTP 521 with a script that does not name it, as Jiasule's obfuscated pages do; detail:
# "HTTP 521, sets document.cookie" (or "HTTP 521" when the script shows no cookie being set).
JSL_STYLE_CHALLENGE = "__jsl_clearance-style script challenge"
# Ruishu (瑞数); detail: the status and what marked it, "HTTP 412: $_ts script, r='m' markup, cookie …S".
TS_CHALLENGE = "$_ts script challenge"
CHALLENGES = (JSL_CHALLENGE, JSL_STYLE_CHALLENGE, TS_CHALLENGE)
# 403/429 answers in a row; detail: "HTTP 403: 3 refusals in a row".
REFUSALS_IN_A_ROW = "refusals in a row (NIANBAO_BLOCK_AFTER_REFUSALS)"
# detail: "HTTP 429 with Retry-After 120 s, over NIANBAO_RETRY_AFTER_MAX (60 s)".
RETRY_AFTER_TOO_LONG = "Retry-After longer than NIANBAO_RETRY_AFTER_MAX"

# The reasons written before schema 12, the detail inside (archive/skip_reasons.py's OldForm).
# None of today's reasons fits any.
OLD_FORMS = (
    OldForm(f"{JSL_CHALLENGE} (", ")", JSL_CHALLENGE),  # "… (HTTP 521)"
    OldForm(f"{JSL_STYLE_CHALLENGE} (", ")", JSL_STYLE_CHALLENGE),  # "… (HTTP 521, sets document.cookie)"
    OldForm(f"{TS_CHALLENGE} (", ")", TS_CHALLENGE),  # "… (HTTP 412: $_ts script, cookie …S)"
    OldForm("HTTP ", " refusals in a row", REFUSALS_IN_A_ROW, whole=True),  # "HTTP 403: 3 refusals in a row"
    # "HTTP 429 with Retry-After 120 s, over NIANBAO_RETRY_AFTER_MAX (60 s)"
    OldForm("HTTP ", " s)", RETRY_AFTER_TOO_LONG, whole=True),
)
def record_block(
    db: sqlite_utils.Database,
    *,
    run_id: int | None,
    site: str | None,
    host: str,
    url: str,
    reason: str,
    detail: str | None = None,
    snapshot_id: int | None = None,
    status: int | None = None,
) -> int:
    """Remember that ``host`` (of registry site ``site``) is blocked for run ``run_id``:
    ``reason`` one of the sentences above, ``detail`` what this host's answer showed."""
    with write_transaction(db):
        return db["blocks"].insert(
            {
                "run_id": run_id,
                "site": site,
                "host": host,
                "url": url,
                "status": status,
                "reason": reason,
                "detail": detail,
                "snapshot_id": snapshot_id,
                "at": utc_now(),
            }
        ).last_pk


def split_old_reasons(db: sqlite_utils.Database, version: int) -> None:
    """Part of the schema (archive/schema.py, 12): in a database of an older ``version``, the
    ``blocks`` rows whose reason holds its detail are split. Once: the reasons it writes are
    of no old form."""
    if version >= SPLIT_FROM_SCHEMA:
        return
    with db.atomic():
        split_rows(db, "blocks", OLD_FORMS)
