"""Ctrl-C (SIGINT) during `nianbao demo` and `nianbao crawl`: no traceback, exit status 4
(the crawl stopped early), the run recorded `interrupted` when one was opened, and a line
saying that running again resumes it.

To hit each moment exactly, the command's own process sends itself SIGINT, as the terminal
would, when a named function is called (a driver patches it and then runs the command).
tests/test_run_lock.py sends the signal from outside while a crawl waits for its report
pages, and crawls again to see the run resumed.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

DRIVER = """
import importlib, os, signal, sys

target, nth = sys.argv[1], int(sys.argv[2])
module, _, attribute = target.partition(":")
owner = importlib.import_module(module)
*path, name = attribute.split(".")
for part in path:
    owner = getattr(owner, part)
real, calls = getattr(owner, name), []


def interrupted(*args, **kwargs):
    calls.append(1)
    if len(calls) == nth:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
    return real(*args, **kwargs)


setattr(owner, name, interrupted)
from nianbao.cli import cli

cli(sys.argv[3:], prog_name="nianbao")
"""

INTERRUPTED = "Interrupted: run 1 stopped before its end; run the same command again to resume it."


def interrupted_at(env, target: str, nth: int, *args):
    """``nianbao ARGS``, sending itself SIGINT at the ``nth`` call of ``target`` (module:attribute)."""
    return subprocess.run([sys.executable, "-c", DRIVER, target, str(nth), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def runs(data):
    if not (data / "nianbao.db").exists():
        return []
    with sqlite3.connect(data / "nianbao.db") as db:
        return [tuple(r) for r in db.execute("select id, status, resumes from crawl_runs order by id")]


def test_demo_interrupted_while_it_crawls(guarded_env, tmp_path):
    result = interrupted_at(guarded_env, "crawler.middlewares.snapshots:store_snapshot", 3,
                            "demo", "--data", tmp_path, "--profile", "test")
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "FAIL  crawl finished: the crawl stopped early (interrupted by SIGINT): the next crawl resumes it" \
        in result.stdout
    assert result.stderr.splitlines()[-1] == INTERRUPTED
    assert "Browse it" not in result.stdout
    assert runs(tmp_path) == [(1, "interrupted", None)]
