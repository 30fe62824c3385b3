"""The terminal's status display never blocks the control loop, and says when it broke."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from engine.session.core import Plan, SessionCore
from engine.session.terminal import StatusDisplay
from tests.engine.stand_ins import AlwaysUp


def core_snapshot():
    core = SessionCore(Plan((0.0, 0.5, 1.0), ("a", "b", "c")), AlwaysUp(), lambda *a, **k: None)
    core.start(0.0)
    return core.snapshot()


class Blocked(io.StringIO):
    """A terminal that stops reading until ``go`` is set."""

    def __init__(self):
        super().__init__()
        self.go = threading.Event()

    def write(self, text):
        self.go.wait()
        return super().write(text)


def test_a_terminal_that_stops_reading_does_not_block_the_caller():
    out = Blocked()
    display = StatusDisplay(out, every_s=0.0)
    snap = core_snapshot()
    start = time.monotonic()
    for i in range(200):  # a blocked write would hang here
        display.update(snap, None, 0.0)
        display.say(f"ALERT test: {i}")
    assert time.monotonic() - start < 5.0
    out.go.set()
    display.flush(10.0)
    text = out.getvalue()
    assert "ALERT test: 0" in text and "ALERT test: 199" in text  # every alert, in order
    assert text.index("ALERT test: 0") < text.index("ALERT test: 199")


def test_a_broken_terminal_is_raised_to_the_caller():
    r, w = os.pipe()
    os.close(r)
    stream = os.fdopen(w, "w")
    display = StatusDisplay(stream, every_s=0.0)
    display.say("ALERT x")
    display.flush(10.0)
    with pytest.raises(BrokenPipeError):
        display.update(core_snapshot(), None, 0.0)
