"""Helpers for the tests of crawls shared through Redis (test_distributed.py): a redis-server
of a test's own, the flavour world of imitation sites, and the ``nianbao crawl --redis``
processes of a test, started, waited for and never left running."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import get_test_file

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(directory) -> tuple[subprocess.Popen, str]:
    """A redis-server of its own on a free port, no persistence (as the README has it): (process, URL)."""
    import redis

    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.1)
    client.close()
    return server, url


def stop_redis(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


@contextlib.contextmanager
def flavour_world(directory, latency: float = 0.0):
    """The five flavour sites and the department host, each answer ``latency`` seconds late:
    (portals by name, registry path)."""
    from portal.world import start_flavour_sites, stop_all

    portals, registry = start_flavour_sites(directory, pdf=get_test_file("attachments", "report_2024.pdf").read_bytes())
    for portal in portals.values():
        portal.latency = latency
    try:
        yield portals, registry
    finally:
        stop_all(portals)


def pages_answered(portals) -> int:
    return sum(1 for p in portals.values() for s in p.sent if s.path != "/robots.txt")


class CrawlProcesses:
    """The ``nianbao crawl --redis`` processes of one test, over one registry and Redis. As a
    context manager: every process still running at the end is killed (a failed test leaves
    none behind, nor a joiner waiting for a seed that failed)."""

    def __init__(self, env: dict, registry, redis_url: str):
        self.env, self.registry, self.redis_url = env, registry, redis_url
        self.started: list[subprocess.Popen] = []

    def __enter__(self) -> CrawlProcesses:
        return self

    def __exit__(self, *exc) -> None:
        for process in self.started:
            if process.poll() is None:
                self.kill(process)

    def start(self, data, *options, python: tuple = ("-m", "nianbao")) -> subprocess.Popen:
        """``nianbao crawl`` writing to ``data``; ``python``: how Python runs the command."""
        process = subprocess.Popen(
            [sys.executable, *python, "crawl", "--sites", str(self.registry), "--profile", "test",
             "--redis", self.redis_url, "--data", str(data), *options],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started.append(process)
        return process

    def finish(self, process: subprocess.Popen, status: int = 0, timeout: float = 180) -> tuple[str, str]:
        """(stdout, stderr) of ``process``, once it has ended by itself with exit ``status``."""
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == status, f"exit {process.returncode}\n{out}\n{err[-4000:]}"
        return out, err

    def kill(self, process: subprocess.Popen) -> None:
        process.kill()
        process.communicate()

    def wait_until(self, condition, what: str, timeout: float = 60) -> None:
        """Until ``condition()`` holds. Fails, saying ``what`` it waited for and with the
        processes' logs, when a process ends first or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            ended = [p for p in self.started if p.poll() is not None]
            if ended or time.monotonic() > deadline:
                why = f"a crawl process ended (exit {ended[0].returncode})" if ended else f"{timeout:.0f} s passed"
                for process in self.started:
                    if process.poll() is None:
                        process.kill()
                logs = [p.communicate()[1][-3000:] for p in self.started]
                pytest.fail(f"waited for {what}, but {why}:\n" + "\n".join(logs))
            time.sleep(0.05)

    def wait_for_pollers(self, count: int, timeout: float = 120) -> None:
        """Until ``count`` clients ask Redis for work. A client merely connected is not
        enough: the CLI pings Redis before Scrapy has even started, and a joiner that starts
        polling only after the seed has taken every page shows nothing."""
        import redis

        polling = {"evalsha", "get"}  # SharedScheduler's take and its seed-mark check
        client = redis.Redis.from_url(self.redis_url)
        try:
            self.wait_until(lambda: sum(1 for c in client.client_list() if c.get("cmd") in polling) >= count,
                            f"{count} crawl process(es) asking Redis for work", timeout)
        finally:
            client.close()
