"""Scrapy settings for nianbao's crawler: polite defaults for real government sites.

Local runs (the demo, the tests) apply a profile from ``crawler.profiles`` on top.
"""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

NIANBAO_CONTACT_URL = "https://github.com/nianbao/nianbao"
USER_AGENT = f"nianbao/0.1 (+{NIANBAO_CONTACT_URL}; government annual-report archive)"

# Content codings asked for: those the parser undoes (parsers/content_coding.py) and replay
# tools read in the WARC export (pywb cannot decode zstd). Scrapy would also ask for zstd, the
# zstandard package being installed for the raw store: a server that honours it has every
# page it sends recorded as a parse error and archived as bytes no replay can show.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # Scrapy's
    "Accept-Language": "en",  # Scrapy's
    "Accept-Encoding": "gzip, deflate, br",
}

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
# Scrapy's downloader-aware queue (fewest active downloads first), choosing in time bounded
# by the concurrency rather than the number of sites (crawler/scheduling.py).
SCHEDULER_PRIORITY_QUEUE = "crawler.scheduling.IdleSlotFirstQueue"
# Attachments can be large; past this a download is cancelled and recorded.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
RETRY_TIMES = 2
# Only HTTP(S) is ever fetched: Scrapy would also read file:// (a local file, whatever host the
# URL names), data:, ftp:// and s3:// URLs, and a crawled page chooses its links' schemes. A
# request for one fails with "Unsupported URL scheme" (the spider does not ask: reports.py).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
# Nor is anything fetched from the crawling machine's own networks: a page may redirect to
# http://169.254.169.254/ (a cloud VM's metadata) or http://10.0.0.5/, a host name may resolve
# to 127.0.0.1. Refused: loopback, private (RFC 1918, fc00::/7), link-local, carrier-grade NAT
# (100.64/10), unspecified, multicast and every other address Python's ipaddress does not call
# global, also inside IPv6 (::ffff:a.b.c.d, 64:ff9b::/96, 2002::/16). An address literal, in
# any spelling (2852039166, 0xa9fea9fe), is refused before it is sent, redirects included; a
# host name when the resolver below answers such an address (the address then connected to).
# A refused request is a `skipped` row saying why (crawler/private_addresses.py). Off in the
# demo and test profiles, which crawl 127.0.0.x.
NIANBAO_REFUSE_PRIVATE_ADDRESSES = True
# Addresses and networks crawled all the same (an intranet mirror), e.g. "10.1.2.0/24,10.9.0.7"
# (a list; comma-separated with -s or in the environment). Host names are not accepted.
NIANBAO_ALLOWED_PRIVATE_NETWORKS = []
# Scrapy's default resolver (IPv4, cached) refusing private answers; required while
# NIANBAO_REFUSE_PRIVATE_ADDRESSES is on. Behind a proxy (http_proxy, https_proxy in the
# environment) the proxy resolves host names: only address literals are checked, and the proxy
# must refuse private destinations itself (deploy/README.md). Its own address need not be allowed.
TWISTED_DNS_RESOLVER = "crawler.private_addresses.PrivateAddressRefusingResolver"
# Hostile answers (crawler/middlewares/challenges.py, retry_after.py): a host that
# answers with a script challenge, refuses this many requests in a row (403/429), or
# asks to wait longer than this many seconds is blocked for the rest of the run (False: never).
NIANBAO_BLOCK_HOSTS = True
NIANBAO_BLOCK_AFTER_REFUSALS = 3
NIANBAO_RETRY_AFTER_MAX = 300.0
# robots.txt Crawl-delay is obeyed up to this many seconds; no host's delay is under the
# minimum, without which Scrapy does not keep the per-host concurrency (crawler/politeness.py).
NIANBAO_OBEY_CRAWL_DELAY = True
NIANBAO_CRAWL_DELAY_MAX = 60.0
NIANBAO_MIN_SLOT_DELAY = 0.001

# Report pages and attachments whose server was asked less than this many days ago are not
# asked again: the run uses the archived answer (crawler/middlewares/conditional.py,
# table not_asked). 0: ask for every page on every run (conditionally).
NIANBAO_RECHECK_AFTER_DAYS = 0.0
# False: report pages are downloaded in full every run (no If-None-Match / If-Modified-Since,
# no recheck interval).
NIANBAO_CONDITIONAL_REQUESTS = True
# Listing pages followed per report column (a runaway pager stops here: the pages past it are
# `skipped` rows); pages `nianbao discover` fetches from a site's home page.
NIANBAO_MAX_LISTING_PAGES = 500
NIANBAO_DISCOVER_MAX_PAGES = 30

# Raw snapshots are recorded where the HTTP cache would sit (900): after
# HttpCompressionMiddleware (590) in the response path is *not* yet applied, so the
# body is stored exactly as it came off the wire, still content-encoded.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.snapshots.SnapshotMiddleware": 900,
    # Report pages and attachments asked for with the archived answer's validators; a 304
    # becomes the archived 200 between the snapshot store (900) and decompression (590).
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 800,
    # Request path, first to last: 繁體 mirrors never leave (60, before robots.txt is
    # fetched); robots.txt, with disallowed URLs recorded (100); a host held by
    # Retry-After waits (570); a blocked host gets nothing more (585).
    # Response path, first to last: a report's 3xx to its column is a withdrawal (610,
    # before redirects are followed at 600); a challenge or refusal that blocked its host
    # is recorded with its snapshot (585), and a host under Retry-After is held (570),
    # before RetryMiddleware (550). Both judge answers on the response_downloaded signal.
    "crawler.middlewares.mirrors.MirrorMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RecordedRobotsTxtMiddleware": 100,
    "crawler.middlewares.withdrawn.WithdrawnMiddleware": 610,
    "crawler.middlewares.redirect_loops.RedirectLoopMiddleware": 605,  # a loop: an errors row
    "crawler.middlewares.challenges.ChallengeMiddleware": 585,
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 570,
    "crawler.middlewares.oversize.OversizeMiddleware": 560,  # DOWNLOAD_MAXSIZE: an errors row
    # NIANBAO_REFUSE_PRIVATE_ADDRESSES: a `skipped` row; before RetryMiddleware (550) in the
    # exception path, so a refused lookup is not retried.
    "crawler.middlewares.private_addresses.PrivateAddressMiddleware": 555,
}
ITEM_PIPELINES = {
    "pipelines.reports.ReportPipeline": 300,
}
# Scrapy starts CONCURRENT_ITEMS tasks for every callback's output, whatever its size: a
# report page yields one item, a listing page a few dozen requests and items.
CONCURRENT_ITEMS = 16
# Scrapy reads each callback's source (inspect + ast) on every response to warn about a
# generator that returns a value (~0.6 ms a response: its cache is keyed by the bound
# method, new for each request). tests/test_parse_workers.py checks ours once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Report pages are parsed in this many worker processes while the crawl fetches on; the
# crawling process stores what they read (pipelines/parse_workers.py). 0: parse in the
# crawling process. None: one fewer than its CPUs, at least 1, at most 4.
NIANBAO_PARSE_WORKERS = None
EXTENSIONS = {
    "crawler.extensions.CrawlRunExtension": 100,
    # Before CrawlRunExtension: its last line reads the archive that one closes.
    "crawler.progress.ProgressExtension": 90,
    # Per-host delay floors (robots.txt Crawl-delay, 1 ms minimum); AutoThrottle keeps them.
    "crawler.politeness.SlotDelays": 200,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.politeness.PoliteAutoThrottle": 0,
}
NIANBAO_PROGRESS_INTERVAL = 10.0

# Where the archive lives: DIR/nianbao.db (`--data DIR`)
NIANBAO_DATA_DIR = "data"

# `nianbao crawl --redis URL` (crawler/distributed/): how often a process with nothing
# to do asks the shared queue, in seconds (--seed and --idle set the rest), and how long a
# process may go without renewing its liveness key before the others requeue its requests.
NIANBAO_REDIS_POLL = 1.0
NIANBAO_REDIS_WORKER_TTL = 60.0

# Checks at the end of each run (crawler/monitoring.py); one failing makes `nianbao crawl`
# exit 3. Failed requests per request; pages fetched but not read (parse errors) per page read;
# hosts blocked (challenges, refusals, long Retry-After); the share of answers received that
# must be archived.
NIANBAO_MONITOR_ENABLED = True
NIANBAO_MONITOR_MAX_ERROR_RATE = 0.1
NIANBAO_MONITOR_MAX_PARSE_ERROR_RATE = 0.3
NIANBAO_MONITOR_ERROR_RATE_MIN_PAGES = 20  # smaller runs: the rates are not judged
NIANBAO_MONITOR_MAX_BLOCKED_HOSTS = 0
NIANBAO_MONITOR_MIN_ARCHIVED_SHARE = 1.0
# Hooks told how each run went (crawler/notify.py): a shell command given the summary on
# stdin, a URL the run's checks are POSTed to as JSON; "always" or only on "failure".
NIANBAO_NOTIFY_COMMAND = ""
NIANBAO_NOTIFY_URL = ""
NIANBAO_NOTIFY_ON = "always"
NIANBAO_NOTIFY_TIMEOUT = 30.0

LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0
# Nothing listens: no telnet console, and not Scrapy 2.19's remote-control server (an
# HTTP endpoint that runs Python inside the crawler, with a token file per run under
# ~/.local/state/scrapy/job_files that a killed crawl leaves behind).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
