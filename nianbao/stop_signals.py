"""The signals that stop a command, handled as one: Ctrl-C (SIGINT), SIGTERM (`systemctl
stop`, a unit's timeout, `kill`) and SIGHUP (the terminal or ssh session gone).

Python raises ``KeyboardInterrupt`` where a SIGINT lands. ``take_stop_signals`` (the entry
point, __main__.py, calls it first) makes SIGTERM and SIGHUP raise ``Stopped``, a
KeyboardInterrupt too, so that every ``except KeyboardInterrupt`` on the way handles all three
alike: what a command does on Ctrl-C (one line, its run recorded ``interrupted``, its
transaction rolled back, its ``.partial`` file removed) it does on the others. The command
then exits with ``stopped_status``: 128 + the signal's number, as a shell reports a command a
signal ended (130, 143, 129); crawl and demo exit 4 instead (crawler/interrupts.py takes the
three signals while their crawl runs), and serve and portal 0 (being stopped is their end).

A signal the command was started ignoring (``nohup``: SIGHUP) stays ignored. The short write
recording how a run ended holds a signal until it is written (``stop_signals_held``). Once a
crawl's run is recorded whole, a signal while its summary prints (to a pager left open, a
terminal on hold) ends the command at once with the run's own exit status (``exit_stopped``).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import NoReturn

from . import CRAWL_COMMANDS, EXIT_CRAWL_FAILED, NOTHING_RECORDED

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where it lands as Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def take_stop_signals() -> None:
    """Make SIGTERM and SIGHUP raise ``Stopped`` in this process (unless ignored)."""
    for signum in STOP_SIGNALS:
        if signum != signal.SIGINT and signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _raise_stopped)


def ignore_stop_signals() -> None:
    """Ignore all three from now on: a parse worker (its parent decides), or a command whose
    work is done (what is left is printing it)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def exit_stopped(command: str | None, interrupt: KeyboardInterrupt,
                 recorded_run: tuple[int, int] | None = None) -> NoReturn:
    """End ``command`` (``nianbao COMMAND``; None when not known yet) stopped by a signal before
    it said more itself, while the command line loads (__main__.py) or in the command group
    (cli.py): crawl and demo with ``Error: …`` and status 4, as when stopped before their crawl
    started; the others with ``aborted``'s line and ``stopped_status``. ``recorded_run``: (id,
    exit status) of the run crawl or demo had recorded whole and was printing the summary of:
    a line saying where it is, and the run's status (its checks' verdict, which the signal
    does not change)."""
    ignore_stop_signals()  # the outcome is chosen: another signal would only cut its line short
    if recorded_run is not None:
        run_id, status = recorded_run
        line = (f"{signal.Signals(signal_of(interrupt)).name} while run {run_id}'s summary printed: the run is "
                f"recorded as it ended, its summary cut short (`nianbao runs {run_id}` shows it)")
    elif command in CRAWL_COMMANDS:
        line, status = f"Error: {NOTHING_RECORDED}", EXIT_CRAWL_FAILED
    else:
        line, status = aborted(interrupt), stopped_status(signal_of(interrupt))
    print(line, file=sys.stderr, flush=True)
    sys.exit(status)


@contextlib.contextmanager
def stop_signals_held():
    """Hold a stop signal that arrives inside the block until the block ends, then deliver it:
    for a short write that records how a run ended (a signal raising inside it rolls it back,
    leaving the run ``running`` until the next run marks it interrupted). Only the main thread
    takes signals: elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    # Not one ignored (nohup), nor one whose handler Python did not set (getsignal: None).
    previous = {signum: handler for signum in STOP_SIGNALS
                if (handler := signal.getsignal(signum)) not in (signal.SIG_IGN, None)}
    for signum in previous:
        signal.signal(signum, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if arrived:
            signal.raise_signal(arrived[0])  # to the handler it would have met


def signal_of(interrupt: KeyboardInterrupt) -> int:
    """The signal that raised ``interrupt``: SIGINT for a KeyboardInterrupt of Python's own."""
    return getattr(interrupt, "signum", signal.SIGINT)


def aborted(interrupt: KeyboardInterrupt) -> str:
    """The one line a command (not crawl, demo) stopped by a signal ends with: click's word for
    Ctrl-C, with the signal's name for the others (``Aborted! (SIGTERM)``)."""
    return f"Aborted! ({interrupt})" if isinstance(interrupt, Stopped) else "Aborted!"


def stopped_status(signum: int) -> int:
    """The exit status of a command (not crawl, demo, serve, portal) that ``signum`` stopped."""
    return 128 + signum


def _raise_stopped(signum, frame):
    raise Stopped(signum)
