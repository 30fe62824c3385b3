"""What the patient sees, for the therapist's console: a second shared block beside ``FrameShare``.

The renderer's frame thread (``eyemirror.EyeMirror``) puts a small copy of the left eye's
last image here five times a second; the console's server thread reads it, encodes it and
sends it to the page. Like ``FrameShare`` nothing is locked, so neither side can ever wait
for the other: the frame thread writes under a **sequence lock** (``H_SEQ`` odd while it
writes, even again when the picture is whole) and a reader copies the picture, then checks
that the sequence number did not move; if it did, it tries again, and after a few failed
tries it gives up until its next poll. The writer never waits and never retries.

Layout: ``HEADER`` float64 numbers (below), then a fixed ``MAX_W`` × ``MAX_H`` × 3 uint8
buffer holding the picture's rows, top row first, RGB, packed to its own width. The block
is made by the control side (``ProcessFrames``, which also unlinks it) and attached by the
renderer process; ``EyeShare()`` alone is private to one process (tests, inline frames).

Ordering: each header number is one aligned 8-byte store; the pixels are written between
the two increments of ``H_SEQ``. x86-64 keeps stores in order and loads in order (TSO), so a
reader that sees the same even ``H_SEQ`` before and after its copy has a whole picture.
(On a weakly ordered CPU the Python interpreter's own atomics between the steps are what
keeps the order; the torn-picture tests run on x86-64.)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from engine.session.sharedblock import Buffer, SharedBlock

MAX_W = 320  # the picture is at most this wide ...
MAX_H = 320  # ... and this high (a headset's eye is taller than wide)
(
    H_SEQ,
    H_WIDTH,
    H_HEIGHT,
    H_STAMP,
    H_WRITTEN,
    H_FRAME,
    H_HEAD_H,
    H_HEAD_P,
    H_HEAD_R,
    H_GAZE_H,
    H_GAZE_P,
    H_GAZE_OFF,
    H_TAN_L,
    H_TAN_R,
    H_TAN_U,
    H_TAN_D,
    H_STEREO,
    H_PERIOD,
) = range(18)
HEADER = 24  # float64 numbers before the pixels (room for a few more fields)
PIXELS = MAX_W * MAX_H * 3
SIZE = HEADER * 8 + PIXELS  # bytes
READ_TRIES = 8


@dataclass(frozen=True)
class Picture:
    """One whole picture and the frame it came from."""

    seq: int  # 1, 2, 3, ... in writing order
    pixels: np.ndarray  # (height, width, 3) uint8 RGB, top row first (a copy)
    stamp: float  # the frame's LSL stamp (the session's time base)
    written: float  # time.monotonic() when it was written (same clock in every process)
    frame: int  # the renderer's frame count at that frame
    head: tuple[float, float, float]  # heading, pitch, roll (deg) of the head drawn, relative to the rig
    gaze: tuple[float, float]  # where the patient is asked to look: heading, pitch (deg)
    gaze_off_deg: float  # the 3-D angle between the two
    tangents: tuple[float, float, float, float]  # the eye's tan(left), tan(right), tan(up), tan(down)
    stereo: bool  # a headset's left eye (True) or a desktop's mono view
    period_s: float = 0.2  # how often the mirror takes a picture now (it slows down when slow)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def age(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.written


class EyeShare(SharedBlock):
    """The block. ``EyeShare()`` is private to this process; ``EyeShare.create()`` and
    ``EyeShare.attach(name)`` share it with another process."""

    BYTES = SIZE

    def _views(self, buffer: Buffer) -> None:
        raw = np.ndarray((SIZE,), np.uint8, buffer=buffer)
        self.a = raw[: HEADER * 8].view(np.float64)
        self.px = raw[HEADER * 8 :]
        self.retries = 0  # reads that caught the writer at work and tried again

    def _drop_views(self) -> None:
        self.a = self.px = None  # type: ignore[assignment]  # closed: a later use fails at once

    # -- the frame thread ----------------------------------------------------------------

    def write(
        self,
        pixels: np.ndarray,
        *,
        stamp: float = math.nan,
        frame: int = 0,
        head: tuple[float, ...] = (0.0, 0.0, 0.0),
        gaze: tuple[float, float] = (0.0, 0.0),
        gaze_off_deg: float = math.nan,
        tangents: tuple[float, float, float, float] = (-1.0, 1.0, 1.0, -1.0),
        stereo: bool = False,
        period_s: float = 0.2,
    ) -> None:
        """Put one picture in the block. ``pixels`` is (height, width, 3) uint8, any strides
        (a strided view of the eye's image is copied in one pass, no intermediate copy)."""
        h, w = pixels.shape[:2]
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"a picture is (height, width, 3) uint8 RGB, not {pixels.shape} {pixels.dtype}")
        if not (0 < w <= MAX_W and 0 < h <= MAX_H):
            raise ValueError(f"a {w}×{h} picture does not fit the block (at most {MAX_W}×{MAX_H}): downscale it first")
        a = self.a
        a[H_SEQ] += 1.0  # odd: being written
        self.px[: h * w * 3].reshape(h, w, 3)[...] = pixels
        a[H_WIDTH], a[H_HEIGHT], a[H_STAMP], a[H_FRAME] = w, h, stamp, frame
        a[H_HEAD_H], a[H_HEAD_P], a[H_HEAD_R] = head[:3]
        a[H_GAZE_H], a[H_GAZE_P], a[H_GAZE_OFF] = gaze[0], gaze[1], gaze_off_deg
        a[H_TAN_L], a[H_TAN_R], a[H_TAN_U], a[H_TAN_D] = tangents
        a[H_STEREO], a[H_PERIOD] = float(stereo), period_s
        a[H_WRITTEN] = time.monotonic()
        a[H_SEQ] += 1.0  # even: whole

    # -- the reader (the console's server thread) ----------------------------------------

    @property
    def seq(self) -> int:
        """Pictures written so far (one aligned load: cheap enough to poll)."""
        return int(self.a[H_SEQ]) // 2

    @property
    def written(self) -> float:
        """time.monotonic() of the newest picture (0: none yet); it may be mid-write."""
        return float(self.a[H_WRITTEN])

    def read(self, after: int = 0) -> Picture | None:
        """The newest whole picture if it is newer than the ``after``-th, else None. None
        too when the writer was caught mid-write ``READ_TRIES`` times running: poll again."""
        a = self.a
        for attempt in range(READ_TRIES):
            if attempt:
                self.retries += 1
                time.sleep(0.0002 * attempt)  # the reader may wait a moment; the writer never does
            seq = float(a[H_SEQ])
            if seq % 2.0:
                continue
            if seq // 2 <= after:
                return None
            head = a.copy()
            w, h = int(head[H_WIDTH]), int(head[H_HEIGHT])
            if not (0 < w <= MAX_W and 0 < h <= MAX_H):
                continue
            pixels = self.px[: w * h * 3].copy().reshape(h, w, 3)
            if float(a[H_SEQ]) != seq:  # written meanwhile: this copy may be torn
                continue
            return Picture(
                seq=int(seq) // 2,
                pixels=pixels,
                stamp=float(head[H_STAMP]),
                written=float(head[H_WRITTEN]),
                frame=int(head[H_FRAME]),
                head=(float(head[H_HEAD_H]), float(head[H_HEAD_P]), float(head[H_HEAD_R])),
                gaze=(float(head[H_GAZE_H]), float(head[H_GAZE_P])),
                gaze_off_deg=float(head[H_GAZE_OFF]),
                tangents=(float(head[H_TAN_L]), float(head[H_TAN_R]), float(head[H_TAN_U]), float(head[H_TAN_D])),
                stereo=bool(head[H_STEREO]),
                period_s=float(head[H_PERIOD]),
            )
        return None
