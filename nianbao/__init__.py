"""The ``nianbao`` command and nianbao in Datasette.

- __init__.py               the version, and the exit statuses every command shares (below)
- __main__.py               ``python -m nianbao`` and the ``nianbao`` entry point (pyproject.toml)
- cli.py                    the command group: library errors any command can meet turned into
                            ``Error: …``, Ctrl-C and the other stop signals into one line
- commands/                 every command, one module per concept (its __init__.py lists them): a
                            thin shell over a library function (README.md's table names each);
                            common.py holds what they share (--data, --archive-db, progress bar)
- datasette/                ``nianbao serve``: serve.py starts Datasette, plugin.py adds raw pages
                            (raw_page.py), charts (charts.py, templates/) and the search query
- datasette_metadata.yaml   titles, descriptions and facets of the tables Datasette shows
- sites/                    the site registries nianbao ships (demo.yaml, cn-unverified.yaml;
                            ``--sites demo``: commands/common.py) and their format (README.md)

The library lives in the top-level packages it drives: crawler/ (``crawl``, ``discover``,
``check-sites``), pipelines/, parsers/ (``parse``), archive/ (everything that reads or writes
nianbao.db) and portal/ (``demo``, ``portal``).
"""

__version__ = "0.1.0"

# Exit statuses a scheduler reads, one scheme for `nianbao crawl` and `nianbao reparse`
# (crawler/monitoring.py, commands/), known before anything else is imported:
EXIT_OK = 0
EXIT_CHECKS_FAILED = 3  # the run finished, not cleanly: a crawl's checks failed; pages a reparse could not parse
EXIT_CRAWL_FAILED = 4  # the run stopped before its end; the same command again continues it
EXIT_LOCKED = 75  # another crawl or reparse holds the archive: nothing done (EX_TEMPFAIL: try again later)
# Ctrl-C, SIGTERM or SIGHUP makes a command exit with 128 + the signal's number (130, 143,
# 129: nianbao/stop_signals.py), but crawl and demo with 4 (the crawl stopped before its end,
# with nothing recorded when it had not started).
CRAWL_COMMANDS = ("crawl", "demo")
NOTHING_RECORDED = "interrupted before the crawl started: nothing was recorded"
