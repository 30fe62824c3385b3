"""The closed loop's control side: physiology → controller (behind the shield) → target.

The frame thread only renders (``frames.py``; in its own process in a real session,
``render_process.py``). Everything else runs here, on the session's main thread, in
``SessionRunner.step`` about ``CONTROL_HZ`` times a second (at once when a command arrives).
The runner is a scheduler: a step calls its stages in order (``stages.py``, ``tick.py`` and
``reporting.py`` hold the larger ones), and these are what they do:

1. session time (``clock.SessionClock``: LSL's clock, ``speed`` times faster in a demo);
2. what the frame thread last showed (``FrameShare.report``): a simulated patient, if any,
   lives up to now seeing that intensity and publishes its body over LSL
   (``adaptation.live_patient``);
3. ``sensors.live`` drains every stream;
4. therapist and patient commands queued since the last step (console, keys from the
   window) are applied, and a stop is published to the frame thread at once;
5. at each control tick (``tick.ControlTick``), features → ``SessionCore.tick``: every
   second of session time, and also when a heart beat has arrived (at most every 0.2 s of
   wall time), because heart rate only changes with a beat, so a rate over the ceiling is
   acted on at that beat;
6. the target, the calm requests and the SUDS prompt are published to the frame thread;
7. the frames drawn since the last step go out on vrex's LSL streams with the frame
   thread's own stamps (``vrex-frames``, ``vrex-intensity``), and a frame that first shows
   a new level is announced on ``vrex-markers`` and logged as ``shown``;
8. the frame watchdog: no frame for ``stages.STALL_S`` is a ``stall`` (event, therapist alert,
   raises held, recorded in session.json); it ends with the next frame.

Everything vrex streams and every stream it reads are recorded into ``recording.xdf`` by
LabRecorder, and every event goes to ``events.jsonl`` as it happens (docs/session-format.md).
"""

from __future__ import annotations

import logging
import math
import queue
import time
from collections import deque
from collections.abc import Callable

from engine.session.clock import SessionClock
from engine.session.command_spec import Command  # noqa: F401 — the console and tests import it from here
from engine.session.core import SessionCore
from engine.session.frameshare import CONTROL_LOST_S, FrameReport
from engine.session.pace import PaceWatch
from engine.session.reporting import Reporting
from engine.session.roles import Events, Frames, Outlets, Patient, Physiology, Publisher
from engine.session.stages import ControlWatch, FramesOut, FrameWatch, PatientStage
from engine.session.terminal import StatusDisplay
from engine.session.tick import ControlTick
from sensors import lsl
from sensors.types import Features

CONTROL_HZ = 100.0  # control steps a second when idle; a command wakes the loop at once
# openxr_state's notices after which the patient may see nothing, or a frozen or wrong view:
# the session holds (no raise) until the therapist has checked and resumes
HEADSET_AWAY = frozenset({"waiting", "focus_lost", "hidden", "stopped", "exiting", "headset_lost", "tracking_lost"})
FRAME_HISTORY = 4096  # frame work times kept (ring): benchmarks read the newest

log = logging.getLogger(__name__)


class SessionRunner:
    """Runs one session's control side; ``commands`` is the queue the console puts commands
    on, ``frames`` the frame thread (``InlineFrames`` or ``process_frames.ProcessFrames``)."""

    def __init__(
        self,
        core: SessionCore,
        *,
        clock: SessionClock,
        live: Physiology,
        frames: Frames,
        events: Events,
        outlets: Outlets,
        patient: Patient | None = None,
        publisher: Publisher | None = None,
        status: StatusDisplay | None = None,
        suds_delay_s: float = 3.0,
        frame_stalls: tuple[tuple[float, float], ...] = (),
    ):
        self.core, self.clock, self.live, self.frames = core, clock, live, frames
        self.share = frames.share
        self.events, self.outlets = events, outlets
        self.patient, self.publisher, self.status = patient, publisher, status
        self.quit_requested = False
        # called with the runner after every step, on this thread (the console takes its
        # snapshot here): keep them cheap
        self.observers: list[Callable[[SessionRunner], None]] = []
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.features: Features | None = None
        self.steps = 0
        self.frame_count = 0  # frames drawn and sent out
        self.frame_ms: deque[float] = deque(maxlen=FRAME_HISTORY)  # their work times, newest last
        self.frames_lost = 0  # frames the ring overwrote before they were sent
        self.shown: FrameReport = self.share.report()
        self._calm_n, self._calm_at = 0, 0.0
        self._last_beat = time.monotonic()
        self._last_t = 0.0
        self.pace = PaceWatch(clock.speed)
        self._early: list[Command] = []
        self._frame_stalls = sorted(frame_stalls)  # injected faults: (session time, wall seconds)
        self.frame_watch = FrameWatch(self)
        self.frames_out = FramesOut(self)  # its Avoidance says whether the patient looks away now
        self.control_tick = ControlTick(self)
        self.reporting = Reporting(self)
        # the scheduler's stages, in order: what one control step does
        self.stages: list[Callable[[float], None]] = [
            *([PatientStage(self, suds_delay_s).update] if patient is not None else []),
            self._sensors,
            self._apply_commands,
            self.control_tick.update,
            self._faults,
            self._publish_and_draw,
            self.frames_out.update,
            self.frame_watch.update,
            self._pace,
            self.reporting.update,
        ]
        self.share.set_clock(clock.start, clock.speed)
        self._publish()

    # -- one control step ----------------------------------------------------------------

    def step(self) -> None:
        """One control step: each stage in order, at this step's session time."""
        t = self.clock.now()
        silent = time.monotonic() - self._last_beat
        self._last_beat = time.monotonic()
        self.share.control_beat()
        self.shown = self.share.report()
        if silent > CONTROL_LOST_S and not getattr(self.frames, "inline", False):
            self._back_from_silence(silent)
        for stage in self.stages:
            stage(t)
        self.steps += 1

    def _back_from_silence(self, silent: float) -> None:
        """The control loop was silent for longer than the renderer waits: the renderer has
        gone to calm on its own, and the target becomes calm too, so the scene does not climb
        back to what was decided on physiology that nobody read meanwhile."""
        core = self.core
        why = f"the control loop was silent for {silent:.1f} s; the renderer went to the calm state"
        self.events.log("session", "control_lost", why, silent_s=round(silent, 3))
        core.alert("control", why)
        if core.target != core.plan.calm:
            core.set_target(core.plan.calm, "session", why + ": calm state", calm_now=True)
            core.shield.rebase(core.target)

    def _sensors(self, t: float) -> None:
        self.live.poll(self.clock.lsl_time(t))

    def _faults(self, t: float) -> None:
        while self._frame_stalls and t >= self._frame_stalls[0][0]:
            _, seconds = self._frame_stalls.pop(0)
            self.events.log(
                "session",
                "fault",
                f"injected: the frame thread blocks for {seconds:g} s holding its GIL",
                what="stall",
                seconds=seconds,
            )
            self.frames.stall(seconds)

    def _publish_and_draw(self, t: float) -> None:
        self._publish()
        self.frames.step()  # inline frames draw here; a renderer process draws on its own
        self.shown = self.share.report()

    def _apply_commands(self, t: float) -> None:
        early, self._early = self._early, []
        for c in early:
            self._apply(c)
        for message in self.frames.messages():  # keys pressed in the renderer's window
            if message[0] == "command":
                self._apply(Command(message[1], message[2], message[3]))
            elif message[0] == "quit":
                self.quit_requested = True
            elif message[0] == "notice":
                self._headset_notice(message[1], message[2])
        while True:
            try:
                c = self.commands.get_nowait()
            except queue.Empty:
                break
            self._apply(c)

    def _headset_notice(self, kind: str, text: str) -> None:
        """What a headset's runtime told the renderer. When the patient may no longer see the
        scene (focus lost, hidden, stopped, lost) it is a possible escape: hold at once and
        alert the therapist, who resumes after checking on the patient."""
        self.events.log("session", "headset", text, state=kind)
        if kind in HEADSET_AWAY:
            self.core.command("hold", {}, "session")
            self.core.alert("headset", text)

    def _apply(self, c: Command) -> None:
        self.core.command(c.name, c.args, c.origin, request=c.request)
        self._publish()  # a stop reaches the frame thread now, not at the step's end

    def _publish(self) -> None:
        core = self.core
        if core.calm_requests != self._calm_n:
            self._calm_n = core.calm_requests
            self._calm_at = time.monotonic()
        self.share.publish(core.target, self._calm_n, self._calm_at, core.prompt_since is not None, core.recentres)

    def _pace(self, t: float) -> None:
        gap_s, self._last_t = t - self._last_t, t
        said = self.pace.frame(gap_s)
        if said:
            self.events.log(
                "scene", "pace", said, behind=self.pace.behind, frame_gap_s=round(gap_s, 3), speed=self.clock.speed
            )
            if self.pace.behind:
                self.core.alert("pace", said)

    def request_quit(self) -> None:
        self.quit_requested = True

    # -- the whole session -----------------------------------------------------------------

    def begin(self) -> None:
        """Session time starts now, not when set-up began (opening streams, the recorder and
        a window take seconds, which at ``speed`` K would be K times as many session seconds)."""
        start = lsl.local_clock()
        self.clock.start = start
        self.share.set_clock(start, self.clock.speed)
        self._last_beat = time.monotonic()  # set-up's seconds are not a silent control loop
        self.share.control_beat()
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
        except Exception:  # noqa: BLE001 — the original error is what matters
            pass
        # the library's word, not a CLI's output (the error itself goes on up): logged; without
        # the CLI's set-up (engine/logsetup.py), logging's last resort still writes it to stderr
        log.error("%s", why)

    @property
    def stalls(self) -> list[dict]:
        """Frame stalls that have ended: {start, end, length_s} in session seconds."""
        return self.frame_watch.stalls

    @property
    def stalled_s(self) -> float:
        """Session seconds spent in stalls that have ended."""
        return sum(s["length_s"] for s in self.stalls)
