"""The console's routes over one session: the page, its state, the patient's view, the
commands and the live WebSocket (``server.py`` mounts them and says what each does)."""

from __future__ import annotations

import asyncio
import bisect
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, Response

from engine.console.event_tail import EventTail
from engine.console.eyes import EyeFeed, png
from engine.console.guard import (
    BODY_S,
    Confirm,
    TooLarge,
    authorised,
    cookie_name,
    denied,
    origin_ok,
    read_body,
    refused,
)
from engine.console.page import page, security_headers
from engine.console.requests import MAX_BODY, Refused, check
from engine.session.events import dumps
from engine.session.runner import Command

EYE_POLL_S = 0.05  # how often an open page's loop looks for a new picture of the patient's view


class ConsoleRoutes:
    """The console's routes over one session: the page, its state, the patient's view, the
    commands (each answered with the session's own verdict, found by its request id) and
    the live WebSocket."""

    def __init__(
        self,
        token: str,
        latest: Callable[[], dict | None],
        put: Callable[[Command], None],
        levels: int,
        info: dict,
        tail: EventTail | None,
        period: float,
        wait_s: float,
        eyes: Any,
    ):
        self.token, self.latest, self.put, self.levels, self.tail = token, latest, put, levels, tail
        self.period, self.wait_s, self.eyes = period, wait_s, eyes
        self.feed = EyeFeed(eyes) if eyes is not None else None
        self.info = {**info, "eye": self.feed is not None}
        self.confirm = Confirm()

    def poll(self) -> None:
        if self.tail is not None:
            self.tail.poll()

    async def index(self, request: Request) -> Response:
        how = authorised(request, self.token, url=True)
        if how is None:
            return denied(html=True)
        nonce = secrets.token_urlsafe(12)
        response = HTMLResponse(page(nonce), headers=security_headers(nonce))
        if how == "url":  # from now on the cookie carries it; the page takes it out of its address
            port = request.scope["server"][1] if request.scope.get("server") else None
            response.set_cookie(
                cookie_name(port),
                self.token,
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
                path="/",
            )
        return response

    async def state(self, request: Request) -> Response:
        if authorised(request, self.token, url=True) is None:
            return denied()
        snap = self.latest()
        return Response(
            dumps({"info": self.info, "state": snap}),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def eye_png(self, request: Request) -> Response:
        if authorised(request, self.token, url=True) is None:
            return denied()
        picture = self.eyes.read() if self.eyes is not None else None
        if picture is None:
            return JSONResponse(
                {
                    "error": "no picture of the patient's view (yet): the renderer shares one five times "
                    "a second once it draws frames"
                },
                status_code=404,
            )
        return Response(
            png(picture.pixels),
            media_type="image/png",
            headers={"Cache-Control": "no-store", "X-Vrex-Age-S": f"{picture.age():.2f}"},
        )

    async def command(self, request: Request) -> Response:
        parsed = await self._parse(request)
        if isinstance(parsed, Response):
            return parsed
        name, args = parsed
        snap = self.latest()
        if snap is not None and snap.get("done"):
            return refused(409, "the session has ended; nothing more can be changed")
        if name == "set_level":
            ask = self.confirm.needed(args["level"], (snap or {}).get("target_level", 0) + 1)
            if ask:
                return JSONResponse({"accepted": False, "confirm": True, "error": ask}, status_code=409)
        self.poll()
        before = self.tail.last_seq if self.tail is not None else -1
        sent = Command(name, args, "console")
        self.put(sent)
        if self.tail is None:
            return JSONResponse(
                {"queued": True, "request": sent.request, "reason": "queued for the session"}, status_code=202
            )
        return await self._verdict(sent, before)

    async def _parse(self, request: Request) -> Response | tuple[str, dict]:
        """(name, args) of a well-formed command from this console's page, or the refusal."""
        how = authorised(request, self.token, url=False)
        if how is None:
            return denied()  # checked before the body is even read
        if not origin_ok(request) or (how == "cookie" and "origin" not in request.headers):
            return refused(403, "a command must come from this console's own page (its Origin), or carry X-Vrex-Token")
        try:
            body = await read_body(request, MAX_BODY)
        except TooLarge as exc:
            return refused(413, f"message too large ({exc} bytes; at most {MAX_BODY})")
        except TimeoutError:
            return refused(408, f"the message did not arrive within {BODY_S:g} s; send it whole")
        try:
            data = json.loads(body)
        except ValueError as exc:
            return refused(400, f'the message is not JSON ({exc}); send {{"command": NAME, "args": {{...}}}}')
        try:
            return check(data, self.levels)
        except Refused as exc:
            return refused(422, str(exc))

    async def _verdict(self, sent: Command, before: int) -> Response:
        """The session's verdict on ``sent``, from its log, found by the request id."""
        assert self.tail is not None
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            self.poll()
            for e in self.tail.after(before):
                if e.get("kind") == "command" and e.get("request") == sent.request:
                    return JSONResponse(
                        {
                            "accepted": bool(e.get("accepted")),
                            "reason": e.get("reason", ""),
                            "seq": e.get("seq"),
                            "t": e.get("t"),
                            "request": sent.request,
                        }
                    )
        return JSONResponse(
            {
                "queued": True,
                "request": sent.request,
                "reason": f"queued, but the session has not applied it within {self.wait_s:g} s (is it still running?)",
            },
            status_code=202,
        )

    async def live(self, ws: WebSocket) -> None:
        if authorised(ws, self.token, url=True) is None or not origin_ok(ws):
            if "websocket.http.response" in ws.scope.get("extensions", {}):
                await ws.send_denial_response(denied() if origin_ok(ws) else refused(403, "not this console's page"))
            else:
                await ws.close(code=1008, reason="token required")
            return
        await ws.accept()
        # the console only sends: a client's message is refused and closes the socket, so none
        # is ever queued unread (uvicorn's ws_max_size bounds the one it reads)
        reader = asyncio.create_task(refuse_messages(ws))
        try:
            await self.stream(ws, reader)
        except Exception:  # noqa: BLE001 — the browser left or the server is stopping
            return
        finally:
            reader.cancel()

    async def stream(self, ws: WebSocket, reader: asyncio.Task) -> None:
        tail, feed = self.tail, self.feed
        self.poll()
        await ws.send_text(dumps({"type": "hello", "info": self.info, "events": list(tail.recent) if tail else []}))
        sent = _Sent(tail.last_seq if tail is not None else -1)
        # the loop wakes every EYE_POLL_S for a new picture (one float read), and sends the
        # snapshot's news every ``period``: a picture reaches the page within 50 ms
        tick = min(self.period, EYE_POLL_S) if feed is not None else self.period
        next_state = 0.0
        while not reader.done():
            now = time.monotonic()
            if feed is not None:
                eye = feed.latest()
                if eye is not None and eye["seq"] != sent.eye:
                    await ws.send_text(dumps({**eye, "age_s": round(max(0.0, now - eye["written"]), 2)}))
                    sent.eye = eye["seq"]
            if now >= next_state:
                next_state = now + self.period
                await self._send_state(ws, sent, now)
            await asyncio.sleep(tick)

    async def _send_state(self, ws: WebSocket, sent: _Sent, now: float) -> None:
        """The snapshot's news since ``sent`` (new points and events), if there is any or a
        second has passed."""
        self.poll()
        snap = self.latest()
        if snap is None or (snap["seq"] == sent.seq and now - sent.at < 1.0):
            return
        points = snap["points"]
        first = bisect.bisect_right(points, sent.point, key=lambda p: p[0])
        events = self.tail.after(sent.event) if self.tail is not None else []
        message = {
            "type": "state",
            "age_s": round(time.time() - snap["wall"], 2),
            "state": {k: v for k, v in snap.items() if k != "points"},
            "points": points[first:],
            "events": events,
            "eye_age_s": self.feed.age() if self.feed is not None else None,
        }
        await ws.send_text(dumps(message))
        sent.seq, sent.at = snap["seq"], now
        sent.point = points[-1][0] if points else sent.point
        sent.event = max([sent.event] + [e["seq"] for e in events])


class _Sent:
    """What one WebSocket has been sent so far."""

    def __init__(self, event: int):
        self.event, self.seq, self.point, self.at, self.eye = event, -1, 0.0, 0.0, 0


async def refuse_messages(ws: WebSocket) -> None:
    message = await ws.receive()
    if message["type"] == "websocket.receive":
        await ws.close(code=1008, reason="this console takes no messages on its WebSocket; send commands by POST")
