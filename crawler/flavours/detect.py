"""Pick a flavour adapter from a page's fingerprints when the registry names none.

Order matters: gkmlpt and Hanweb pages may also carry TRS-like traits (``t2024…`` links
to other sites), while their own fingerprints (``window._CONFIG``, ``<datastore>``) are
unique. Generic is the fallback.
"""

from __future__ import annotations

from . import generic, gkmlpt, hanweb, trs

ORDER = (gkmlpt, hanweb, trs)


def detect_flavour(url: str, text: str) -> str:
    for module in ORDER:
        if module.detect(url, text):
            return module.NAME
    return generic.NAME
