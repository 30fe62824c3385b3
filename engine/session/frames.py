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

import time
from typing import Any, Callable

from engine.session.frameshare import ControlSnapshot, FrameShare

DEFAULT_OFFSCREEN_FPS = 60.0   # nobody watches offscreen frames live; the recording and console need far fewer
MAX_DT_WALL = 0.1              # a frame after a stall eases as if 100 ms (wall) had passed: no visible jump


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

    def __init__(self, share: FrameShare, base: Any, scene_runner: Any, driver: Any, prompt: Any = None, *,
                 now: Callable[[ControlSnapshot], float], stamp: Callable[[ControlSnapshot, float], float],
                 speed: Callable[[ControlSnapshot], float]):
        self.share, self.base, self.scene_runner, self.driver, self.prompt = share, base, scene_runner, driver, prompt
        self.now, self.stamp, self.speed = now, stamp, speed
        self._calm_seen = share.snapshot().calm_n
        self._last_t: float | None = None
        self._prompt_shown: bool | None = None
        self.hold_calm = False        # the control side is gone: stay calm, whatever its last target was

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
                driver.cover()               # asked during a stall: the first frame drawn is calm
        elif self.hold_calm:
            driver.calm_now()
        else:
            driver.set_target(snap.target)
        if self.prompt is not None and snap.prompt != self._prompt_shown:
            self._prompt_shown = snap.prompt
            (self.prompt.show if snap.prompt else self.prompt.hide)()
        t = self.now(snap)
        dt = 0.0 if self._last_t is None else t - self._last_t   # session seconds: the scene lives in session time
        self._last_t = t
        speed = self.speed(snap)
        scene_at = time.perf_counter()
        self.scene_runner.tick(dt, max_dt=MAX_DT_WALL * speed)
        self.base.taskMgr.step()
        scene_ms = (time.perf_counter() - scene_at) * 1000.0
        cam = self.base.camera
        pos, hpr = cam.getPos(), cam.getHpr()         # relative to the viewpoint it is parented to
        stamp = self.stamp(snap, self.now(snap))
        ms = (time.perf_counter() - wall) * 1000.0
        self.share.frame_done(stamp, ms, driver.intensity, driver.veil, driver.calming, self._calm_seen,
                              (pos[0], pos[1], pos[2], hpr[0], hpr[1], hpr[2]), overhead_ms=ms - scene_ms,
                              clock_start=snap.clock_start)
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
        return []

    def stall(self, seconds: float) -> None:
        from engine.session.render_process import hold_gil
        hold_gil(seconds)

    def close(self) -> None:
        pass
