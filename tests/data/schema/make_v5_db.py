"""Write v5.db: a small database as schema 5 wrote it (wide tables as views over
current_cells, no report_list, no reparse tables), for the migration tests.

It was made by running this script with the code of schema 5 (the commit before schema 6);
running it with later code makes a database of the later schema, so v5.db is kept as it
was written. The reports are v3.db's (make_v3_db.py) plus two corrections: one of a cell
the parser read, one of a cell it never read.

    PYTHONPATH=<checkout at schema 5> .venv/bin/python tests/data/schema/make_v5_db.py tests/data/schema/v5.db
"""

import gc
import sys
from pathlib import Path

from archive.corrections import add_correction
from archive.schema import SCHEMA_VERSION, open_database

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_v3_db import main as make_v3  # noqa: E402


def main(path):
    assert SCHEMA_VERSION == 5, f"run with the code of schema 5, not {SCHEMA_VERSION}"
    make_v3(path)
    gc.collect()  # (closes make_v3's connection)
    db = open_database(path)
    (page,) = db.execute("select id from reports where url like '%2021.html'").fetchone()
    add_correction(db, report_id=page, table="applications", row="new_received", column="total",
                   value="26", who="李伟", why="the PDF prints 26", when="2025-03-01T00:00:00Z")
    add_correction(db, report_id=page, table="applications", row="granted", column="total",
                   value="/", who="李伟", why="not printed", when="2025-03-02T00:00:00Z")
    db.execute("pragma journal_mode=delete")
    db.execute("vacuum")
    db.close()


if __name__ == "__main__":
    main(sys.argv[1])
