"""``newswatch serve``: a small HTTP server for feed readers and healthchecks.

``GET /alerts.atom`` the alerts as an Atom feed (the rules sending to an ``atom``
destination, or every alert when none does; ``/alerts/NAME.atom`` one destination's);
``GET /healthz`` 200 "ok" when Redis answers, 503 otherwise. Threaded (one thread per
request, from the standard library), read-only, and bound to 127.0.0.1 unless told otherwise:
put a reverse proxy in front of it to publish it.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis
import structlog

from workers.app import App
from workers.notify import atom_feed, atom_rules

log = structlog.get_logger(__name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def make_server(app: App, host: str = "127.0.0.1", port: int = 8475) -> ThreadingHTTPServer:
    """A server bound to (host, port) (port 0: any free one); call ``serve_forever`` to run it."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "newswatch"

        def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                try:
                    app.redis.ping()
                except (redis.ConnectionError, redis.TimeoutError):
                    self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"redis unavailable\n")
                    return
                self._send(HTTPStatus.OK, b"ok\n")
                return
            one = re.fullmatch(r"/alerts/([A-Za-z0-9_.-]+)\.atom", path)
            if path == "/alerts.atom" or one:
                name = one.group(1) if one else None
                atoms = {n: d for n, d in app.config.alerts.destinations.items() if d.type == "atom"}
                if name is None and len(atoms) == 1:
                    name = next(iter(atoms))  # the one feed there is, with its title
                dest = atoms.get(name) if name else None
                if name is not None and dest is None:
                    self._send(HTTPStatus.NOT_FOUND, b"no such atom destination\n")
                    return
                body = atom_feed(app, rules=atom_rules(app, name), title=dest.title if dest else None)
                self._send(HTTPStatus.OK, body, ATOM_TYPE)
                return
            self._send(HTTPStatus.NOT_FOUND, b"not found: try /alerts.atom or /healthz\n")

        do_HEAD = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http_request", path=self.path, detail=format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
