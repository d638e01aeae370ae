"""``newswatch serve``: the dashboard, the JSON API, /metrics, /healthz and the Atom feed of alerts.

One ASGI application (FastAPI on uvicorn) over an open ``App``; every route reads Redis, so any
number of ``serve`` processes can run beside the pollers and workers. Safe by default: see
``workers.web.auth``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import redis
import structlog
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException

from workers import metrics
from workers.app import App
from workers.notify import atom_feed, atom_rules
from workers.web import api, auth, pages

log = structlog.get_logger(__name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    # no inline script, no third party: record text can never run as code here
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
}


def create_app(nw: App, *, host: str = "127.0.0.1") -> FastAPI:
    """The web application for an open newswatch ``App``, guarded as its bind address asks."""
    token = nw.settings.api_token.get_secret_value() if nw.settings.api_token else None
    auth.check_bind(host, token)
    web = FastAPI(
        title="newswatch",
        version="1",
        summary="What newswatch found: records, stories, cases, alerts, feeds.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the interactive docs load scripts from elsewhere: the schema is enough
        redoc_url=None,
    )
    web.state.nw = nw
    web.state.token = token
    web.include_router(api.router)
    web.include_router(pages.router)
    web.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    web.middleware("http")(auth.guard(token, everywhere=not auth.is_loopback(host)))

    @web.middleware("http")  # added last, so outermost: refusals carry the headers too
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @web.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body"))
        detail = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": detail}, status_code=422)
        return PlainTextResponse(detail + "\n", status_code=422)

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code, headers=exc.headers)

    @web.exception_handler(redis.RedisError)
    async def redis_down(request: Request, exc: redis.RedisError) -> Response:
        log.warning("redis_unavailable", path=request.url.path, error=str(exc))
        return JSONResponse({"detail": "redis unavailable"}, status_code=503)

    @web.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        try:
            nw.redis.ping()
        except (redis.ConnectionError, redis.TimeoutError):
            return PlainTextResponse("redis unavailable\n", status_code=503)
        return PlainTextResponse("ok\n")

    @web.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        """Every poller's and worker's counts, from Redis (``workers.metrics``)."""
        return Response(metrics.render(nw), media_type=CONTENT_TYPE_LATEST)

    @web.get("/alerts.atom", include_in_schema=False)
    def alerts_atom() -> Response:
        return _atom(nw, None)

    @web.get("/alerts/{name}.atom", include_in_schema=False)
    def destination_atom(name: str) -> Response:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise HTTPException(status_code=404, detail="no such atom destination")
        return _atom(nw, name)

    return web


def _atom(nw: App, name: str | None) -> Response:
    """The alerts as Atom: the rules sending to an ``atom`` destination (or every alert when none does)."""
    atoms = {n: d for n, d in nw.config.alerts.destinations.items() if d.type == "atom"}
    if name is None and len(atoms) == 1:
        name = next(iter(atoms))  # the one feed there is, with its title
    dest = atoms.get(name) if name else None
    if name is not None and dest is None:
        return PlainTextResponse("no such atom destination\n", status_code=404)
    body = atom_feed(nw, rules=atom_rules(nw, name), title=dest.title if dest else None)
    return Response(body, media_type=ATOM_TYPE, headers={"cache-control": "no-cache"})


def _server(web: FastAPI) -> uvicorn.Server:
    config = uvicorn.Config(
        web, log_level="warning", access_log=False, server_header=False, lifespan="off", log_config=None
    )
    return uvicorn.Server(config)


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it a kept-alive connection waits ~40 ms per answer (Nagle against delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.set_inheritable(True)
    return sock


def run(
    nw: App, host: str = "127.0.0.1", port: int = 8475, *, on_listening: Callable[[str], None] | None = None
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM). Raises ``UnsafeBind`` (or ``OSError``) before
    listening; ``on_listening`` is told the base URL once the port is bound."""
    web = create_app(nw, host=host)
    sock = _socket(host, port)
    server = _server(web)
    log.info("serve_started", host=host, port=sock.getsockname()[1])
    if on_listening is not None:
        on_listening(url_of(host, sock.getsockname()[1]))
    server.run(sockets=[sock])


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@contextmanager
def serving(nw: App, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve in a background thread while the block runs; yields the base URL (port 0: a free one)."""
    web = create_app(nw, host=host)
    sock = _socket(host, port)
    server = _server(web)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="newswatch-web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield url_of(host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
