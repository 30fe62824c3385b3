"""The therapist's browser console (issue 6): live state of a running session and its
commands, served by ``vrex session --console`` and ``vrex demo`` (docs in ``static/``).

- ``state.py``: the snapshot, taken on the control loop's thread (the runner's observer);
- ``server.py``: the FastAPI app (page, WebSocket, commands) with its token checks;
- ``validate.py``: which commands and arguments the console accepts;
- ``events.py``: the session's event log, read back for the page;
- ``eyes.py``: what the patient sees (the renderer's shared picture), as PNG with the gaze drawn on it;
- ``service.py``: uvicorn in a daemon thread, and ``start_console`` for ``OpenSession``.

Never imports Panda3D; the server thread reads snapshots and queues commands, nothing more.
"""

from engine.console.service import ConsoleServer, start_console

__all__ = ["ConsoleServer", "start_console"]
