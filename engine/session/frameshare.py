"""What the control side and the frame thread tell each other, without sharing a lock.

The frame thread (in its own process in a real session, see ``render_process.py``) must
never wait for the control side, and the control side must go on when the frame thread is
stuck (even holding its process's GIL). So they share one small block of float64 numbers
and nothing else:

- **control → frame** (``ControlSnapshot``): the target intensity, a counter that goes up
  at every "calm now" with the time it was asked, whether the SUDS question is shown,
  whether to quit, and the control side's heartbeat. Written under a sequence lock (odd
  while writing), so the frame thread reads all fields of one snapshot or retries.
- **frame → control** (``FrameReport``): the frame thread's heartbeat, frame count, what
  it shows (intensity, veil, calm blink), the head pose, the calm counter it has applied;
  the count of its generation-2 garbage collections; and a ring of the last ``RING`` frames
  (LSL stamp, work milliseconds, shown intensity, veil, the frame stage's own overhead),
  from which the control side sends ``vrex-frames`` and ``vrex-intensity`` with the frame
  thread's own stamps.

The block is a plain numpy array in one process (tests, ``InlineFrames``) or a
``multiprocessing.shared_memory`` block between two. Each number is one aligned 8-byte
store, which x86-64 and ARM64 make atomic; the ring's count is written after its entry.
Heartbeats are ``time.monotonic()``, the same clock in every process of one machine.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

import numpy as np

from engine.session.sharedblock import Buffer, SharedBlock

Six = tuple[float, float, float, float, float, float]  # a pose: x, y, z, heading, pitch, roll

CONTROL_LOST_S = 3.0  # no word from the control side this long: nobody watches the body, the frame thread goes calm
RING = 1024  # frames kept for the control side: > 10 s at 90 Hz
RING_FIELDS = 14  # LSL stamp, work ms, shown intensity, veil, overhead ms (work outside scene and render),
# the clock start the stamp was made on (set-up's frames are on an older one), then
# the head drawn: its LSL stamp (the time it was placed for), x, y, z, heading, pitch,
# roll, and its angle (deg) from where the patient is asked to look (the gaze target)

# control -> frame
C_SEQ, C_TARGET, C_CALM_N, C_CALM_AT, C_PROMPT, C_QUIT, C_BEAT, C_CLOCK_START, C_SPEED = range(9)
C_HEAD = 9  # a demo's simulated head (x, y, z, heading, pitch, roll): 9..14
C_RECENTRE_N = 15  # "recentre" requests so far
# frame -> control
F_BEAT, F_FRAMES, F_INTENSITY, F_VEIL, F_CALMING, F_CALM_SEEN, F_STATE, F_GC2 = range(16, 24)
F_POSE = 24  # x, y, z, heading, pitch, roll: 24..29
F_RING_N = 31
RING_AT = 32
SIZE = RING_AT + RING * RING_FIELDS

STARTING, RUNNING, CLOSED, FAILED = 0.0, 1.0, 2.0, 3.0


@dataclass(frozen=True)
class ControlSnapshot:
    target: float
    calm_n: int  # "calm now" requests so far: a new value means blink to calm
    calm_at: float  # monotonic time of the newest one
    prompt: bool  # the SUDS question is open
    quit: bool
    beat: float  # monotonic time the control side last went round its loop
    clock_start: float  # the session clock (LSL time base, ``speed``× in a demo)
    speed: float
    head: tuple[float, float, float, float, float, float] = (0.0,) * 6  # a demo's simulated head (not locked)
    recentre_n: int = 0  # "recentre" requests so far: a new value turns a headset's seat


@dataclass(frozen=True)
class FrameReport:
    beat: float  # monotonic time the frame thread last finished a frame (0: none yet)
    frames: int
    intensity: float
    veil: float
    calming: bool
    calm_seen: int
    state: float
    pose: tuple[float, float, float, float, float, float]
    gc2: int  # generation-2 collections in the frame thread's process since set-up


class FrameShare(SharedBlock):
    """The shared block. ``FrameShare()`` is private to this process; ``FrameShare.create()``
    and ``FrameShare.attach(name)`` share it with another process."""

    BYTES = SIZE * 8

    def _views(self, buffer: Buffer) -> None:
        self._last: ControlSnapshot | None = None
        self.a = np.ndarray((SIZE,), np.float64, buffer=buffer)
        self._ring = self.a[RING_AT:].reshape(RING, RING_FIELDS)

    def _drop_views(self) -> None:
        self._ring = self.a = None  # type: ignore[assignment]  # closed: a later use fails at once

    # -- control side ------------------------------------------------------------------

    def publish(self, target: float, calm_n: int, calm_at: float, prompt: bool, recentre_n: int = 0) -> None:
        a = self.a
        a[C_SEQ] += 1.0  # odd: being written
        a[C_TARGET], a[C_CALM_N], a[C_CALM_AT], a[C_PROMPT] = target, calm_n, calm_at, float(prompt)
        a[C_RECENTRE_N] = recentre_n
        a[C_SEQ] += 1.0
        a[C_BEAT] = time.monotonic()

    def publish_head(self, pose: tuple[float, ...]) -> None:
        """A demo's simulated head, for the renderer to draw from (``SharedHead``). Written
        outside the sequence lock: a head half from one step and half from the next is
        harmless, while every write under the lock is a moment in which the renderer falls
        back to its previous snapshot (which may predate a STOP)."""
        self.a[C_HEAD : C_HEAD + 6] = pose

    def control_beat(self) -> None:
        self.a[C_BEAT] = time.monotonic()

    def set_clock(self, start: float, speed: float) -> None:
        self.a[C_CLOCK_START], self.a[C_SPEED] = start, speed

    def ask_quit(self) -> None:
        self.a[C_QUIT] = 1.0

    def report(self) -> FrameReport:
        a = self.a
        return FrameReport(
            beat=float(a[F_BEAT]),
            frames=int(a[F_FRAMES]),
            intensity=float(a[F_INTENSITY]),
            veil=float(a[F_VEIL]),
            calming=bool(a[F_CALMING]),
            calm_seen=int(a[F_CALM_SEEN]),
            state=float(a[F_STATE]),
            pose=cast(Six, tuple(float(v) for v in a[F_POSE : F_POSE + 6])),
            gc2=int(a[F_GC2]),
        )

    def frames_since(self, n: int) -> tuple[int, np.ndarray, int]:
        """Frames after the ``n``-th: (new count, rows of ``RING_FIELDS``, rows lost)."""
        end = int(self.a[F_RING_N])
        start = max(n, end - RING)
        idx = np.arange(start, end) % RING
        return end, self._ring[idx].copy(), start - n

    # -- frame side --------------------------------------------------------------------

    def snapshot(self) -> ControlSnapshot:
        """The control side's latest whole snapshot. If the writer is caught mid-write (its
        thread can be preempted between the two halves), the previous whole one: the frame
        thread never waits, and sees the new one at its next frame."""
        a = self.a
        for _ in range(64):
            seq = a[C_SEQ]
            if seq % 2.0 == 0.0:
                snap = ControlSnapshot(
                    float(a[C_TARGET]),
                    int(a[C_CALM_N]),
                    float(a[C_CALM_AT]),
                    bool(a[C_PROMPT]),
                    bool(a[C_QUIT]),
                    float(a[C_BEAT]),
                    float(a[C_CLOCK_START]),
                    float(a[C_SPEED]),
                    cast(Six, tuple(float(v) for v in a[C_HEAD : C_HEAD + 6])),
                    int(a[C_RECENTRE_N]),
                )
                if a[C_SEQ] == seq:
                    self._last = snap
                    return snap
        if self._last is None:  # the very first read, mid-write: wait for the writer
            time.sleep(0.001)
            return self.snapshot()
        return self._last

    def frame_done(
        self,
        stamp: float,
        work_ms: float,
        intensity: float,
        veil: float,
        calming: bool,
        calm_seen: int,
        pose: tuple[float, ...] | None = None,
        overhead_ms: float = 0.0,
        clock_start: float = 0.0,
        pose_stamp: float = math.nan,
        gaze_off_deg: float = math.nan,
    ) -> None:
        a = self.a
        n = int(a[F_RING_N])
        head = pose if pose is not None else (math.nan,) * 6
        self._ring[n % RING] = (
            stamp,
            work_ms,
            intensity,
            veil,
            overhead_ms,
            clock_start,
            pose_stamp,
            *head,
            gaze_off_deg,
        )
        a[F_RING_N] = n + 1  # after the entry: a reader never sees a half-written row
        a[F_INTENSITY], a[F_VEIL], a[F_CALMING], a[F_CALM_SEEN] = intensity, veil, float(calming), calm_seen
        if pose is not None:
            a[F_POSE : F_POSE + 6] = pose
        a[F_FRAMES] += 1.0
        a[F_BEAT] = time.monotonic()

    def set_state(self, state: float) -> None:
        self.a[F_STATE] = state

    def count_gc2(self, phase: str, info: dict) -> None:
        """A ``gc.callbacks`` entry: counts generation-2 collections in this process."""
        if phase == "stop" and info.get("generation") == 2 and self.a is not None:
            self.a[F_GC2] += 1.0


def age(beat: float, now: float | None = None) -> float:
    """Seconds since a heartbeat; infinite when there has been none."""
    return math.inf if beat <= 0.0 else (time.monotonic() if now is None else now) - beat
