"""The exceptions parsers raise."""


class ParseError(Exception):
    """The input cannot be read as an annual report.

    The message is one human-readable line (it goes to logs, stats and the
    ``skipped`` table), e.g. ``"empty input"`` or ``"not a report: ..."``.
    """


class UnreadableFormat(ParseError):
    """A document in a format no parser here reads (DOC, WPS, OFD, an image, a scanned
    PDF): the bytes are whole, only not read. Whoever keeps the file may say so."""
