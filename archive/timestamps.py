"""The archive's timestamps: UTC to the millisecond, ISO 8601 with a ``Z``
(``2024-03-01T02:03:04.567Z``); one width, so they sort as text in time order."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
