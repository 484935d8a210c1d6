"""Write v3.db: a small database as schema 3 (commit 031ccf4) wrote it, for the migration tests.

It was made by running this script with the code of that commit; running it with later code
makes a database of the later schema, so v3.db is kept as it was written.

    .venv/bin/python tests/data/schema/make_v3_db.py tests/data/schema/v3.db
"""

import sys

from archive.records import store_report
from archive.schema import open_database
from archive.snapshots import store_snapshot

HTML = [["Content-Type", "text/html; charset=utf-8"]]
PDF = [["Content-Type", "application/pdf"]]


def cells(table, rows):
    return [{"table": table, "row": row, "column": column, "value": value, "text": str(value),
             "kind": "zero" if value == 0 else "number", "where": f"table {table} {row}/{column}"}
            for row, columns in rows.items() for column, value in columns.items()]


def report(agency, year, layout, text, applications, active):
    return {"agency": agency, "year": year, "layout": layout, "title": f"{agency}{year}年政府信息公开工作年度报告",
            "cells": cells("applications", applications) + cells("active_disclosure", active),
            "checks": [{"rule": "R1", "where": "total", "status": "pass", "left": 1, "right": 1, "delta": 0}],
            "failing_rules": [], "text": text}


def main(path):
    db = open_database(path)
    base = "http://127.0.0.1:8000/zwgk/"

    def store(url, body, headers, rep):
        sid = store_snapshot(db, url=url, method="GET", request_headers=[], status=200,
                             response_headers=headers, body=body, kind="report" if headers is HTML else "attachment")
        return store_report(db, url=url, snapshot_id=sid, report=rep, parser_version="3", text=rep["text"])

    store(base + "2020.html", b"<p>2020</p>", HTML, report(
        "北京市海淀区人民政府", 2020, "2019", "海淀区2020年做好疫情防控信息公开。",
        {"new_received": {"natural_person": 10, "total": 12}, "carried_over": {"natural_person": 1, "total": 1},
         "total": {"natural_person": 9, "total": 11}, "carried_forward": {"natural_person": 2, "total": 2}},
        {"regulations": {"made": 1, "published": 1, "public_total": 5}}))
    store(base + "2021.html", b"<p>2021</p>", HTML, report(
        "北京市海淀区政府", 2021, "2021", "海淀区2021年水务工程信息公开。",
        {"new_received": {"natural_person": 20, "total": 25}, "carried_over": {"natural_person": 2, "total": 3},
         "total": {"natural_person": 20, "total": 26}, "carried_forward": {"natural_person": 2, "total": 2}},
        {"regulations": {"issued": 2, "repealed": 0, "in_force": 7},
         "normative_documents": {"issued": 5, "repealed": 1, "in_force": 40}}))
    # The same report as the page's PDF attachment: one logical report, the page counts.
    store(base + "2021.pdf", b"%PDF-2021", PDF, report(
        "北京市海淀区人民政府", 2021, "2021", "海淀区2021年水务工程信息公开。",
        {"new_received": {"natural_person": 21, "total": 25}},
        {"regulations": {"issued": 2, "repealed": 0, "in_force": 7}}))
    store(base + "2022.html", b"<p>2022</p>", HTML, report(
        "北京市海淀区", 2022, "2021", "海淀区2022年政务公开。",
        {"carried_over": {"natural_person": 2, "total": 2}},
        {"regulations": {"issued": 1, "repealed": 2, "in_force": 6},
         "normative_documents": {"issued": 3, "repealed": 0, "in_force": 45}}))
    # A report whose page changed: version 2 is current.
    store(base + "czq.html", b"<p>v1</p>", HTML, report(
        "城中区人民政府", 2023, "2021", "城中区旧版本。", {"new_received": {"total": 5}}, {}))
    store(base + "czq.html", b"<p>v2</p>", HTML, report(
        "城中区人民政府", 2023, "2021", "城中区更正后的版本。", {"new_received": {"total": 6}}, {}))
    # No agency, no year: a logical report of its own.
    store(base + "unknown.html", b"<p>?</p>", HTML, {"title": "年报", "text": "无法识别的页面。"})
    db.execute("vacuum")


if __name__ == "__main__":
    main(sys.argv[1])
