"""Tell someone how a crawl went: a command given the summary on stdin, and/or a JSON
POST to a webhook (``NIANBAO_NOTIFY_COMMAND``, ``NIANBAO_NOTIFY_URL``), after every run
or only after those that failed (``NIANBAO_NOTIFY_ON``: ``always``, ``failure``).

Every outcome of a crawl is told: a run that ended with its checks (its summary), and a
crawl that ended without them (crawler/run.py): another crawl held the archive (exit 75),
it was interrupted before it opened its run (4), it could not run or crashed, a full disk
included (1): the summary is then the ``Error:`` line the command prints. The JSON names
the machine (``host``), the archive by its absolute path, and when the run started and
finished.

A hook that fails is logged and noted in the run's ``monitor`` JSON (``nianbao runs``
shows it); it never changes the run's outcome, which the exit status already tells the
scheduler.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

from .settings import NIANBAO_NOTIFY_TIMEOUT

logger = logging.getLogger(__name__)


def outcome(*, run_id: int | None, ok: bool, status: str, exit_status: int, archive, started: str | None,
            finished: str | None, summary: str, checks: list | None = None, error: str | None = None) -> dict:
    """What the webhook is POSTed (and the command's environment is made from)."""
    payload = {"run_id": run_id, "ok": ok, "status": status, "exit_status": exit_status,
               "host": socket.gethostname(), "archive": str(Path(archive).resolve()),
               "started": started, "finished": finished, "summary": summary, "checks": checks or []}
    if error is not None:
        payload["error"] = error
    return payload


def tell(settings, summary: str, payload: dict) -> list[str]:
    """Call the hooks the crawl's settings name, unless they are for failures only and
    ``payload`` is ok; return one line per hook that failed."""
    if payload["ok"] and settings.get("NIANBAO_NOTIFY_ON") == "failure":
        return []
    command, url = settings.get("NIANBAO_NOTIFY_COMMAND"), settings.get("NIANBAO_NOTIFY_URL")
    if not (command or url):
        return []
    return notify(summary, payload, command=command, url=url, timeout=settings.getfloat("NIANBAO_NOTIFY_TIMEOUT", NIANBAO_NOTIFY_TIMEOUT))


def notify(summary: str, payload: dict, *, command: str | None = None, url: str | None = None,
           timeout: float = NIANBAO_NOTIFY_TIMEOUT) -> list[str]:
    """Call the hooks that are set; return one line per hook that failed."""
    problems = []
    if command:
        problems += _run_command(command, summary, payload, timeout)
    if url:
        problems += _post(url, payload, timeout)
    for problem in problems:
        logger.warning("Notification failed: %s", problem)
    return problems


def _run_command(command: str, summary: str, payload: dict, timeout: float) -> list[str]:
    # Through the shell, as cron would run it: the operator writes it as one line.
    run_id = payload.get("run_id")
    env = dict(os.environ, NIANBAO_RUN_ID="" if run_id is None else str(run_id), NIANBAO_RUN_OK="1" if payload["ok"] else "0",
               NIANBAO_EXIT_STATUS=str(payload["exit_status"]))
    try:
        result = subprocess.run(command, shell=True, input=summary + "\n", text=True, env=env,
                                capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [f"command {command!r} still running after {timeout:g}s"]
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        return [f"command {command!r} exited {result.returncode} {tail[0]}".rstrip()]
    return []


def _post(url: str, payload: dict, timeout: float) -> list[str]:
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "nianbao-monitor"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except Exception as exc:  # any failure of the hook is reported, not raised
        return [f"POST {url}: {type(exc).__name__}: {exc}"]
    return []
