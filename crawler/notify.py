"""Tell someone how a run went: a command given the summary on stdin, and/or a JSON
POST to a webhook (``NIANBAO_NOTIFY_COMMAND``, ``NIANBAO_NOTIFY_URL``).

A hook that fails is logged and noted in the run's ``monitor`` JSON; it never changes
the run's outcome, which the exit status already tells the scheduler.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import urllib.request

logger = logging.getLogger(__name__)


def notify(summary: str, payload: dict, *, command: str | None = None, url: str | None = None,
           timeout: float = 30.0) -> list[str]:
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
    env = dict(os.environ, NIANBAO_RUN_ID=str(payload["run_id"]), NIANBAO_RUN_OK="1" if payload["ok"] else "0",
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
