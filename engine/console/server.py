"""The console's web server: FastAPI on uvicorn, in a daemon thread beside the control loop.

Threads: the control loop (main thread) owns ``SessionCore`` (Panda3D draws in a renderer
process of its own); this server's thread runs one asyncio loop and never touches either. It
reads what the control thread handed over (``ConsoleState.latest``, a dict never changed after
it is published), reads ``events.jsonl`` (``EventTail``), and puts ``Command(name, args,
"console")`` on the runner's queue, which wakes the control loop: a stop is applied at once,
logged with its time, origin and request id, and shown by the next frame drawn.

Every request first meets ``guard.py`` (Host allow-list, Origin, the token: header, the
page's HttpOnly cookie, or for the page and the WebSocket the URL) and, below it, the
connection limits of ``limits.py``. Routes; without the token 401 and nothing happens:
- ``GET /?token=T``: the page (CSS and JS inlined, nothing fetched from elsewhere); the token
  moves into the cookie, and the page drops it from its address;
- ``WS /ws``: snapshots several times a second (at least once a second, with their age),
  new plot points and events, and each new picture of what the patient sees (``eyes.py``) as
  an ``eye`` message; a message from the client closes it (the console only sends);
- ``GET /api/eye.png`` and ``GET /api/state``: the newest picture and snapshot, for scripts;
- ``POST /api/command`` ``{"command", "args"}``: size and time bounded before it is read,
  checked (``requests.py``), a jump of 2+ levels up asked twice (``guard.Confirm``), queued,
  and answered with the session's own verdict from the log, found by the request id
  (``{"accepted", "reason", "request"}``), or 202 if not applied within ``wait_s``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from engine.console.event_tail import EventTail
from engine.console.guard import (
    HostCheck,
    host_names,
)
from engine.console.routes import ConsoleRoutes
from engine.session.runner import Command


def new_token() -> str:
    return secrets.token_urlsafe(16)


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
    hosts: tuple[str, ...] = (),
) -> FastAPI:
    """The console's app. ``latest()`` gives the newest snapshot (or None), ``put`` queues a
    command for the control loop, ``levels`` is the scenario's number of levels, ``eyes``
    the renderer's ``EyeShare`` (None: no picture of the patient's view), ``hosts`` names this
    machine answers to besides its own (``guard.py``)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)  # no schema pages without the token
    app.add_middleware(HostCheck, names=host_names(hosts))
    app.state.tail = tail
    console = ConsoleRoutes(token, latest, put, levels, info, tail, 1.0 / rate_hz, wait_s, eyes)
    app.add_api_route("/", console.index, methods=["GET"])
    app.add_api_route("/api/state", console.state, methods=["GET"])
    app.add_api_route("/api/eye.png", console.eye_png, methods=["GET"])
    app.add_api_route("/api/command", console.command, methods=["POST"])
    app.add_api_websocket_route("/ws", console.live)
    return app


def session_app(
    token: str,
    state: Any,
    runner: Any,
    info: dict,
    events_path: Path | None,
    rate_hz: float,
    eyes: Any = None,
    hosts: tuple[str, ...] = (),
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
        hosts=hosts,
    )
