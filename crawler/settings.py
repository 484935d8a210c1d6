"""Scrapy settings for nianbao's crawler: polite defaults for real government sites.

Local runs (the demo, the tests) apply a profile from ``crawler.profiles`` on top.
"""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

NIANBAO_CONTACT_URL = "https://github.com/nianbao/nianbao"
USER_AGENT = f"nianbao/0.1 (+{NIANBAO_CONTACT_URL}; government annual-report archive)"

# Politeness: obey robots.txt, few requests per host, adaptive delays.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
# Attachments can be large; past this a download is cancelled and recorded.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
RETRY_TIMES = 2

# Raw snapshots are recorded where the HTTP cache would sit (900): after
# HttpCompressionMiddleware (590) in the response path is *not* yet applied, so the
# body is stored exactly as it came off the wire, still content-encoded.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.snapshots.SnapshotMiddleware": 900,
}
ITEM_PIPELINES = {
    "pipelines.reports.ReportPipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRunExtension": 100,
    "crawler.progress.ProgressExtension": 500,
}
NIANBAO_PROGRESS_INTERVAL = 10.0

# Where the archive lives: DIR/nianbao.db
NIANBAO_DATA_DIR = "data"

LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
