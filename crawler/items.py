"""What the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReportPage:
    """A fetched report page or attachment; its bytes are in the archive as ``snapshot_id``.

    The pipeline parses both alike: a report published only as a PDF comes out of its
    attachment. ``attachment_of`` is the report page that linked the attachment.
    """

    url: str
    snapshot_id: int
    listing_title: str | None = None
    found_on: str | None = None
    kind: str = "report"  # report | attachment
    attachment_of: str | None = None
    site: str | None = None  # the registry site it was found for


@dataclass
class FailedPage:
    """A request that finally failed (after retries): an HTTP error or a download error (stage
    ``fetch``); or a page answered fine that the site's registry entry cannot read (stage
    ``registry``: ``WrongFlavour``, the flavour it names found nothing there)."""

    url: str
    error: str
    message: str
    snapshot_id: int | None = None  # the error response, when there was one
    stage: str = "fetch"  # the ``errors`` row's: whose failure it is (see WRONG_FLAVOUR)


# The error of a column's start page on which the flavour the registry names for its site
# found nothing (and another flavour would have: crawler/spiders/reports.py). Recorded with stage
# ``registry``: the entry is wrong (or the portal changed its CMS), not the request, and the run
# check "site flavours" fails on it. Archives from before 2026-11-23 have it with stage ``fetch``.
WRONG_FLAVOUR = "WrongFlavour"
REGISTRY_STAGE = "registry"


@dataclass
class SkippedPage:
    """A listing item that is not a report, and why it was not followed."""

    url: str
    title: str | None
    reason: str
    found_on: str | None = None
