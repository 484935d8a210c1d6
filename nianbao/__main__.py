"""``python -m nianbao``, and the ``nianbao`` command (pyproject.toml's entry point: ``main``)."""

import sys

from .stop_signals import exit_stopped, take_stop_signals


def main() -> None:
    take_stop_signals()  # SIGTERM and SIGHUP from here on are Ctrl-C (stop_signals.py)
    try:
        try:
            from .cli import cli
        except KeyboardInterrupt as interrupt:  # a stop signal while the command line loads: nothing has started
            exit_stopped(sys.argv[1] if sys.argv[1:2] else None, interrupt)
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
