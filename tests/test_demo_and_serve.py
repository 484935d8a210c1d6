"""README command one: `nianbao demo`, run twice on one data directory as the README's
nightly runs are. (`nianbao serve` on a demo database, over HTTP and in a browser, is
tests/test_serve.py.)"""

from __future__ import annotations

import socket
import sqlite3

import pytest

from portal.demo_port import remember_port, remembered_port, start_on_remembered_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory, run_nianbao):
    data = tmp_path_factory.mktemp("demo") / "data"
    first = run_nianbao("demo", "--data", data, "--profile", "test")
    second = run_nianbao("demo", "--data", data, "--profile", "test")
    return data, first.stdout, second.stdout


def test_demo_summarises_and_tells_how_to_browse(demo):
    data, out, _ = demo
    assert (data / "nianbao.db").exists()
    assert "Demo portal serving at http://127.0.0.1:" in out
    assert "reports found:        5" in out
    assert "reports with tables:  4" in out
    assert "consistency rules:    4 failed in 1 report(s)" in out
    assert "run checks:           OK" in out
    assert "pages skipped:" in out
    assert "nianbao serve --data" in out


def test_demo_again_on_the_same_data_is_the_next_night(demo):
    data, first, second = demo
    address = first.splitlines()[0]
    assert second.splitlines()[0] == address  # the same port: the same URLs
    assert "  unchanged:          7 not modified (304), 2 same body" in second
    assert "reports found:        5 (0 new, 0 new versions)" in second
    with sqlite3.connect(data / "nianbao.db") as db:
        assert db.execute("select count(*) from reports").fetchone()[0] == 5
        assert db.execute("select count(distinct payload_digest) from snapshots").fetchone()[0] == \
            db.execute("select count(*) from snapshots where run_id = 1").fetchone()[0]


def test_a_remembered_port_taken_now_is_replaced_by_a_free_one_saying_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "demo-portal.port").write_text(f"{port}\n")
        portal, note = start_on_remembered_port(tmp_path)
        with portal:
            instead = portal.port
            assert instead != port
            assert note == (f"port {port}, where the last demo into {tmp_path} served, is taken now (Address "
                            f"already in use): serving on port {instead} instead, so this crawl fetches "
                            "every page again under a new address")
            remember_port(tmp_path, portal)
        assert remembered_port(tmp_path) == instead
    portal, note = start_on_remembered_port(tmp_path)  # free again: taken back, nothing to say
    with portal:
        assert (portal.port, note) == (remembered_port(tmp_path), None)


def test_a_demo_archive_from_before_the_port_was_remembered_gives_its_port(tmp_path):
    """The first nianbao's demo (tests/data/schema/v1.db) kept no port file: its next demo,
    after the upgrade, serves where the column it archived was, and asks conditionally."""
    import shutil

    from conftest import get_test_file

    assert remembered_port(tmp_path) is None  # nothing there
    shutil.copy(get_test_file("schema", "v1.db"), tmp_path / "nianbao.db")
    assert remembered_port(tmp_path) == 41209  # http://127.0.0.1:41209/zwgk/zfxxgknb/index.html
    (tmp_path / "demo-portal.port").write_text("41210\n")
    assert remembered_port(tmp_path) == 41210  # the file says where the last demo served
    with sqlite3.connect(tmp_path / "nianbao.db") as db:  # an archive of other sites only
        db.execute("update snapshots set url = replace(url, '127.0.0.1:41209', 'www.example.gov.cn')")
    db.close()
    (tmp_path / "demo-portal.port").unlink()
    assert remembered_port(tmp_path) is None


@pytest.mark.parametrize("argv0,on_path,shown", [
    (".venv/bin/nianbao", None, ".venv/bin/nianbao"),                       # README: no activated venv
    ("{bin}/nianbao", "{bin}/nianbao", "nianbao"),                          # on PATH: this one
    (".venv/bin/nianbao", "/usr/local/bin/nianbao", ".venv/bin/nianbao"),   # on PATH: another one
    ("{bin}/nianbao", "/gone/bin/nianbao", "{bin}/nianbao"),               # on PATH: one since removed
    ("{pkg}/__main__.py", None, "{python} -m nianbao"),                     # python -m nianbao
    ("{pkg}/__main__.py", "{python_bin}/nianbao", "nianbao"),               # ... of an activated venv
    ("/opt/my tools/nianbao", None, "'/opt/my tools/nianbao'"),
])
def test_demo_tells_how_to_browse_with_a_command_that_runs(monkeypatch, tmp_path, argv0, on_path, shown):
    import shutil
    import sys
    from pathlib import Path

    import nianbao
    from nianbao.commands.common import this_command

    monkeypatch.chdir(tmp_path)  # a relative argv0 means nothing here unless the case makes it
    script = tmp_path / "bin" / "nianbao"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    python = tmp_path / "venv" / "bin" / "python"
    names = {"bin": script.parent, "pkg": Path(nianbao.__file__).parent, "python": python, "python_bin": python.parent}
    monkeypatch.setattr(sys, "argv", [argv0.format(**names), "demo"])
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(shutil, "which", lambda name: on_path and on_path.format(**names))
    assert this_command() == shown.format(**names)


def test_demo_prints_commands_that_run(demo):
    import shutil
    import sys
    from pathlib import Path

    data, out, _ = demo
    on_path = shutil.which("nianbao")  # run_nianbao runs `python -m nianbao` with this PATH
    nianbao = ("nianbao" if on_path and Path(on_path).parent == Path(sys.executable).parent
               else f"{sys.executable} -m nianbao")
    assert f"Browse it:  {nianbao} serve --data {data}   (Datasette" in out
    assert f"Export it:  {nianbao} export-warc --data {data}" in out
