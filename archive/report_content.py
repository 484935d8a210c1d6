"""A report version is a change of content, not of bytes.

Many portals print a hit counter (点击率) or a timestamp in the page around a report: each
fetch brings new bytes, a new payload digest, though the report reads the same. A version
per digest filled the version list with identical versions, each a full set of cells
and checks. So a version is decided by what the parser read:

- ``content_digest`` is a digest over exactly what ``records.store_report`` writes for a
  parse, as it writes it: the report row's fields (agency as named, title, year, published,
  source, layout, has_tables, failing_rules, text_form, text, source_kind) and the rows of
  cells, checks (the parser's own), indicators and problems, in order. Left out is what
  says how and when it was read, not what: url, snapshot, payload digest, parser version,
  parsed_at, ids. Not the raw bytes: those differ by the counter.
- A body new at a URL that parses to the content of the URL's version fetched last gets
  no version of its own: a ``version_bodies`` row ties it to that version. Its snapshot is
  archived as any other (the raw evidence), and counts as a fetch of that version: the
  version's last-seen snapshot (``records.version_fetches``), the run's reports found
  (``archive.runs.RUN_REPORT_IDS``), which version is current. It is not parsed again.
- Contents are compared whatever parser read each: a version read by an older parser
  whose output has changed since differs, and the new body gets a version (a change is
  never hidden; ``nianbao reparse`` brings the old versions to the new parser).

Reparse (``nianbao reparse``) keeps the versions a crawl decided, and re-decides only a
tied body: read by the parser that read its version, a body whose content still equals the
version's stays tied; one whose content differs now becomes a version of its own (as the
crawl would have made it). A tied body reached before its version has been read by that
parser (in a merged archive, ids say nothing about order) keeps its tie and its parser
version: still to be read, a later ``nianbao reparse`` compares it. Two versions whose contents a reparse makes equal stay two:
a version is never taken away (corrections and reparse history name it).

Schema 13: ``reports.content_digest``
(NULL for versions stored before, until they are parsed again: a body compared with such a
version gets a version of its own, once) and the ``version_bodies`` table.
"""

from __future__ import annotations

import hashlib
import json


def ensure(db) -> None:
    """Schema 13: ``reports.content_digest`` and ``version_bodies``. Idempotent."""
    if "content_digest" not in db["reports"].columns_dict:
        db["reports"].add_column("content_digest", str)
    db["version_bodies"].create(
        {
            "id": int,
            "url": str,  # where the body was fetched (the URL of its snapshots)
            "payload_digest": str,  # the body
            "report_id": int,  # the version whose content it brought
            "parser_version": str,  # the parser that found the content equal
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db["version_bodies"].create_index(["url", "payload_digest"], unique=True, if_not_exists=True)
    db["version_bodies"].create_index(["report_id"], if_not_exists=True)


def content_digest(row: dict, agency: str | None, rows: dict[str, list[tuple]]) -> str:
    """The digest of one parse's content: ``row``, the reports row as store_report writes it
    (its bookkeeping fields are left out here), the agency's name as read, and ``rows``,
    table -> the values of its rows in order, without their report id."""
    fields = {k: v for k, v in row.items() if k not in _NOT_CONTENT}
    fields["agency"] = agency
    canonical = json.dumps([fields, rows], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# How and when a version was read, not what it reads.
_NOT_CONTENT = {"url", "snapshot_id", "agency_id", "parser_version", "parsed_at", "payload_digest",
                "version", "is_current", "content_digest"}
