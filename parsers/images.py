"""Images where a report's tables should be (``tables_as_images``).

Some portals publish the statistical tables as pictures (scans or screenshots
pasted into the editor). The text then has the section heading and nothing
under it. Telling "an image sits in that section" from "the table is just gone"
is worth a walk of the body, but only for pages that lack a table: the walk is
skipped for every page whose tables were read.
"""

from __future__ import annotations

import re

from .national_format import TABLES
from .sections import heading_of

_SPACES = re.compile(r"\s+")
# Tiny images are icons, spacers and bullets, not tables.
_MIN_SIDE = 120
# Elements a heading is written in (not div/td: those may wrap the whole report).
_HEADING_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "span", "strong", "b", "font"}


def sections_with_images(body) -> dict[str, list[str]]:
    """Table sections (二, 三, 四) that hold an image: section name → the images' src."""
    if body is None or next(body.iter("img"), None) is None:
        return {}
    found: dict[str, list[str]] = {}
    section = None
    for element in body.iter():
        tag = element.tag
        if tag == "img":
            if section in TABLES and not _is_icon(element):
                found.setdefault(section, []).append(element.get("src") or "")
        elif tag in _HEADING_TAGS:
            line = _SPACES.sub("", "".join(element.itertext()))
            named = heading_of(line) if 0 < len(line) < 200 else None
            if named:
                section = named
    return found


def _is_icon(img) -> bool:
    for side in ("width", "height"):
        value = (img.get(side) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < _MIN_SIDE:
            return True
    return False
