"""A session closes in a deliberate order, not the reverse of opening (engine/session/launch.py):
the console first (no command arrives while the rest closes), then the window (the patient
never stares at a frozen frame while the recorder finishes), then the record of the end,
then the recorder (it drains what was sent), the inlets before the outlets they read, the
event log, vrex's outlets, and the simulated patient's outlets last. A real session is opened
and closed; each part's close is watched where it happens."""

from __future__ import annotations

import json

import pytest

from engine.session.launch import OpenSession
from tests.engine.session.demo_options import demo_options


@pytest.mark.slow
def test_a_session_closes_its_parts_in_the_deliberate_order(tmp_path, monkeypatch):
    from engine.console.service import ConsoleServer
    from engine.session.events import EventLog
    from engine.session.folder import SessionFolder
    from engine.session.outlets import VrexOutlets
    from engine.session.process_frames import ProcessFrames
    from sensors.live import LivePhysiology
    from sensors.publish import SimulatedPublisher
    from sensors.recorder import XdfRecorder

    order: list[str] = []
    opened = [False]

    def watch(cls, method: str, name: str) -> None:  # on the class: set-up keeps bound methods
        original = getattr(cls, method)

        def closing(self, *args, **kwargs):
            if opened[0]:
                order.append(name)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, closing)

    watch(ConsoleServer, "stop", "console")
    watch(ProcessFrames, "close", "window")
    watch(SessionFolder, "end", "session.json")
    watch(XdfRecorder, "stop", "recorder")
    watch(LivePhysiology, "close", "inlets")
    watch(EventLog, "close", "event log")
    watch(VrexOutlets, "close", "outlets")
    watch(SimulatedPublisher, "close", "patient")
    opts = demo_options(tmp_path, "T-close", seed=3, exposure_s=1800.0, recovery_s=120.0, console=True, console_port=0)
    with OpenSession(opts) as s:
        s.begin()
        opened[0] = True
    assert order == [
        "console",
        "window",
        "session.json",
        "recorder",
        "inlets",
        "event log",
        "outlets",
        "patient",
    ]
    events = [json.loads(line) for line in s.folder.events.read_text().splitlines()]
    assert events[-1]["kind"] == "session_end"  # the end is in the log before the log closes
    end = json.loads((s.folder.path / "session.json").read_text())
    assert end["end_reason"] == "error"  # closed without run(): nothing pretends it completed
