"""Script challenges and repeated refusals: the host is blocked for the run, never "solved".

Anti-bot gateways in front of government sites answer with a page of JavaScript that
computes a cookie, then expect the request again with it:

- Ruishu (瑞数): HTTP 412, some versions 202, sometimes even 200, a body with
  ``$_ts=window['$_ts']`` and ``<meta ... r='m'>``, and a cookie whose name ends in ``S``;
- Jiasule (加速乐): HTTP 521 with a script that sets ``__jsl_clearance``.

nianbao does not run that code. Each answer is judged on ``response_downloaded``
(before the host's slot sends its next request); a challenge, or the
``NIANBAO_BLOCK_AFTER_REFUSALS``-th refusal in a row (403/429; a 429 is retried first,
after its Retry-After), blocks the host for the run. By ``process_response`` (585, before
RetryMiddleware at 550) the snapshot middleware (900) has archived the answer, and the
block is recorded with that snapshot as evidence. Every later request to the host is dropped
with a reason.
"""

from __future__ import annotations

import re
import zlib

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.blocks import CHALLENGES, JSL_CHALLENGE, JSL_STYLE_CHALLENGE, REFUSALS_IN_A_ROW, TS_CHALLENGE
from archive.skip_reasons import HOST_BLOCKED
from parsers import decode_http_body

from ..blocking import host_blocks
from ..drops import HostBlocked, drop, host_of
from ..settings import NIANBAO_BLOCK_AFTER_REFUSALS, NIANBAO_BLOCK_HOSTS
from . import CrawlerMiddleware

# Challenge pages are small and their markers sit in <head>; don't scan megabytes.
SCAN_BYTES = 256 * 1024
REFUSALS = (403, 429)

_TS_SCRIPT = re.compile(rb"\$_ts\s*=\s*window\s*\[|\$_ts\.(?:cd|nsd)\s*=")
# Ruishu's markup: a <meta> or <script> tag with the attribute r='m' (see has_r_m).
_TAG = re.compile(rb"<(?:meta|script)\b[^>]*>", re.IGNORECASE)
_TAG_START = re.compile(rb"<(?:meta|script)\b", re.IGNORECASE)
_R_IS_M = re.compile(rb"\sr\s*=\s*['\"]?m['\"]?[\s>/]", re.IGNORECASE)
_JSL = re.compile(rb"__jsl_clearance")
# Ruishu's first cookie: a random alphanumeric name ending in S (its second one ends in T).
_S_COOKIE = re.compile(r"^\s*([A-Za-z0-9]{8,}S)=")


def recognise_challenge(status: int, body: bytes, set_cookies=()) -> tuple[str, str] | None:
    """Which script challenge this answer is, and what marks it (a block's reason and
    detail: archive/blocks.py), or None when it is not one."""
    head = body[:SCAN_BYTES]
    cookies = [m.group(1) for c in set_cookies if (m := _S_COOKIE.match(c))]
    if _JSL.search(head):
        return JSL_CHALLENGE, f"HTTP {status}"
    if status == 521 and b"<script" in head.lower():
        sets = ", sets document.cookie" if b"document.cookie" in head else ""
        return JSL_STYLE_CHALLENGE, f"HTTP 521{sets}"
    evidence = []
    if _TS_SCRIPT.search(head):
        evidence.append("$_ts script")
    if has_r_m(head):
        evidence.append("r='m' markup")
    if cookies:
        evidence.append("cookie " + cookies[0])
    if evidence and ("$_ts script" in evidence or status in (202, 412)):
        return TS_CHALLENGE, f"HTTP {status}: {', '.join(evidence)}"
    return None


def has_r_m(head: bytes) -> bool:
    r"""Whether a <meta> or <script> tag carries r='m': what the regex
    ``<(?:meta|script)\b[^>]*?\sr\s*=\s*['"]?m['"]?[\s>/]`` finds, found in linear time.
    (That regex scans from every "<meta" to the next ">": 43,000 of them with no ">" between
    took seconds a response, on the crawl's one thread.) Whole tags are matched and each
    searched; after the last ">", the first tag start's scan covers every later one's."""
    end = head.rfind(b">") + 1
    if any(_R_IS_M.search(tag.group()) for tag in _TAG.finditer(head, 0, end)):
        return True
    start = _TAG_START.search(head, end)
    return start is not None and _R_IS_M.search(head, start.end()) is not None


def _set_cookies(response) -> list[str]:
    return [v.decode("latin-1") for v in response.headers.getlist(b"Set-Cookie")]


def body_head(body: bytes, content_encoding: str | None) -> bytes:
    """The first ``SCAN_BYTES`` of the body with its Content-Encoding undone (the raw
    answer, as the signal sees it, may be compressed)."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("", "identity"):
        return body[:SCAN_BYTES]
    wbits = {"gzip": 47, "x-gzip": 47, "deflate": 15}.get(coding)
    try:
        if wbits is None:
            return decode_http_body(body, content_encoding)[:SCAN_BYTES]
        try:
            return zlib.decompressobj(wbits).decompress(body, SCAN_BYTES)
        except zlib.error:
            if coding != "deflate":
                raise
            return zlib.decompressobj(-15).decompress(body, SCAN_BYTES)  # raw deflate
    except Exception:  # undecodable: judge by status and headers only
        return b""


class ChallengeMiddleware(CrawlerMiddleware):
    def __init__(self, crawler, block_after_refusals: int):
        super().__init__(crawler)
        self.block_after_refusals = block_after_refusals
        self.blocks = host_blocks(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_BLOCK_HOSTS", NIANBAO_BLOCK_HOSTS):
            raise NotConfigured
        mw = cls(crawler, crawler.settings.getint("NIANBAO_BLOCK_AFTER_REFUSALS", NIANBAO_BLOCK_AFTER_REFUSALS))
        crawler.signals.connect(mw.response_downloaded, signal=signals.response_downloaded)
        return mw

    def process_request(self, request):
        self.blocks.note_site(request)
        block = self.blocks.block_of(request)
        if block is not None:
            drop(self.crawler, request, HostBlocked, HOST_BLOCKED, detail=block.in_words)
        return None

    def response_downloaded(self, response, request, spider=None):
        why = self.judge(request, response)
        if why is not None:
            reason, detail = why
            self.crawler.stats.inc_value("nianbao/challenges" if reason in CHALLENGES else "nianbao/refused")
            self.blocks.mark(request, reason, detail)

    def judge(self, request, response) -> tuple[str, str] | None:
        """Why this answer blocks its host (the reason and its detail), or None; counts
        refusals in a row."""
        encoding = response.headers.get("Content-Encoding", b"").decode("latin-1") or None
        challenge = recognise_challenge(response.status, body_head(response.body, encoding), _set_cookies(response))
        if challenge is not None:
            return challenge
        host = host_of(request)
        if response.status not in REFUSALS:
            self.blocks.refusals[host] = 0
            return None
        self.blocks.refusals[host] += 1
        count = self.blocks.refusals[host]
        if self.block_after_refusals and count >= self.block_after_refusals:
            return REFUSALS_IN_A_ROW, f"HTTP {response.status}: {count} refusals in a row"
        return None

    def process_response(self, request, response):
        self.blocks.settle(request, response)  # raises HostBlocked for the deciding answer
        return response
