"""The Scrapy project: spiders, downloader middlewares and settings.

crawler/ owns fetching: it walks report columns, recognises reports, and hands every
exchange to archive/ (raw snapshots) and every report page to pipelines/ (parsing).
"""

from .offline_psl import use_bundled_public_suffix_list

use_bundled_public_suffix_list()
