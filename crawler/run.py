"""Run the report spider in this process and return the run's id."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from .profiles import profile_settings
from .spiders.reports import ReportSpider


def crawl_settings(data_dir, profile: str = "polite", overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(profile_settings(profile), priority="cmdline")
    settings.set("NIANBAO_DATA_DIR", str(Path(data_dir)), priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawl(sites: list[dict], data_dir, profile: str = "polite", overrides: dict | None = None) -> int:
    """Crawl ``sites`` (dicts with ``name`` and ``start_urls``) into DATA_DIR/nianbao.db.

    Blocks until the crawl ends. Twisted's reactor cannot be restarted, so call this
    once per process.
    """
    process = CrawlerProcess(crawl_settings(data_dir, profile, overrides))
    crawler = process.create_crawler(ReportSpider)
    process.crawl(crawler, sites=sites)
    process.start()
    return crawler.nianbao_archive.run_id
