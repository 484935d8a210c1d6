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
    """A request that finally failed (after retries): an HTTP error or a download error."""

    url: str
    error: str
    message: str
    snapshot_id: int | None = None  # the error response, when there was one


@dataclass
class SkippedPage:
    """A listing item that is not a report, and why it was not followed."""

    url: str
    title: str | None
    reason: str
    found_on: str | None = None
