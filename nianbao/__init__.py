"""The ``nianbao`` command-line interface (cli.py) and Datasette metadata.

The library lives in the top-level packages it drives: crawler/, pipelines/,
parsers/, archive/ and portal/.
"""

__version__ = "0.1.0"

# What Ctrl-C makes a command exit with, known before anything else is imported (__main__.py
# says it while the command line itself is still loading): 130 (128 + SIGINT, as a shell
# reports a command the signal ended), but 4 for crawl and demo (crawler.monitoring's
# "the crawl stopped before its end", with nothing recorded when it had not started).
EXIT_INTERRUPTED = 130
EXIT_CRAWL_FAILED = 4
CRAWL_COMMANDS = ("crawl", "demo")
NOTHING_RECORDED = "interrupted before the crawl started: nothing was recorded"
