"""Who may do what: safe by default.

- On a loopback address anyone on this machine may read; a POST needs the token.
- On any other address ``newswatch serve`` will not start without ``NEWSWATCH_API_TOKEN``, and
  then every route needs it but ``/healthz`` (which says "ok" and nothing else).
- The token comes as ``Authorization: Bearer TOKEN``. A browser may send it as the password of
  HTTP Basic (any user name) to read pages; a POST never accepts Basic, since a browser sends
  those credentials by itself with a forged cross-site form. The dashboard's retry form carries
  the token in a field instead (``form_token_ok``).
Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

READ_METHODS = ("GET", "HEAD")
OPEN_PATHS = ("/healthz",)
FORM_POSTS = ("/alerts/retry",)  # HTML forms whose handler checks the token field itself


class UnsafeBind(RuntimeError):
    """Listening beyond loopback without a token."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise UnsafeBind(
            f"refusing to listen on {host} without NEWSWATCH_API_TOKEN: every route there needs a token "
            "(or listen on 127.0.0.1 and put a reverse proxy in front)"
        )


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def presented(request: Request, *, basic: bool) -> str | None:
    """The token a request carries: its bearer token, or (if ``basic``) its Basic password."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    if basic and scheme.lower() == "basic" and value:
        try:
            _user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password
    return None


def form_token_ok(token: str | None, given: str | None) -> bool:
    return bool(token and given and _same(given, token))


def _refuse(request: Request, status: int, detail: str) -> Response:
    if request.url.path.startswith("/api/") or request.url.path == "/metrics":
        return JSONResponse({"detail": detail}, status_code=status, headers={"www-authenticate": "Bearer"})
    headers = {"www-authenticate": 'Basic realm="newswatch", charset="UTF-8"'} if status == 401 else {}
    return PlainTextResponse(detail + "\n", status_code=status, headers=headers)


def guard(
    token: str | None, *, everywhere: bool
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The HTTP middleware that enforces the rules above."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path, method = request.url.path, request.method
        read = method in READ_METHODS
        if path in OPEN_PATHS and read:
            return await call_next(request)
        if not read and path in FORM_POSTS and not everywhere:
            return await call_next(request)  # the handler checks the form's token field
        if read and not everywhere:
            return await call_next(request)
        if not token:
            return _refuse(request, 403, "this needs NEWSWATCH_API_TOKEN, and the server has none set")
        given = presented(request, basic=read)
        if given is None or not _same(given, token):
            if not read and path in FORM_POSTS and given is None:
                return await call_next(request)  # a form post: the handler checks its token field
            return _refuse(request, 401, "a valid bearer token is needed (NEWSWATCH_API_TOKEN)")
        return await call_next(request)

    return middleware
