"""The frame thread's whole job: read the control side's snapshot, ease, render, stamp.

``FrameStage.step`` is one frame, and nothing else happens on the frame thread: no LSL,
no features, no decisions, no disk. The control side (``runner.py``) writes what the
frame must show into a ``FrameShare`` and reads back what was shown; the stage runs in the
renderer process of a real session (``render_process.py``) or, in tests and benchmarks
that drive frames by hand, in the control side's own thread (``InlineFrames``).

Safety does not wait for a frame: a "calm now" that was asked while the frame thread was
stuck (longer than the veil would have needed to close) is shown fully covered on the
first frame drawn after it, rather than starting a fade the patient would watch; a stop
key pressed in the window blinks to calm in this process at once, before the control side
has even read it.

``Pacer`` holds frames to a set rate where nothing else does (offscreen: no display
refresh, and an uncapped renderer took 1.9 of 2 cores, starving the recorder, the LSL
publisher and the console). In a window, vsync paces. The pacing wait is not work: the
frame times stamped into ``vrex-frames`` are the frame's work, and the frame gaps come
from the stamps.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from engine.session.frameshare import ControlSnapshot, FrameShare
from engine.session.roles import Driver, Headset, Prompt, SceneView

if TYPE_CHECKING:  # types only: Panda3D and the scenario loader load where a stage is built
    from engine.display import DisplayConfig
    from engine.display.head import HeadPose
    from engine.scenario import ScenarioSpec

DEFAULT_OFFSCREEN_FPS = 60.0  # nobody watches offscreen frames live; the recording and console need far fewer
MAX_DT_WALL = 0.1  # a frame after a stall eases as if 100 ms (wall) had passed: no visible jump


class Pacer:
    """Sleeps until the next frame is due at ``fps`` (None or 0: never). A frame that ran
    late starts the schedule again from now: no burst of frames to catch up."""

    def __init__(self, fps: float | None):
        self.period = 1.0 / fps if fps else 0.0
        self._due = time.perf_counter()

    def wait(self) -> float:
        """Sleep until the next frame is due; returns the seconds slept."""
        if not self.period:
            return 0.0
        self._due += self.period
        now = time.perf_counter()
        if self._due <= now:
            self._due = now
            return 0.0
        time.sleep(self._due - now)
        return self._due - now


class FrameStage:
    """One frame at a time. ``now(snap)`` is session seconds, ``stamp(snap, t)`` its LSL time
    and ``speed(snap)`` the session's speed; in the renderer process all three come from the
    clock the control side put in the snapshot, the one read at the frame's start, so a
    frame's times are all on one clock even when the session's clock starts mid-frame."""

    def __init__(
        self,
        share: FrameShare,
        base: Any,  # Panda3D's ShowBase (no type stubs): its task manager draws the frame
        scene_runner: SceneView,
        driver: Driver,
        prompt: Prompt | None = None,
        *,
        now: Callable[[ControlSnapshot], float],
        stamp: Callable[[ControlSnapshot, float], float],
        speed: Callable[[ControlSnapshot], float],
    ):
        self.share, self.base, self.scene_runner, self.driver, self.prompt = share, base, scene_runner, driver, prompt
        self.now, self.stamp, self.speed = now, stamp, speed
        self._calm_seen = share.snapshot().calm_n
        self._recentred = share.snapshot().recentre_n
        self._last_t: float | None = None
        self._prompt_shown: bool | None = None
        self.hold_calm = False  # the control side is gone: stay calm, whatever its last target was

    def notices(self) -> list[tuple[str, str]]:
        """What the display's runtime reported since the last call (OpenXR), as (kind, text)."""
        notices = getattr(self.scene_runner.display, "notices", None)
        return notices() if notices is not None else []

    def inputs(self) -> list[tuple[str, dict]]:
        """Commands the patient gave on the display's own input (a headset controller's
        buttons) since the last call, as (command, args); a stop blinks to calm here at once."""
        inputs = getattr(self.scene_runner.display, "inputs", None)
        given = inputs() if inputs is not None else []
        if any(name == "patient_stop" for name, _ in given):
            self.stop_now()
        return given

    def stop_now(self) -> None:
        """A stop key in this window: calm at once, without waiting for the control side."""
        self.driver.calm_now()

    def step(self) -> float:
        """Draw one frame; returns its work time in milliseconds."""
        wall = time.perf_counter()
        snap = self.share.snapshot()
        driver = self.driver
        if snap.calm_n != self._calm_seen:
            self._calm_seen = snap.calm_n
            driver.calm_now()
            if time.monotonic() - snap.calm_at >= driver.calm.fade_seconds / 2:
                driver.cover()  # asked during a stall: the first frame drawn is calm
        elif self.hold_calm:
            driver.calm_now()
        else:
            driver.set_target(snap.target)
        if self.prompt is not None and snap.prompt != self._prompt_shown:
            self._prompt_shown = snap.prompt
            (self.prompt.show if snap.prompt else self.prompt.hide)()
        if snap.recentre_n != self._recentred:
            self._recentred = snap.recentre_n
            self.scene_runner.recentre()
        t = self.now(snap)
        dt = 0.0 if self._last_t is None else t - self._last_t  # session seconds: the scene lives in session time
        self._last_t = t
        speed = self.speed(snap)
        scene_at = time.perf_counter()
        runner = self.scene_runner
        runner.tick(dt, max_dt=MAX_DT_WALL * speed, t=t)  # the head is placed for this frame's time
        self.base.taskMgr.step()
        runner.display.end_frame()
        scene_ms = (time.perf_counter() - scene_at) * 1000.0
        pose = runner.head_pose()  # relative to the rig (or the viewpoint)
        stamp = self.stamp(snap, self.now(snap))
        ms = (time.perf_counter() - wall) * 1000.0
        self.share.frame_done(
            stamp,
            ms,
            driver.intensity,
            driver.veil,
            driver.calming,
            self._calm_seen,
            tuple(pose),
            overhead_ms=ms - scene_ms,
            clock_start=snap.clock_start,
            pose_stamp=self.stamp(snap, t),
            gaze_off_deg=runner.gaze_offset_deg(pose),
        )
        return ms


class InlineFrames:
    """Frames drawn on the control side's own thread, one per ``step``: for tests and
    benchmarks that drive a session frame by frame with a hand clock."""

    inline = True

    def __init__(self, stage: FrameStage):
        self.stage = stage
        self.share = stage.share

    def step(self) -> None:
        self.stage.step()

    def messages(self) -> list[tuple]:
        return [("notice", kind, text) for kind, text in self.stage.notices()] + [
            ("command", name, args, "patient") for name, args in self.stage.inputs()
        ]

    def stall(self, seconds: float) -> None:
        hold_gil(seconds)

    def close(self) -> None:
        pass


SUDS_QUESTION = "How anxious are you right now?  0 = calm ... 100 = the most ever\n(keys 0-9 give 0-90, o gives 100)"
SUDS_QUESTION_HEADSET = "How anxious are you right now?\n0 = calm ... 100 = the most ever"  # the controls add a line


class SharedHead:
    """A demo's simulated head, as the control side last put it in the share: relative to
    where the patient is asked to look (``gaze``, set once the scene runner exists)."""

    def __init__(self, share: FrameShare):
        self.share = share
        self.gaze: Callable[[], tuple[float, float]] = lambda: (0.0, 0.0)

    def pose(self, t: float) -> HeadPose:
        from engine.display.head import HeadPose

        x, y, z, h, p, r = self.share.snapshot().head
        gh, gp = self.gaze()
        return HeadPose(x, y, z, h + gh, p + gp, r)


def build_stage(
    spec: ScenarioSpec,
    base: Any,  # Panda3D's ShowBase
    share: FrameShare,
    display: DisplayConfig,
    start: float,
    *,
    now: Callable[[ControlSnapshot], float],
    stamp: Callable[[ControlSnapshot, float], float],
    speed: Callable[[ControlSnapshot], float],
) -> FrameStage:
    """The scene, its display backend (``display``: a ``DisplayConfig``), the SUDS question
    and the frame stage, in whichever process renders."""
    from engine.app import SceneRunner
    from engine.display import SHARED_HEAD
    from engine.easing import IntensityDriver
    from engine.scene import Scene

    driver = IntensityDriver(spec.comfort, spec.calm, start=start)
    scene = Scene(spec, base.render, audio=base.sfxManagerList[0] if base.sfxManagerList else None)
    shared = SharedHead(share) if display.head == SHARED_HEAD else None
    scene_runner = SceneRunner(scene, driver, base, display=display.backend(head=shared))
    scene_runner.stop()  # frames are driven by the stage
    if shared is not None:
        shared.gaze = scene_runner.gaze
    if scene_runner.display.stereo:  # in a headset: in the world, never on the face
        from engine.display.panel import WorldPanel

        headset = cast(Headset, scene_runner.display)  # stereo: a headset's backend, open (its rig is set)
        prompt: Prompt = WorldPanel(scene_runner.rig, headset.rig.node, SUDS_QUESTION_HEADSET)
        headset.suds_panel = prompt  # a headset's controller answers on it (openxr_input)
    else:
        from direct.gui.OnscreenText import OnscreenText

        prompt = OnscreenText(
            text=SUDS_QUESTION, pos=(0, 0.8), scale=0.06, fg=(1, 1, 1, 1), bg=(0, 0, 0, 0.6), mayChange=False
        )
        prompt.hide()
    return FrameStage(share, base, scene_runner, driver, prompt, now=now, stamp=stamp, speed=speed)


def hold_gil(seconds: float) -> None:
    """Block this thread for ``seconds`` without releasing the GIL (a stalled C call)."""
    libc = ctypes.PyDLL(None)  # PyDLL: calls keep the GIL, unlike CDLL
    libc.usleep(ctypes.c_uint(int(seconds * 1e6)))
