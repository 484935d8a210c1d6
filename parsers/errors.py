"""The one exception parsers raise."""


class ParseError(Exception):
    """The input cannot be read as an annual report.

    The message is one human-readable line (it goes to logs, stats and the
    ``skipped`` table), e.g. ``"empty input"`` or ``"not a report: ..."``.
    """
