"""Shared fixtures. Every test runs with the loopback-only network guard, in this
process and in every subprocess started through ``run_nianbao``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
DATA = TESTS / "data"
NETGUARD = TESTS / "netguard"

sys.path.insert(0, str(NETGUARD))
import nianbao_netguard  # noqa: E402

nianbao_netguard.install()


def get_test_file(*parts) -> Path:
    """A fixture file under tests/data/."""
    return DATA.joinpath(*parts)


@pytest.fixture(scope="session")
def netguard_log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("netguard") / "attempts.log"
    path.touch()
    return path


@pytest.fixture(scope="session")
def guarded_env(netguard_log) -> dict:
    """Environment for subprocesses: the network guard on, its log shared."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")]))
    env["NIANBAO_NETGUARD"] = "1"
    env["NIANBAO_NETGUARD_LOG"] = str(netguard_log)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture(scope="session")
def run_nianbao(guarded_env):
    """Run the real ``nianbao`` command in a subprocess: run_nianbao("parse", path)."""

    def run(*args, check=True, timeout=300, cwd=None):
        result = subprocess.run(
            [sys.executable, "-m", "nianbao", *map(str, args)],
            env=guarded_env, capture_output=True, text=True, timeout=timeout, cwd=cwd,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"nianbao {' '.join(map(str, args))} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    return run


@pytest.fixture(scope="session")
def crawled(tmp_path_factory, run_nianbao) -> Path:
    """The demo portal crawled once for the whole session (`nianbao demo`): 5 report pages, 4
    with tables, one failing checks. Shared by every module, so no test changes it: each
    changes a copy (``data``, or a copy of its own)."""
    data = tmp_path_factory.mktemp("crawled") / "data"
    run_nianbao("demo", "--data", data, "--profile", "test")
    return data


@pytest.fixture
def data(crawled, tmp_path) -> Path:
    """A copy of the crawled archive, for one test to change."""
    copy = tmp_path / "data"
    shutil.copytree(crawled, copy)
    return copy


def pytest_sessionfinish(session, exitstatus):
    if nianbao_netguard.attempts:
        print("\nnetwork guard refused:", *nianbao_netguard.attempts, sep="\n  ")
        session.exitstatus = 1


_RUN_CRAWL = (
    "import json, sys\n"
    "from crawler.run import run_crawl\n"
    "run_crawl(json.load(open(sys.argv[1])), sys.argv[2], profile=sys.argv[3], overrides=json.loads(sys.argv[4]))\n"
)


def registry_sites(*paths) -> list[dict]:
    """The sites of registry files as ``nianbao crawl --sites`` reads them (``read_registries``);
    an entry refused, which the crawl would leave out, fails the test."""
    from crawler.registry import read_registries

    registry = read_registries(paths)
    assert registry.problems == [], registry.problems
    return registry.sites


def run_crawl_subprocess(env, sites, data, profile, overrides, timeout=240):
    """``crawler.run.run_crawl(sites, data, profile, overrides)`` in a subprocess (Twisted's
    reactor runs once per process); settings overrides are what ``nianbao crawl`` cannot pass."""
    sites_file = Path(data).with_suffix(".sites.json")
    sites_file.write_text(json.dumps(sites, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _RUN_CRAWL, str(sites_file), str(data), profile, json.dumps(overrides)],
        env=env, cwd=TESTS.parent, capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def hangup_by_default() -> None:
    """``preexec_fn`` for a command a test sends SIGHUP to: it starts with SIGHUP's default
    action, as from a terminal, even when the tests run under ``nohup``, whose ignored SIGHUP
    a child inherits (and nianbao keeps ignored, as nohup asks)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
