"""Normalise report text so labels can be matched by meaning.

Reports arrive in traditional characters (sometimes with pinyin after every
character: ``區(qū)``), with full-width digits and punctuation, spaces inside
words (``本年 度辦 理結 果``), and ``?`` where a non-breaking space was lost
through a GB2312 database. Matching happens on the normalised form; the
original text is kept for display.

Every recognition of a phrase (a title, a heading, a column link, a table's words)
matches normalised text: ``label_key`` for a label or a title, ``to_simplified`` then
``mainland_wording`` for running text.
"""

from __future__ import annotations

import re
from functools import lru_cache, wraps

import opencc

_T2S = opencc.OpenCC("t2s")

# A CJK character followed by its pinyin in brackets: 區(qū), 報(bào).
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ]{1,7}[)）]")
_HAS_TONE = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]")

# Full-width ASCII (！..～) maps to ASCII by a fixed offset; the ideographic space to a space.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
_WIDTH[0xA0] = 0x20
_WIDE = re.compile("[\uff01-\uff5e\u3000\xa0]")  # exactly the keys of _WIDTH
_HALF = {chr(wide): chr(half) for wide, half in _WIDTH.items()}

_SPACES = re.compile(r"[\s\u200b\ufeff]+")
# Wording, not script: t2s converts characters, so 政府資訊公開 becomes 政府资讯公开, where the
# mainland says 政府信息公开 (資訊 is Hong Kong, Macau and Taiwan usage for 信息). Only these
# phrases: a mainland 政务资讯 (government news) column stays what it is. Each mainland phrase
# is as long as the one it stands for: a span found in the mainland form is the text's too.
_MAINLAND_WORDING = (("资讯公开", "信息公开"), ("政府资讯", "政府信息"))
_NOISE = re.compile(r"\?+")
# Markdown from PDF/OCR conversions: "## 二、…", "**总计**", "> 注".
_MARKDOWN = re.compile(r"^[#>*\s]+|\*\*")
_MARKDOWN_LINES = re.compile(r"^(?:[#>*]|[^\S\n])+|\*\*", re.MULTILINE)  # the same, line by line

# TSPhrases keys (OpenCC 1.4.2, the pinned version) that convert although none of their
# characters converts alone (回覆 → 回复, 沈思 → 沉思, 瞭解 → 了解): text holding none of them
# and no converting character is left as it is by t2s. (Listed without the keys that
# contain a shorter listed one: 反覆 stands for 反覆性 and 反反覆覆.)
_PHRASE_ONLY = re.compile("|".join("""
一坏 凌藉 函覆 反覆 回覆 土坏 坏土 坏子 坏布 墨沈沈 意志消沈 打坏 批覆 折戟沈沙 折戟沈河 拉坏 拜覆
捏坏 明瞭 明覆 昏沈 暗沈沈 毛坏 沈下 沈冤 沈厚 沈吟 沈寂 沈思 沈浮 沈浸 沈湎 沈溺 沈甸甸 沈痛 沈痼
沈睡 沈砂池 沈筒 沈船 沈落 沈迷 沈醉 沈重 沈降 沈陷 沈香 沈默 浮沈 海哩 深沈 滑藉 狐藉虎威 甦生
甦醒 申覆 瞭如 瞭然 瞭若指掌 瞭解 破釜沈舟 示覆 答覆 素藉 耳沈 英哩 茵藉 藉代 藉以 藉助 藉卉 藉口
藉喻 藉寇兵 藉手 藉故 藉方 藉槁 藉此 藉甚 藉由 藉着 藉端 衹得 覆信 覆呈 覆命 覆墓 覆按 覆文 覆校
重覆 陶坏 黑沈沈""".split()))
# Some blocks beside CJK that the t2s dictionaries also map (compatibility forms).
_CONVERTIBLE_RANGES = ((0x2E80, 0xA000), (0xF900, 0xFB00), (0xFE30, 0xFE50), (0xFF00, 0xFFF0),
                       (0x20000, 0x2FA20), (0x30000, 0x3134B))
_convertible: tuple[re.Pattern, frozenset[str]] | None = None
_converted: dict[str, str] = {}  # each character t2s converts alone → what it becomes
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _convertible_chars() -> tuple[re.Pattern, frozenset[str]]:
    """Every character t2s converts alone (asked of OpenCC itself once, ~40 ms). The BMP ones make one
    character class (a bitmap: one lookup per character); the few beyond the BMP would turn
    it into a list searched per character, so they are a set, looked at only when the text
    has such characters at all."""
    global _convertible
    if _convertible is None:
        chars = [chr(code) for start, end in _CONVERTIBLE_RANGES for code in range(start, end)]
        converted = _T2S.convert("\n".join(chars)).split("\n")  # no key holds a newline
        _converted.update((c, out) for c, out in zip(chars, converted) if c != out)
        changing = set(_converted)
        bmp = "".join(re.escape(c) for c in sorted(changing) if ord(c) <= 0xFFFF)
        _convertible = (re.compile(f"[{bmp}]"), frozenset(c for c in changing if ord(c) > 0xFFFF))
    return _convertible


def traditional_forms(simplified: str) -> dict[str, str]:
    """Every character t2s turns into one of ``simplified``'s characters, and that character
    (總 → 总, 況 and U+FA71 → 况): for a test that cannot call OpenCC (an XPath's translate())."""
    _convertible_chars()
    wanted = set(simplified)
    return {char: out for char, out in sorted(_converted.items()) if out in wanted}


def needs_conversion(text: str) -> bool:
    """True when OpenCC's t2s could change ``text``: it holds a character t2s converts, or a
    phrase it converts (``_PHRASE_ONLY``). Otherwise every dictionary key that can match in
    the text maps to itself, so OpenCC need not be called."""
    if text.isascii():
        return False
    bmp, astral = _convertible_chars()
    if bmp.search(text) is not None:
        return True
    if _ASTRAL.search(text) is not None and not astral.isdisjoint(text):
        return True
    return _PHRASE_ONLY.search(text) is not None


def to_simplified(text: str) -> str:
    """Traditional → simplified, with pinyin annotations dropped."""
    if text.isascii():
        return text
    return drop_pinyin(_T2S.convert(text) if needs_conversion(text) else text)


def mainland_wording(simplified: str) -> str:
    """Simplified text with the traditional-script wording of ``_MAINLAND_WORDING`` read as
    the mainland's (政府资讯公开 → 政府信息公开): for matching, never for display."""
    if "资讯" not in simplified:  # both phrases hold it: most text is left at this test
        return simplified
    for word, mainland in _MAINLAND_WORDING:
        simplified = simplified.replace(word, mainland)
    return simplified


def drop_pinyin(text: str) -> str:
    # Only strip when the text really carries annotations (some tone marks present),
    # so that ordinary bracketed words after a character survive.
    if "(" not in text and "（" not in text:
        return text
    if not _HAS_TONE.search(text):
        return text
    return _PINYIN.sub("", text)


def to_halfwidth(text: str) -> str:
    # translate() with a dict is slow per character; most text has nothing to map.
    if len(text) < 200:
        return text.translate(_WIDTH) if _WIDE.search(text) else text
    # A page's text holds only a few distinct full-width characters: one C pass each.
    for char in set(_WIDE.findall(text)):
        text = text.replace(char, _HALF[char])
    return text


def clean_line(text: str) -> str:
    """A line of narrative: simplified, half-width, ``?`` noise and edge spaces removed."""
    return _tidy(to_simplified(text))


def clean_lines(lines: list[str]) -> list[str]:
    """``clean_line`` of each line; one OpenCC call for them all (a call per line costs
    far more than the conversion itself), and each distinct line cleaned once."""
    distinct = list(dict.fromkeys(lines))
    cleaned = dict(zip(distinct, tidy_lines(simplify_lines(distinct))))
    return [cleaned[line] for line in lines]


def tidy_lines(simplified: list[str]) -> list[str]:
    """``clean_line`` of each line already simplified (``simplify_lines``): half-width,
    ``?`` noise and edge spaces removed."""
    if not simplified:
        return []
    if any("\n" in line for line in simplified):  # not from text lines; stay exact
        return [_tidy(line) for line in simplified]
    return _tidy_lines("\n".join(simplified))  # the whole text at once: a few C calls, not several a line


def simplify_lines(lines: list[str]) -> list[str]:
    """``to_simplified`` of each line, with one OpenCC call for them all. Joining lines for
    one conversion is exact: no OpenCC dictionary entry holds a newline, so no conversion
    spans two lines, and none holds ASCII, so ASCII lines come back as they were. Pinyin is
    still dropped line by line, as ``to_simplified`` decides per text."""
    joined = "\n".join(lines)
    if joined.isascii():
        return list(lines)
    if joined.count("\n") != len(lines) - 1:  # a line holds a newline of its own: line by line
        return [to_simplified(line) for line in lines]
    if needs_conversion(joined):
        joined = _T2S.convert(joined)
    simplified = joined.split("\n")
    if len(simplified) != len(lines):  # never expected; stay exact if it happens
        return [to_simplified(line) for line in lines]
    if ("(" in joined or "（" in joined) and _HAS_TONE.search(joined):
        simplified = [drop_pinyin(text) for text in simplified]
    return simplified


def simplified_text(text: str, simplified: list[str]) -> str:
    """``to_simplified(text)`` for ``text``, lines joined by newlines, from those lines
    already simplified one by one (``simplify_lines``): the same text without a second
    OpenCC pass. The one difference is pinyin: ``to_simplified`` drops it from the whole
    text when some of the text has tone marks, ``simplify_lines`` line by line. A text with
    tone marks is converted again as a whole (the rare pages printed with pinyin)."""
    if _HAS_TONE.search(text) is not None:
        return to_simplified(text)
    return "\n".join(simplified)


def printed_positions(printed: str, simplified: str) -> list[int] | None:
    """Where each character of ``simplified`` (``to_simplified`` of ``printed``) stands in
    ``printed``, and after them ``len(printed)``; None when the two cannot be lined up.
    t2s converts character for character, so a character stands where it stood, past the
    pinyin annotations ``drop_pinyin`` removed (區(qū) is 区). A span ``[start, end)`` of
    the simplified text was printed as ``printed[positions[start]:positions[end]]``."""
    if len(printed) == len(simplified):
        return list(range(len(printed) + 1))
    kept, position = [], 0
    for annotation in _PINYIN.finditer(printed):
        kept.extend(range(position, annotation.start()))
        position = annotation.end()
    kept.extend(range(position, len(printed) + 1))
    return kept if len(kept) == len(simplified) + 1 else None


def _tidy(simplified: str) -> str:
    return _MARKDOWN.sub("", _NOISE.sub("", to_halfwidth(simplified))).strip()


def _tidy_lines(text: str) -> list[str]:
    """``_tidy`` of each line of ``text``."""
    tidied = to_halfwidth(text)
    if "?" in tidied:
        tidied = _NOISE.sub("", tidied)
    if "#" in tidied or ">" in tidied or "*" in tidied:  # else it would only take spaces strip() takes
        tidied = _MARKDOWN_LINES.sub("", tidied)
    return [line.strip() for line in tidied.split("\n")]


def lines_holding(pattern: re.Pattern, lines: list[str]) -> list[int]:
    """Indexes of the lines ``pattern`` finds something in (it must not match a newline),
    in order: one scan of the joined lines instead of a search per line."""
    text = "\n".join(lines)
    if text.count("\n") != len(lines) - 1:  # a line holds a newline of its own
        return [index for index, line in enumerate(lines) if pattern.search(line)]
    return list(dict.fromkeys(line_indexes(pattern, text)))


def lines_matching(pattern: re.Pattern, text: str) -> list[str]:
    """The lines of ``text`` that ``pattern`` finds something in (it must not match a
    newline), in order, each once: a page's few field lines without splitting it all."""
    lines = []
    end = -1
    for match in pattern.finditer(text):
        if match.start() <= end:
            continue  # on the line already taken
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        if end == -1:
            end = len(text)
        lines.append(text[start:end])
    return lines


def line_indexes(pattern: re.Pattern, text: str):
    """The line number of each match of ``pattern`` in ``text`` (counted as it goes, in C)."""
    index = position = 0
    for match in pattern.finditer(text):
        index += text.count("\n", position, match.start())
        position = match.start()
        yield index


# Texts longer than this are not kept by the caches of per-text functions: a cell or label
# holding pages of text (an unclosed tag swallowed the page) would otherwise stay in memory
# for as long as the process runs, up to maxsize of them per cache.
LONGEST_CACHED_TEXT = 1000


def text_cache(maxsize: int):
    """``lru_cache`` for a function of one text, for texts up to LONGEST_CACHED_TEXT
    characters; a longer one is computed each time (it hardly ever recurs)."""
    def decorate(function):
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(text: str):
            return cached(text) if len(text) <= LONGEST_CACHED_TEXT else function(text)

        call.cache_info, call.cache_clear = cached.cache_info, cached.cache_clear
        return call
    return decorate


@text_cache(maxsize=8192)
def label_key(text: str) -> str:
    """The form of a table label, a heading or a title used for matching: no spaces, no
    noise, simplified, mainland wording (政府資訊公開 reads 政府信息公开)."""
    return mainland_wording(_SPACES.sub("", clean_line(text)))


@text_cache(maxsize=8192)
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
