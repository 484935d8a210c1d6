"""Which edition of the report format a report follows: "2021", "2019" or "pre2019".

The tables say it best (table 二's column words differ between editions);
without tables, the format notice the report cites, then the report year.
Mixed reports exist: seed 004 follows 2021 but keeps 2019's single （六） row,
so table 二 outranks table 三.
"""

from __future__ import annotations

import re

_CITES_2021 = re.compile(r"〔2021〕30号|\[2021\]30号|2021〕30")
_CITES_2019 = re.compile(r"〔2019〕60号|\[2019\]60号|2019〕60")


def layout_from_tables(active_votes: set[str], application_votes: set[str]) -> str | None:
    for votes in (active_votes, application_votes):
        if len(votes) == 1:
            return next(iter(votes))
    return None


def layout_from_text(text: str, year: int | None) -> str | None:
    if year is not None and year < 2019:
        return "pre2019"
    if _CITES_2021.search(text):
        return "2021"
    if _CITES_2019.search(text):
        return "2019"
    if year is None:
        return None
    return "2021" if year >= 2021 else "2019"


def detect_layout(active_votes: set[str], application_votes: set[str], text: str, year: int | None) -> str | None:
    return layout_from_tables(active_votes, application_votes) or layout_from_text(text, year)
