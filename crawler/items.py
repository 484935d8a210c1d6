"""What the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReportPage:
    """A fetched report page; its bytes are in the archive as ``snapshot_id``."""

    url: str
    snapshot_id: int
    listing_title: str | None = None
    found_on: str | None = None


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
