"""Where a crawl's settings come from (crawler.run.crawl_settings): the command line (its
options, then -s NAME=VALUE), the environment (NIANBAO_* variables, as systemd's
EnvironmentFile= sets them), the profile, crawler/settings.py; unknown names and values
a setting cannot read are one ``Error:`` line before anything starts."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.monitoring import Thresholds
from nianbao import EXIT_CHECKS_FAILED
from crawler.profiles import PROFILES
from crawler.run import SettingError, crawl_settings, environment_settings
from nianbao.cli import cli


def test_each_source_wins_over_the_ones_below(monkeypatch, tmp_path):
    monkeypatch.setitem(PROFILES, "test", {**PROFILES["test"], "NIANBAO_MONITOR_MAX_ERROR_RATE": 0.3,
                                           "NIANBAO_NOTIFY_TIMEOUT": 5.0})
    environ = {"NIANBAO_MONITOR_MAX_ERROR_RATE": "0.5", "NIANBAO_RECHECK_AFTER_DAYS": "7",
               "DOWNLOAD_DELAY": "9", "NIANBAO_NETGUARD": "1"}
    settings = crawl_settings(tmp_path, "test", {"NIANBAO_RECHECK_AFTER_DAYS": "2"}, environ=environ)
    assert settings.getfloat("NIANBAO_MONITOR_MAX_ERROR_RATE") == 0.5  # environment over profile
    assert settings.getfloat("NIANBAO_RECHECK_AFTER_DAYS") == 2  # command line over environment
    assert settings.getfloat("NIANBAO_NOTIFY_TIMEOUT") == 5  # profile over crawler/settings.py
    assert settings.getfloat("NIANBAO_PROGRESS_INTERVAL") == 10  # crawler/settings.py
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.001  # only NIANBAO_* settings come from the environment
    assert "NIANBAO_NETGUARD" not in settings  # ... and only settings
    assert Thresholds.from_settings(settings).max_error_rate == 0.5
    assert environment_settings(environ) == {"NIANBAO_MONITOR_MAX_ERROR_RATE": "0.5",
                                             "NIANBAO_RECHECK_AFTER_DAYS": "7"}


@pytest.mark.parametrize("overrides, environ, message", [
    ({"CONCURRENT_REQUEST_PER_DOMAIN": "1"}, {},
     "unknown setting 'CONCURRENT_REQUEST_PER_DOMAIN' (not in crawler/settings.py or Scrapy's settings); "
     "did you mean CONCURRENT_REQUESTS_PER_DOMAIN?"),
    ({"DOWNLOAD_DELAY": "fast"}, {}, "-s DOWNLOAD_DELAY='fast': not a number"),
    # A count is a whole number: 2.5 requests at once is no setting (Scrapy's int() fails on it).
    ({"CONCURRENT_REQUESTS": "2.5"}, {}, "-s CONCURRENT_REQUESTS='2.5': not a whole number"),
    ({}, {"NIANBAO_MAX_LISTING_PAGES": "1e3"},
     "environment variable NIANBAO_MAX_LISTING_PAGES='1e3': not a whole number"),
    ({"NIANBAO_PARSE_WORKERS": "1.5"}, {}, "-s NIANBAO_PARSE_WORKERS='1.5': not a whole number"),  # unset by default
    ({"NIANBAO_MONITOR_MAX_BLOCKED_HOSTS": "0.5"}, {}, "-s NIANBAO_MONITOR_MAX_BLOCKED_HOSTS='0.5': not a whole number"),
    ({"DOWNLOAD_DELAY": "nan"}, {}, "-s DOWNLOAD_DELAY='nan': not a number"),
    ({"DOWNLOAD_DELAY": "inf"}, {}, "-s DOWNLOAD_DELAY='inf': not a number"),  # a delay never over
    ({"DOWNLOAD_HANDLERS": "{"}, {}, "-s DOWNLOAD_HANDLERS='{': not a JSON object"),
    # 0 requests at once fetch nothing and never end; a negative delay is no delay.
    ({"CONCURRENT_REQUESTS_PER_DOMAIN": "0"}, {}, "-s CONCURRENT_REQUESTS_PER_DOMAIN='0': at least 1"),
    ({}, {"NIANBAO_RECHECK_AFTER_DAYS": "-1"}, "environment variable NIANBAO_RECHECK_AFTER_DAYS='-1': at least 0"),
    ({"DOWNLOAD_DELAY": "-0.5"}, {}, "-s DOWNLOAD_DELAY='-0.5': at least 0"),
    ({}, {"NIANBAO_MONITOR_ENABLED": "maybe"},
     "environment variable NIANBAO_MONITOR_ENABLED='maybe': not true or false (1 or 0)"),
    ({"NIANBAO_DATA_DIR": "/elsewhere"}, {}, "NIANBAO_DATA_DIR is where the archive lives: give it as --data DIR"),
])
def test_a_setting_the_crawl_cannot_take_is_refused(tmp_path, overrides, environ, message):
    with pytest.raises(SettingError) as refused:
        crawl_settings(tmp_path, "test", overrides, environ=environ)
    assert str(refused.value) == message


@pytest.mark.parametrize("command", [["crawl", "--start-url", "http://127.0.0.1:1/x/"],
                                     ["discover", "http://127.0.0.1:1/"]], ids=lambda command: command[0])
def test_an_unknown_setting_is_one_line_before_anything_starts(tmp_path, command):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, [*command, "--data", str(data), "-s", "DOWNLOAD_DELAYS=2"])
    assert (result.exit_code, result.output) == (
        1, "Error: unknown setting 'DOWNLOAD_DELAYS' (not in crawler/settings.py or Scrapy's settings); "
           "did you mean DOWNLOAD_DELAY?\n")
    assert not data.exists()
    result = CliRunner().invoke(cli, [*command, "--data", str(data), "-s", "DOWNLOAD_DELAY"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == \
        "Error: Invalid value for '-s' / '--set': 'DOWNLOAD_DELAY': give NAME=VALUE, e.g. -s DOWNLOAD_DELAY=2"


def test_a_setting_is_read_as_its_type(tmp_path):
    """Whole numbers for counts, fractions where the setting takes them (Scrapy's timeouts
    have whole-number defaults but are seconds; the recheck interval is in days)."""
    settings = crawl_settings(tmp_path, "test", {"CONCURRENT_REQUESTS": "3", "DOWNLOAD_TIMEOUT": "2.5",
                                                 "DNS_TIMEOUT": "0.5", "NIANBAO_RECHECK_AFTER_DAYS": "0.25",
                                                 "DOWNLOAD_DELAY": "2", "NIANBAO_PARSE_WORKERS": ""})
    assert settings.getint("CONCURRENT_REQUESTS") == 3
    assert (settings.getfloat("DOWNLOAD_TIMEOUT"), settings.getfloat("DNS_TIMEOUT")) == (2.5, 0.5)
    assert settings.getfloat("NIANBAO_RECHECK_AFTER_DAYS") == 0.25
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.0


def test_each_setting_is_checked_as_the_crawl_reads_it():
    """The type a -s value is checked as (its default's, or crawler.run.READ_AS) is the one
    the code reads it as: every getint and getfloat of a setting in nianbao and in Scrapy.
    And each profile's values are of their setting's type."""
    import scrapy

    from crawler.run import known_settings, setting_type

    known = known_settings()
    sources = [path for folder in ("crawler", "pipelines") for path in (Path(__file__).parent.parent / folder).rglob("*.py")]
    sources += Path(scrapy.__file__).parent.rglob("*.py")
    reads = {}
    for path in sources:
        for reader, name in re.findall(r"\.get(int|float)\(\s*[\"']([A-Z_0-9]+)[\"']", path.read_text(encoding="utf-8")):
            reads.setdefault(name, set()).add({"int": int, "float": float}[reader])
    checked = {name: setting_type(name, known[name]) for name in reads if name in known}
    assert {name: kinds for name, kinds in reads.items() if name in known and kinds != {checked[name]}} == {}
    for profile in PROFILES.values():
        for name, value in profile.items():
            kind = setting_type(name, known[name]) or str
            assert isinstance(value, kind) or (kind is float and type(value) is int), (name, value)


def test_a_settings_default_is_written_once_in_settings_py():
    """Code read where the crawl's settings are Scrapy's alone (a test building a spider or a
    middleware directly) falls back to crawler/settings.py's value by name, not to a number
    of its own that could drift from it."""
    sources = [path for folder in ("crawler", "pipelines") for path in (Path(__file__).parent.parent / folder).rglob("*.py")]
    literal = re.compile(r"""\.get(?:int|float|bool)?\(\s*["'](NIANBAO_[A-Z_0-9]+)["']\s*,\s*(?:-?\.?\d|True|False|["'])""")
    assert [(path.name, name) for path in sources for name in literal.findall(path.read_text(encoding="utf-8"))] == []
    from scrapy.settings import Settings

    project = Settings()
    project.setmodule("crawler.settings")
    assert Thresholds.from_settings(Settings()) == Thresholds.from_settings(project)


def test_the_redis_url_comes_from_the_environment_and_its_password_is_never_printed(tmp_path):
    result = CliRunner().invoke(cli, ["crawl", "--start-url", "http://127.0.0.1:1/x/", "--data", str(tmp_path)],
                                env={"NIANBAO_REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"})
    assert result.exit_code == 1
    assert result.output.startswith("Error: no Redis at redis://:***@127.0.0.1:1/0: ")
    assert "s3cret" not in result.output
    assert "[env var: NIANBAO_REDIS_URL]" in " ".join(CliRunner().invoke(cli, ["crawl", "--help"]).output.split())


def test_a_real_crawl_takes_settings_from_the_environment_and_s_over_it(guarded_env, tmp_path):
    """The hook is a setting like any: set in the environment (as an EnvironmentFile would),
    then overridden with -s on the command line."""
    from_env, from_s = tmp_path / "from-env.txt", tmp_path / "from-s.txt"
    env = dict(guarded_env, NIANBAO_NOTIFY_COMMAND=f"cat > {shlex.quote(str(from_env))}")
    crawl = [sys.executable, "-m", "nianbao", "crawl", "--start-url", "http://127.0.0.1:1/zfxxgknb/",
             "--data", str(tmp_path / "data"), "--profile", "test"]

    first = subprocess.run(crawl, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == EXIT_CHECKS_FAILED, first.stderr[-3000:]  # nothing answers there
    assert from_env.read_text(encoding="utf-8") == first.stdout

    from_env.unlink()
    second = subprocess.run([*crawl, "-s", f"NIANBAO_NOTIFY_COMMAND=cat > {shlex.quote(str(from_s))}"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == EXIT_CHECKS_FAILED, second.stderr[-3000:]
    assert from_s.read_text(encoding="utf-8") == second.stdout
    assert not from_env.exists()


DOCS = [Path(__file__).parent.parent / "README.md", Path(__file__).parent.parent / "deploy" / "README.md"]
NOT_SETTINGS = {"NIANBAO_REDIS_URL",  # --redis
                "NIANBAO_RUN_ID", "NIANBAO_RUN_OK", "NIANBAO_EXIT_STATUS"}  # what a notify command is given


def test_every_nianbao_variable_the_docs_name_can_be_set():
    named = {name for doc in DOCS for name in re.findall(r"NIANBAO_[A-Z_]+", doc.read_text(encoding="utf-8"))}
    assert named - NOT_SETTINGS <= set(environment_settings({name: "" for name in named}))
    env_file = re.search(r"cat > /etc/nianbao/crawl.env <<'END'\n(.*?)\nEND\n", DOCS[1].read_text(encoding="utf-8"),
                         re.S).group(1)
    example = dict(line.split("=", 1) for line in env_file.splitlines() if not line.startswith("#"))
    settings = crawl_settings("unused", "polite", environ=example)  # every value readable
    assert settings.getfloat("NIANBAO_RECHECK_AFTER_DAYS") == 7
    service = (Path(__file__).parent.parent / "deploy" / "nianbao-crawl.service").read_text(encoding="utf-8")
    assert "\nEnvironmentFile=-/etc/nianbao/crawl.env\n" in service
