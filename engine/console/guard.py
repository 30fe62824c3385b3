"""Checks every request to the console meets before its route: the Host it names, the Origin
of a WebSocket or a command, the token (header, cookie or, for the first page load, URL),
and a command's body, bounded in size and time before it is read.

- Host: a page on another site can make a browser send requests here under a name of its
  own that resolves to this machine (DNS rebinding), and then read the answers as its own.
  The console answers only to names this machine is known by (``localhost``, its host name,
  the name it was told to listen on) and to IP addresses typed as such, which no rebinding
  can produce. Anything else: 421 and nothing happens.
- Origin: a browser tells where a WebSocket or a POST comes from. A WebSocket is not covered
  by the browser's same-origin rule, so another site's page could open one with the
  console's cookie; the Origin must be this console's own (or absent: scripts send none).
- The token travels in the ``X-Vrex-Token`` header (scripts), in an HttpOnly, SameSite=Strict
  cookie set when the page is first loaded with ``?token=`` (the page then drops the token
  from its address with ``history.replaceState``), or, for the page and the WebSocket only, in
  the URL. A command that carries only the cookie must come with this console's Origin.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

HEADER = "x-vrex-token"
BODY_S = 5.0  # the whole body of a command (a few hundred bytes) must arrive within this

NO_TOKEN = (
    "this console needs the session's token: open the URL that vrex printed when the session "
    "started (http://HOST:PORT/?token=...); for commands send it in the X-Vrex-Token header"
)


def cookie_name(port: int | None) -> str:
    # cookies are shared by every port of a host: one per port, so two consoles never mix
    return f"vrex_token_{port or 0}"


def token_ok(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def host_names(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The names this machine answers to, lower case."""
    names = {"localhost", socket.gethostname(), socket.getfqdn(), *extra}
    return frozenset(n.lower().rstrip(".") for n in names if n)


def split_host(value: str) -> str:
    """``[::1]:8765`` → ``::1``, ``Example.org:80`` → ``example.org``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_ok(value: str | None, names: frozenset[str]) -> bool:
    if not value:
        return False
    host = split_host(value).rstrip(".")
    try:
        ipaddress.ip_address(host)
        return True  # an address typed as such: no DNS, so no rebinding
    except ValueError:
        return host in names


def origin_ok(conn: HTTPConnection) -> bool:
    """No Origin (a script), or this console's own scheme and Host."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
    return origin.lower() == f"{scheme}://{conn.headers.get('host', '').lower()}"


def authorised(conn: HTTPConnection, token: str, *, url: bool) -> str | None:
    """How the request carries this session's token (``header``, ``url`` or ``cookie``), or None.
    Each one it carries is tried: the browser keeps an earlier session's cookie for this port
    (then the new session's URL must open the page and replace it) and may open an earlier
    session's URL while this session's cookie is set."""
    port = conn.scope.get("server", (None, None))[1] if conn.scope.get("server") else None
    given = (
        ("header", conn.headers.get(HEADER)),
        ("url", conn.query_params.get("token") if url else None),
        ("cookie", conn.cookies.get(cookie_name(port))),
    )
    return next((how for how, value in given if value and token_ok(value, token)), None)


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int, within_s: float = BODY_S) -> bytes:
    """The body, refused (``TooLarge``) as soon as it is known to pass ``limit``: from its
    Content-Length before a byte is read, or while it streams in; ``TimeoutError`` if it has
    not all arrived within ``within_s``."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise TooLarge(length)

    async def read() -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise TooLarge(str(len(body)))
        return bytes(body)

    return await asyncio.wait_for(read(), within_s)


class HostCheck:
    """ASGI middleware: a request or WebSocket naming another host is answered 421 (or
    closed) before any route sees it; any answer of 400 or more closes its connection."""

    def __init__(self, app: Callable[..., Awaitable[None]], names: frozenset[str]):
        self.app, self.names = app, names

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> Any:
        if scope["type"] in ("http", "websocket"):
            conn = HTTPConnection(scope)
            if not host_ok(conn.headers.get("host"), self.names):
                return await self._refuse(scope, receive, send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def closing(message: dict) -> None:
            # a refused or unknown request (401, 404, …) ends its connection: one without the
            # token cannot keep sockets open by asking again before the keep-alive runs out
            if message["type"] == "http.response.start" and message["status"] >= 400:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": headers + [(b"connection", b"close")]}
            await send(message)

        return await self.app(scope, receive, closing)

    async def _refuse(self, scope: dict, receive: Callable, send: Callable) -> None:
        body = (
            b"this console answers only to this machine's names and addresses "
            b"(open the URL vrex printed, or use the machine's IP address)"
        )
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            if "websocket.http.response" in scope.get("extensions", {}):
                await send({"type": "websocket.http.response.start", "status": 421, "headers": headers})
                await send({"type": "websocket.http.response.body", "body": body})
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "http.response.start", "status": 421, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Confirm:
    """The second click for a jump of two or more levels up, asked for by the server, so that
    a script or a stray request cannot skip it: the first such ``set_level`` is answered
    409 with ``confirm``, the same one again within ``within_s`` goes through."""

    def __init__(self, within_s: float = 5.0):
        self.within_s, self.level, self.until = within_s, 0, 0.0

    def needed(self, level: int, current: int) -> str | None:
        if level <= current + 1:
            return None
        now = time.monotonic()
        if self.level == level and now <= self.until:
            self.level = 0
            return None
        self.level, self.until = level, now + self.within_s
        return (
            f"level {level} is {level - current} levels above level {current}: "
            f"send set_level {level} again within {self.within_s:g} s to confirm the jump"
        )


def denied(html: bool = False) -> Response:
    # Connection: close — a client without the token gets no kept-alive socket to sit on
    headers = {"WWW-Authenticate": 'Token realm="vrex console"', "Cache-Control": "no-store", "Connection": "close"}
    if html:
        return PlainTextResponse(NO_TOKEN, status_code=401, headers=headers)
    return JSONResponse({"error": NO_TOKEN}, status_code=401, headers=headers)


def refused(status: int, error: str) -> Response:
    return JSONResponse({"accepted": False, "error": error}, status_code=status)
