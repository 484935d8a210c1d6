"""The ``nianbao`` commands, one module per concept; nianbao/cli.py gathers them into the group.

- common.py        what they share: --data, --archive-db, -s NAME=VALUE, OutputPath, the progress bar
- crawling.py      demo, crawl, runs, merge
- sites.py         discover, check-sites
- parsing.py       parse, reparse
- exporting.py     export, export-warc, export-wacz
- serving.py       serve, portal
- verifying.py     verify, rebuild-wide-tables, rebuild-cross-checks
- corrections.py   correct
"""
