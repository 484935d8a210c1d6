"""Glued digits: a run is split only where the row's own sums admit exactly one split."""

from __future__ import annotations

import time

import pytest

from conftest import get_test_file
from parsers import parse_report
from parsers.flattened_text import split_flattened_lines, split_region
from parsers.glued_digits import MAX_DIGITS, plain_cells, split_by_sums

ROW = (7,)            # table 三: six applicant columns, then 总计 (R4)
REVIEWS = (5, 5, 5)   # table 四: three groups of upheld, corrected, other, pending, total (R5)


def test_the_example_of_the_issue():
    split = split_by_sums("801000081", ROW)
    assert (split.splits, split.values) == (1, (80, 1, 0, 0, 0, 0, 81))


def test_unique_split():
    assert split_by_sums("6000017", ROW).values == (6, 0, 0, 0, 0, 1, 7)
    assert split_by_sums("29010030294", ROW).values == (290, 1, 0, 0, 3, 0, 294)


def test_ambiguous_run_is_not_split():
    # 12,3,1,0,0,1,17 and 1,2,3,10,0,1,17 both add up
    split = split_by_sums("123100117", ROW)
    assert split.splits == 2 and split.values is None
    assert split.describe() == "'123100117' admits 2 splits"


def test_no_split_adds_up():
    split = split_by_sums("1234567", ROW)
    assert split.splits == 0 and not split.unique
    assert split.describe() == "'1234567' admits 0 splits"


def test_no_leading_zeros():
    # "00" is two zeros, never the number 0; "07" is never 7
    assert split_by_sums("0000000", ROW).values == (0,) * 7
    assert split_by_sums("10000010", ROW).splits == 0       # 10,0,0,0,0,0,10 needs one digit more
    assert split_by_sums("100000010", ROW).values == (10, 0, 0, 0, 0, 0, 10)


def test_spaces_are_cell_boundaries():
    assert split_by_sums("200 000121", ROW).values == (20, 0, 0, 0, 0, 1, 21)
    assert split_by_sums("20 0 00 0 121", ROW).values == (20, 0, 0, 0, 0, 1, 21)
    # without the space "200000121" could also start with 200: 2 splits
    assert split_by_sums("2 00000 121", ROW).splits == 0     # a cell never spans the space after "2"


def test_minus_can_only_start_a_cell():
    assert split_by_sums("5-300002", ROW).values == (5, -3, 0, 0, 0, 0, 2)
    assert split_by_sums("-1 0 0 0 0 0 -1", ROW).values == (-1, 0, 0, 0, 0, 0, -1)
    assert split_by_sums("5-", ROW).splits == 0


def test_table_four_groups_each_add_up():
    assert split_by_sums("000000000000000", REVIEWS).values == (0,) * 15
    assert split_by_sums("27109156130003801110", REVIEWS).values == (
        27, 10, 9, 15, 61, 3, 0, 0, 0, 3, 8, 0, 1, 1, 10)


def test_runs_over_the_bound_are_not_tried():
    run = "1" * (MAX_DIGITS + 1)
    split = split_by_sums(run, ROW)
    assert split.splits is None and not split.unique
    assert "too long" in split.describe()
    assert split_by_sums("1" * MAX_DIGITS, ROW).splits == 0  # at the bound it is still counted


@pytest.mark.parametrize("run", ["1234567891" * 4, "9876543210" * 4, "12345" * 7])
def test_garbage_runs_cannot_stall_a_parse(run):
    started = time.perf_counter()
    split = split_by_sums(run, ROW)
    assert not split.unique
    assert time.perf_counter() - started < 5


def test_plain_cells_when_spaces_already_separate_them():
    assert plain_cells("4 0 0 0 0 0 4", 7) == ["4", "0", "0", "0", "0", "0", "4"]
    assert plain_cells("200 000121", 7) is None
    assert plain_cells("0 07 0", 3) is None            # a leading zero is not a printed cell
    assert plain_cells("2648 -18 538", 3) == ["2648", "-18", "538"]


def test_numbering_glued_to_a_run_goes_to_the_next_label():
    assert split_region("00000002.") == ("", "0000000", "2.")
    assert split_region("6000017（二）") == ("", "6000017", "（二）")
    assert split_region("1.") == ("", "", "1.")
    assert split_region("39573802895.90元") == ("", "39573802895.90元", "")


def test_a_flattened_line_is_cut_at_its_section_headings():
    line = "前言" * 120 + "二、主动公开政府信息情况 第二十条…三、收到和处理政府信息公开申请情况（本列…）"
    pieces, origins, starts = split_flattened_lines(["标题", line])
    assert pieces[2:] == ["二、主动公开政府信息情况", " 第二十条…", "三、收到和处理政府信息公开申请情况", "（本列…）"]
    assert set(origins[1:]) == {1}
    assert [line[start:start + len(piece)] for piece, start in zip(pieces[1:], starts[1:])] == pieces[1:]
    short = "本报告包括一、总体情况等"
    assert split_flattened_lines([short]) == ([short], [0], [0])


FLATTENED = (
    "XX区2020年政府信息公开工作年度报告\n"
    + "依据《中华人民共和国政府信息公开条例》（国办公开办函〔2019〕60号）编制本报告。" * 4
    + "一、总体情况2020年，XX区认真贯彻《条例》。"
    + "二、主动公开政府信息情况 第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量规章007规范性文件7777166"
    + "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
    + "一、本年新收政府信息公开申请数量{new}二、上年结转政府信息公开申请数量0000000"
    + "三、本年度办理结果（一）予以公开{granted}（二）部分公开（区分处理的，只计这一情形，不计其他情形）0000000"
    + "（七）总计{total}四、结转下年度继续办理0000000"
    + "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计{reviews}"
    + "五、存在的主要问题及改进情况无。\n"
)


def flattened(new="801000081", granted="801000081", total="801000081", reviews="0" * 15):
    text = FLATTENED.format(new=new, granted=granted, total=total, reviews=reviews)
    return parse_report(text.encode("utf-8"))


def test_flattened_report_splits_its_rows():
    report = flattened()
    assert report.applications["new_received"] == {
        "natural_person": 80, "commercial_enterprise": 1, "research_institution": 0, "social_welfare_org": 0,
        "legal_service_org": 0, "other_org": 0, "total": 81}
    assert report.reviews_litigation["review"] == {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}
    cell = next(c for c in report.cells if c["row"] == "granted" and c["column"] == "total")
    assert (cell["kind"], cell["value"], cell["text"]) == ("inferred", 81, "801000081")
    assert cell["where"] == "line 2 (glued '801000081' split by R4)"
    assert all(c.status != "fail" for c in report.checks if c.rule in ("R1", "R4"))


def test_an_ambiguous_row_is_left_out_and_reported():
    report = flattened(granted="123100117")
    assert "granted" not in report.applications
    problem = next(p for p in report.problems if p["kind"] == "glued_digits" and p["table"] == "applications")
    assert problem["detail"] == "granted: '123100117' admits 2 splits"
    cells = [c for c in report.cells if c["row"] == "granted"]
    assert len(cells) == 7 and {(c["kind"], c["value"], c["text"]) for c in cells} == {("text", None, "123100117")}


def test_rules_still_run_on_inferred_values():
    # the source's own inconsistency shows: 本年新收 splits as 80,1,…,81 but (七)总计 as 79,1,…,80
    report = flattened(total="791000080")
    r1 = next(c for c in report.checks if c.rule == "R1" and c.where == "natural_person")
    assert (r1.status, r1.left, r1.right) == ("fail", 80, 79)


def test_a_table_whose_rows_are_all_glued_is_not_missing():
    report = flattened()
    assert report.active_disclosure is None
    kinds = {(p["kind"], p["table"]) for p in report.problems}
    assert ("glued_digits", "active_disclosure") in kinds
    assert ("tables_missing", "active_disclosure") not in kinds


def test_too_long_a_run_is_unreadable():
    report = flattened(reviews="1" * 45)
    assert report.reviews_litigation is None
    problem = next(p for p in report.problems if p["table"] == "reviews_litigation")
    assert problem["kind"] == "glued_digits" and "too long" in problem["detail"]


def test_prose_naming_the_rows_is_not_a_flattened_table():
    """A long sentence in a table's section names labels with numbers; the table below it
    is still read as printed (seed 002, tab rows)."""
    seed = next(get_test_file("seeds").glob("002_*.txt"))
    text = seed.read_text(encoding="utf-8")
    prose = ("全年共收到政府信息公开申请21件，其中予以公开7件，部分公开6件，不予公开0件，无法提供7件，"
             "不予处理3件，其他处理4件；主动公开规章0件、规范性文件77件（信息内容详见下表）；"
             "行政复议结果维持1件、尚未审结0件。") * 3
    for heading in ("二、主动公开政府信息情况\n", "三、收到和处理政府信息公开申请情况\n",
                    "四、政府信息公开行政复议、行政诉讼情况\n"):
        text = text.replace(heading, heading + prose + "\n", 1)
    original, report = parse_report(seed.read_bytes()), parse_report(text.encode("utf-8"))
    assert report.applications == original.applications
    assert report.active_disclosure == original.active_disclosure
    assert report.reviews_litigation == original.reviews_litigation
    assert not any(c["kind"] == "inferred" for c in report.cells)
