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
import logging
import socket
import threading
import time
from typing import Any

from engine.errors import VrexError

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
THREAD = "vrex-console"
ACCEPT_BATCH = 16  # sockets asyncio accepts at once (limits.py)
QUEUE = 2048  # connections the kernel queues for the console before it refuses more
LSL_WARNING = (
    "warning: the console listens on {host}, not only on this machine: anyone on the network who "
    "has the token (in the URL above) can control the session. The console speaks HTTPS, but "
    "LSL itself is unencrypted: the physiology streams can be read by anyone on this network. "
    "Use it only on a network you trust (a clinic's closed network or a direct cable)."
)
INSECURE_WARNING = (
    "warning: the console listens on {host} in plain HTTP (--console-insecure): anyone on the "
    "network path can read the token in the URL above and control the session, and LSL itself is "
    "unencrypted. Use it only on a network you trust (a clinic's closed network or a direct cable)."
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
    """uvicorn serving ``app`` on an already bound socket, in a daemon thread, behind the
    connection limits of ``limits.py`` (and TLS when ``tls`` is given: ``tls.py``)."""

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        token: str,
        state: Any = None,
        tls: Any = None,
        say: Any = None,
        gate: Any = None,
    ):
        import uvicorn

        from engine.console.limits import Gate, protocol_factory
        from engine.console.logs import route

        self.app, self.sock, self.token, self.state, self.tls = app, sock, token, state, tls
        self.host, self.port = sock.getsockname()[:2]
        self.gate = gate or Gate()
        self.log = route(say, THREAD)
        # log_config None: leave the process's logging alone (logs.py routes the server's own);
        # access_log off: a URL may hold the token. The protocol is uvicorn's h11 one with a
        # deadline for the request head and a cap on connections (limits.py); TLS is applied
        # there too, so that unfinished handshakes count against the same cap.
        config = uvicorn.Config(
            app,
            http=protocol_factory(self.gate, tls.context if tls is not None else None),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="websockets-sansio",
            ws_max_size=4096,  # the page sends nothing; a client's message is refused (server.py)
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
            h11_max_incomplete_event_size=16384,  # a request head larger than this is refused (400)
            # asyncio accepts up to ``backlog`` sockets in one go before any of them meets the
            # gate: a small batch keeps a flood from taking every descriptor in between
            # (then accept fails, and asyncio stops accepting for a whole second). The kernel's
            # queue is set longer again once serving (``start``), so a STOP is queued, not refused.
            backlog=ACCEPT_BATCH,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, name=THREAD, daemon=True)

    @property
    def url(self) -> str:
        host = self.host
        if ipaddress.ip_address(host).is_unspecified:
            host = socket.gethostname()  # 0.0.0.0 is not an address to type
        elif ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}/?token={self.token}"

    @property
    def warning(self) -> str | None:
        if ipaddress.ip_address(self.host).is_loopback:
            return None
        if self.tls is None:
            return INSECURE_WARNING.format(host=self.host)
        return LSL_WARNING.format(host=self.host)

    @property
    def fingerprint(self) -> str | None:
        """What the therapist checks against the browser's certificate view (self-signed only)."""
        return self.tls.fingerprint if self.tls is not None else None

    def start(self, timeout: float = 10.0) -> ConsoleServer:
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
        self.sock.listen(QUEUE)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        latest = getattr(self.state, "latest", None)
        if latest and latest.get("done") and self.thread.is_alive():
            time.sleep(2 * getattr(self.state, "period", 0.2))  # let open pages see that the session finished
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("the console's server did not stop in time; it ends with the process")
            return
        self.sock.close()
        tail = getattr(getattr(self.app, "state", None), "tail", None)
        if tail is not None:
            tail.close()


def start_console(
    session: Any,
    host: str = "127.0.0.1",
    port: int | None = None,
    rate_hz: float = 5.0,
    cert: Any = None,
    key: Any = None,
    insecure: bool = False,
) -> ConsoleServer:
    """Serve the console for an ``OpenSession`` whose runner exists; returns the running server.
    Beyond loopback it speaks HTTPS (``cert``/``key``, or a self-signed pair), unless ``insecure``."""
    from engine.console import tls as tls_
    from engine.console.server import new_token, session_app
    from engine.console.state import ConsoleState
    from engine.session.terminal import plain

    opts, core, runner = session.opts, session.core, session.runner
    tls = tls_.choose(loopback(host), host, cert, key, insecure)  # before binding: a bad file is told first
    sock = bind(host, port)
    try:
        state = ConsoleState(rate_hz=rate_hz)
        shield = opts.shield
        info = {
            "patient": opts.patient,
            "session_id": session.folder.session_id,
            "scenario": session.folder.info.get("scenario", {}).get("title") or opts.scenario.stem,
            "levels": [{"name": plain(n), "intensity": v} for n, v in zip(core.plan.names, core.plan.levels)],
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
        status = getattr(runner, "status", None)  # the live status: server messages go above it, never over it
        server = ConsoleServer(
            session_app(token, state, runner, info, session.folder.events, rate_hz, eyes, hosts=(host,)),
            sock,
            token,
            state,
            tls=tls,
            say=(lambda text: status.say(text)) if status is not None else None,
        )
    except BaseException:
        sock.close()
        raise
    runner.observers.append(state)
    return server.start()
