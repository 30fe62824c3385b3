"""Running the console beside a session: the listening socket, uvicorn in a daemon thread,
and the wiring to an ``OpenSession`` (``start_console``).

The socket is bound here, on the caller's thread, before the server thread starts, so a
port in use or an address that does not exist is reported at once, as a ``VrexError``
naming what to change, instead of uvicorn calling ``sys.exit`` inside a thread. uvicorn
installs no signal handlers outside the main thread, so Ctrl-C still reaches the session,
whose ``finally`` stops the console first. The thread is a daemon: if stopping it ever
hangs, it cannot keep a finished session's process alive.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time
from typing import Any

from engine.errors import VrexError

DEFAULT_PORT = 8765
LSL_WARNING = (
    "warning: the console listens on {host}, not only on this machine: anyone on the network who "
    "has the token (in the URL above) can control the session. The console speaks plain HTTP, and "
    "LSL itself is unencrypted: the physiology streams can be read by anyone on this network. "
    "Use it only on a network you trust (a clinic's closed network or a direct cable)."
)


def loopback(host: str) -> bool:
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback
            for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        )
    except (OSError, ValueError):
        return False


def bind(host: str, port: int | None) -> socket.socket:
    """A bound socket on ``host``:``port``; ``port`` None tries 8765, then any free port."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)[0]
    except OSError as exc:
        raise VrexError(
            f"--console-host {host}: not an address of this machine ({exc}); "
            "give 127.0.0.1 (this machine only) or one of its network addresses"
        ) from None
    for candidate in [DEFAULT_PORT, 0] if port is None else [port]:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address[0], candidate) + tuple(address[2:]))
            return sock
        except OSError as exc:
            sock.close()
            if port is not None:
                raise VrexError(
                    f"--console-port {port}: cannot listen on {host}:{port} ({exc.strerror}); "
                    "choose another port, or 0 for any free one"
                ) from None
    raise AssertionError("port 0 always binds")  # pragma: no cover


class ConsoleServer:
    """uvicorn serving ``app`` on an already bound socket, in a daemon thread."""

    def __init__(self, app: Any, sock: socket.socket, token: str, state: Any = None):
        import uvicorn

        self.app, self.sock, self.token, self.state = app, sock, token, state
        self.host, self.port = sock.getsockname()[:2]
        # log_config None: leave the process's logging alone; access_log off: a URL holds the token
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="websockets-sansio",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="vrex-console", daemon=True
        )

    @property
    def url(self) -> str:
        host = self.host
        if ipaddress.ip_address(host).is_unspecified:
            host = socket.gethostname()  # 0.0.0.0 is not an address to type
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/?token={self.token}"

    @property
    def warning(self) -> str | None:
        return None if ipaddress.ip_address(self.host).is_loopback else LSL_WARNING.format(host=self.host)

    def start(self, timeout: float = 10.0) -> "ConsoleServer":
        self.thread.start()
        end = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > end:
                self.stop()
                raise VrexError(
                    f"the console did not start on {self.host}:{self.port} (see the messages above); "
                    "run without --console, or choose another --console-port"
                )
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        latest = getattr(self.state, "latest", None)
        if latest and latest.get("done") and self.thread.is_alive():
            time.sleep(2 * getattr(self.state, "period", 0.2))  # let open pages see that the session finished
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        if self.thread.is_alive():
            print("warning: the console's server did not stop in time; it ends with the process", file=sys.stderr)
            return
        self.sock.close()
        tail = getattr(getattr(self.app, "state", None), "tail", None)
        if tail is not None:
            tail.close()


def start_console(
    session: Any, host: str = "127.0.0.1", port: int | None = None, rate_hz: float = 5.0
) -> ConsoleServer:
    """Serve the console for an ``OpenSession`` whose runner exists; returns the running server."""
    from engine.console.server import new_token, session_app
    from engine.console.state import ConsoleState

    opts, core, runner = session.opts, session.core, session.runner
    sock = bind(host, port)
    try:
        state = ConsoleState(rate_hz=rate_hz)
        shield = opts.shield
        info = {
            "patient": opts.patient,
            "session_id": session.folder.session_id,
            "scenario": session.folder.info.get("scenario", {}).get("title") or opts.scenario.stem,
            "levels": [{"name": n, "intensity": v} for n, v in zip(core.plan.names, core.plan.levels)],
            "ceiling": core.ceiling,
            "hr_ceiling_rel": shield.hr_ceiling_rel,
            "hr_ceiling_bpm": shield.hr_ceiling_bpm,
            "phases_s": {
                "baseline": core.plan.baseline_s,
                "exposure": core.plan.exposure_s,
                "recovery": core.plan.recovery_s,
            },
            "demo": opts.demo,
            "speed": opts.speed,
            "controller": opts.controller,
            "rate_hz": rate_hz,
            "window_s": state.window_s,
        }
        token = new_token()
        eyes = getattr(getattr(session, "frames", None), "eyes", None)  # the renderer's picture, if it shares one
        server = ConsoleServer(
            session_app(token, state, runner, info, session.folder.events, rate_hz, eyes), sock, token, state
        )
    except BaseException:
        sock.close()
        raise
    runner.observers.append(state)
    return server.start()
