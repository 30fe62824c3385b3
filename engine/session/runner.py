"""The closed loop's control side: physiology → controller (behind the shield) → target.

The frame thread only renders (``frames.py``; in its own process in a real session,
``render_process.py``). Everything else runs here, on the session's main thread, in
``SessionRunner.step`` about ``CONTROL_HZ`` times a second (at once when a command arrives):

1. session time (``SessionClock``: LSL's clock, ``speed`` times faster in a demo);
2. what the frame thread last showed (``FrameShare.report``): a simulated patient, if any,
   lives up to now seeing that intensity and publishes its body over LSL
   (``adaptation.live_patient``);
3. ``sensors.live`` drains every stream;
4. therapist and patient commands queued since the last step (console, keys from the
   window) are applied, and a stop is published to the frame thread at once;
5. at each control tick, features → ``SessionCore.tick``: every second of session time,
   and also when a heart beat has arrived (at most every 0.2 s of wall time), because heart
   rate only changes with a beat, so a rate over the ceiling is acted on at that beat;
6. the target, the calm requests and the SUDS prompt are published to the frame thread;
7. the frames drawn since the last step go out on vrex's LSL streams with the frame
   thread's own stamps (``vrex-frames``, ``vrex-intensity``), and a frame that first shows
   a new level is announced on ``vrex-markers`` and logged as ``shown``;
8. the frame watchdog: no frame for ``STALL_S`` is a ``stall`` (event, therapist alert,
   raises held, recorded in session.json); it ends with the next frame.

Everything vrex streams and every stream it reads are recorded into ``recording.xdf`` by
LabRecorder, and every event goes to ``events.jsonl`` as it happens (docs/session-format.md).
"""

from __future__ import annotations

import math
import queue
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from adaptation.types import level_of
from engine.session.command_spec import request_id
from engine.session.core import Phase, SessionCore
from engine.session.frameshare import FrameReport, age
from engine.session.pace import PaceWatch
from engine.session.terminal import StatusDisplay
from sensors import lsl
from sensors.types import Features

LOOK_AWAY_DEG = 30.0          # head turned further than this from the stimulus: avoidance
MIN_BEAT_TICK_S = 0.2         # a beat triggers a tick at most this often (wall seconds): bounds the cost
CONTROL_HZ = 100.0            # control steps a second when idle; a command wakes the loop at once
STALL_S = 0.5                 # no frame for this long (wall): a stall (architecture.md)
CONTROL_STALL_S = 1.0         # the control loop silent this long (wall): the watchdog thread alerts
FRAME_HISTORY = 4096          # frame work times kept (ring): benchmarks read the newest


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


@dataclass(frozen=True)
class Command:
    """One command on its way to the session (``command_spec.py`` lists them), with the id
    that its verdict in the log will carry back to whoever asked."""
    name: str
    args: dict = field(default_factory=dict)
    origin: str = "therapist"
    request: str = field(default_factory=request_id)


class SessionRunner:
    """Runs one session's control side; ``commands`` is the queue the console puts commands
    on, ``frames`` the frame thread (``InlineFrames`` or ``render_process.ProcessFrames``)."""

    def __init__(self, core: SessionCore, *, clock: SessionClock, live: Any, frames: Any, events: Any, outlets: Any,
                 patient: Any = None, publisher: Any = None, status: StatusDisplay | None = None,
                 suds_delay_s: float = 3.0, frame_stalls: tuple[tuple[float, float], ...] = ()):
        self.core, self.clock, self.live, self.frames = core, clock, live, frames
        self.share = frames.share
        self.events, self.outlets = events, outlets
        self.patient, self.publisher, self.status = patient, publisher, status
        self.suds_delay_s = suds_delay_s
        self.quit_requested = False
        # called with the runner after every step, on this thread (the console takes its
        # snapshot here): keep them cheap
        self.observers: list[Callable[["SessionRunner"], None]] = []
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.features: Features | None = None
        self.steps = 0
        self.frame_count = 0                      # frames drawn and sent out
        self.frame_ms: deque[float] = deque(maxlen=FRAME_HISTORY)   # their work times, newest last
        self.frames_lost = 0                      # frames the ring overwrote before they were sent
        self.shown: FrameReport = self.share.report()
        self.stalls: list[dict] = []              # {start, end, length_s} in session seconds
        self._stall_since: float | None = None
        self._calm_n = 0
        self._next_tick = 0.0
        self._last_tick = -math.inf
        self._shown_level = level_of(core.target, core.plan.levels)
        self._announced_target = core.target
        self._looking_away = False
        self._escape_handled = False
        self._next_truth = 0.0
        self._next_pose = 0.0
        self._last_t = 0.0
        self.pace = PaceWatch(clock.speed)
        self._next_status = 0.0
        self._alerts_seen = 0
        self._early: list[Command] = []
        self._frame_stalls = sorted(frame_stalls)            # injected faults: (session time, wall seconds)
        self.share.set_clock(clock.start, clock.speed)
        self._publish()

    # -- one control step ----------------------------------------------------------------

    def step(self) -> None:
        core, t = self.core, self.clock.now()
        self.share.control_beat()
        self.shown = self.share.report()
        if self.patient is not None:
            self.patient.advance(t, self.shown.intensity)
            self.publisher.step()
            self._patient_behaviour(t)
        else:
            self._view_pose(t)
        self.live.poll(self.clock.lsl_time(t))
        self._apply_commands()
        beat = self.live.beats_arrived > 0 and t - self._last_tick >= MIN_BEAT_TICK_S * self.clock.speed
        if t >= self._next_tick or beat:
            if t >= self._next_tick:
                self._next_tick = max(self._next_tick + core.plan.tick_s, t - core.plan.tick_s)
            self._last_tick = t
            self.features = self.live.tick(self.clock.lsl_time(t))
            core.tick(t, self.features, self.shown.intensity)
            self.outlets.features(feature_values(self.features), self.clock.lsl_time(t))
        while self._frame_stalls and t >= self._frame_stalls[0][0]:
            _, seconds = self._frame_stalls.pop(0)
            self.events.log("session", "fault", f"injected: the frame thread blocks for {seconds:g} s holding its GIL",
                            what="stall", seconds=seconds)
            self.frames.stall(seconds)
        self._publish()
        self.frames.step()                        # inline frames draw here; a renderer process draws on its own
        self.shown = self.share.report()
        self._send_frames()
        self._watch_frames(t)
        dt, self._last_t = t - self._last_t, t
        self._check_pace(dt)
        self.steps += 1
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

    def _apply_commands(self) -> None:
        early, self._early = self._early, []
        for c in early:
            self._apply(c)
        for message in self.frames.messages():        # keys pressed in the renderer's window
            if message[0] == "command":
                self._apply(Command(message[1], message[2], message[3]))
            elif message[0] == "quit":
                self.quit_requested = True
        while True:
            try:
                c = self.commands.get_nowait()
            except queue.Empty:
                break
            self._apply(c)

    def _apply(self, c: Command) -> None:
        self.core.command(c.name, c.args, c.origin, request=c.request)
        self._publish()                               # a stop reaches the frame thread now, not at the step's end

    def _publish(self) -> None:
        core = self.core
        if core.calm_requests != self._calm_n:
            self._calm_n = core.calm_requests
            self._calm_at = time.monotonic()
        self.share.publish(core.target, self._calm_n, getattr(self, "_calm_at", 0.0), core.prompt_since is not None)

    def _send_frames(self) -> None:
        """The frames drawn since the last step, on vrex's streams with the frame thread's stamps."""
        n, rows, lost = self.share.frames_since(self.frame_count)
        self.frames_lost += lost
        target = self.core.target
        for stamp, ms, shown, _veil, _overhead in rows:
            self.frame_ms.append(float(ms))
            self.outlets.frame(float(ms), float(stamp))
            self.outlets.intensity(float(shown), target, float(stamp))
            self._announce_level(float(shown), float(stamp))
        self.frame_count = n

    def _announce_level(self, shown: float, stamp: float) -> None:
        """Markers at the frame that first shows a change: a new target (the scene starts
        easing toward it, or the calm veil starts), and each new level reached on the way."""
        if self.core.target != self._announced_target:
            source, reason = self.core.last_change
            self.outlets.marker({"kind": "change", "target": round(self.core.target, 4),
                                 "from": round(self._announced_target, 4), "cause": source, "reason": reason}, stamp)
            self._announced_target = self.core.target
        level = level_of(shown, self.core.plan.levels)
        if level == self._shown_level:
            return
        self._shown_level = level
        name = self.core.plan.names[level]
        marker = {"kind": "shown", "intensity": round(shown, 4), "level": level, "level_name": name}
        self.outlets.marker(marker, stamp)
        self.events.log("scene", "shown", f"level {level + 1} '{name}' shown", intensity=shown,
                        level=level, level_name=name)

    def _watch_frames(self, t: float) -> None:
        """No frame for ``STALL_S`` of wall time: a stall. Logged at its start and its end,
        alerted, and raises are held meanwhile (the exposure clock runs on: the patient is
        still there, looking at a frozen picture)."""
        waited = age(self.shown.beat)
        if self.shown.beat <= 0.0:
            return                                    # no frame yet: the renderer is still starting
        if self._stall_since is None and waited > STALL_S:
            self._stall_since = t - waited * self.clock.speed
            self.core.stalled = True
            why = (f"no frame for {waited:.1f} s: the picture is frozen; raises are held, stop still works "
                   "(its calm state is the first frame drawn)")
            self.events.log("session", "stall", why, state="start", start=round(self._stall_since, 3),
                            waited_s=round(waited, 3))
            self.core.alert("stall", why)
        elif self._stall_since is not None and waited <= STALL_S:
            end = t - waited * self.clock.speed
            stall = {"start": round(self._stall_since, 3), "end": round(end, 3),
                     "length_s": round(end - self._stall_since, 3)}
            self.stalls.append(stall)
            self._stall_since = None
            self.core.stalled = False
            self.events.log("session", "stall", f"frames again after {stall['length_s']:.1f} s", state="end", **stall)

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
        """A real session's head pose: the camera's, relative to the scenario's viewpoint, as
        the frame thread last drew it. With a screen (no headset tracking yet) that is the
        viewpoint itself, so nobody looks away; a tracked headset moves the camera and the
        same stream and avoidance events follow."""
        if t < self._next_pose:
            return
        self._next_pose = t + 0.1
        x, y, z, h, p, r = self.shown.pose
        self.outlets.headpose(x, y, z, h, p, r, ts=self.clock.lsl_time(t))
        away = abs(h) > LOOK_AWAY_DEG
        if away != self._looking_away and self.core.phase is Phase.EXPOSURE:
            self._looking_away = away
            self.events.log("patient", "avoidance", "looked away from the stimulus" if away else "looked back",
                            looking_away=away, angle_deg=round(float(h), 1))

    def _report(self) -> None:
        for a in self.core.alerts[self._alerts_seen:]:
            if self.status is not None:
                self.status.say(f"ALERT {a['kind']}: {a['text']}")
        self._alerts_seen = len(self.core.alerts)
        if self.status is not None and time.perf_counter() >= self._next_status:
            self.status.update(self.core.snapshot(), self.features, self.shown.intensity)
            self._next_status = time.perf_counter() + 0.25

    def request_quit(self) -> None:
        self.quit_requested = True

    # -- the whole session -----------------------------------------------------------------

    def begin(self) -> None:
        """Session time starts now, not when set-up began (opening streams, the recorder and
        a window take seconds, which at ``speed`` K would be K times as many session seconds)."""
        start = lsl.local_clock()
        self.clock.start = start
        self.share.set_clock(start, self.clock.speed)
        if self.publisher is not None:
            self.publisher.start = start
        self._last_t = self.clock.now()
        self.core.start(self._last_t)

    def run(self, max_wall_s: float = math.inf) -> None:
        self.begin()
        self.loop(max_wall_s)

    def loop(self, max_wall_s: float = math.inf) -> None:
        """Steps until the session is done, quit is asked, or ``max_wall_s`` has passed.
        Between steps it waits for a command (at most 1/``CONTROL_HZ`` s), so a console stop
        is applied as soon as it arrives. If a step raises, the frame thread is told to show
        calm before the error ends the session (its recording is closed by the caller)."""
        start = time.perf_counter()
        watch = ControlWatch(self) if not getattr(self.frames, "inline", False) else None
        try:
            while not self.core.done and not self.quit_requested and time.perf_counter() - start < max_wall_s:
                self.step()
                if watch is not None:
                    try:
                        self._early.append(self.commands.get(timeout=1.0 / CONTROL_HZ))
                    except queue.Empty:
                        pass
        except BaseException as exc:
            self.calm_after_error(exc)
            raise
        finally:
            if watch is not None:
                watch.stop()

    def calm_after_error(self, exc: BaseException) -> None:
        """The control side cannot go on: the frame thread shows calm, the log and alerts say why."""
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return
        why = f"the control loop failed ({type(exc).__name__}: {exc}); calm state, the session ends"
        try:
            self.core.calm_requests += 1
            self.core.alert("control", why)
            self._publish()
            self.events.log("session", "control_error", why)
        except Exception:                             # noqa: BLE001 — the original error is what matters
            pass
        print(f"vrex: {why}", file=sys.stderr, flush=True)

    @property
    def stalled_s(self) -> float:
        """Session seconds spent in stalls that have ended."""
        return sum(s["length_s"] for s in self.stalls)


class ControlWatch:
    """A thread that notices the control loop itself falling silent (a call that blocks, a
    stuck stream): alerts within ``CONTROL_STALL_S`` on the terminal and in the event log.
    The renderer, for its part, shows calm when the control side is silent for longer
    (``render_process.CONTROL_LOST_S``)."""

    def __init__(self, runner: SessionRunner, period_s: float = 0.1):
        self.runner, self.period_s = runner, period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vrex-control-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        silent = False
        while not self._stop.wait(self.period_s):
            waited = age(self.runner.share.snapshot().beat)
            if not silent and waited > CONTROL_STALL_S:
                silent = True
                why = f"the control loop has not run for {waited:.1f} s: physiology is not being read"
                print(f"ALERT control: {why}", file=sys.stderr, flush=True)
                self.runner.core.alert("control", why)
                self._log("control_stall", why, state="start", waited_s=round(waited, 3))
            elif silent and waited <= CONTROL_STALL_S:
                silent = False
                self._log("control_stall", "the control loop runs again", state="end")

    def _log(self, kind: str, why: str, **fields: Any) -> None:
        try:
            self.runner.events.log("session", kind, why, **fields)
        except Exception:                             # noqa: BLE001 — a closed log at the end: nothing to say
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)


def feature_values(f: Features) -> dict[str, float]:
    """A tick's features as the ``vrex-features`` stream's channels."""
    q = lambda k: f.quality[k].index if k in f.quality else math.nan   # noqa: E731
    return {"hr_bpm": f.hr_bpm, "rmssd_ms": f.rmssd_ms, "eda_tonic_us": f.eda_tonic_us, "scr_per_min": f.scr_per_min,
            "resp_bpm": f.resp_rate_bpm, "ecg_quality": q("ecg"), "ppg_quality": q("ppg"), "eda_quality": q("eda"),
            "resp_quality": q("resp")}
