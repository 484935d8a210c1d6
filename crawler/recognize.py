"""Which listing items are reports: ``parsers.classify_listing_title``, after the wording of
traditional-character sites is brought to the mainland's.

OpenCC's t2s converts characters, not words: 政府資訊公開 becomes 政府资讯公开, where the
mainland says 政府信息公开 (資訊 is Taiwan and Hong Kong usage for 信息). Only the phrase
资讯公开 is mapped, so a mainland 政务资讯 column stays what it is.
"""

from __future__ import annotations

from parsers import classify_listing_title
from parsers.normalize import to_simplified
from parsers import Recognition

_WORDS = (("资讯公开", "信息公开"),)


def classify_title(title: str | None) -> Recognition:
    """Is this listing title an information-disclosure annual report (in either script)?"""
    text = to_simplified(title or "")
    for word, mainland in _WORDS:
        text = text.replace(word, mainland)
    return classify_listing_title(text)
