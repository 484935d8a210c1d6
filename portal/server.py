"""`DemoPortal`: the imitation portal served over real HTTP on 127.0.0.1.

HTTP/1.1 with Content-Length (keep-alive works), gzip for HTML when the client asks, strong ETags
and Last-Modified with 304 answers for conditional requests, 404 for unknown paths. Every response
is recorded in `.sent` with the exact body bytes written, so tests can compare what a crawler
stored against what went over the wire, with when the request came in and the answer went out.
A site with an `answer(method, path, headers) -> (status, headers, body) | None` method answers
requests itself first: the hostile hosts of `portal.hostile` (challenges, 429s, redirects).
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
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
    received_at: float = 0.0          # time.monotonic() when the request line was read
    sent_at: float = 0.0              # time.monotonic() when the answer was written
    request_headers: tuple[tuple[str, str], ...] = ()


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

    def parse_request(self):
        self._received_at = time.monotonic()
        return super().parse_request()

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
        form = self.rfile.read(length) if length else b""
        resource = self._dynamic("POST", form)
        if resource is not None:           # e.g. Hanweb's dataproxy.jsp batches
            self._send(200, [("Content-Type", resource.content_type)], resource.body)
            return
        body = b"Method Not Allowed\n"
        self._send(405, [("Content-Type", "text/plain; charset=utf-8"), ("Allow", "GET, HEAD")], body)

    def _dynamic(self, method: str, form: bytes = b""):
        """A site's answer computed from the query, form and headers (JSON/XML list APIs), if any."""
        respond = getattr(self.portal.site, "respond", None)
        if respond is None:
            return None
        parts = urlsplit(self.path)
        return respond(method, unquote(parts.path), parts.query, form, dict(self.headers.items()))

    def _lookup(self, path: str):
        site = self.portal.site
        target = unquote(self.path)
        if "?" in target and target in site:          # list.asp?page=2: a page per query
            return site[target]
        if path in site:
            return site[path]
        if path.endswith("/") and path + "index.html" in site:     # directory index, as TRS serves it
            return site[path + "index.html"]
        return None

    def _serve(self, send_body: bool):
        if self.portal.latency:
            time.sleep(self.portal.latency)
        path = unquote(urlsplit(self.path).path)
        answer = getattr(self.portal.site, "answer", None)   # hostile hosts: any status, headers
        reply = answer(self.command, path, dict(self.headers.items())) if answer else None
        if reply is not None:
            status, headers, body = reply
            self._send(status, headers, body, send_body)
            return
        resource = self._dynamic(self.command) or self._lookup(path)
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
        request_headers = getattr(self, "headers", None)
        self.portal._record(SentResponse(self.command or "", getattr(self, "path", ""), status,
                                         self._headers_sent, written,
                                         getattr(self, "_received_at", 0.0), time.monotonic(),
                                         tuple(request_headers.items()) if request_headers else ()))
        if written:
            self.wfile.write(written)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up mid-answer (a crawler cancelling an oversize download) is
        normal here, not worth a traceback on stderr."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
        self.latency = 0.0  # seconds each GET/HEAD waits before its answer (a slow server)

    @property
    def sent(self) -> list[SentResponse]:
        """A snapshot of every response sent so far, oldest first."""
        with self._lock:
            return list(self._sent)

    def replace(self, path: str, body: bytes, last_modified: str | None = None) -> None:
        """Change the page at ``path`` while serving (see ``Site.replace``)."""
        self.site.replace(path, body, last_modified)

    def clear_sent(self) -> None:
        with self._lock:
            self._sent.clear()

    def _record(self, response: SentResponse) -> None:
        with self._lock:
            self._sent.append(response)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DemoPortal is not started")
        return self._server.server_address[1]

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
        self._server = _Server(self._address, handler)
        self._server.daemon_threads = True
        # Started again after stop(), it answers at the same URL (a host down for a night).
        self._address = self._server.server_address[:2]
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
