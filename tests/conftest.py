"""Shared fixtures. Every test runs with the loopback-only network guard, in this
process and in every subprocess started through ``run_nianbao``."""

from __future__ import annotations

import os
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


def pytest_sessionfinish(session, exitstatus):
    if nianbao_netguard.attempts:
        print("\nnetwork guard refused:", *nianbao_netguard.attempts, sep="\n  ")
        session.exitstatus = 1
