"""Settings profiles applied on top of ``crawler.settings``.

``polite`` is for real sites. ``demo`` and ``test`` are for the local imitation
portal on 127.0.0.1: millisecond delays so a crawl takes seconds, and the loopback
addresses the portals serve on are not refused. Politeness itself is tested with the
``polite`` values, not these.
"""

PROFILES = {
    "polite": {},
    "demo": {
        "DOWNLOAD_DELAY": 0.01,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "LOG_LEVEL": "WARNING",
        "NIANBAO_REFUSE_PRIVATE_ADDRESSES": False,
    },
    "test": {
        "DOWNLOAD_DELAY": 0.001,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "RETRY_TIMES": 0,
        "DOWNLOAD_TIMEOUT": 10,
        "LOG_LEVEL": "WARNING",
        "NIANBAO_REFUSE_PRIVATE_ADDRESSES": False,
    },
}


def profile_settings(name: str) -> dict:
    try:
        return dict(PROFILES[name])
    except KeyError:
        raise ValueError(f"unknown settings profile {name!r}; choose from {', '.join(PROFILES)}") from None
