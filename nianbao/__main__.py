"""``python -m nianbao``, and the ``nianbao`` command (pyproject.toml's entry point: ``main``)."""

import sys

from . import CRAWL_COMMANDS, EXIT_CRAWL_FAILED, NOTHING_RECORDED
from .stop_signals import aborted, signal_of, stopped_status, take_stop_signals


def main() -> None:
    take_stop_signals()  # SIGTERM and SIGHUP from here on are Ctrl-C (stop_signals.py)
    try:
        try:
            from .cli import cli
        except KeyboardInterrupt as interrupt:  # a stop signal while the command line loads: nothing has started
            if sys.argv[1:2] and sys.argv[1] in CRAWL_COMMANDS:
                print(f"Error: {NOTHING_RECORDED}", file=sys.stderr)
                sys.exit(EXIT_CRAWL_FAILED)
            print(aborted(interrupt), file=sys.stderr)
            sys.exit(stopped_status(signal_of(interrupt)))
        cli()
    finally:
        _forget_a_handled_ctrl_c()


def _forget_a_handled_ctrl_c() -> None:
    """Under ``python -m``, CPython ends the process by SIGINT at exit, whatever status the
    command chose, once a Ctrl-C has ended a string exec or eval (dataclasses and namedtuple
    make their methods so while modules load), even one that was caught and handled
    (run_eval_code_obj marks it; a ``Stopped`` is a KeyboardInterrupt, and marks it too).
    A string exec that ends well clears the mark."""
    exec("")


if __name__ == "__main__":
    main()
