"""Where the patient's head is, for displays that do not track one themselves.

A real headset reports the head (``openxr``). ``hmd-sim`` and the desktop displays take it
from a ``HeadSource``: ``StillHead`` (a screen: the patient faces it), ``ScriptedHead`` (a
seated person looking around, for CI and demos), ``RecordedHead`` (a trajectory from a CSV
file, replayed exactly) or, in ``vrex demo``, the simulated patient's own head, which the
control side puts in the frame share (``render_process``).

Poses are relative to the rig (where the scenario puts the patient), in Panda3D's axes:
x right, y forward, z up, in metres, then heading (turning left is positive), pitch (up is
positive) and roll, in degrees — the channels of the ``vrex-headpose`` stream.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from engine.errors import VrexError


class HeadPose(NamedTuple):
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    heading: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


class HeadSource(Protocol):
    def pose(self, t: float) -> HeadPose:
        """The head at session time ``t`` (seconds)."""


class StillHead:
    def pose(self, t: float) -> HeadPose:
        return HeadPose()


class ScriptedHead:
    """A seated person looking around: slow, smooth turns (under 25°/s, well inside what
    people do on their own) of up to ±40° heading and ±15° pitch, and a little sway."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self._phase = rng.uniform(0, 2 * math.pi, size=6)

    def pose(self, t: float) -> HeadPose:
        p = self._phase
        heading = 28.0 * math.sin(0.21 * t + p[0]) + 12.0 * math.sin(0.47 * t + p[1])
        pitch = 10.0 * math.sin(0.17 * t + p[2]) + 5.0 * math.sin(0.39 * t + p[3])
        return HeadPose(0.01 * math.sin(0.3 * t + p[4]), 0.01 * math.sin(0.23 * t + p[5]), 0.0, heading, pitch, 0.0)


class RecordedHead:
    """A head trajectory from a CSV file with the header ``t,x,y,z,heading,pitch,roll``
    (seconds, metres, degrees), interpolated linearly (heading across ±180° the short way);
    held at its first and last rows outside them."""

    COLUMNS = ("t", "x", "y", "z", "heading", "pitch", "roll")

    def __init__(self, path: Path):
        path = Path(path)
        try:
            with path.open(newline="") as f:
                rows = list(csv.reader(f))
        except OSError as exc:
            raise VrexError(f"{path}: cannot read the head trajectory ({exc.strerror})") from exc
        except (UnicodeDecodeError, csv.Error) as exc:
            raise VrexError(
                f"{path}: not a head trajectory (a UTF-8 CSV text file with the header "
                f"'{','.join(self.COLUMNS)}' is needed; {exc})"
            ) from None
        if not rows or tuple(c.strip() for c in rows[0]) != self.COLUMNS:
            raise VrexError(
                f"{path}:1: a head trajectory starts with the header line "
                f"'{','.join(self.COLUMNS)}' — found '{','.join(rows[0]) if rows else ''}'"
            )
        data = []
        for line, row in enumerate(rows[1:], start=2):
            try:
                values = [float(v) for v in row]
            except ValueError:
                raise VrexError(
                    f"{path}:{line}: '{','.join(row)}' is not seven numbers ({','.join(self.COLUMNS)})"
                ) from None
            if len(values) != 7 or not all(math.isfinite(v) for v in values):
                raise VrexError(
                    f"{path}:{line}: expected seven finite numbers ({','.join(self.COLUMNS)}), found '{','.join(row)}'"
                )
            if data and values[0] <= data[-1][0]:
                raise VrexError(
                    f"{path}:{line}: time {values[0]:g} s does not come after {data[-1][0]:g} s — "
                    "rows must be in increasing time"
                )
            data.append(values)
        if not data:
            raise VrexError(f"{path}: the head trajectory has no rows after its header")
        a = np.array(data)
        a[:, 4] = np.degrees(np.unwrap(np.radians(a[:, 4])))  # interpolate heading the short way
        self._t, self._v = a[:, 0], a[:, 1:]

    def pose(self, t: float) -> HeadPose:
        v = [float(np.interp(t, self._t, self._v[:, i])) for i in range(6)]
        v[3] = (v[3] + 180.0) % 360.0 - 180.0
        return HeadPose(*v)


def head_source(spec: str | None, seed: int = 0) -> HeadSource:
    """``None`` or ``still``; ``look-around`` (scripted); or a CSV file's path."""
    if spec in (None, "", "still"):
        return StillHead()
    if spec == "look-around":
        return ScriptedHead(seed)
    return RecordedHead(Path(spec))


def forward(heading: float, pitch: float) -> np.ndarray:
    """The unit vector a head with this heading and pitch (deg) looks along (x right, y forward, z up)."""
    h, p = math.radians(heading), math.radians(pitch)
    return np.array([-math.sin(h) * math.cos(p), math.cos(h) * math.cos(p), math.sin(p)])


def angle_deg(heading: float, pitch: float, to_heading: float, to_pitch: float) -> float:
    """The 3-D angle between two looking directions, in degrees (roll does not move the gaze)."""
    c = float(np.dot(forward(heading, pitch), forward(to_heading, to_pitch)))
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))
