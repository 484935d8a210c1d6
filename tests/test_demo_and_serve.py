"""README command one: `nianbao demo`. (`nianbao serve` on a demo database, over HTTP
and in a browser, is tests/test_serve.py.)"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory, run_nianbao):
    data = tmp_path_factory.mktemp("demo") / "data"
    result = run_nianbao("demo", "--data", data, "--profile", "test")
    return data, result.stdout


def test_demo_summarises_and_tells_how_to_browse(demo):
    data, out = demo
    assert (data / "nianbao.db").exists()
    assert "Demo portal serving at http://127.0.0.1:" in out
    assert "reports found:        5" in out
    assert "reports with tables:  4" in out
    assert "consistency rules:    4 failed in 1 report(s)" in out
    assert "run checks:           OK" in out
    assert "pages skipped:" in out
    assert "nianbao serve --data" in out
