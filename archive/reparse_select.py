"""Which report versions a reparse parses, streamed in id order.

A report version is a distinct body of a report (or attachment) URL: the snapshot that
first brought it, as in ``reparse.report_snapshot_ids``. Ids are read a page at a time
(keyset: ``id > last``), so memory stays flat however large the archive, and no read
stays open while the writer commits.

Filters: ``site`` (a registry name from ``sites``, or a host), ``since`` (first fetched
at or after this ISO date or time); unless ``force``, versions already parsed by this
parser version are left out, and a parse that failed under this version is not retried.
``done_by`` leaves out what the runs a resumed run continues have already done.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

PAGE = 500
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"',\]]+", re.I)


class SelectionError(ValueError):
    """The filters name nothing in the archive (a mistyped site)."""


@dataclass(frozen=True)
class Selection:
    parser_version: str
    site: str | None = None
    since: str | None = None
    force: bool = False
    done_by: tuple[int, ...] = ()  # reparse runs whose done versions are left out


def _host(url):
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _site_condition(db, site: str) -> tuple[str, list]:
    """SQL over snapshot ``s`` for one site: the hosts of a registry entry of that name
    (its start URLs and other hosts), or the reports tied to it; else ``site`` is a host,
    written bare, with its port, or as a URL of it (``127.0.0.1:8000``, ``http://x.gov.cn/``).

    It names the site's URLs, so that SQLite finds their snapshots through the url index."""
    db.conn.create_function("nianbao_host", 1, _host, deterministic=True)
    host = _host(site.strip() if "://" in site else "//" + site.strip()) or site.lower()
    hosts, params, linked = {host}, [], ""
    if db["sites"].exists():
        cursor = db.execute("select * from sites where name = ?", [site])
        row = cursor.fetchone()
        if row is not None:
            values = dict(zip([d[0] for d in cursor.description], row))
            hosts = set()
            for name in ("start_urls", "hosts"):
                text = values.get(name) or ""
                hosts |= {_host(u) for u in _URL.findall(text)} - {None}
                try:  # a JSON list of bare host names
                    listed = json.loads(text)
                except ValueError:
                    listed = None
                if isinstance(listed, list):
                    hosts |= {h.lower() for h in listed if isinstance(h, str) and "://" not in h}
            if "site_id" in db["reports"].columns_dict:
                linked = " union select r.url from reports r where r.site_id = ?"
                params.append(values["id"])
    if not hosts:
        return f"s.url in (select null where 0{linked})", params
    # Python's URL parser decides, but only for the URLs that contain one of the hosts once
    # lowercased (as every URL of the host does) or hold a non-ASCII character (which
    # SQLite's lower() leaves as it is): a test SQLite runs itself on the url index, where
    # a Python call per snapshot took seconds on a national archive. (CASE, so that SQLite
    # cannot call Python first.)
    hosts = sorted(hosts)
    contains = " or ".join("instr(lower(url), ?) > 0" for _ in hosts)
    marks = ",".join("?" * len(hosts))
    by_host = (f"select url from snapshots where case when {contains} or length(cast(url as blob)) != length(url) "
               f"then nianbao_host(url) in ({marks}) end")
    return f"s.url in ({by_host}{linked})", hosts + hosts + params


def _where(db, selection: Selection, pending: bool) -> tuple[str, list]:
    clauses = [
        "s.kind in ('report', 'attachment') and s.status = 200",
        # the first snapshot of this body at this URL (later ones are revisits of it)
        "not exists (select 1 from snapshots e where e.url = s.url and e.payload_digest = s.payload_digest "
        "and e.id < s.id and e.kind in ('report', 'attachment') and e.status = 200)",
    ]
    params: list = []
    if selection.since:
        clauses.append("s.fetched_at >= ?")
        params.append(selection.since)
    if selection.site:
        sql, site_params = _site_condition(db, selection.site)
        clauses.append(sql)
        params += site_params
    if pending and not selection.force:
        clauses.append(
            "not exists (select 1 from reports r where r.url = s.url and r.payload_digest = s.payload_digest "
            "and r.parser_version = ?)")
        clauses.append(  # a body tied to a version (archive/report_content.py), read by this parser
            "not exists (select 1 from version_bodies b where b.url = s.url and b.payload_digest = s.payload_digest "
            "and b.parser_version = ?)")
        clauses.append(
            "not exists (select 1 from reparse_changes c where c.snapshot_id = s.id "
            "and c.parser_version = ? and c.outcome = 'error')")
        params += [selection.parser_version] * 3
    if pending and selection.done_by:
        marks = ",".join("?" * len(selection.done_by))
        clauses.append(f"not exists (select 1 from reparse_changes c where c.snapshot_id = s.id "
                       f"and c.run_id in ({marks}))")
        params += list(selection.done_by)
    return " and ".join(clauses), params


def count_versions(db, selection: Selection, pending: bool = True) -> int:
    """Versions matching the filters; ``pending``: of those, the ones still to parse."""
    where, params = _where(db, selection, pending)
    return db.execute(f"select count(*) from snapshots s where {where}", params).fetchone()[0]


def check_site(db, selection: Selection) -> None:
    if selection.site is not None and not selection.site.strip():  # not "every site"
        raise SelectionError("an empty site names no site: give a registry name or a host")
    if selection.site and not count_versions(db, Selection(selection.parser_version, site=selection.site), False):
        raise SelectionError(f"no report pages of site or host {selection.site!r} in the archive")


def iter_version_ids(db, selection: Selection, page: int = PAGE):
    """Yield the snapshot id of each version still to parse, in id order."""
    where, params = _where(db, selection, pending=True)
    last = 0
    while True:
        ids = [r[0] for r in db.execute(
            f"select s.id from snapshots s where s.id > ? and {where} order by s.id limit {page}",
            [last, *params])]
        yield from ids
        if len(ids) < page:
            return
        last = ids[-1]
