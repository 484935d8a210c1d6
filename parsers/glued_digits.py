"""Split a run of digits whose cells were glued together, only where a sum makes it certain.

Crawler text sometimes loses the separators between a row's cells:
``801000081`` is 80,1,0,0,0,0,81. Position alone cannot tell where one cell
ends, but a row of table 三 carries its own check (R4: six applicant columns
add up to 总计) and each group of table 四 too (R5). A split is taken only when
exactly one split of the run satisfies those sums; otherwise the row is
unreadable. What is certain in the run is used as such:

- a space is a cell boundary (cells never contain spaces);
- a minus sign can only start a cell;
- ``0`` is a number, ``00`` or ``07`` is not (no leading zeros).

Splits are counted, not listed: group by group, each group's total is tried
as the suffix of its stretch and the parts are counted towards it (memoised,
with sums that overshoot or cannot reach the total cut off). Runs over
``MAX_DIGITS`` digits, or searches over ``MAX_STEPS`` states, are not split:
such a row is unreadable, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_DIGITS = 40
MAX_STEPS = 60_000  # states visited per run, so a garbage run of 40 digits cannot stall a parse

# One printed cell in a run: optional minus, no leading zeros, optional decimals.
_PLAIN_CELL = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?$")
_INTEGER_CELL = re.compile(r"^-?(?:0|[1-9]\d*)$")


@dataclass(frozen=True)
class GluedSplit:
    run: str
    splits: int | None                   # how many splits satisfy the sums; None when too long to try
    values: tuple[int, ...] | None       # the one split, when there is exactly one

    @property
    def unique(self) -> bool:
        return self.values is not None

    def describe(self) -> str:
        """Why a row is unreadable, for the problem's detail."""
        if self.splits is None:
            return f"'{self.run}' is too long to split with certainty (over {MAX_DIGITS} digits or {MAX_STEPS} steps)"
        return f"'{self.run}' admits {self.splits} splits"


def plain_cells(run: str, count: int) -> list[str] | None:
    """The run's cells when its spaces already separate exactly ``count`` numbers; else None."""
    parts = run.split()
    if len(parts) == count and all(_PLAIN_CELL.match(p) for p in parts):
        return parts
    return None


def split_by_sums(run: str, group_sizes: tuple[int, ...]) -> GluedSplit:
    """Split ``run`` into ``sum(group_sizes)`` integers where each group's last cell is
    the sum of the group's other cells (table 三: ``(7,)``; table 四: ``(5, 5, 5)``)."""
    # A minus sign can only start a cell, so it is a boundary as certain as a space.
    chunks = re.sub(r"(?<=\d)-", " -", run).split()
    if sum(len(c.lstrip("-")) for c in chunks) > MAX_DIGITS:
        return GluedSplit(run, None, None)
    if not chunks or not all(re.fullmatch(r"-?\d+", c) for c in chunks):
        return GluedSplit(run, 0, None)
    splitter = _Splitter(chunks, group_sizes)
    try:
        splits = splitter.ways(0, 0)
        values = splitter.the_split() if splits == 1 else None
    except _OutOfSteps:
        return GluedSplit(run, None, None)
    return GluedSplit(run, splits, values)


class _OutOfSteps(Exception):
    pass


class _Splitter:
    """Counts splits group by group: a group is a stretch of the run whose last cell
    (its total) is a suffix of the stretch, so each group is split towards a known
    target and sums that overshoot or cannot reach it are cut off early."""

    def __init__(self, chunks: list[str], group_sizes: tuple[int, ...]):
        self.digits = "".join(chunks)
        self.boundaries = set()  # positions where a cell must end (spaces, before a minus)
        position = 0
        for chunk in chunks:
            position += len(chunk)
            self.boundaries.add(position)
        self.next_boundary = [min(b for b in self.boundaries if b > i) for i in range(len(self.digits))]
        self.groups = group_sizes
        self.signed = "-" in self.digits
        self.steps = MAX_STEPS
        self.ways = lru_cache(maxsize=None)(self._ways)
        self.group_ways = lru_cache(maxsize=None)(self._group_ways)
        self.parts = lru_cache(maxsize=None)(self._parts)

    def _spend(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise _OutOfSteps

    def _cell(self, start: int, end: int) -> int | None:
        """The cell digits[start:end] as a number, or None when it cannot be one cell."""
        if end > self.next_boundary[start]:
            return None  # a cell never spans a space
        piece = self.digits[start:end]
        return int(piece) if _INTEGER_CELL.match(piece) else None

    def _ways(self, group: int, start: int) -> int:
        """Splits of digits[start:] into groups ``group``, ``group + 1``, … ."""
        if group == len(self.groups):
            return 1 if start == len(self.digits) else 0
        later = sum(self.groups[group + 1:])
        ends = [len(self.digits)] if group == len(self.groups) - 1 else \
            range(start + self.groups[group], len(self.digits) - later + 1)
        return sum(self.group_ways(start, end, self.groups[group]) * self.ways(group + 1, end)
                   for end in ends if self.group_ways(start, end, self.groups[group]))

    def _group_ways(self, start: int, end: int, size: int) -> int:
        """Splits of digits[start:end] into ``size`` cells, the last the sum of the others."""
        total = 0
        for middle in range(end - 1, start + size - 2, -1):
            target = self._cell(middle, end)
            if target is not None:
                total += self.parts(start, middle, size - 1, target)
        return total

    def _parts(self, start: int, end: int, cells: int, target: int) -> int:
        """Splits of digits[start:end] into ``cells`` cells adding up to ``target``."""
        self._spend()
        digits_left = end - start
        if cells == 0:
            return 1 if digits_left == 0 and target == 0 else 0
        if digits_left < cells:
            return 0
        if not self.signed:
            if target < 0 or digits_left > cells * len(str(target)):
                return 0  # no part can be longer than the total it adds up to
            longest = min(digits_left - cells + 1, len(str(target)))
            if cells * 10 ** longest <= target:
                return 0  # even the largest parts the digits allow fall short
        total = 0
        for cut in range(start + 1, end - cells + 2):
            value = self._cell(start, cut)
            if value is None:
                if cut > self.next_boundary[start] or self.digits[start] == "0":
                    break  # past a space, or a leading zero: longer pieces fail too
                continue
            if not self.signed and value > target:
                break
            total += self.parts(cut, end, cells - 1, target - value)
        return total

    def the_split(self) -> tuple[int, ...]:
        """The only split, walked back through the counts."""
        values, start = [], 0
        for group, size in enumerate(self.groups):
            later = sum(self.groups[group + 1:])
            ends = [len(self.digits)] if group == len(self.groups) - 1 else \
                range(start + size, len(self.digits) - later + 1)
            end = next(e for e in ends if self.group_ways(start, e, size) and self.ways(group + 1, e))
            middle = next(m for m in range(end - 1, start + size - 2, -1)
                          if self._cell(m, end) is not None and self.parts(start, m, size - 1, self._cell(m, end)))
            target, cut_from = self._cell(middle, end), start
            for cells in range(size - 1, 0, -1):
                cut = next(c for c in range(cut_from + 1, middle - cells + 2)
                           if self._cell(cut_from, c) is not None
                           and self.parts(c, middle, cells - 1, target - self._cell(cut_from, c)))
                values.append(self._cell(cut_from, cut))
                target -= values[-1]
                cut_from = cut
            values.append(self._cell(middle, end))
            start = end
        return tuple(values)
