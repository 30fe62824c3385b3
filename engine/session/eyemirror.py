"""The frame thread's side of the console's picture: five times a second, after a frame is
drawn, a small copy of the left eye's image (a desktop's mono view) goes into the
``EyeShare`` block with the head and gaze of that frame.

It must stay cheap, because it runs on the frame thread between two frames: no Pillow, no
resampling, no encoding. The image is shrunk by integer stride slicing (every ``s``-th row
and column, a view), copied once straight into the shared block, and the console's server
thread (another process) does the rest. Its cost is measured by
``benchmarks/eye_mirror_cost.py``. Where the eye's image lives on the GPU, reading it back
(``eye_image``: ``extractTextureData``) is the expensive part, and it is paid only on the
frames that take a picture.

Pictures are taken on a fixed 0.2 s grid of wall time (the first frame at or after each
tick), so they come five times a second on average whatever the frame rate, never two in
one frame, and after a stall the grid starts again rather than catching up. The patient's
frames come first: when a picture costs more than ``MAX_SHARE`` of the time between two
pictures (reading a full-resolution headset eye back from the GPU can take tens of
milliseconds, see docs/console.md), the mirror takes them less often, so that it never
takes more than that share of the frame thread's time; the picture says how often it
comes, and the console judges its age by that.

A headset's eye is read with the display's ``eye_image``. A desktop's view is not: its
``eye_image`` would read the window back on every frame, so the mirror attaches its own
*triggered* copy to the window (``WindowCopy``, set up by ``prime`` before frames count),
asks for a copy when a picture is due, and takes it after the next frame is drawn.

A failure here must never cost a frame: it is logged once and the mirror tries again at
its next tick (a display that has no image yet says so with a ``VrexError``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from engine.session.eyeshare import MAX_H, MAX_W, EyeShare
from engine.session.frameshare import F_RING_N, RING, RING_AT, RING_FIELDS, FrameShare
from engine.session.roles import Mirrored

log = logging.getLogger(__name__)


PERIOD_S = 0.2  # a picture at most every 0.2 s of wall time: 5 a second
MAX_SHARE = 0.02  # a picture's cost at most this share of the time between pictures


def stride(width: int, height: int, max_width: int = MAX_W, max_height: int = MAX_H) -> int:
    """The smallest integer step that makes a ``width``×``height`` image fit the block."""
    return max(1, math.ceil(width / max_width), math.ceil(height / max_height))


def eye_tangents(scene_runner: object) -> tuple[float, float, float, float]:
    """tan(left), tan(right), tan(up), tan(down) of the eye the picture comes from: a
    headset eye's own (asymmetric) field of view, or the desktop lens's (which a scenario
    may zoom, so it is read at each picture)."""
    eyes = getattr(scene_runner, "eyes", None) or []
    fov = next((e.fov for e in eyes if e.name in ("left", "mono") and e.fov is not None), None)
    if fov is not None:
        return fov.tangents()
    lens = getattr(scene_runner, "lens", None)
    if lens is not None:
        h, v = lens.getFov()
        th, tv = math.tan(math.radians(h) / 2), math.tan(math.radians(v) / 2)
        return -th, th, tv, -tv
    return -1.0, 1.0, 1.0, -1.0


class WindowCopy:
    """A desktop's view, copied to RAM only on the frames the mirror asks for (Panda3D's
    triggered copy): the display's own ``eye_image`` attaches a copy-to-RAM texture that
    reads the window back on *every* frame, which cost 1.2 ms a frame on llvmpipe at
    640×360 (``benchmarks/eye_mirror_cost.py``); this costs one read-back per picture."""

    def __init__(self, win: Any):  # Panda3D's GraphicsOutput (no type stubs)
        from panda3d.core import GraphicsOutput, Texture

        self.win = win
        self.texture = Texture("vrex-console-view")
        win.addRenderTexture(self.texture, GraphicsOutput.RTMTriggeredCopyRam)
        self._asked: Any = None  # the texture's image counter (Panda3D's UpdateSeq) when a copy was asked
        self.asked_at = 0.0

    def ask(self, now: float) -> None:
        """Copy the next frame drawn to RAM."""
        self._asked, self.asked_at = self.texture.getImageModified(), now
        self.win.triggerCopy()

    @property
    def asked(self) -> bool:
        return self._asked is not None

    def ready(self) -> bool:
        return self.asked and self.texture.getImageModified() != self._asked and self.texture.hasRamImage()

    def image(self) -> np.ndarray:
        """The copied frame as (height, width, 3) RGB, top row first: a view, no copy."""
        self._asked = None
        tex = self.texture
        pixels = np.frombuffer(memoryview(tex.getRamImage()), np.uint8)
        pixels = pixels.reshape(tex.getYSize(), tex.getXSize(), tex.getNumComponents())
        return pixels[::-1, :, 2::-1]  # Panda3D keeps rows bottom-up and channels as BGR(A)


class EyeMirror:
    """Called after every frame (``mirror(stage)``); takes a picture when one is due."""

    def __init__(self, share: EyeShare, period_s: float = PERIOD_S, max_share: float = MAX_SHARE):
        self.share = share
        self.base_period_s = self.period_s = period_s
        self.max_share = max_share
        self._due = time.perf_counter()
        self._failed_once = False
        self._window: WindowCopy | None = None
        self.taken = 0
        self.last_ms = 0.0  # the last picture's cost on the frame thread

    def prime(self, stage: Mirrored) -> None:
        """A desktop's read-back set up during set-up, before frames count; a headset's eye
        has nothing to set up (it is read back from its own buffer when a picture is due)."""
        if stage.scene_runner.display.stereo:
            return
        try:
            self._window_of(stage)
        except Exception as exc:  # noqa: BLE001 — the loop's pictures will say it if it persists
            log.debug("no read-back set up for the console at set-up: %s", exc)

    def _window_of(self, stage: Mirrored) -> WindowCopy | None:
        """The desktop window's triggered copy, made once; None where there is no window
        (stand-ins): then the display's ``eye_image`` is read instead."""
        win = getattr(getattr(stage, "base", None), "win", None)
        if self._window is None and win is not None:
            self._window = WindowCopy(win)
        return self._window

    def __call__(self, stage: Mirrored) -> bool:
        """A picture of the frame ``stage`` just drew, if one is due; True when taken."""
        now = time.perf_counter()
        window = self._window
        if window is not None and window.asked:  # a desktop: the frame after the ask has been copied
            if window.ready():
                return self._take(stage, now, window.image, due_from=window.asked_at)
            if now - window.asked_at > 1.0:  # never came (a pipe that ignores triggers): ask again
                window.ask(now)
            return False
        if now < self._due:
            return False
        self._due += self.period_s
        if self._due <= now:  # late (a stall, a slow frame): the grid starts again
            self._due = now + self.period_s
        display = stage.scene_runner.display
        try:
            window = None if display.stereo else self._window_of(stage)
        except Exception as exc:  # noqa: BLE001 — fall back to the display's own read-back
            log.debug("no triggered copy of the window (%s); reading the display's image instead", exc)
            window = None
        if window is not None:
            window.ask(now)  # copied at the end of the next frame, taken then
            return False
        size = getattr(display, "eye_size", None)  # shrink while copying out: a full-size headset eye is 13.7 MB
        step = stride(*size) if size else 1
        return self._take(stage, now, lambda: display.eye_image("left" if display.stereo else "mono", step))

    def _take(
        self, stage: Mirrored, now: float, image: Callable[[], np.ndarray], due_from: float | None = None
    ) -> bool:
        """Write ``image()`` as the new picture; ``due_from``: when it was asked for (a
        desktop's copy comes a frame later, and the grid stays on the asking time)."""
        try:
            self._write(stage, image())
        except Exception as exc:  # noqa: BLE001 — the picture is a nicety; frames are not
            if not self._failed_once:
                self._failed_once = True
                log.warning(
                    "the console's picture of the patient's view failed (%s: %s); frames go on, "
                    "the console shows the last picture as old",
                    type(exc).__name__,
                    exc,
                )
            return False
        self.last_ms = (time.perf_counter() - now) * 1000.0
        # slower than its share allows: take pictures less often, never frames
        self.period_s = max(self.base_period_s, self.last_ms / 1000.0 / self.max_share)
        if self.period_s > self.base_period_s:  # slowed: the next one a whole (longer) period from this one
            self._due = max(self._due, (now if due_from is None else due_from) + self.period_s)
        self.taken += 1
        return True

    def _write(self, stage: Mirrored, image: np.ndarray) -> None:
        runner = stage.scene_runner
        display = runner.display
        s = stride(image.shape[1], image.shape[0])
        frame = _last_frame(stage.share)  # what the frame thread reported for this frame
        if frame is not None:
            stamp, head, gaze_off = float(frame[0]), tuple(float(v) for v in frame[10:13]), float(frame[13])
        else:
            pose = display.head_pose()
            stamp, head, gaze_off = math.nan, (pose.heading, pose.pitch, pose.roll), math.nan
        self.share.write(
            image[::s, ::s],
            stamp=stamp,
            frame=int(stage.share.a[F_RING_N]),
            head=head,
            gaze=cast("tuple[float, float]", tuple(runner.gaze())),  # a stand-in may give a list
            gaze_off_deg=gaze_off,
            tangents=eye_tangents(runner),
            stereo=bool(display.stereo),
            period_s=self.period_s,
        )


def _last_frame(share: FrameShare) -> np.ndarray | None:
    """The newest row of the frame share's ring (``FrameShare.frame_done``), or None."""
    n = int(share.a[F_RING_N])
    if n <= 0:
        return None
    i = RING_AT + ((n - 1) % RING) * RING_FIELDS
    return share.a[i : i + RING_FIELDS]
