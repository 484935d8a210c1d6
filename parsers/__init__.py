"""Parsers for 政府信息公开工作年度报告: bytes in, a ``Report`` out. Pure: no I/O."""

from .content_coding import decode_http_body
from .encoding import EncodingGuess, detect_encoding
from .errors import ParseError
from .recognize import Recognition, classify_listing_title
from .report import Report, parse_report

# Bump when parsing changes the output, so archived snapshots can be reparsed.
PARSER_VERSION = "1"

__all__ = [
    "PARSER_VERSION", "EncodingGuess", "ParseError", "Recognition", "Report",
    "classify_listing_title", "decode_http_body", "detect_encoding", "parse_report",
]
