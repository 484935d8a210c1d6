"""CMS flavours: how each kind of government site pages its columns and holds its reports.

One module per flavour, each with the same small interface (the spider only dispatches):

    NAME                                     the registry's ``flavour`` value
    detect(url, text) -> bool                does this page come from this CMS?
    listing_items(response, text)            the column's items on this page/batch (ListingItem)
    listing_requests(response, text, max_pages)
                                             Requests for the column's other pages/batches (bounded)
    attachments(response, text)              documents linked from a report page (ListingItem)

A page that carries its report inside a script (gkmlpt's inline DETAIL JSON) is stored as
received; the HTML the parser reads is rebuilt from it when the stored page is parsed
(archive/snapshot_parse.py, parsers/embedded_body.py), whatever the flavour.

``detect.detect_flavour`` picks a module by fingerprints when the registry names none;
``common`` holds what the adapters share (start-URL fragments, page names, attachment
links).

A new way of paging in a known CMS is a change to that flavour's module (generic.py for
pager links and page-count variables) and a test beside its kind in tests/test_flavours.py
(TRS's ``createPageHTML``: tests/test_listing_and_pagers.py), on markup as the portal serves
it (real excerpts in tests/data/portal-samples/). A new CMS is a module with the interface
above, named in ``FLAVOURS`` below and in ``detect.ORDER`` (generic, the fallback, is tried
after all of them); then an imitation site of it (portal/flavour_sites.py ``BUILDERS``, its
address in portal/world.py), which tests/test_imitation_portal.py crawls
(``test_each_flavour_paged_its_own_way``), and its row in nianbao/sites/README.md's table of
flavours. The registry takes any name in ``FLAVOURS``.
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
