"""README command one: `nianbao demo`, then `nianbao serve` — a real Datasette
process on the produced database, queried over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory, run_nianbao):
    data = tmp_path_factory.mktemp("demo") / "data"
    result = run_nianbao("demo", "--data", data, "--profile", "test")
    return data, result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def test_demo_summarises_and_tells_how_to_browse(demo):
    data, out = demo
    assert (data / "nianbao.db").exists()
    assert "Demo portal serving at http://127.0.0.1:" in out
    assert "reports found:        5" in out
    assert "reports with tables:  4" in out
    assert "failed checks:" in out
    assert "pages skipped:" in out
    assert "nianbao serve --data" in out


@pytest.fixture(scope="module")
def datasette(demo, guarded_env):
    data, _ = demo
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nianbao", "serve", "--data", str(data), "--port", str(port)],
        env=guarded_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(f"{base}/-/versions.json")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"datasette did not start: {process.stdout.read().decode()}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_reports_are_queryable_over_http(datasette):
    reports = get_json(f"{datasette}/nianbao/reports.json?_shape=array")
    assert len(reports) == 5
    assert {r["year"] for r in reports} == {2021, 2023, 2024}


def test_cells_link_to_reports_and_carry_what_was_printed(datasette):
    cells = get_json(f"{datasette}/nianbao/cells.json?_shape=array&row_key=new_received&column_key=total")
    assert sorted(c["value"] for c in cells) == [6, 6, 47, 160]
    assert all(c["text"] and c["location"] for c in cells)


def test_failing_checks_are_browsable(datasette):
    fails = get_json(f"{datasette}/nianbao/checks.json?_shape=array&status=fail")
    assert {f["rule"] for f in fails} == {"R1", "R3"}


def test_metadata_describes_the_tables(datasette):
    metadata = get_json(f"{datasette}/-/metadata.json")
    tables = metadata["databases"]["nianbao"]["tables"]
    assert "cells" in tables and "value" in tables["cells"]["columns"]
