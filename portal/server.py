"""`DemoPortal`: the imitation portal served over real HTTP on 127.0.0.1.

HTTP/1.1 with Content-Length (keep-alive works), gzip for HTML when the client asks, strong ETags
and Last-Modified with 304 answers for conditional requests, 404 for unknown paths. Every response
is recorded in `.sent` with the exact body bytes written, so tests can compare what a crawler
stored against what went over the wire.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from .pages import not_found_page
from .site import Site, build_site


@dataclass(frozen=True)
class SentResponse:
    method: str
    path: str                         # the request target as received
    status: int
    headers: list[tuple[str, str]]    # in the order sent
    body: bytes                       # exactly the bytes written after the headers


def _accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        coding, *params = [p.strip() for p in part.split(";")]
        if coding.lower() in ("gzip", "x-gzip", "*"):
            q = 1.0
            for param in params:
                if param.lower().startswith("q="):
                    try:
                        q = float(param[2:])
                    except ValueError:
                        q = 0.0
            return q > 0
    return False


def _etag_matches(header: str, etags: tuple[str, ...]) -> bool:
    candidates = [t.strip() for t in header.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") in etags for c in candidates)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TRS-WCM-Demo/1.0"
    portal: "DemoPortal"              # set on the per-portal subclass

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format, *args):   # noqa: A002 - keep stderr quiet
        pass

    def send_header(self, keyword, value):
        if not hasattr(self, "_headers_sent"):
            self._headers_sent = []
        self._headers_sent.append((keyword, value))
        super().send_header(keyword, value)

    def send_error(self, code, message=None, explain=None):
        """Malformed requests and unknown methods: answered (and recorded) like everything else."""
        self.close_connection = True
        body = f"{code} {message or self.responses.get(code, ('',))[0]}\n".encode("utf-8")
        self._send(code, [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
                   body, send_body=self.command != "HEAD")

    def do_GET(self):
        self._serve(send_body=True)

    def do_HEAD(self):
        self._serve(send_body=False)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"Method Not Allowed\n"
        self._send(405, [("Content-Type", "text/plain; charset=utf-8"), ("Allow", "GET, HEAD")], body)

    def _lookup(self, path: str):
        site = self.portal.site
        if path in site:
            return site[path]
        if path.endswith("/") and path + "index.html" in site:     # directory index, as TRS serves it
            return site[path + "index.html"]
        return None

    def _serve(self, send_body: bool):
        path = unquote(urlsplit(self.path).path)
        resource = self._lookup(path)
        if resource is None:
            headers = [("Content-Type", "text/html; charset=utf-8")]
            self._send(404, headers, self._maybe_gzip(not_found_page(path).encode("utf-8"), headers),
                       send_body)
            return
        identity_tag = resource.etag
        gzip_tag = identity_tag[:-1] + '-gzip"'       # a strong tag per representation
        headers = [("Content-Type", resource.content_type), ("Last-Modified", resource.last_modified)]
        is_html = resource.content_type.startswith("text/html")
        use_gzip = is_html and _accepts_gzip(self.headers.get("Accept-Encoding"))
        headers.append(("ETag", gzip_tag if use_gzip else identity_tag))
        if is_html:
            headers.append(("Vary", "Accept-Encoding"))
        if self._not_modified(resource, (identity_tag, gzip_tag)):
            self._send(304, headers, b"", send_body, content_length=False)
            return
        body = self._maybe_gzip(resource.body, headers) if is_html else resource.body
        self._send(200, headers, body, send_body)

    def _maybe_gzip(self, body: bytes, headers: list[tuple[str, str]]) -> bytes:
        """Deterministic gzip (mtime=0) when the client accepts it; robots.txt never gets here."""
        if _accepts_gzip(self.headers.get("Accept-Encoding")):
            headers.append(("Content-Encoding", "gzip"))
            return gzip.compress(body, mtime=0)
        return body

    def _not_modified(self, resource, etags: tuple[str, ...]) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:                  # takes precedence over If-Modified-Since
            return _etag_matches(if_none_match, etags)
        since = self.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return parsedate_to_datetime(resource.last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def _send(self, status, headers, body, send_body=True, content_length=True):
        headers = list(headers)
        if content_length:
            headers.append(("Content-Length", str(len(body))))
        written = body if send_body else b""
        self._headers_sent: list[tuple[str, str]] = []
        self.send_response(status)                     # adds Server and Date through send_header
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        # Recorded before writing, so a client that has the response can already see it here.
        self.portal._record(SentResponse(self.command or "", getattr(self, "path", ""), status,
                                         self._headers_sent, written))
        if written:
            self.wfile.write(written)


class DemoPortal:
    """The imitation portal on a free port of 127.0.0.1, in a daemon thread.

    Example::

        with DemoPortal() as portal:
            crawl(portal.start_url)      # http://127.0.0.1:<port>/zwgk/zfxxgknb/index.html
            portal.sent                  # every response, with the exact body bytes sent
    """

    def __init__(self, site: Site | None = None, host: str = "127.0.0.1", port: int = 0):
        self.site = site if site is not None else build_site()
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sent: list[SentResponse] = []

    @property
    def sent(self) -> list[SentResponse]:
        """A snapshot of every response sent so far, oldest first."""
        with self._lock:
            return list(self._sent)

    def clear_sent(self) -> None:
        with self._lock:
            self._sent.clear()

    def _record(self, response: SentResponse) -> None:
        with self._lock:
            self._sent.append(response)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("DemoPortal is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def start_url(self) -> str:
        return self.base_url + self.site.start_path

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> "DemoPortal":
        if self._server is not None:
            return self
        handler = type("PortalHandler", (_Handler,), {"portal": self})
        self._server = ThreadingHTTPServer(self._address, handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "DemoPortal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the portal until Ctrl-C, printing the column's start URL (for the demo CLI)."""
    portal = DemoPortal(host=host, port=port).start()
    print(f"Demo portal serving at {portal.start_url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()
