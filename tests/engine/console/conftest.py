"""A session without Panda3D or LSL for the console's fast tests: a real ``SessionCore``
writing a real ``events.jsonl``, driven by a "frame thread" that does what the runner does
each frame (drain the command queue, tick once a session second, call the observers), and
the console's real app on top (FastAPI's TestClient, or uvicorn in its thread)."""

from __future__ import annotations

import math
import queue
import threading
import time
from types import SimpleNamespace

import pytest

from adaptation.shield import ShieldConfig
from engine.console.event_tail import EventTail
from engine.console.server import create_app
from engine.console.state import ConsoleState
from engine.session.core import Mode, Plan, SessionCore
from engine.session.events import EventLog
from sensors.types import Features, Quality
from tests.engine.stand_ins import AlwaysUp as Up

LEVELS = tuple(i / 10 for i in range(11))
NAMES = tuple(f"L{i + 1}" for i in range(11))
TOKEN = "test-token-0123456789ab"


def calm(t: float, hr: float = 70.0) -> Features:
    q = {k: Quality(1.0, "ok") for k in ("ecg", "eda")}
    return Features(
        time=t,
        hr_bpm=hr,
        hr_source="ecg",
        eda_tonic_us=2.0,
        resp_rate_bpm=math.nan,
        quality=q,
        age_s={"ecg": 0.1, "eda": 0.2},
        relative={"hr_bpm": hr / 70.0 - 1.0},
    )


class Loop:
    """One session, its frame thread at ``fps``, ``seconds_per_frame`` session seconds a frame."""

    def __init__(
        self,
        tmp_path,
        mode: Mode = Mode.AUTO,
        seconds_per_frame: float = 0.25,
        fps: float = 100.0,
        baseline_s: float = 5.0,
    ):
        self.path = tmp_path / "events.jsonl"
        self.t = 0.0
        self.log = EventLog(self.path, lambda: self.t)
        plan = Plan(LEVELS, NAMES, baseline_s=baseline_s, exposure_s=3600.0, recovery_s=5.0)
        self.core = SessionCore(plan, Up(), self.log.log, mode=mode, shield=ShieldConfig())
        self.runner = SimpleNamespace(
            core=self.core,
            features=None,
            commands=queue.SimpleQueue(),
            observers=[],
            shown=SimpleNamespace(intensity=0.0, veil=0.0, calming=False),
            live=SimpleNamespace(failed={}),
        )
        self.state = ConsoleState(rate_hz=50.0)
        self.calls: queue.SimpleQueue = queue.SimpleQueue()  # run on the frame thread
        self.dt, self.period = seconds_per_frame, 1.0 / fps
        self.frozen = threading.Event()  # set: no session time passes
        self._stop = threading.Event()
        self._next_tick = 0.0
        self._calm_seen = 0
        self.core.start(0.0)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def frame(self) -> None:
        core, runner = self.core, self.runner
        while True:
            try:
                fn = self.calls.get_nowait()
            except queue.Empty:
                break
            fn()
        while True:
            try:
                c = runner.commands.get_nowait()
            except queue.Empty:
                break
            core.command(c.name, c.args, c.origin, request=c.request)
        if not self.frozen.is_set():
            self.t += self.dt
        if self.t >= self._next_tick:
            self._next_tick += 1.0
            runner.features = calm(self.t)
            core.tick(self.t, runner.features, runner.shown.intensity)
        calm_now, self._calm_seen = core.calm_requests != self._calm_seen, core.calm_requests
        runner.shown.intensity = 0.0 if calm_now else core.target  # the scene follows at once
        self.state(runner)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.frame()
            time.sleep(self.period)

    def call(self, fn, timeout: float = 5.0):
        """Run ``fn`` on the frame thread and return its result."""
        done, box = threading.Event(), []
        self.calls.put(lambda: (box.append(fn()), done.set()))
        assert done.wait(timeout), "the frame thread did not run the call"
        return box[0]

    def until(self, predicate, timeout: float = 10.0, what: str = "a condition"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.call(predicate):
                return
            time.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}")

    def events(self, kind: str | None = None) -> list[dict]:
        from engine.session.events import read_events

        events, _ = read_events(self.path)
        return [e for e in events if kind is None or e["kind"] == kind]

    def close(self) -> None:
        self._stop.set()
        if self.thread.is_alive():
            self.thread.join(5)
        self.log.close()


@pytest.fixture
def loop(tmp_path):
    lp = Loop(tmp_path)
    lp.thread.start()
    yield lp
    lp.close()


@pytest.fixture
def app(loop):
    info = {
        "patient": "T1",
        "session_id": "test",
        "scenario": "test",
        "levels": [{"name": n, "intensity": v} for n, v in zip(NAMES, LEVELS)],
        "ceiling": 1.0,
        "hr_ceiling_rel": 0.4,
        "hr_ceiling_bpm": 150.0,
        "phases_s": {"baseline": 5.0, "exposure": 3600.0, "recovery": 5.0},
        "demo": True,
        "speed": 1.0,
        "controller": "up",
        "rate_hz": 20.0,
        "window_s": 600.0,
    }
    return create_app(
        token=TOKEN,
        latest=lambda: loop.state.latest,
        put=loop.runner.commands.put,
        levels=len(LEVELS),
        info=info,
        tail=EventTail(loop.path),
        rate_hz=20.0,
        wait_s=3.0,
        hosts=("testserver",),  # TestClient's Host
    )


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
