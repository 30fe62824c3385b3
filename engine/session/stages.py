"""The control loop's stages: each a small object whose ``update(t)`` does one job once per
control step, in the order ``SessionRunner`` lists them (it only paces and calls them, as
timeflux's scheduler does). They share the runner's parts (core, clock, streams, outlets,
event log, the frame share) and keep their own state.

- ``PatientStage``: a demo's simulated patient lives up to now, publishes its body over
  LSL, answers SUDS, turns its head (away when afraid: the renderer draws that head), and
  presses stop when it escapes.
- ``FramesOut``: the frames drawn since the last step, on ``vrex-frames``,
  ``vrex-intensity`` and ``vrex-headpose`` with the frame thread's own stamps; ``change``
  and ``shown`` markers; looking away and back (``Avoidance``) from the head drawn.
- ``FrameWatch``: no frame for ``STALL_S`` is a stall (event, alert, raises held).
- ``ControlWatch`` (a thread, not a stage): the control loop itself falling silent.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

from adaptation.types import level_of
from engine.session.core import Phase
from engine.session.frameshare import age
from engine.session.roles import StageHost

LOOK_AWAY_DEG = 30.0  # head turned further than this from the gaze target (3-D): looking away
LOOK_BACK_DEG = 25.0  # ... and back under this: a head hovering near 30° logs no flurry of events
STALL_S = 0.5  # no frame for this long (wall): a stall (architecture.md)
CONTROL_STALL_S = 1.0  # the control loop silent this long (wall): the watchdog thread alerts


class Avoidance:
    """Logs ``looked_away`` when, in exposure, the head turns further than ``LOOK_AWAY_DEG``
    from where the patient is asked to look (the 3-D angle the frame thread measured on the
    head it drew, so looking up from the edge counts as much as turning aside), and
    ``looked_back`` when it comes back under ``LOOK_BACK_DEG``; both at the frame's time."""

    def __init__(self, runner: StageHost):
        self.r = runner
        self.away = False

    def update(self, angle_deg: float, t: float) -> None:
        if not math.isfinite(angle_deg):
            return
        away = angle_deg > LOOK_AWAY_DEG if not self.away else angle_deg >= LOOK_BACK_DEG
        if away != self.away and (self.r.core.phase is Phase.EXPOSURE or not away):
            self.away = away
            self.r.events.log(
                "patient",
                "looked_away" if away else "looked_back",
                "looked away from the feared scene" if away else "looked back",
                looking_away=away,
                angle_deg=round(float(angle_deg), 1),
                frame_t=round(t, 4),
            )


class PatientStage:
    def __init__(self, runner: StageHost, suds_delay_s: float = 3.0):
        self.r, self.suds_delay_s = runner, suds_delay_s
        self._next_truth = 0.0
        self._escape_handled = False

    def update(self, t: float) -> None:
        r = self.r
        core, patient, publisher = r.core, r.patient, r.publisher
        assert patient is not None and publisher is not None  # the runner makes this stage for a demo's patient only
        patient.advance(t, r.shown.intensity)
        publisher.step()
        if core.prompt_since is not None and t - core.prompt_since >= self.suds_delay_s:
            core.suds_answer(patient.answer_suds(), "patient")
        if t >= self._next_truth:  # the simulated person's inner state, for replay and tests
            self._next_truth = t + 10.0
            m = patient.model
            r.events.log(
                "patient",
                "simulated",
                "",
                arousal=round(patient.arousal, 4),
                habituation=round(float(m.H[0]), 4),
                sensitisation=round(float(m.S[0]), 4),
                true_hr_bpm=round(patient.true_physiology()["hr_bpm"], 2),
            )
        r.share.publish_head(patient.head_pose(t))  # drawn by the renderer; the stream sends what it drew
        if patient.escaped and not self._escape_handled and core.phase is Phase.EXPOSURE:
            self._escape_handled = True
            r.events.log("patient", "escape", "the simulated patient panicked and pressed stop")
            core.command("patient_stop", {}, "patient")
            core.command("end", {}, "session")  # no therapist to resume in a demo: recovery


class FramesOut:
    """The frames drawn since the last step, sent with the frame thread's own stamps."""

    def __init__(self, runner: StageHost):
        self.r = runner
        self.avoidance = Avoidance(runner)
        self._shown_level = level_of(runner.core.target, runner.core.plan.levels)
        self._announced_target = runner.core.target

    def update(self, t: float) -> None:
        r = self.r
        n, rows, lost = r.share.frames_since(r.frame_count)
        r.frames_lost += lost
        target, start = r.core.target, r.clock.start
        for stamp, ms, shown, _veil, _overhead, clock_start, pose_stamp, *head, gaze_off in rows:
            if clock_start != start:
                continue  # drawn during set-up, on the clock before the session's
            r.frame_ms.append(float(ms))
            r.outlets.frame(float(ms), float(stamp))
            r.outlets.intensity(float(shown), target, float(stamp))
            if math.isfinite(pose_stamp):
                r.outlets.headpose(*(float(v) for v in head), ts=float(pose_stamp))
                self.avoidance.update(float(gaze_off), r.clock.session_time(float(pose_stamp)))
            self._announce(float(shown), float(stamp))
        r.frame_count = n

    def _announce(self, shown: float, stamp: float) -> None:
        """Markers at the frame that first shows a change: a new target (the scene starts
        easing toward it, or the calm veil starts), and each new level reached on the way."""
        core, outlets = self.r.core, self.r.outlets
        if core.target != self._announced_target:
            source, reason = core.last_change
            outlets.marker(
                {
                    "kind": "change",
                    "target": round(core.target, 4),
                    "from": round(self._announced_target, 4),
                    "cause": source,
                    "reason": reason,
                },
                stamp,
            )
            self._announced_target = core.target
        level = level_of(shown, core.plan.levels)
        if level == self._shown_level:
            return
        self._shown_level = level
        name = core.plan.names[level]
        outlets.marker({"kind": "shown", "intensity": round(shown, 4), "level": level, "level_name": name}, stamp)
        self.r.events.log(
            "scene", "shown", f"level {level + 1} '{name}' shown", intensity=shown, level=level, level_name=name
        )


class FrameWatch:
    """No frame for ``STALL_S`` of wall time: a stall. Logged at its start and its end,
    alerted, and raises are held meanwhile (the exposure clock runs on: the patient is still
    there, looking at a frozen picture). ``stalls`` keeps the ended ones."""

    def __init__(self, runner: StageHost):
        self.r = runner
        self.stalls: list[dict] = []  # {start, end, length_s} in session seconds
        self._since: float | None = None
        self._exit_told = False

    def update(self, t: float) -> None:
        r = self.r
        if not self._exit_told and not getattr(r.frames, "alive", True):
            self._exit_told = True  # a renderer that died: a stall that will not end
            code = getattr(r.frames, "exitcode", None)
            why = (
                f"the renderer process exited (code {code}): the patient sees no new frames; raises are held. "
                "End the session, or stop and check the display"
            )
            r.events.log("session", "renderer_exit", why, exit_code=code)
            r.core.alert("renderer", why)
        if r.shown.beat <= 0.0:
            return  # no frame yet: the renderer is still starting
        waited = age(r.shown.beat)
        if self._since is None and waited > STALL_S:
            self._since = t - waited * r.clock.speed
            r.core.stalled = True
            why = (
                f"no frame for {waited:.1f} s: the picture is frozen; raises are held, stop still works "
                "(its calm state is the first frame drawn)"
            )
            r.events.log("session", "stall", why, state="start", start=round(self._since, 3), waited_s=round(waited, 3))
            r.core.alert("stall", why)
        elif self._since is not None and waited <= STALL_S:
            end = t - waited * r.clock.speed
            stall = {"start": round(self._since, 3), "end": round(end, 3), "length_s": round(end - self._since, 3)}
            self.stalls.append(stall)
            self._since = None
            r.core.stalled = False
            r.events.log("session", "stall", f"frames again after {stall['length_s']:.1f} s", state="end", **stall)


class ControlWatch:
    """A thread that notices the control loop itself falling silent (a call that blocks, a
    stuck stream): alerts within ``CONTROL_STALL_S`` on the terminal and in the event log.
    The renderer, for its part, shows calm when the control side is silent for longer
    (``render_process.CONTROL_LOST_S``)."""

    def __init__(self, runner: StageHost, period_s: float = 0.1):
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
                self._log(why, state="start", waited_s=round(waited, 3))
            elif silent and waited <= CONTROL_STALL_S:
                silent = False
                self._log("the control loop runs again", state="end")

    def _log(self, why: str, **fields: Any) -> None:
        try:
            self.runner.events.log("session", "control_stall", why, **fields)
        except Exception:  # noqa: BLE001 — a closed log at the end: nothing to say
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
