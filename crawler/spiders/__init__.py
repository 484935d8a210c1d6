"""Spiders. ``reports`` (reports.py: ``ReportSpider``) walks the report columns of the sites it
is given. The other spider, ``nianbao discover``'s ``DiscoverSpider``, lives with the rest of
discovery in crawler/discover.py."""
