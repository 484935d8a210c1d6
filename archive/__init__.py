"""The archive: raw snapshots in SQLite (store, read, export, reparse) and the
normalized rows derived from them.

- schema.py     tables, indexes and views of nianbao.db
- snapshots.py  store/read exchanges; bodies once per payload digest, compressed
- records.py    write a parsed report's rows (reports, cells, checks, problems), skips, errors
- runs.py       crawl_runs rows and the end-of-run summary
- reparse.py    run the parsers over stored snapshots (the crawl's pipeline uses it too)
- warc.py       export snapshots as WARC 1.1
"""
