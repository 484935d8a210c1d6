"""Find a column's other listing pages, whichever way the CMS hides them.

TRS WCM pages carry no links to their siblings: an inline script call builds the
pager in the browser. Only the call is stable across sites (the function body
differs), so we read its arguments:

    createPageHTML(120, 0, "index", "html")                 count, 0-based page, prefix, ext
    createPageHTML('page_div', 22, 1, 'common_list', 'shtml', 325)
                                                             div, count, 1-based page, prefix, ext, total
Page 0 (or 1 in the newer form) is ``prefix.ext``; page N is ``prefix_N.ext``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

# Bound every column: a pager that claims a million pages is a trap, not a column.
DEFAULT_MAX_PAGES = 500

_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_ARG = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))\s*""")


def _arguments(argument_text: str) -> list | None:
    args = []
    for part in argument_text.split(","):
        m = _ARG.fullmatch(part)
        if not m:
            return None  # a call with expressions, e.g. the function's own definition
        text = m.group(1) if m.group(1) is not None else m.group(2)
        args.append(text if text is not None else int(m.group(3)))
    return args


def trs_page_names(html: str) -> list[str] | None:
    """Relative names of every page of a TRS column, from its createPageHTML call."""
    for m in _CALL.finditer(html):
        args = _arguments(m.group(1))
        if not args:
            continue
        if len(args) >= 4 and isinstance(args[0], int):
            count, prefix, ext, first = args[0], args[2], args[3], 0
        elif len(args) >= 5 and isinstance(args[1], int):
            count, prefix, ext, first = args[1], args[3], args[4], 1
        else:
            continue
        if not isinstance(prefix, str) or not isinstance(ext, str):
            continue
        return [
            f"{prefix}.{ext}" if n == first else f"{prefix}_{n}.{ext}"
            for n in range(first, first + count)
        ]
    return None


def listing_page_urls(url: str, html: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[str]:
    """Absolute URLs of the column's listing pages (including ``url`` itself), bounded."""
    names = trs_page_names(html)
    if not names:
        return []
    return [urljoin(url, name) for name in names[:max_pages]]
