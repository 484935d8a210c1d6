"""Write v1.db: the archive the first nianbao (commit c4f29d5, schema 1) wrote for its demo crawl,
for the test that an archive of every schema since is opened, crawled and exported with nothing lost.

Unlike v3.db and v5.db, written through the archive's functions, this is what the old
``nianbao demo`` itself stored: the old code crawls the bundled portal, and this script
makes the file self-contained and small (WAL folded in, vacuumed), changing no row:

    git worktree add --detach /tmp/nianbao-v1 c4f29d5
    (cd /tmp/nianbao-v1 && PYTHONPATH=$PWD /path/to/.venv/bin/python -m nianbao demo --data /tmp/v1)
    .venv/bin/python tests/data/schema/make_v1_db.py /tmp/v1/nianbao.db tests/data/schema/v1.db
    git worktree remove --force /tmp/nianbao-v1

The portal served on a free port of 127.0.0.1 then; the test moves the URLs to the port of
the portal it starts.
"""

import sqlite3
import sys
from pathlib import Path


def main(source, target):
    Path(target).unlink(missing_ok=True)
    db = sqlite3.connect(source)
    db.execute("pragma wal_checkpoint(truncate)")
    db.execute("vacuum into ?", [str(target)])
    db.close()
    db = sqlite3.connect(target)
    db.execute("pragma journal_mode=delete")  # one file, as git keeps it
    db.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
