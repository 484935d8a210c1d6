"""Text forms: blank cells are EMPTY unless they are spacers (docs/report-format.md, "Cell values")."""

from pathlib import Path

from parsers import parse_report

SEEDS = Path(__file__).parent / "data" / "seeds"


def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_one_cell_per_line_blank_cell_is_empty():
    text = seed_text("000").replace("(一)予以公开 |\n3 |\n", "(一)予以公开 |\n |\n", 1)
    report = parse_report(text.encode("utf-8"))
    assert report.applications["granted"]["natural_person"] is None
    assert report.applications["granted"]["total"] == 3
    r4 = next(c for c in report.checks if c.rule == "R4" and c.where == "granted")
    assert r4.status == "not_assessable"


def test_tab_rows_blank_cell_inside_a_row_is_empty():
    text = seed_text("002").replace("(一) 予以公开\t0\t0\t0", "(一) 予以公开\t0\t\t0", 1)
    report = parse_report(text.encode("utf-8"))
    granted = report.applications["granted"]
    assert granted["commercial_enterprise"] is None
    assert granted["natural_person"] == 0 and granted["total"] == 0


def test_seed_003_nbsp_tokens_are_spacers():
    report = parse_report(seed_text("003").encode("utf-8"))
    assert report.reviews_litigation["litigation_direct"] == {
        "upheld": 0, "corrected": 1, "other": 5, "pending": 2, "total": 8}


def test_pipe_rows_with_question_mark_noise():
    report = parse_report(seed_text("004").encode("utf-8"))
    assert report.active_disclosure["licensing"] == {"decisions": 558794}
    assert report.active_disclosure["fees"] == {"amount_10k_yuan": 668.57}
    cell = next(c for c in report.cells if c["row"] == "licensing")
    assert cell["where"] == "line 26" and "558794" in cell["text"]


def test_pdf_style_label_then_values_on_one_line():
    text = """XX县2023年政府信息公开工作年度报告
一、总体情况
2023年，XX县人民政府认真贯彻《中华人民共和国政府信息公开条例》。
二、主动公开政府信息情况
第二十条第（一）项
信息内容 本年制发件数 本年废止件数 现行有效件数
规章 0 0 1
行政规范性文件 4 2 30
三、收到和处理政府信息公开申请情况
"""
    report = parse_report(text.encode("utf-8"))
    assert report.active_disclosure["normative_documents"] == {"issued": 4, "repealed": 2, "in_force": 30}


def test_traditional_text_is_searchable_in_simplified():
    report = parse_report(seed_text("004").encode("utf-8"))
    assert "江夏区" in report.text and "區(qū)" not in report.text and "区(qū)" not in report.text
    assert "文章来源" not in report.text  # the metadata line is chrome
