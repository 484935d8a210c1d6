"""The command line: help everywhere, documented in the README, clean errors."""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.schema import open_database
from conftest import get_test_file
from nianbao.cli import cli

README = Path(__file__).parent.parent / "README.md"
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert f"nianbao {command}" in README.read_text(encoding="utf-8")


def test_parse_prints_the_report_as_json():
    seed = next(get_test_file("seeds").glob("003_*.txt"))
    result = CliRunner().invoke(cli, ["parse", str(seed)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["agency"] == "合作市"
    assert report["applications"]["granted"]["total"] == 6
    assert {c["rule"] for c in report["checks"]} >= {"R1", "R3", "R4", "R5"}
    assert set(report["failing_rules"]) == {"R1", "R3"}


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.html", b""),
        ("random.bin", bytes(range(256)) * 40),
        ("not-a-report.html", "<html><head><title>首页</title></head><body><p>欢迎访问</p></body></html>".encode()),
    ],
)
def test_parse_rejects_bad_input_with_one_line(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code != 0
    assert result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_parse_names_an_unreadable_format_without_crawl_words():
    path = get_test_file("attachments", "legacy.doc")
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert (result.exit_code, result.output) == (1, f"Error: {path}: unreadable attachment format: DOC (legacy Word)\n")


def test_commands_need_an_existing_database(tmp_path):
    result = CliRunner().invoke(cli, ["export-warc", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no database at")


# ---- errors any command can meet, made one line at the CLI edge -----------------------

CORRECT = ["correct", "--report", "1", "--table", "applications", "--row", "new_received", "--column", "total",
           "--value", "48", "--who", "李伟", "--why", "PDF says 48"]


@pytest.mark.parametrize("command", [["runs"], ["serve"], ["reparse"], ["export-warc"], ["export-wacz"],
                                     ["export", "--table", "cells"], ["rebuild-wide-tables"], ["rebuild-cross-checks"],
                                     CORRECT],
                         ids=lambda command: command[0])
def test_a_file_that_is_not_a_database_is_one_line(tmp_path, command):
    (tmp_path / "nianbao.db").write_text("hello\n")
    result = CliRunner().invoke(cli, [*command, "--data", str(tmp_path)])
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path / 'nianbao.db'}: file is not a database\n")


def test_merge_names_the_file_that_is_not_a_database(tmp_path):
    (tmp_path / "notes.db").write_text("hello\n")
    result = CliRunner().invoke(cli, ["merge", "-s", str(tmp_path / "out.db"), str(tmp_path / "notes.db")])
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path / 'notes.db'}: file is not a database\n")
    sqlite3.connect(tmp_path / "part.db").execute("create table t (x)")
    result = CliRunner().invoke(cli, ["merge", "-s", str(tmp_path / "notes.db"), str(tmp_path / "part.db")])
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path / 'notes.db'}: file is not a database\n")


def moved_raw_store(tmp_path) -> tuple[Path, Path]:
    """DATA whose raw store file was moved away: (DATA, where it is now)."""
    data = tmp_path / "data"
    data.mkdir()
    open_database(data / "nianbao.db", archive=tmp_path / "raw.db").close()
    return data, (tmp_path / "raw.db").rename(tmp_path / "moved.db")


def test_serve_checks_the_archive_before_announcing_itself(tmp_path):
    data, _ = moved_raw_store(tmp_path)
    result = CliRunner().invoke(cli, ["serve", "--data", str(data)])
    assert (result.exit_code, result.output) == (
        1, f"Error: {data / 'nianbao.db'} keeps its raw bodies in {tmp_path / 'raw.db'}, which does not exist; "
           "give its new place with --archive-db\n")


def test_a_raw_store_that_is_not_a_database_is_named(tmp_path):
    data, _ = moved_raw_store(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    result = CliRunner().invoke(cli, ["export", "--table", "cells", "--data", str(data), "--archive-db", str(notes)])
    assert (result.exit_code, result.output) == (1, f"Error: {notes}: file is not a database\n")


@pytest.mark.parametrize("command", [["runs"], CORRECT], ids=lambda command: command[0])
def test_a_moved_raw_store_is_one_line_and_found_again_with_archive_db(tmp_path, command):
    data, moved = moved_raw_store(tmp_path)
    result = CliRunner().invoke(cli, [*command, "--data", str(data)])
    assert (result.exit_code, result.output) == (
        1, f"Error: {data / 'nianbao.db'} keeps its raw bodies in {tmp_path / 'raw.db'}, which does not exist; "
           "give its new place with --archive-db\n")
    result = CliRunner().invoke(cli, [*command, "--data", str(data), "--archive-db", str(moved)])
    assert result.output == {"runs": "No crawl runs yet.\n", "correct": "Error: no report 1\n"}[command[0]]
    assert CliRunner().invoke(cli, [*command, "--data", str(data)]).output == result.output  # recorded


@pytest.mark.parametrize("command, option", [
    (["export-warc", "-o", "OUT"], "'-o' / '--output'"),
    (["export-wacz", "-o", "OUT"], "'-o' / '--output'"),
    (["export", "--table", "applications", "-o", "OUT"], "'-o' / '--output'"),
    (["export", "--table", "applications", "--format", "parquet", "-o", "OUT"], "'-o' / '--output'"),
    (["discover", "http://127.0.0.1:9/", "--out", "OUT"], "'--out'"),
], ids=lambda value: value[0] if isinstance(value, list) else "")
def test_an_output_in_a_missing_directory_is_refused_before_any_work(tmp_path, command, option):
    output = tmp_path / "nodir" / "out.file"
    args = [str(output) if arg == "OUT" else arg for arg in command]
    result = CliRunner().invoke(cli, args + ["--data", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (f"Error: Invalid value for {option}: cannot write '{output}': "
                                              f"directory '{output.parent}' does not exist.")


def test_a_damaged_database_is_one_line_that_says_where_to_look(tmp_path):
    """SQLite does not say which file is damaged: nianbao.db or the raw store it attaches."""
    open_database(tmp_path / "nianbao.db").close()
    with open(tmp_path / "nianbao.db", "r+b") as damaged:
        damaged.seek(4096)
        damaged.write(b"\xff" * ((tmp_path / "nianbao.db").stat().st_size - 4096))
    result = CliRunner().invoke(cli, ["runs", "--data", str(tmp_path)])
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path / 'nianbao.db'}: database disk image is "
                                                    "malformed (in it or in its raw store: `nianbao verify` checks both)\n")


def test_export_warc_writes_what_is_intact_and_fails_naming_what_it_left_out(tmp_path):
    from archive.snapshots import store_snapshot

    db = open_database(tmp_path / "nianbao.db")
    for name in ("a", "b"):
        store_snapshot(db, url=f"http://127.0.0.1:1/{name}.html", method="GET", request_headers=[], status=200,
                       response_headers=[["Content-Type", "text/html"]], body=f"<p>{name}</p>".encode())
    db.execute("pragma foreign_keys = off")
    with db.conn:
        db.execute("delete from payloads where digest = (select payload_digest from snapshots where id = 1)")
    db.close()
    result = CliRunner().invoke(cli, ["export-warc", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout.startswith("Wrote 1 exchanges (3 records)")
    assert result.stderr.splitlines()[-2].startswith("Left out: snapshot 1 (http://127.0.0.1:1/a.html): its stored "
                                                      "body is missing (no payload sha1:")
    assert result.stderr.splitlines()[-1] == ("Error: 1 snapshot(s) left out of "
                                              f"{tmp_path / 'nianbao.warc.gz'}: their stored bodies are missing or "
                                              "damaged (`nianbao verify` lists the damage)")


def test_merge_makes_the_directory_of_its_output(tmp_path):
    """As crawl makes DATA: `nianbao merge data/nianbao.db part-a/nianbao.db` on a fresh machine."""
    part = tmp_path / "part-a" / "nianbao.db"
    part.parent.mkdir()
    open_database(part).close()
    result = CliRunner().invoke(cli, ["merge", "-s", str(tmp_path / "data" / "nianbao.db"), str(part)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "nianbao.db").exists()


def test_a_broken_pipe_that_is_not_standard_output_is_not_hidden():
    """A webhook's socket or a child's pipe closing is an error to see, not `| head`."""
    import click

    from nianbao.cli import Nianbao

    @click.group(cls=Nianbao)
    def group():
        pass

    @group.command()
    def post():
        raise BrokenPipeError("the webhook's socket")

    result = CliRunner().invoke(group, ["post"])
    assert isinstance(result.exception, BrokenPipeError) and result.exit_code == 1


@pytest.mark.parametrize("command", [["runs"], ["export", "--table", "crawl_runs", "-o", "-"]],
                         ids=lambda command: command[0])
def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path, guarded_env, command):
    """`nianbao export --table cells -o - | head -2`: no message, the status of a command
    that SIGPIPE ended (141), as `seq 100000 | head -2` has."""
    open_database(tmp_path / "nianbao.db").close()
    process = subprocess.Popen([sys.executable, "-m", "nianbao", *command, "--data", str(tmp_path)],
                               env=guarded_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line
    assert (process.wait(timeout=60), process.stderr.read()) == (141, b"")
    process.stderr.close()


def test_portal_on_a_port_that_is_taken_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["portal", "--port", str(port)])
    assert (result.exit_code, result.output) == (1, f"Error: cannot serve on 127.0.0.1:{port}: Address already in use\n")


# crawl and discover open the archive before the crawl starts, so its errors reach this edge
# (inside Twisted's reactor they were logged as tracebacks).

CRAWLS = [["crawl", "--start-url", "http://127.0.0.1:9/zfxxgknb/"], ["discover", "http://127.0.0.1:9/"]]


@pytest.mark.parametrize("command", CRAWLS, ids=lambda command: command[0])
def test_a_crawl_into_a_file_that_is_not_a_database_is_one_line(run_nianbao, tmp_path, command):
    (tmp_path / "nianbao.db").write_text("hello\n")
    result = run_nianbao(*command, "--data", tmp_path, "--profile", "test", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"Error: {tmp_path / 'nianbao.db'}: file is not a database\n")


@pytest.mark.parametrize("command", CRAWLS, ids=lambda command: command[0])
def test_a_crawl_whose_raw_store_moved_is_one_line_and_finds_it_with_archive_db(run_nianbao, tmp_path, command):
    data, moved = moved_raw_store(tmp_path)
    result = run_nianbao(*command, "--data", data, "--profile", "test", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"Error: {data / 'nianbao.db'} keeps its raw bodies in {tmp_path / 'raw.db'}, which does not "
               "exist; give its new place with --archive-db\n")
    again = run_nianbao(*command, "--data", data, "--profile", "test", "--archive-db", moved, check=False)
    assert "Traceback" not in again.stderr and "raw bodies" not in again.stderr, again.stderr[-3000:]
    with sqlite3.connect(data / "nianbao.db") as db:  # it crawled, and recorded where the bodies are now
        assert db.execute("select count(*) from crawl_runs").fetchone()[0] == 1
        assert db.execute("select path from raw_store").fetchone()[0] == str(moved.resolve())


# ---- commands that only read leave DATA as they found it ------------------------------------

def data_listing(data: Path) -> dict[str, str]:
    """Every file in DATA with a digest of its bytes: what a command that only reads must leave as it was."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(data.iterdir())}


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> Path:
    """Two reports of consecutive years, their bodies in a raw store beside nianbao.db."""
    from reports_db import store

    data = tmp_path_factory.mktemp("reading") / "data"
    data.mkdir()
    db = open_database(data / "nianbao.db", archive=data / "raw.db")
    for year, total in ((2021, 4), (2022, 3)):
        store(db, f"http://127.0.0.1:9/{year}.html", agency="示范县人民政府", year=year,
              applications={"carried_forward" if year == 2021 else "carried_over": {"total": total}})
    db.close()
    return data


READING = [
    ["verify"],
    ["runs"],
    ["runs", "7"],  # no such run: an error after the database is open
    ["export", "--table", "report_list", "-o", "OUT/reports.csv"],
    ["export", "--table", "no_such_table"],  # refused after the database is open
    ["export-warc", "-o", "OUT/archive.warc.gz"],
    ["export-wacz", "-o", "OUT/archive.wacz"],
    ["merge", "OUT/merged.db", "DATA/nianbao.db"],  # DATA is an input: only read
]


@pytest.mark.parametrize("command", READING, ids=["verify", "runs", "runs-missing", "export", "export-refused",
                                                  "export-warc", "export-wacz", "merge-input"])
def test_a_command_that_only_reads_leaves_data_as_it_found_it(small_archive, tmp_path, run_nianbao, command):
    """No -wal or -shm left beside nianbao.db or its raw store, and not a byte of either
    changed (a reader of a WAL database makes those files; only a writer removes them)."""
    import shutil

    data, out = tmp_path / "data", tmp_path / "out"
    shutil.copytree(small_archive, data)
    out.mkdir()
    before = data_listing(data)
    args = [arg.replace("OUT", str(out)).replace("DATA", str(data)) for arg in command]
    result = run_nianbao(*args, *([] if command[0] == "merge" else ["--data", data]), check=False)
    assert "Traceback" not in result.stderr
    assert result.returncode == (1 if command[1:] in (["7"], ["--table", "no_such_table"]) else 0), result.stderr
    after = data_listing(data)
    assert list(after) == list(before)  # no file left beside them
    assert after == before  # and not a byte changed


def test_verify_leaves_the_files_of_another_connection_to_it(small_archive, tmp_path, run_nianbao):
    """A crawl (here: this test) has nianbao.db open: its -wal and -shm are its own, and stay."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(small_archive, data)
    db = open_database(data / "nianbao.db")
    try:
        assert (data / "nianbao.db-wal").exists()
        assert "No problems found." in run_nianbao("verify", "--data", data).stdout
        assert (data / "nianbao.db-wal").exists() and (data / "nianbao.db-shm").exists()
        assert db.execute("select count(*) from reports").fetchone()[0] == 2  # still its to use
    finally:
        db.close()
    assert not (data / "nianbao.db-wal").exists()
