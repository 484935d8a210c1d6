"""Hand-made reports stored as a crawl would store them, for the schema tests."""

from __future__ import annotations

import hashlib
import shutil

from archive.records import store_report
from archive.schema import open_database
from archive.snapshots import store_snapshot
from conftest import get_test_file
from parsers.cells import read_cell

HTML = [["Content-Type", "text/html; charset=utf-8"]]
PDF = [["Content-Type", "application/pdf"]]


def assert_opening_writes_nothing(path) -> None:
    """Opening the archive at ``path`` (up to date) changes not a row, nor a byte of its file:
    commands that only read open it as those that write do."""
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    again = open_database(path)
    assert again.conn.total_changes == 0
    again.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def v3_database(tmp_path):
    """A copy of the schema 3 database (tests/data/schema/make_v3_db.py), opened: migrated."""
    path = tmp_path / "nianbao.db"
    shutil.copy(get_test_file("schema", "v3.db"), path)
    return open_database(path)


def cells(table: str, rows: dict) -> list[dict]:
    """{row: {column: value}} -> parser cells; a value of None is an empty cell, and a
    string is the cell as printed, read as the parser reads it ('/', '12.50', '见附件')."""
    return [
        {"table": table, "row": row, "column": column, "where": f"{table} {row}/{column}", **_read(value)}
        for row, columns in rows.items() for column, value in columns.items()
    ]


def _read(value) -> dict:
    if isinstance(value, str):
        cell = read_cell(value)
        return {"value": cell.value, "text": value, "kind": cell.kind}
    return {"value": value, "text": "" if value is None else str(value),
            "kind": "empty" if value is None else "zero" if value == 0 else "number"}


def store(db, url: str, *, agency=None, year=None, applications=None, active=None, reviews=None,
          text="", title=None, body=None, attachment=False, layout="2021", fetched_at=None) -> int:
    """Archive a body for ``url`` (fetched now, or at ``fetched_at``) and store its parsed
    report; return the report id."""
    all_cells = (cells("applications", applications or {}) + cells("active_disclosure", active or {})
                 + cells("reviews_litigation", reviews or {}))
    report = {
        "agency": agency, "year": year, "layout": layout, "cells": all_cells, "checks": [],
        "title": title or f"{agency or ''}{year or ''}年政府信息公开工作年度报告",
        "failing_rules": [] if all_cells else None,
        "applications": {} if applications else None, "active_disclosure": {} if active else None,
    }
    snapshot_id = store_snapshot(
        db, url=url, method="GET", request_headers=[], status=200,
        response_headers=PDF if attachment else HTML,
        body=body if body is not None else f"{url} {text} {applications} {active}".encode(),
        kind="attachment" if attachment else "report", fetched_at=fetched_at,
    )
    return store_report(db, url=url, snapshot_id=snapshot_id, report=report, parser_version="t", text=text)
