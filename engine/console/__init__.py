"""The therapist's browser console (issue 6): live state of a running session and its
commands, served by ``vrex session --console`` and ``vrex demo`` (docs in ``static/``).

- ``state.py``: the snapshot, taken on the control loop's thread (the runner's observer);
- ``server.py``: the FastAPI app (page, WebSocket, commands); ``page.py``: the page itself;
- ``guard.py``: what every request meets first (Host, Origin, token, bounded bodies, the
  second request for a jump of 2+ levels); ``limits.py``: connection limits under uvicorn;
  ``tls.py``: HTTPS beyond this machine; ``logs.py``: the server's messages, rate-limited;
- ``requests.py``: which commands and arguments the console accepts;
- ``event_tail.py``: the session's event log, read back for the page;
- ``eyes.py``: what the patient sees (the renderer's shared picture), as PNG with the gaze drawn on it;
- ``service.py``: uvicorn in a daemon thread, and ``start_console`` for ``OpenSession``.

Never imports Panda3D; the server thread reads snapshots and queues commands, nothing more.
"""

from engine.console.service import ConsoleServer, start_console

__all__ = ["ConsoleServer", "start_console"]
