"""The command line: help everywhere, documented in the README, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

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


def test_commands_need_an_existing_database(tmp_path):
    result = CliRunner().invoke(cli, ["export-warc", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no database at")
