"""Reading a seed report text: its own page chrome, its six sections, and its table tokens.

A seed is the text of a real report page as some extractor saw it. Part of it (navigation
lines, a date line, 关闭窗口) was page chrome; the rest is the report body. The portal puts
each part back where a real page keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import opencc

SEED_DIR = Path(__file__).parent / "seeds"

# The national format's six section headings: numeral and a word every variant keeps.
SECTION_HEADINGS = (
    ("一", "总体"),
    ("二", "主动公开"),
    ("三", "申请"),
    ("四", "复议"),
    ("五", "问题"),
    ("六", "其他需要"),
)
TABLE_SECTIONS = ("二", "三", "四")

# Pinyin annotations after traditional characters in republished copies: 區(qū), 報(bào).
_PINYIN = re.compile(r"\([a-z\u00c0-\u024f\u1e00-\u1eff]+\)", re.IGNORECASE)
_NOISE = re.compile(r"[\s?\u00a0\u3000]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
NOT_APPLICABLE = frozenset({"/", "-", "—", "无", "不涉及"})
_DATE = re.compile(
    r"(?:发布)?(?:时间|日期)\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2})(?:\s+(\d{1,2}:\d{2}(?::\d{2})?))?"
)
_SOURCE = re.compile(r"(?:来源|來源)\s*[:：]\s*(\S*)")
_CHROME_TAIL = frozenset({"", "关闭窗口", "打印本页", "返回顶部", "【打印本页】【关闭窗口】"})


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def plain(text: str) -> str:
    """Simplified characters, pinyin annotations dropped, spacing kept."""
    return _t2s().convert(_PINYIN.sub("", text))


def norm(text: str) -> str:
    """`plain` without any spacing or lost-space '?': the form labels are matched in."""
    return _NOISE.sub("", plain(text))


def is_blank(token: str) -> bool:
    """Blank, &nbsp; or a lone '?' where a non-breaking space was lost."""
    return _NOISE.sub("", token) == ""


def is_value(token: str) -> bool:
    """A cell value as printed: number (maybe with '?' noise), EMPTY or NOT APPLICABLE."""
    bare = _NOISE.sub("", token).replace(",", "")
    return bare == "" or bool(_NUMBER.fullmatch(bare)) or bare in NOT_APPLICABLE


@dataclass
class Section:
    number: str          # 一 … 六
    heading: str         # as printed
    lines: list[str]     # the lines under the heading, as printed


@dataclass
class SeedReport:
    seed_id: str                       # file stem, e.g. 003_1cf59b4176a625ae
    title: str | None                  # the seed's own title line, as printed
    nav: list[str]                     # site navigation lines that preceded the title
    published: str | None              # 'YYYY-MM-DD HH:MM[:SS]' from the seed's date line
    source: str | None                 # 来源 from the seed's date line, as printed
    preface: list[str] = field(default_factory=list)   # body lines before 一、
    sections: list[Section] = field(default_factory=list)

    def section(self, number: str) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)


def seed_ids() -> list[str]:
    return sorted(p.stem for p in SEED_DIR.glob("*.txt"))


def read_seed(seed_id: str) -> SeedReport:
    return parse_seed(seed_id, (SEED_DIR / f"{seed_id}.txt").read_text(encoding="utf-8"))


def _cells(line: str) -> list[str]:
    return [c for c in re.split(r"[\t|]", line) if c.strip()]


def _is_heading(line: str, numeral: str, word: str) -> bool:
    if len(_cells(line)) != 1:
        return False
    n = norm(line)
    return n.startswith(numeral + "、") and word in n and len(n) <= 40


def is_title_line(line: str) -> bool:
    n = norm(line)
    return "报告" in n and len(n) <= 60 and not n.endswith("。")


def parse_seed(seed_id: str, text: str) -> SeedReport:
    lines = text.replace("\r\n", "\n").split("\n")
    # Headings are found in order, so a table row such as 四、结转下年度继续办理 can't pass for one.
    starts: list[tuple[int, str]] = []
    cursor = 0
    for numeral, word in SECTION_HEADINGS:
        for i in range(cursor, len(lines)):
            if _is_heading(lines[i], numeral, word):
                starts.append((i, numeral))
                cursor = i + 1
                break
    first = starts[0][0] if starts else len(lines)
    report = SeedReport(seed_id=seed_id, title=None, nav=[], published=None, source=None)
    _read_preface(report, lines[:first])
    for k, (i, numeral) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        body = lines[i + 1:end]
        if k + 1 == len(starts):
            while body and norm(body[-1]) in _CHROME_TAIL:   # 关闭窗口 and trailing blanks
                body.pop()
        report.sections.append(Section(numeral, lines[i].strip(), body))
    return report


def _read_preface(report: SeedReport, lines: list[str]) -> None:
    stripped = [ln.strip() for ln in lines]
    title_at = next((i for i, ln in enumerate(stripped) if ln and is_title_line(ln)), None)
    if title_at is not None:
        report.title = stripped[title_at]
        report.nav = [ln for ln in stripped[:title_at] if ln]
        rest = stripped[title_at + 1:]
    else:
        rest = stripped
    for ln in rest:
        date = _DATE.search(plain(ln))
        if date and report.published is None:
            report.published = date.group(1) + (" " + date.group(2) if date.group(2) else "")
            source = _SOURCE.search(ln)
            if source and source.group(1).rstrip("?"):
                report.source = source.group(1).rstrip("?")
            continue
        if ln:
            report.preface.append(ln)


def table_tokens(lines: list[str]) -> list[str]:
    """The cells of a table region in reading order, whatever text form it arrived in.

    Tab- and pipe-separated rows: one token per non-empty cell (empty cells were merged cells).
    One cell per line with blank lines between (seed 003): a cell may span several lines
    (结果 / 纠正); a line holding only &nbsp; is kept as a blank token (a spacer or an EMPTY cell).
    """
    if any("\t" in ln or "|" in ln for ln in lines):
        return [c.strip() for ln in lines for c in _cells(ln)]
    if not any(ln.strip(" \t\r") == "" for ln in lines):
        return [ln.strip(" \t\r") for ln in lines]
    tokens: list[str] = []
    current: list[str] = []
    for ln in lines + [""]:
        if ln.strip(" \t\r") == "":
            if current:
                tokens.append("\n".join(current))
                current = []
        else:
            current.append(ln.strip(" \t\r"))
    return tokens
