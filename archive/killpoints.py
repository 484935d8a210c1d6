"""Test-only crash points: SIGKILL this process at a named point of an archive write.

Crash-safety tests set ``NIANBAO_TEST_KILL_AT=point:N`` (e.g. ``snapshot:5``) in a
crawl's environment; the N-th time the code passes ``kill_point("snapshot")`` the
process kills itself, exactly as an OOM killer or a power cut would stop it: no
cleanup, no flush, the open transaction left behind. Unset, a kill point costs one
dict lookup.

Points:
    snapshot          inside a snapshot's transaction (payload written, snapshot not yet)
    snapshot-stored   just after a snapshot's transaction committed
    report            inside a report's transaction (cells written, not yet committed)
    warc-exchange     an export, before each exchange is written to the WARC
    wacz-written      export-wacz, the package made but not yet in place
"""

from __future__ import annotations

import os
import signal

ENV = "NIANBAO_TEST_KILL_AT"


def _parse(value: str | None) -> dict[str, int]:
    targets = {}
    for part in filter(None, (value or "").split(",")):
        name, _, count = part.partition(":")
        targets[name.strip()] = int(count or 1)
    return targets


_targets = _parse(os.environ.get(ENV))
_seen: dict[str, int] = {}


def kill_point(name: str) -> None:
    if name not in _targets:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == _targets[name]:
        os.kill(os.getpid(), signal.SIGKILL)
