"""The console's web server: FastAPI on uvicorn, in a daemon thread beside the control loop.

Threads: the control loop (main thread) owns ``SessionCore`` (Panda3D draws in a renderer
process of its own); this server's thread runs one asyncio loop and never touches either.
It reads what the control thread
handed over (``ConsoleState.latest``, a dict never changed after it is published), reads
``events.jsonl`` (``EventTail``), and puts ``Command(name, args, "console")`` on the
runner's ``queue.SimpleQueue``, which wakes the control loop: a stop is applied at once,
logged by the session with its time, origin and the command's request id, and shown by
the next frame drawn.

Routes, each needing the session's token (``secrets.token_urlsafe(16)``, compared with
``hmac.compare_digest``); without it: 401 and nothing happens:
- ``GET /?token=T``: the page (HTML with its CSS and JS inlined, so nothing else is
  served and nothing is fetched from elsewhere);
- ``WS /ws?token=T``: a snapshot several times a second (at least once a second, with its
  age, so a stalled session is visible), new plot points and new events; and, when the
  renderer shares its picture (``eyes``), each new picture of what the patient sees as an
  ``eye`` message (PNG, at most ``eyes.MAX_HZ`` a second; ``eyes.py``), with its age in
  every snapshot message so that a stalled renderer's last picture is shown as old;
- ``GET /api/eye.png``: the newest picture, for scripts (token as header or query);
- ``POST /api/command`` with header ``X-Vrex-Token: T`` and body ``{"command", "args"}``:
  checked (``validate.py``), queued, and answered with the session's verdict from the log,
  found by the command's request id (``{"accepted", "reason", "request"}``), or 202 if the
  session has not applied it within ``wait_s``.
  The token is taken from the header only: a page on another site cannot set that header
  without the browser asking this server first (CORS), which it never allows;
- ``GET /api/state``: the latest snapshot as JSON, for scripts (token as header or query).
"""

from __future__ import annotations

import asyncio
import bisect
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from engine.console.events import EventTail
from engine.console.eyes import EyeFeed, png
from engine.console.validate import MAX_BODY, Refused, check
from engine.session.events import dumps
from engine.session.runner import Command

STATIC = Path(__file__).parent / "static"
HEADER = "x-vrex-token"
EYE_POLL_S = 0.05  # how often an open page's loop looks for a new picture of the patient's view
NO_TOKEN = (
    "this console needs the session's token: open the URL that vrex printed when the session "
    "started (http://HOST:PORT/?token=...); for commands send it in the X-Vrex-Token header"
)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def token_ok(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def page(nonce: str) -> str:
    """index.html with console.css, plots.js and console.js inlined under a per-response CSP nonce."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    css = (STATIC / "console.css").read_text(encoding="utf-8")
    js = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in ("plots.js", "console.js"))
    return html.replace("<!--CSS-->", f'<style nonce="{nonce}">\n{css}</style>').replace(
        "<!--JS-->", f'<script nonce="{nonce}">\n{js}</script>'
    )


def security_headers(nonce: str) -> dict[str, str]:
    # nothing but this page's own script and style, talking to this server; never framed
    # (a hidden frame could trick a click onto STOP or a level)
    return {
        "Content-Security-Policy": f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def create_app(
    *,
    token: str,
    latest: Callable[[], dict | None],
    put: Callable[[Command], None],
    levels: int,
    info: dict,
    tail: EventTail | None = None,
    rate_hz: float = 5.0,
    wait_s: float = 2.0,
    eyes: Any = None,
) -> FastAPI:
    """The console's app. ``latest()`` gives the newest snapshot (or None), ``put`` queues a
    command for the control loop, ``levels`` is the scenario's number of levels, ``eyes``
    the renderer's ``EyeShare`` (None: no picture of the patient's view)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)  # no schema pages without the token
    app.state.tail = tail
    period = 1.0 / rate_hz
    feed = EyeFeed(eyes) if eyes is not None else None
    info = {**info, "eye": feed is not None}

    def denied(html: bool = False) -> Response:
        headers = {"WWW-Authenticate": 'Token realm="vrex console"', "Cache-Control": "no-store"}
        if html:
            return PlainTextResponse(NO_TOKEN, status_code=401, headers=headers)
        return JSONResponse({"error": NO_TOKEN}, status_code=401, headers=headers)

    def poll() -> None:
        if tail is not None:
            tail.poll()

    @app.get("/")
    async def index(request: Request) -> Response:
        if not token_ok(request.query_params.get("token"), token):
            return denied(html=True)
        nonce = secrets.token_urlsafe(12)
        return HTMLResponse(page(nonce), headers=security_headers(nonce))

    @app.get("/api/state")
    async def state(request: Request) -> Response:
        if not token_ok(request.headers.get(HEADER) or request.query_params.get("token"), token):
            return denied()
        snap = latest()
        return Response(
            dumps({"info": info, "state": snap}), media_type="application/json", headers={"Cache-Control": "no-store"}
        )

    @app.get("/api/eye.png")
    async def eye_png(request: Request) -> Response:
        if not token_ok(request.headers.get(HEADER) or request.query_params.get("token"), token):
            return denied()
        picture = eyes.read() if eyes is not None else None
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

    @app.post("/api/command")
    async def command(request: Request) -> Response:
        if not token_ok(request.headers.get(HEADER), token):
            return denied()  # checked before the body is even read
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse(
                {"accepted": False, "error": f"message too large ({len(body)} bytes; at most {MAX_BODY})"},
                status_code=413,
            )
        try:
            data = json.loads(body)
        except ValueError as exc:
            return JSONResponse(
                {
                    "accepted": False,
                    "error": f'the message is not JSON ({exc}); send {{"command": NAME, "args": {{...}}}}',
                },
                status_code=400,
            )
        try:
            name, args = check(data, levels)
        except Refused as exc:
            return JSONResponse({"accepted": False, "error": str(exc)}, status_code=422)
        snap = latest()
        if snap is not None and snap.get("done"):
            return JSONResponse(
                {"accepted": False, "error": "the session has ended; nothing more can be changed"}, status_code=409
            )
        poll()
        before = tail.last_seq if tail is not None else -1
        request = Command(name, args, "console")
        put(request)
        if tail is None:
            return JSONResponse(
                {"queued": True, "request": request.request, "reason": "queued for the session"}, status_code=202
            )
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:  # the session's verdict, from its log
            await asyncio.sleep(0.01)
            poll()
            for e in tail.after(before):
                if e.get("kind") == "command" and e.get("request") == request.request:
                    return JSONResponse(
                        {
                            "accepted": bool(e.get("accepted")),
                            "reason": e.get("reason", ""),
                            "seq": e.get("seq"),
                            "t": e.get("t"),
                            "request": request.request,
                        }
                    )
        return JSONResponse(
            {
                "queued": True,
                "request": request.request,
                "reason": f"queued, but the session has not applied it within {wait_s:g} s (is it still running?)",
            },
            status_code=202,
        )

    @app.websocket("/ws")
    async def live(ws: WebSocket) -> None:
        if not token_ok(ws.query_params.get("token"), token):
            if "websocket.http.response" in ws.scope.get("extensions", {}):
                await ws.send_denial_response(denied())
            else:
                await ws.close(code=1008, reason="token required")
            return
        await ws.accept()
        poll()
        sent_event = tail.last_seq if tail is not None else -1
        await ws.send_text(dumps({"type": "hello", "info": info, "events": list(tail.recent) if tail else []}))
        sent_seq, sent_point, sent_at, sent_eye, next_state = -1, 0, 0.0, 0, 0.0
        # the loop wakes every EYE_POLL_S for a new picture (one float read), and sends the
        # snapshot's news every ``period``: a picture reaches the page within 50 ms
        tick = min(period, EYE_POLL_S) if feed is not None else period
        try:
            while True:
                now = time.monotonic()
                if feed is not None:
                    eye = feed.latest()
                    if eye is not None and eye["seq"] != sent_eye:
                        await ws.send_text(dumps({**eye, "age_s": round(max(0.0, now - eye["written"]), 2)}))
                        sent_eye = eye["seq"]
                if now < next_state:
                    await asyncio.sleep(tick)
                    continue
                next_state = now + period
                poll()
                snap = latest()
                if snap is not None and (snap["seq"] != sent_seq or now - sent_at >= 1.0):
                    points = snap["points"]
                    first = bisect.bisect_right(points, sent_point, key=lambda p: p[0])
                    events = tail.after(sent_event) if tail is not None else []
                    message = {
                        "type": "state",
                        "age_s": round(time.time() - snap["wall"], 2),
                        "state": {k: v for k, v in snap.items() if k != "points"},
                        "points": points[first:],
                        "events": events,
                        "eye_age_s": feed.age() if feed is not None else None,
                    }
                    await ws.send_text(dumps(message))
                    sent_seq, sent_at = snap["seq"], now
                    sent_point = points[-1][0] if points else sent_point
                    sent_event = max([sent_event] + [e["seq"] for e in events])
                await asyncio.sleep(tick)
        except Exception:  # noqa: BLE001 — the browser left or the server is stopping
            return

    return app


def session_app(
    token: str, state: Any, runner: Any, info: dict, events_path: Path | None, rate_hz: float, eyes: Any = None
) -> FastAPI:
    """The app wired to a running session: ``state`` (a ``ConsoleState`` registered as the
    runner's observer), the runner's command queue and the renderer's picture (``eyes``)."""
    tail = EventTail(events_path) if events_path is not None else None
    return create_app(
        token=token,
        latest=lambda: state.latest,
        put=runner.commands.put,
        levels=len(runner.core.plan.levels),
        info=info,
        tail=tail,
        rate_hz=rate_hz,
        eyes=eyes,
    )
