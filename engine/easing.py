"""Eases the shown intensity toward its target so that the patient never sees a jump.

Every frame the shown intensity moves toward the target with a bounded rate and a bounded
change of rate (a trapezoidal profile: it starts and stops softly), and the step is shrunk
further if it would move or turn the viewpoint faster than the scenario's comfort limits:
abrupt vection is what makes people sick in VR (docs/clinical.md, "What the software
must never do").

"Calm now" cannot wait for a slow ramp, and cannot jump either, so it blinks: a veil in the
calm colour covers the view within half of ``calm.fade_seconds``, the intensity is set to
the calm value while nothing is visible, and the veil lifts again. Pure Python; no Panda3D.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from engine.scenario.spec import Calm, Comfort

Pose = tuple[tuple[float, float, float], tuple[float, ...]]  # position; angles incl. fov
PoseAt = Callable[[float], Pose]


@dataclass(frozen=True)
class Frame:
    intensity: float  # what the scene shows this frame
    veil: float  # 0 clear … 1 the calm colour covers everything
    calming: bool  # a calm blink is in progress


def _turn(a: Pose, b: Pose) -> float:
    return max(abs((y - x + 180.0) % 360.0 - 180.0) for x, y in zip(a[1], b[1]))


def _move(a: Pose, b: Pose) -> float:
    return math.dist(a[0], b[0])


class IntensityDriver:
    def __init__(self, comfort: Comfort, calm: Calm, start: float = 0.0):
        self.comfort = comfort
        self.calm = calm
        self.intensity = self.target = min(1.0, max(0.0, start))
        self.rate = 0.0  # current d(intensity)/dt, 1/s
        self.veil = 0.0
        self._blink: str | None = None  # None, "out" (veil closing), "covered" (one frame) or "in" (opening)

    @property
    def calming(self) -> bool:
        return self._blink is not None

    def set_target(self, target: float) -> bool:
        """Ask for a new intensity; refused (False) while a calm blink runs."""
        if self._blink is not None:
            return False
        self.target = min(1.0, max(0.0, float(target)))
        return True

    def jump_to(self, intensity: float) -> None:
        """Show ``intensity`` at once, without easing: for previews and benchmarks, never
        while a patient is watching."""
        self.intensity = self.target = min(1.0, max(0.0, float(intensity)))
        self.rate = 0.0

    def calm_now(self) -> None:
        """Go to the calm state at once: the veil starts closing on the next frame."""
        self.target = self.calm.intensity
        if self._blink is None and (self.intensity != self.calm.intensity or self.veil > 0):
            self._blink = "out"

    def cover(self) -> None:
        """Calm, fully covered, now: for a stop that had to wait (a stalled frame thread),
        whose fade would otherwise start only after the time it should have ended."""
        self.veil = 1.0
        self.intensity = self.target = self.calm.intensity
        self.rate = 0.0
        self._blink = "covered"  # the next frame is drawn fully covered, then the veil lifts

    def step(self, dt: float, pose_at: PoseAt | None = None) -> Frame:
        """Advance by ``dt`` seconds. ``pose_at(i)`` gives the viewpoint pose at intensity i."""
        if dt <= 0:
            return Frame(self.intensity, self.veil, self.calming)
        half = self.calm.fade_seconds / 2
        if self._blink == "covered":
            self._blink = "in"
            return Frame(self.intensity, self.veil, True)
        if self._blink == "out":
            self.veil = min(1.0, self.veil + dt / half)
            if self.veil >= 1.0:
                # Nothing is visible now: the jump to calm cannot be seen or felt.
                self.intensity = self.target = self.calm.intensity
                self.rate = 0.0
                self._blink = "in"
                return Frame(self.intensity, self.veil, True)
        elif self._blink == "in":
            self.veil = max(0.0, self.veil - dt / half)
            if self.veil <= 0.0:
                self._blink = None
            return Frame(self.intensity, self.veil, self._blink is not None)
        self._ease(dt, pose_at)
        return Frame(self.intensity, self.veil, self.calming)

    def _ease(self, dt: float, pose_at: PoseAt | None) -> None:
        c = self.comfort
        error = self.target - self.intensity
        if error == 0.0 and self.rate == 0.0:
            return
        # Fastest speed from which we can still stop at the target, decelerating by
        # accel × dt each frame: n frames of braking cover accel × dt² × n(n+1)/2.
        a_dt = c.max_intensity_accel * dt
        brake = a_dt * (math.sqrt(0.25 + 2 * abs(error) / (a_dt * dt)) - 0.5)
        wanted = math.copysign(min(c.max_intensity_rate, brake), error)
        rate = min(self.rate + c.max_intensity_accel * dt, max(self.rate - c.max_intensity_accel * dt, wanted))
        step = rate * dt
        if (error > 0 and step >= error) or (error < 0 and step <= error) or abs(error) < 1e-9:
            step, rate = error, 0.0
        step = self._comfortable(step, dt, pose_at)
        if step != rate * dt and rate != 0.0:
            rate = step / dt
        self.intensity = min(1.0, max(0.0, self.intensity + step))
        self.rate = rate

    def _comfortable(self, step: float, dt: float, pose_at: PoseAt | None) -> float:
        """Shrink ``step`` until the viewpoint moves and turns within the comfort limits."""
        if pose_at is None or step == 0.0:
            return step
        here = pose_at(self.intensity)  # same motion time as the candidate below
        max_move = self.comfort.max_camera_speed * dt
        max_turn = self.comfort.max_camera_turn_rate * dt
        for _ in range(8):
            there = pose_at(self.intensity + step)
            move, turn = _move(here, there), _turn(here, there)
            if move <= max_move * 1.0001 and turn <= max_turn * 1.0001:
                return step
            shrink = min(max_move / move if move > 0 else 1.0, max_turn / turn if turn > 0 else 1.0)
            step *= min(0.999 * shrink, 0.9)
        return 0.0  # still too fast: hold still this frame
