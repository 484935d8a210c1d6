"""Normalise report text so labels can be matched by meaning.

Reports arrive in traditional characters (sometimes with pinyin after every
character: ``區(qū)``), with full-width digits and punctuation, spaces inside
words (``本年 度辦 理結 果``), and ``?`` where a non-breaking space was lost
through a GB2312 database. Matching happens on the normalised form; the
original text is kept for display.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

# A CJK character followed by its pinyin in brackets: 區(qū), 報(bào).
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ]{1,7}[)）]")
_HAS_TONE = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]")

# Full-width ASCII (！..～) maps to ASCII by a fixed offset; the ideographic space to a space.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
_WIDTH[0xA0] = 0x20

_SPACES = re.compile(r"[\s\u200b\ufeff]+")
_NOISE = re.compile(r"\?+")
# Markdown from PDF/OCR conversions: "## 二、…", "**总计**", "> 注".
_MARKDOWN = re.compile(r"^[#>*\s]+|\*\*")


def to_simplified(text: str) -> str:
    """Traditional → simplified, with pinyin annotations dropped."""
    if text.isascii():
        return text
    return drop_pinyin(_T2S.convert(text))


def drop_pinyin(text: str) -> str:
    # Only strip when the text really carries annotations (some tone marks present),
    # so that ordinary bracketed words after a character survive.
    if "(" not in text and "（" not in text:
        return text
    if not _HAS_TONE.search(text):
        return text
    return _PINYIN.sub("", text)


def to_halfwidth(text: str) -> str:
    return text.translate(_WIDTH)


def clean_line(text: str) -> str:
    """A line of narrative: simplified, half-width, ``?`` noise and edge spaces removed."""
    return _MARKDOWN.sub("", _NOISE.sub("", to_halfwidth(to_simplified(text)))).strip()


@lru_cache(maxsize=8192)
def label_key(text: str) -> str:
    """The form of a table label used for matching: no spaces, no noise, simplified."""
    return _SPACES.sub("", clean_line(text))


@lru_cache(maxsize=8192)
def cell_text(text: str) -> str:
    """A value cell's text prepared for number parsing (keeps the minus sign and dots)."""
    text = to_halfwidth(text)
    text = _NOISE.sub("", text)
    return _SPACES.sub("", text)


_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|[(][一二三四五六七八九十\d]+[)]|\d+[.、)]|第[一二三四五六七八九十]+[、,])"
)


def strip_numbering(label: str) -> str:
    """``(三)不予公开`` → ``不予公开``; ``1.属于国家秘密`` → ``属于国家秘密`` (repeatedly)."""
    while True:
        stripped = _NUMBERING.sub("", label, count=1)
        if stripped == label:
            return label
        label = stripped
