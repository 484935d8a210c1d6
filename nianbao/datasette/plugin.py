"""nianbao's Datasette plugin (Datasette 0.65): raw pages, charts, links and the search query.

Registered by ``nianbao serve`` (nianbao/datasette/serve.py) before Datasette starts.

    /-/raw/<snapshot_id>   the stored page as captured, sandboxed (raw_page.py)
    /-/charts              applications by year, refusal reasons (charts.py)
    render_cell            a ``raw_page`` or ``snapshot_id`` cell links to /-/raw/<id>,
                           and so does a snapshot's ``url``
    menu_links             "Charts" in Datasette's menu
    canned_queries         search_reports (archive/search.py), unless metadata has one
    startup                notes the instance: Datasette leaves its connections open when its
                           server stops, and ``nianbao serve`` closes them (serve.py); and
                           stops each table count of the database page at its time limit
    asgi_wrapper           pages of millions of rows open without their count or facets

The database is the first one served that has a ``snapshots`` table (``?database=`` picks
another).
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
import threading
import weakref
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from . import charts
from .raw_page import raw_page

TEMPLATE = Path(__file__).with_name("templates") / "nianbao_charts.html"
_started = weakref.WeakSet()  # the Datasette instances started in this process


# Pages that read millions of rows for what they show beside their rows, on a national
# archive (1 M snapshots, 5 M checks, 7.5 M counted cells) open without that part, through
# Datasette's own switches, added to the request as Datasette adds them for a CSV.
# current_cells: no row count (counting reads every counted cell through its joins, 5-10 s),
# filtered or not. snapshots, checks: no facets until a filter narrows the rows (each facet
# read the whole table and timed out at facet_time_limit_ms; filtered by a run, a report or
# a rule they are index lookups, shown as before); ?_facet= asks for them all the same.
NOT_COUNTED = {"current_cells"}
FACETED_WHEN_FILTERED = {"snapshots", "checks"}
_TABLE_PAGE = re.compile(r"^/[^/]+/(?P<table>[^/.]+)(\.json)?$")
_FILTERS = ("_where", "_search", "_facet")  # the arguments starting with _ that filter or facet


def _switches(table: str, query: str) -> list[str]:
    """Datasette's ?_nocount / ?_nofacet this request of a table page gets, if any."""
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    switches = []
    if table in NOT_COUNTED and "_nocount" not in names:
        switches.append("_nocount=1")
    filtered = any(not name.startswith("_") or name.startswith(_FILTERS) for name in names)
    if table in FACETED_WHEN_FILTERED and not filtered and "_nofacet" not in names:
        switches.append("_nofacet=1")
    return switches


@hookimpl
def startup(datasette):
    _started.add(datasette)
    for database in datasette.databases.values():
        if database.is_mutable and database.path:
            database.table_counts = _table_counts(database)


# The database page counts the rows of every table (Datasette 0.65's Database.table_counts,
# 5 ms each; the index page 10 ms, below 100 MB) and shows "Many rows" for a count over
# that limit. Datasette's limit is a progress handler, which SQLite calls between the steps
# of a statement; but it counts a table in one step, through every page of the table or its
# smallest index, so a count over the limit ran to its end and was then thrown away: on a
# national archive cells (165,000 index pages) and reports_fts_data (333,000 pages, a
# hidden table) took 0.5-1.3 s each on every view of the page. sqlite3_interrupt stops a
# count midway: the limit interrupts the count itself. The page shows the same counts.
def _table_counts(database):
    """``database.table_counts`` as Datasette's, each count stopped at its time limit."""

    async def table_counts(limit=10):
        limit = min(limit, database.ds.sql_time_limit_ms)  # as Datasette's: the lower of the two
        counts = {}
        for table in await database.table_names():
            counts[table] = await database.execute_fn(functools.partial(count_rows, table=table, limit_ms=limit))
        return counts

    return table_counts


def count_rows(conn, table: str, limit_ms: float) -> int | None:
    """The rows of ``table``, or None when counting them takes longer than ``limit_ms``
    (or fails, as Datasette's own count)."""
    deadline = threading.Timer(limit_ms / 1000, conn.interrupt)
    deadline.start()
    try:
        return conn.execute(f"select count(*) from [{table}]").fetchone()[0]
    except sqlite3.DatabaseError:  # interrupted (OperationalError), or a table SQLite cannot read
        return None
    finally:
        deadline.cancel()
        deadline.join()  # an interrupt sent late is over before the connection's next statement


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_switches(scope, receive, send):
            page = _TABLE_PAGE.match(scope.get("path", "")) if scope.get("type") == "http" else None
            if page:
                query = scope.get("query_string", b"").decode("latin-1")
                switches = _switches(page["table"], query)
                if switches:
                    query = "&".join([query, *switches] if query else switches)
                    scope = dict(scope, query_string=query.encode("latin-1"))
            await app(scope, receive, send)

        return with_switches

    return wrap


def close_connections() -> None:
    """Close every connection of the Datasette instances started in this process."""
    for datasette in list(_started):
        for database in datasette.databases.values():
            database.close()


async def _archive_database(datasette, request):
    wanted = request.args.get("database")
    for name, database in datasette.databases.items():
        if wanted and name != wanted:
            continue
        if database.path and await database.table_exists("snapshots"):
            return database
    raise NotFound("No nianbao database (one with a snapshots table) is served here")


async def raw_view(datasette, request):
    database = await _archive_database(datasette, request)
    snapshot_id = int(request.url_vars["snapshot_id"])
    page = await asyncio.get_running_loop().run_in_executor(None, raw_page, database.path, snapshot_id)
    return Response(page.body, status=page.status, headers=page.headers, content_type=page.content_type)


def _int_arg(request, name) -> str:
    value = (request.args.get(name) or "").strip()
    return value if value.isdigit() else ""


async def charts_view(datasette, request):
    database = await _archive_database(datasette, request)
    agency_id, year = _int_arg(request, "agency_id"), _int_arg(request, "year")

    def read(conn):
        by_year = charts.applications_by_year(conn, int(agency_id) if agency_id else None)
        reasons = charts.refusal_reasons(conn, int(year) if year else None)
        agencies = conn.execute(
            "select distinct a.id, a.name from report_groups g join agencies a on a.id = g.agency_id "
            "where g.report_id is not null order by a.name").fetchall()
        years = [r[0] for r in conn.execute(
            "select distinct year from report_groups where year is not null order by year desc")]
        return by_year, reasons, agencies, years

    by_year, reasons, agencies, years = await database.execute_fn(read)
    name = dict(agencies).get(int(agency_id)) if agency_id else None

    def sql_url(sql, params):
        return datasette.urls.database(database.name) + "?" + urlencode({"sql": sql, **params})

    chart_list = [
        {
            "id": "applications-by-year",
            "svg": charts.column_chart(by_year, f"政府信息公开申请 本年新收 by year{' · ' + name if name else ''}"),
            "bars": by_year, "label_heading": "year", "value_heading": "applications received",
            "sql_url": sql_url(charts.APPLICATIONS_BY_YEAR_SQL, {"agency_id": agency_id}),
        },
        {
            "id": "refusal-reasons",
            "svg": charts.bar_chart(reasons, f"Applications not granted, by reason · {year or 'all years'}"),
            "bars": reasons, "label_heading": "reason (table 三 row)", "value_heading": "applications",
            "sql_url": sql_url(charts.REFUSAL_REASONS_SQL, {"year": year}),
        },
    ]
    template = datasette.jinja_env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    html = await datasette.render_template(
        template,
        {"database": database.name, "charts": chart_list, "agencies": agencies, "years": years,
         "agency_id": agency_id, "year": year},
        request=request,
    )
    return Response.html(html)


@hookimpl
def register_routes():
    return [
        (r"^/-/raw/(?P<snapshot_id>\d+)$", raw_view),
        (r"^/-/charts$", charts_view),
    ]


def _raw_link(datasette, snapshot_id) -> str:
    href = datasette.urls.path(f"/-/raw/{snapshot_id}")
    return (f'<a href="{escape(href)}" rel="noopener noreferrer" '
            'title="The page as captured (its scripts do not run)">raw page</a>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Whole numbers show without ".0"; snapshot ids link to the raw page as well as to the
    snapshot's row; so does a snapshot's URL."""
    if isinstance(value, dict):  # an expanded foreign key: {"value": …, "label": …}
        value = value.get("value")
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        # Counts are stored as REAL beside the amounts' decimals: 23, not 23.0, on the page
        # (the JSON and CSV keep the stored value).
        return str(int(value))
    if column == "raw_page":
        snapshot_id = str(value).rsplit("/", 1)[-1]
        return Markup(_raw_link(datasette, snapshot_id)) if snapshot_id.isdigit() else None
    if column == "snapshot_id" and table != "snapshots" and str(value).isdigit():
        row_href = datasette.urls.table(database, "snapshots") + f"/{value}"
        return Markup(f'<a href="{escape(row_href)}">{value}</a> · {_raw_link(datasette, value)}')
    if column == "url" and table == "snapshots" and row is not None and "id" in row.keys():
        # Only an http(s) URL is a link: an archive may hold what a page linked (an older crawl
        # fetched file: and data: URLs), and a javascript: one would run in Datasette's origin.
        shown = (f'<a href="{escape(value)}" rel="noopener noreferrer">{escape(value)}</a>'
                 if str(value).startswith(("http://", "https://")) else str(escape(value)))
        return Markup(f'{shown} · {_raw_link(datasette, row["id"])}')
    return None


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/charts"), "label": "Charts"}]


@hookimpl
def canned_queries(datasette, database):
    try:
        from archive.search import SEARCH_SQL
    except ImportError:
        return None
    if "search_reports" in (datasette.metadata("queries", database=database, fallback=False) or {}):
        return None
    return {
        "search_reports": {
            "title": "Search the reports' text (Chinese, any length of term)",
            "description": "Current reports whose title or text contains the term. Three characters or "
            "more use the trigram index (reports_fts); one or two characters scan the text.",
            "sql": SEARCH_SQL,
        }
    }
