"""deploy/: the systemd units pass ``systemd-analyze verify``, the timer runs nightly as
the README says, and the cron line is valid and runs the same command at the same time."""

from __future__ import annotations

import configparser
import datetime
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

DEPLOY = Path(__file__).parent.parent / "deploy"
INSTALLED_NIANBAO = "/opt/nianbao/.venv/bin/nianbao"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def unit(name: str) -> configparser.ConfigParser:
    # Unit files repeat keys (SystemCallFilter=): keep the last, as the lists here allow.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def cron_entry() -> list[str]:
    lines = [line for line in (DEPLOY / "cron").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(lines) == 1, lines
    return lines[0].split(None, 6)  # minute hour day month weekday user command


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path):
    # verify checks that ExecStart= exists: point it at this checkout's nianbao.
    nianbao = Path(sys.executable).with_name("nianbao")
    assert nianbao.exists()
    for name in ("nianbao-crawl.service", "nianbao-crawl.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_NIANBAO, str(nianbao)), encoding="utf-8")
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", "nianbao-crawl.service", "nianbao-crawl.timer"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # unknown keys are only warned about: none allowed


def test_the_timer_runs_the_service_nightly_and_catches_up():
    timer = unit("nianbao-crawl.timer")["Timer"]
    assert timer["Unit"] == "nianbao-crawl.service"
    assert timer["OnCalendar"] == "*-*-* 01:30:00 Asia/Shanghai"
    assert timer["Persistent"] == "true"
    assert timer["RandomizedDelaySec"] == "45min"
    assert unit("nianbao-crawl.timer")["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_timers_calendar_is_valid():
    timer = unit("nianbao-crawl.timer")["Timer"]
    result = subprocess.run([SYSTEMD_ANALYZE, "calendar", timer["OnCalendar"]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Normalized form: *-*-* 01:30:00 Asia/Shanghai" in result.stdout


def test_the_service_is_a_sandboxed_oneshot_of_a_dedicated_user():
    service = unit("nianbao-crawl.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["User"] == service["Group"] == "nianbao"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/var/lib/nianbao"
    command = shlex.split(service["ExecStart"])
    assert command[:2] == [INSTALLED_NIANBAO, "crawl"]
    data = command[command.index("--data") + 1]
    assert data.startswith(service["ReadWritePaths"] + "/")  # the archive is writable


def test_the_cron_line_is_valid_and_runs_what_the_service_runs_at_the_same_time():
    minute, hour, day, month, weekday, user, command = cron_entry()
    assert (day, month, weekday) == ("*", "*", "*")
    assert 0 <= int(minute) <= 59 and 0 <= int(hour) <= 23
    assert "%" not in command  # cron would turn it into a newline
    assert subprocess.run(["sh", "-n", "-c", command], capture_output=True).returncode == 0
    service = unit("nianbao-crawl.service")["Service"]
    assert user == service["User"]
    exec_start = shlex.split(service["ExecStart"])
    crawl = shlex.split(command.split("&&", 1)[1].split(">>", 1)[0])
    assert crawl == exec_start
    assert f"cd {service['WorkingDirectory']} &&" in command
    # The same moment: the cron line's UTC time is the timer's 01:30 in China.
    at = datetime.datetime(2026, 1, 1, int(hour), int(minute), tzinfo=datetime.timezone.utc)
    assert at.astimezone(ZoneInfo("Asia/Shanghai")).time() == datetime.time(1, 30)
    assert "shuf -i 0-2700" in command  # the timer's 45 minutes of random delay


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="needs Debian's logrotate")
def test_the_logrotate_file_parses_and_names_the_cron_log(tmp_path):
    result = subprocess.run(["logrotate", "--debug", "--state", str(tmp_path / "state"), str(DEPLOY / "logrotate")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    log = next(part for part in cron_entry()[-1].split() if part.startswith(">>"))[2:]
    assert log in (DEPLOY / "logrotate").read_text(encoding="utf-8")
