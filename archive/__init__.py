"""The archive: raw snapshots in SQLite (store, read, verify, export, reparse) and the
normalized rows derived from them.

A page's way in, during a crawl:
- crawler/middlewares/snapshots.py -> snapshots.py ``store_snapshot`` (a 304:
  ``store_not_modified``): the exchange's row; the body once per digest through payloads.py
  (compressed by codecs.py, with a dictionary from dictionaries.py);
- pipelines/reports.py -> reparse.py ``parse_stored_snapshot``: reparse_pool.py ``parse_one``
  reads the snapshot back (snapshots.py ``read_snapshot``) and parses it (snapshot_parse.py
  ``parse_snapshot`` -> parsers ``parse_report``); records.py ``store_report`` writes the rows,
  and through agencies.py, report_groups.py (wide_tables.py) and cross_checks.py what
  derives from them; links not followed and failures: records.py ``record_skipped``,
  ``record_error``;
- the run: runs.py (started by crawler/crawl_archive.py, ended by crawler/extensions.py), skipped_counts.py as it ends.
``nianbao reparse`` takes the same parse path over what is stored (reparse.py ``reparse``).

Raw snapshots
- schema.py           tables, indexes and views of nianbao.db, and their migrations
- transactions.py     write transactions that wait for another writer (BEGIN IMMEDIATE)
- raw_store.py        where the bodies live (nianbao.db, or a second file: --archive-db)
- read_only.py        SQLite files read without changing them or leaving -wal/-shm beside them
- payloads.py         bodies stored once per payload digest (a URL's new body as a delta of an
                      earlier one when smaller), read back checked against it (``decode``)
- codecs.py           how bodies are compressed (zstd with trained dictionaries, or a delta)
- dictionaries.py     the zstd dictionaries: a shared one and one per site, trained as pages come
- timestamps.py       the archive's timestamps (UTC, milliseconds, Z)
- snapshots.py        store/read exchanges; bodies once per payload digest
- runs.py             crawl_runs rows: a run's counts, kept as it ends, and its summary
- run_lock.py         the archive's lock: one crawl or reparse writes at a time
- run_list.py         the last runs, as `nianbao runs` lists them
- skipped_counts.py   what each run skipped, by reason, kept as it ends
- skip_reasons.py     skip reasons are a few sentences, what varies per URL their detail
- blocks.py           hosts a crawl gave up on, with the evidence
- oversize.py         files cancelled for their size, with their validators (asked again conditionally)
- killpoints.py       test-only crash points inside archive writes
- verify.py           check bodies, references and SQLite's integrity without changing anything
- warc.py, wacz.py    export as WARC 1.1 (with a CDXJ index) and WACZ
- warc_file.py        the WARC export as files: the WARC and its index, written whole
- whole_files.py      exports written under .partial names, put in place when whole
- merge.py            combine the databases of several crawler processes
- merge_tables.py     the tables a merge copies: order, row ids, references, natural keys, meaning
- merge_rows.py       one table's rows copied: ids remapped, rows already there recognised
- merge_repair.py     the output's damaged bodies and zstd dictionaries replaced by an input's good copies

Normalized rows
- records.py          write a parsed report's rows (reports, cells, checks, problems), skips, errors
- report_content.py   a version per change of content, not of bytes (content_digest, version_bodies)
- sites.py            the registry's sites and which site each report was found for
- agencies.py         publishing bodies and every name they used
- report_groups.py    logical reports: one per body and year, one counted version
- research_schema.py  the researcher's views (report_list, current cells with corrections)
- wide_tables.py      applications, reviews_litigation, active_disclosure: stored, kept up to date
- cross_checks.py     R6 and R7 between consecutive years of a body
- corrections.py      researchers' corrections of cells
- search.py           full-text search that works for Chinese (FTS5 trigram, short-term fallback)
- export.py           one table or view to CSV or Parquet

Reparse
- reparse.py          run the parsers over stored snapshots (the crawl's pipeline uses it too)
- reparse_select.py   which report versions a reparse parses
- reparse_pool.py     parse in this process or in N workers
- snapshot_parse.py   one stored snapshot parsed as it came off the wire (a pure function)
- reparse_runs.py     what a reparse changed
"""

DATABASE_NAME = "nianbao.db"  # the archive in a data directory: DATA/nianbao.db
