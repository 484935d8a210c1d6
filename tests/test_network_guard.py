"""Nothing leaves 127.0.0.1 in tests, and the product itself needs no network for
the public-suffix list."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

import nianbao_netguard


def test_guard_refuses_connections_off_loopback():
    before = len(nianbao_netguard.attempts)
    with pytest.raises(OSError, match="only 127.0.0.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET: refused before sending
    del nianbao_netguard.attempts[before:]  # refused on purpose: don't fail the session


def test_guard_is_active_in_subprocesses(guarded_env, tmp_path):
    env = dict(guarded_env, NIANBAO_NETGUARD_LOG=str(tmp_path / "log"))
    code = "import urllib.request; urllib.request.urlopen('http://example.invalid/', timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "name lookup of example.invalid" in (tmp_path / "log").read_text()


def test_cookie_middleware_uses_the_bundled_public_suffix_list():
    import crawler  # noqa: F401  (installs the offline extractor)
    import scrapy.downloadermiddlewares.cookies as cookies

    assert cookies._split_domain.suffix_list_urls == ()
    assert cookies._is_public_domain("gov.cn")
    assert not cookies._is_public_domain("www.gov.cn")


@pytest.mark.parametrize("profile", ["polite", "demo", "test"])
def test_every_profile_switches_off_scrapys_listening_consoles(profile):
    """No telnet console and no remote-control server (Scrapy 2.19 starts one by default)."""
    from crawler.run import crawl_settings

    settings = crawl_settings("unused", profile)
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
