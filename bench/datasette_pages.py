"""How long the Datasette pages a researcher opens first take on a national-scale archive.

Serves the archive as `nianbao serve` does (its metadata, settings and plugin) through
Datasette's own in-process client, and times, as whole HTML pages: the index, the database
page, every table and view, every canned query (with the parameters a researcher would
give, and with none, as the query's page first opens) and /-/charts. Each page is asked
once untimed, then --repeat times (median). With --trace, the slowest SQL statements of
each slow page are printed beside it (Datasette's ?_trace=1).

Example:
    .venv/bin/python bench/archive_scale.py                  # builds the archive (cached)
    .venv/bin/python bench/datasette_pages.py                # the default archive_scale archive
    .venv/bin/python bench/datasette_pages.py --db PATH --only query --trace
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import yaml  # noqa: E402

import archive_scale  # noqa: E402
import reparse_bench  # noqa: E402
from nianbao.datasette import serve  # noqa: E402


def settings() -> dict:
    """serve.SETTINGS as Datasette's Python API takes them (typed, as its CLI converts them)."""
    typed = {}
    for name, value in serve.SETTINGS.items():
        typed[name] = {"on": True, "off": False}.get(value, int(value) if value.isdigit() else value)
    return typed


def pages(db_name: str, metadata: dict, examples: dict) -> list[str]:
    found = ["/", f"/{db_name}"]
    found += [f"/{db_name}/{table}" for table in metadata["databases"][db_name]["tables"] if table != "raw_store"]
    for name in [*metadata["databases"][db_name]["queries"], "search_reports"]:
        found.append(f"/{db_name}/{name}")
        if examples.get(name):
            found.append(f"/{db_name}/{name}?" + urlencode(examples[name]))
    found.append("/-/charts")
    return list(dict.fromkeys(found))


async def measure(path: Path, repeat: int, only: str | None, trace: bool):
    from datasette.app import Datasette

    serve.register_plugin()
    metadata = yaml.safe_load(serve.METADATA_PATH.read_text(encoding="utf-8"))
    options = settings()
    if trace:
        options["trace_debug"] = True
    datasette = Datasette([str(path)], metadata=metadata, settings=options)
    await datasette.invoke_startup()
    db_name = path.stem
    database = datasette.get_database(db_name)
    first_agency = (await database.execute("select name from agencies order by id limit 1")).first()
    agency = first_agency[0] if first_agency else "教育局"
    examples = {"rule_failures": {"rule": "R1"}, "body_series": {"agency": agency},
                "bodies_missing_a_year": {"until": "2023"}, "top_bodies_by_applications": {"year": "2023"},
                "search_reports": {"term": "复议"}}
    for page in pages(db_name, metadata, examples):
        if only and only not in page:
            continue
        response = await datasette.client.get(page)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = await datasette.client.get(page)
            times.append((time.perf_counter() - t0) * 1000)
        slowest = []
        if trace:
            try:
                traced = await datasette.client.get(page + ("&" if "?" in page else "?") + "_trace=1")
                slowest = _slowest_statements(traced.text)
            except AssertionError:  # httpx's ASGI transport, on some pages with a trace appended
                slowest = ["(no trace)"]
        yield statistics.median(times), response.status_code, page, slowest


def _slowest_statements(page: str, count: int = 4) -> list[str]:
    """The slowest SQL statements of a page Datasette served with ?_trace=1."""
    found = re.search(r"<pre>(\{.*?)</pre>", page, re.S)
    if not found:
        return []
    traces = json.loads(html.unescape(found.group(1)))["traces"]
    traces = [t for t in traces if t.get("type") == "sql"]
    traces.sort(key=lambda t: -t["duration_ms"])
    return [f"{t['duration_ms']:.0f} ms {' '.join(t['sql'].split())[:160]}" for t in traces[:count]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="the database (default: archive_scale.py's, with its defaults)")
    parser.add_argument("--repeat", type=int, default=3, help="timed requests of each page (default 3)")
    parser.add_argument("--only", help="only the pages whose path contains this")
    parser.add_argument("--trace", action="store_true", help="print the slowest statements of each page over 500 ms")
    args = parser.parse_args(argv)
    path = args.db or archive_scale.scaled_path(reparse_bench.CACHE, archive_scale.DEFAULT_BASE_PAGES,
                                                archive_scale.DEFAULT_URLS, archive_scale.DEFAULT_SITES,
                                                archive_scale.DEFAULT_NIGHTS)
    if not path.exists():
        parser.error(f"no archive at {path}: run bench/archive_scale.py first, or give --db")
    print(f"archive: {path}; settings {serve.SETTINGS}")
    print("      ms  status  page")

    async def run():
        async for ms, status, page, slowest in measure(path, args.repeat, args.only, args.trace):
            print(f"{ms:8.1f}  {status}     {page}", flush=True)
            for line in slowest if ms > 500 else []:
                print(f"            {line}", flush=True)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
