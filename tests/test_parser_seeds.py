"""Every seed text parses to exactly the numbers and metadata of its expected.json."""

import json
from pathlib import Path

import pytest

from parsers import parse_report

SEEDS = Path(__file__).parent / "data" / "seeds"
SEED_TEXTS = sorted(SEEDS.glob("*.txt"))
TABLES = ("active_disclosure", "applications", "reviews_litigation")
METADATA = ("title", "agency", "year", "layout", "published", "source")


def expected_for(path: Path) -> dict:
    return json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))


def assert_same_table(actual, expected, name):
    if expected is None:
        assert actual is None, name
        return
    assert actual is not None, name
    assert set(actual) == set(expected), name
    for row, columns in expected.items():
        assert set(actual[row]) == set(columns), (name, row)
        for column, value in columns.items():
            got = actual[row][column]
            assert (got is None) == (value is None), (name, row, column, got, value)
            if value is not None:
                assert got == pytest.approx(value), (name, row, column)


@pytest.fixture(params=SEED_TEXTS, ids=lambda p: p.name[:3])
def seed(request):
    path = request.param
    return parse_report(path.read_bytes()), expected_for(path)


def test_seeds_exist():
    assert len(SEED_TEXTS) >= 5


def test_tables(seed):
    report, expected = seed
    for name in TABLES:
        assert_same_table(getattr(report, name), expected.get(name), name)


def test_failing_rules(seed):
    report, expected = seed
    if expected["failing_rules"] is None:
        assert report.failing_rules is None
    else:
        assert set(report.failing_rules) == set(expected["failing_rules"])


def test_metadata(seed):
    report, expected = seed
    for key in METADATA:
        if key in expected:
            assert getattr(report, key) == expected[key], key


def test_text_form_and_dict_is_json(seed):
    report, _ = seed
    data = report.to_dict(include_cells=True)
    assert data["text_form"] == "text"
    json.dumps(data, ensure_ascii=False)
    assert "cells" not in report.to_dict()


def test_seed_001_reports_missing_tables_not_zeros():
    path = next(p for p in SEED_TEXTS if p.name.startswith("001_"))
    report = parse_report(path.read_bytes())
    missing = {p["table"] for p in report.problems if p["kind"] == "tables_missing"}
    assert missing == set(TABLES)
    assert report.checks == []


def test_seed_003_spacers_and_failures():
    path = next(p for p in SEED_TEXTS if p.name.startswith("003_"))
    report = parse_report(path.read_bytes())
    r1 = [c for c in report.checks if c.rule == "R1" and c.where == "natural_person"][0]
    assert (r1.status, r1.left, r1.right, r1.delta) == ("fail", 6, 0, 6)
    assert report.active_disclosure["fees"]["amount_10k_yuan"] == 1681.0
    assert isinstance(report.active_disclosure["fees"]["amount_10k_yuan"], float)
    review_cells = [c for c in report.to_dict(include_cells=True)["cells"] if c["table"] == "reviews_litigation"]
    assert len(review_cells) == 15 and all(c["kind"] in ("number", "zero") for c in review_cells)


def test_cells_locate_text_lines():
    path = next(p for p in SEED_TEXTS if p.name.startswith("000_"))
    cells = parse_report(path.read_bytes()).cells
    granted = [c for c in cells if c["row"] == "granted" and c["column"] == "natural_person"][0]
    assert granted["value"] == 3 and granted["text"] == "3" and granted["kind"] == "number"
    line = int(granted["where"].split()[1])
    assert path.read_text(encoding="utf-8").split("\n")[line - 1].startswith("3")


def test_complete_tables_report_no_problems(seed):
    report, expected = seed
    if expected["applications"] is not None:
        assert report.problems == []


def test_a_block_whose_header_line_is_lost_is_not_read_under_the_block_before():
    """Found by fuzzing (one line of seed 000 deleted): without its own header line
    (本年收费金额), the 行政事业性收费 row was read under the (六) block's 本年处理决定数量,
    an amount in 万元 reported as fees.decisions, with no problem said. A header naming
    columns the row does not have is not its header: the row's own columns apply."""
    lines = (SEEDS / "000_a7e6a703afb669e1.txt").read_text(encoding="utf-8").split("\n")
    lines.remove("本年收费金额(单位:万元) |")
    report = parse_report("\n".join(lines).encode("utf-8"))
    assert report.active_disclosure["fees"] == {"amount_10k_yuan": 90}
    assert report.active_disclosure["coercion"] == {"decisions": 30}


@pytest.mark.parametrize("change", ["repeat a value line", "lose a header line"])
def test_a_text_row_of_more_values_than_columns_is_not_placed(change):
    """Found by a line fuzz of seed 000 (one cell per line): a value line repeated, or a
    column's header line lost, left a row with more values than columns, and the first ones
    were taken: normative_documents read 1, 1, 2 for the printed 1, 2, 8, with no problem
    said. Which value is extra is unknown: the row's values are missing, and the cells named."""
    lines = (SEEDS / "000_a7e6a703afb669e1.txt").read_text(encoding="utf-8").split("\n")
    row = lines.index("行政规范性文件 |")
    assert lines[row + 1:row + 4] == ["1 |", "2 |", "8 |"]
    if change == "repeat a value line":
        lines.insert(row + 1, "1 |")
    else:
        lines.remove("本年制发件数 |")
    report = parse_report("\n".join(lines).encode("utf-8"))
    assert set(report.active_disclosure["normative_documents"].values()) == {None}
    # Not printed blank, nor missing: no cell is recorded for the row, and no cell_missing said.
    assert not [c for c in report.cells if c["row"] == "normative_documents"]
    assert not [p for p in report.problems if p["kind"] == "cell_missing" and "normative_documents" in p["detail"]]
    unplaced = [p["detail"] for p in report.problems if p["kind"] == "cells_unplaced"]
    if change == "repeat a value line":
        assert report.active_disclosure["regulations"] == {"issued": 0, "repealed": 0, "in_force": 0}
        assert unplaced == [f"normative_documents: 4 values where the format has 3: '1' at line {row + 2}, "
                            f"'1' at line {row + 3}, '2' at line {row + 4}, '8' at line {row + 5}"]
    else:  # both rows of the block are read under two columns now
        assert [detail.split(":")[0] for detail in unplaced] == ["regulations", "normative_documents"]
