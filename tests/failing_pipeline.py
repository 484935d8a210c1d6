"""A test-only item pipeline that fails on one page, as a storing bug or a locked archive
would: set ``NIANBAO_TEST_FAIL_TO_STORE`` to the end of that page's URL and put
``tests.failing_pipeline.FailToStore`` before the report pipeline in ITEM_PIPELINES
(``nianbao crawl -s ITEM_PIPELINES=...``). The page is fetched and archived as usual; what
it brought never reaches the report pipeline."""

from __future__ import annotations

import os
import sqlite3

FAIL_TO_STORE = "NIANBAO_TEST_FAIL_TO_STORE"


class FailToStore:
    def process_item(self, item):
        if item.url.endswith(os.environ[FAIL_TO_STORE]):
            raise sqlite3.OperationalError("database is locked")
        return item
