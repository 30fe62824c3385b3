"""A console on a real socket in a process of its own, its descriptor limit lowered first:
``python -m tests.engine.console.flood_server NOFILE HEAD_S``. Prints ``PORT <n>`` once the
session is in exposure, then serves until its stdin closes. Used by test_limits.py, whose
flood must not exhaust the test runner's own descriptors."""

from __future__ import annotations

import inspect
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    nofile, head_s = int(sys.argv[1]), float(sys.argv[2])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

    from engine.console import service
    from engine.console.event_tail import EventTail
    from engine.console.server import create_app
    from engine.session.core import Phase
    from tests.engine.console.conftest import LEVELS, NAMES, TOKEN, Loop

    tmp = Path(tempfile.mkdtemp(prefix="vrex-flood-"))
    loop = Loop(tmp)
    loop.thread.start()
    info = {"patient": "T1", "session_id": "flood", "scenario": "flood", "window_s": 600.0, "demo": True}
    info["levels"] = [{"name": n, "intensity": v} for n, v in zip(NAMES, LEVELS)]
    app = create_app(
        token=TOKEN,
        latest=lambda: loop.state.latest,
        put=loop.runner.commands.put,
        levels=len(LEVELS),
        info=info,
        tail=EventTail(loop.path),
        rate_hz=20.0,
        wait_s=3.0,
    )
    kwargs = {}
    if "gate" in inspect.signature(service.ConsoleServer).parameters:  # the same script serves older code
        from engine.console.limits import Gate

        kwargs["gate"] = Gate(head_s=head_s)
    server = service.ConsoleServer(app, service.bind("127.0.0.1", 0), TOKEN, **kwargs).start()
    end = time.monotonic() + 30
    while loop.call(lambda: loop.core.phase) is not Phase.EXPOSURE and time.monotonic() < end:
        time.sleep(0.05)
    print(f"PORT {server.port}", flush=True)
    sys.stdin.read()
    server.stop()
    loop.close()


if __name__ == "__main__":
    main()
