"""The closed loop, frame by frame: physiology → controller (behind the shield) → scene.

``SessionRunner`` joins the parts and owns their order within a frame:

1. session time (``SessionClock``: LSL's clock, ``speed`` times faster in a demo);
2. a simulated patient, if any, lives up to now seeing the shown intensity and publishes
   its body over LSL (``adaptation.live_patient``);
3. ``sensors.live`` drains every stream;
4. therapist and patient commands queued since the last frame are applied (a stop is
   applied on this frame: the calm veil starts closing before it is drawn);
5. at each control tick, features → ``SessionCore.tick``: every second of session time,
   and also when a heart beat has arrived (at most every 0.2 s of wall time), because heart
   rate only changes with a beat, so a rate over the ceiling is acted on at that beat;
6. the scene eases toward the core's target and the frame is rendered;
7. a frame that first shows a new level is announced on ``vrex-markers`` and logged as
   ``shown``; frame time, intensity and head pose go to vrex's own LSL streams.

Everything vrex streams and every stream it reads are recorded into ``recording.xdf`` by
LabRecorder, and every event goes to ``events.jsonl`` as it happens (docs/session-format.md).
"""

from __future__ import annotations

import math
import queue
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from adaptation.types import level_of
from engine.session.core import Phase, SessionCore
from engine.session.pace import PaceWatch
from engine.session.terminal import StatusDisplay
from sensors import lsl
from sensors.types import Features

LOOK_AWAY_DEG = 30.0          # head turned further than this from the stimulus: avoidance
MIN_BEAT_TICK_S = 0.2         # a beat triggers a tick at most this often (wall seconds): bounds the cost


class SessionClock:
    """Session seconds since ``start`` on LSL's clock, ``speed`` times faster than real time.
    ``lsl_time`` maps session time to the (simulated) LSL stamps the streams carry."""

    def __init__(self, speed: float = 1.0, start: float | None = None):
        self.speed = speed
        self.start = lsl.local_clock() if start is None else start

    def now(self) -> float:
        return (lsl.local_clock() - self.start) * self.speed

    def lsl_time(self, session_time: float | None = None) -> float:
        return self.start + (self.now() if session_time is None else session_time)

    def lsl_now(self) -> float:
        return self.lsl_time()


@dataclass
class Command:
    name: str
    args: dict = field(default_factory=dict)
    origin: str = "therapist"


class SessionRunner:
    """Runs one session; ``commands`` is the queue keys and the console put commands on."""

    def __init__(self, core: SessionCore, *, clock: SessionClock, live: Any, base: Any, scene_runner: Any,
                 driver: Any, events: Any, outlets: Any, patient: Any = None, publisher: Any = None,
                 status: StatusDisplay | None = None, suds_delay_s: float = 3.0, prompt: Any = None):
        self.core, self.clock, self.live, self.base = core, clock, live, base
        self.scene_runner, self.driver, self.events, self.outlets = scene_runner, driver, events, outlets
        self.patient, self.publisher, self.status = patient, publisher, status
        self.suds_delay_s = suds_delay_s
        self.prompt = prompt                      # the SUDS question in the scene (show/hide)
        self.quit_requested = False
        # called with the runner after every frame, on the frame loop's thread (the console
        # takes its snapshot here): keep them cheap, they are inside the frame budget
        self.observers: list[Callable[["SessionRunner"], None]] = []
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.features: Features | None = None
        self.frames = 0
        self.frame_ms: list[float] = []
        self._next_tick = 0.0
        self._last_tick = -math.inf
        self._shown_level = level_of(driver.intensity, core.plan.levels)
        self._announced_target = core.target
        self._looking_away = False
        self._escape_handled = False
        self._next_truth = 0.0
        self._next_pose = 0.0
        self._last_t = 0.0
        self.pace = PaceWatch(clock.speed)
        self._next_status = 0.0
        self._alerts_seen = 0
        self.first_calm_frame_after: dict[float, float] = {}

    # -- one frame -----------------------------------------------------------------------

    def step(self) -> None:
        core, t = self.core, self.clock.now()
        if self.patient is not None:
            self.patient.advance(t, self.driver.intensity)
            self.publisher.step()
            self._patient_behaviour(t)
        else:
            self._view_pose(t)
        self.live.poll(self.clock.lsl_time(t))
        while True:
            try:
                c = self.commands.get_nowait()
            except queue.Empty:
                break
            core.command(c.name, c.args, c.origin)
        beat = self.live.beats_arrived > 0 and t - self._last_tick >= MIN_BEAT_TICK_S * self.clock.speed
        if t >= self._next_tick or beat:
            if t >= self._next_tick:
                self._next_tick = max(self._next_tick + core.plan.tick_s, t - core.plan.tick_s)
            self._last_tick = t
            self.features = self.live.tick(self.clock.lsl_time(t))
            core.tick(t, self.features, self.driver.intensity)
            self.outlets.features(feature_values(self.features), self.clock.lsl_time(t))
        if core.calm_requested:
            self.driver.calm_now()
            core.calm_requested = False
        else:
            self.driver.set_target(core.target)
        if self.prompt is not None:
            (self.prompt.show if core.prompt_since is not None else self.prompt.hide)()
        wall = time.perf_counter()
        dt, self._last_t = t - self._last_t, t        # session seconds: the scene lives in session time
        self._check_pace(dt)
        self.scene_runner.tick(dt, max_dt=0.1 * self.clock.speed)
        self.base.taskMgr.step()
        self.frames += 1
        ms = (time.perf_counter() - wall) * 1000.0
        self.frame_ms.append(ms)
        stamp = self.clock.lsl_now()
        self.outlets.frame(ms, stamp)
        self.outlets.intensity(self.driver.intensity, core.target, stamp)
        self._announce_level(stamp)
        self.events.sync()
        try:
            self._report()
        except Exception as exc:                      # noqa: BLE001 — a broken terminal (a closed
            self.status = None                        # pipe) must not end the session
            self.core.alert("terminal", f"status display stopped: {exc}")
        for observe in list(self.observers):
            try:
                observe(self)
            except Exception as exc:                  # noqa: BLE001 — e.g. the console: the session goes on
                self.observers.remove(observe)
                self.core.alert("console", f"{getattr(observe, '__qualname__', observe)} stopped: {exc}")

    def _announce_level(self, stamp: float) -> None:
        """Markers at the frame that first shows a change: a new target (the scene starts
        easing toward it, or the calm veil starts), and each new level reached on the way."""
        if self.core.target != self._announced_target:
            source, reason = self.core.last_change
            self.outlets.marker({"kind": "change", "target": round(self.core.target, 4),
                                 "from": round(self._announced_target, 4), "cause": source, "reason": reason}, stamp)
            self._announced_target = self.core.target
        level = level_of(self.driver.intensity, self.core.plan.levels)
        if level == self._shown_level:
            return
        self._shown_level = level
        name = self.core.plan.names[level]
        marker = {"kind": "shown", "intensity": round(self.driver.intensity, 4), "level": level, "level_name": name}
        self.outlets.marker(marker, stamp)
        self.events.log("scene", "shown", f"level {level + 1} '{name}' shown", intensity=self.driver.intensity,
                        level=level, level_name=name)

    def _check_pace(self, gap_s: float) -> None:
        said = self.pace.frame(gap_s)
        if said:
            self.events.log("scene", "pace", said, behind=self.pace.behind, frame_gap_s=round(gap_s, 3),
                            speed=self.clock.speed)
            if self.pace.behind:
                self.core.alert("pace", said)

    def _patient_behaviour(self, t: float) -> None:
        """The simulated patient's part: SUDS answers, head pose, the stop key when it escapes."""
        core, patient = self.core, self.patient
        if core.prompt_since is not None and t - core.prompt_since >= self.suds_delay_s:
            core.suds_answer(patient.answer_suds(), "patient")
        if t >= self._next_truth:               # the simulated person's inner state, for replay and tests
            self._next_truth = t + 10.0
            m = patient.model
            self.events.log("patient", "simulated", "", arousal=round(patient.arousal, 4),
                            habituation=round(float(m.H[0]), 4), sensitisation=round(float(m.S[0]), 4),
                            true_hr_bpm=round(patient.true_physiology()["hr_bpm"], 2))
        pose = patient.head_pose()
        self.outlets.headpose(*pose, ts=self.clock.lsl_time(t))
        away = abs(pose[3]) > LOOK_AWAY_DEG
        if away != self._looking_away and core.phase is Phase.EXPOSURE:
            self._looking_away = away
            self.events.log("patient", "avoidance", "looked away from the stimulus" if away else "looked back",
                            looking_away=away, angle_deg=round(pose[3], 1))
        if patient.escaped and not self._escape_handled and core.phase is Phase.EXPOSURE:
            self._escape_handled = True
            self.events.log("patient", "escape", "the simulated patient panicked and pressed stop")
            core.command("patient_stop", {}, "patient")
            core.command("end", {}, "session")     # no therapist to resume in a demo: recovery

    def _view_pose(self, t: float) -> None:
        """A real session's head pose: the camera's, relative to the scenario's viewpoint. With
        a screen (no headset tracking yet) that is the viewpoint itself, so nobody looks away;
        a tracked headset moves the camera and the same stream and avoidance events follow."""
        if t < self._next_pose:
            return
        self._next_pose = t + 0.1
        cam = self.base.camera
        pos, hpr = cam.getPos(), cam.getHpr()          # relative to the viewpoint it is parented to
        self.outlets.headpose(pos[0], pos[1], pos[2], hpr[0], hpr[1], hpr[2], ts=self.clock.lsl_time(t))
        away = abs(hpr[0]) > LOOK_AWAY_DEG
        if away != self._looking_away and self.core.phase is Phase.EXPOSURE:
            self._looking_away = away
            self.events.log("patient", "avoidance", "looked away from the stimulus" if away else "looked back",
                            looking_away=away, angle_deg=round(float(hpr[0]), 1))

    def _report(self) -> None:
        for a in self.core.alerts[self._alerts_seen:]:
            if self.status is not None:
                self.status.say(f"ALERT {a['kind']}: {a['text']}")
        self._alerts_seen = len(self.core.alerts)
        if self.status is not None and time.perf_counter() >= self._next_status:
            self.status.update(self.core, self.features, self.driver.intensity)
            self._next_status = time.perf_counter() + 0.25

    def request_quit(self) -> None:
        self.quit_requested = True

    # -- the whole session -----------------------------------------------------------------

    def begin(self) -> None:
        """Session time starts now, not when set-up began (opening streams, the recorder and
        a window take seconds, which at ``speed`` K would be K times as many session seconds)."""
        start = lsl.local_clock()
        self.clock.start = start
        if self.publisher is not None:
            self.publisher.start = start
        self._last_t = self.clock.now()
        self.core.start(self._last_t)

    def run(self, max_wall_s: float = math.inf) -> None:
        self.begin()
        self.loop(max_wall_s)

    def loop(self, max_wall_s: float = math.inf) -> None:
        """Frames until the session is done, quit is asked, or ``max_wall_s`` has passed."""
        start = time.perf_counter()
        while not self.core.done and not self.quit_requested and time.perf_counter() - start < max_wall_s:
            self.step()


def feature_values(f: Features) -> dict[str, float]:
    """A tick's features as the ``vrex-features`` stream's channels."""
    q = lambda k: f.quality[k].index if k in f.quality else math.nan   # noqa: E731
    return {"hr_bpm": f.hr_bpm, "rmssd_ms": f.rmssd_ms, "eda_tonic_us": f.eda_tonic_us, "scr_per_min": f.scr_per_min,
            "resp_bpm": f.resp_rate_bpm, "ecg_quality": q("ecg"), "ppg_quality": q("ppg"), "eda_quality": q("eda"),
            "resp_quality": q("resp")}
