"""Keep Scrapy's cookie middleware off the network.

``scrapy.downloadermiddlewares.cookies`` builds a module-level ``TLDExtract`` that
downloads the public-suffix list on first use. nianbao runs where only the target
sites are reachable (and tests allow only loopback), so we swap in an extractor
that uses tldextract's bundled snapshot and never fetches.
"""

from __future__ import annotations

import scrapy.downloadermiddlewares.cookies as _cookies
from tldextract import TLDExtract

offline_extract = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def use_bundled_public_suffix_list() -> None:
    """Idempotent; called when the crawler package is imported."""
    _cookies._split_domain = offline_extract
