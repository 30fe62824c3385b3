"""Is this machine keeping up with the session clock?

Session time runs ``speed`` times faster than the wall clock in a demo, so a frame that
takes 150 ms of wall time at ``--speed 20`` is 3 s of session time: every sensor sample
then looks seconds old, the shield rightly holds or ramps down on a "stale" heart, and the
demo shows a loop that does not work. A real session (speed 1) with frames a second apart
has a stuttering scene and reads physiology late. Either way the therapist, or the person
running the demo, must be told why, and what to do, rather than guess from odd decisions.
"""

from __future__ import annotations

import math

LATE_GAP_S = 1.0  # session seconds between frames: one control tick (core.Plan.tick_s)
LATE_FRAMES = 5  # this many late frames in a row: behind (one slow frame is not)
ON_PACE_FRAMES = 50  # this many on-time frames in a row: caught up again


class PaceWatch:
    """Fed every frame's gap (session seconds since the previous frame); ``frame`` returns
    a sentence when the session falls behind or catches up again, else ""."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.behind = False
        self._late = self._on_time = 0
        self._late_s = 0.0  # session seconds the current run of late frames spans

    def frame(self, gap_s: float) -> str:
        if not math.isfinite(gap_s):
            return ""
        if gap_s > LATE_GAP_S:
            self._late, self._on_time = self._late + 1, 0
            self._late_s += gap_s
        else:
            self._late, self._on_time, self._late_s = 0, self._on_time + 1, 0.0
        if not self.behind and self._late >= LATE_FRAMES:
            self.behind = True
            return self._advice(self._late_s / self._late)  # the run's mean gap: one slow first frame
            # (after set-up) does not set the advice alone
        if self.behind and self._on_time >= ON_PACE_FRAMES:
            self.behind = False
            return "frames are on time again"
        return ""

    def _advice(self, gap_s: float) -> str:
        wall_ms = gap_s / self.speed * 1000.0
        if self.speed > 1.0:
            slower = max(1, math.floor(self.speed * LATE_GAP_S / gap_s / 2.0))
            return (
                f"this machine is not keeping up with --speed {self.speed:g}: frames are {wall_ms:.0f} ms "
                f"apart, {gap_s:.1f} s of session time, so sensor data arrives late and may be judged "
                f"stale; run with a lower --speed (e.g. {slower})"
            )
        return (
            f"frames are {gap_s:.1f} s apart: the scene stutters and physiology is read late; "
            "close other programs, or use a smaller window or a lighter renderer"
        )
