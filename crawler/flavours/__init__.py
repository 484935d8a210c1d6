"""CMS flavours: how each kind of government site pages its columns and holds its reports.

One module per flavour, each with the same small interface (the spider only dispatches):

    NAME                                     the registry's ``flavour`` value
    detect(url, text) -> bool                does this page come from this CMS?
    listing_items(response, text)            the column's items on this page/batch (ListingItem)
    listing_requests(response, text, max_pages)
                                             Requests for the column's other pages/batches (bounded)
    attachments(response, text)              documents linked from a report page (ListingItem)
    report_body(url, text) -> str | None     the HTML the parser should read, when the page
                                             as received is not it (gkmlpt's inline DETAIL JSON)

``detect.detect_flavour`` picks a module by fingerprints when the registry names none.
"""

from __future__ import annotations

from types import ModuleType

from . import generic, gkmlpt, hanweb, trs

FLAVOURS: dict[str, ModuleType] = {m.NAME: m for m in (trs, hanweb, gkmlpt, generic)}


def flavour_module(name: str) -> ModuleType:
    try:
        return FLAVOURS[name]
    except KeyError:
        raise ValueError(f"unknown flavour {name!r}; choose from {', '.join(FLAVOURS)}") from None


def extracted_report_body(url: str | None, text: str) -> str | None:
    """The report HTML a flavour embeds in its page (None: parse the page as it is).

    Used by the archive's reparse too, so a stored page is re-read the same way.
    """
    for module in FLAVOURS.values():
        body = module.report_body(url, text)
        if body is not None:
            return body
    return None
