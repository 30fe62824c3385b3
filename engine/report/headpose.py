"""Where the patient's head pointed during exposure: a heat map of heading × pitch.

From the recording's ``vrex-headpose`` stream (docs/session-format.md: the head the display
drew, heading and pitch in degrees relative to where the scene puts the patient, + left and
+ up). The stream has one sample per frame, so counting samples would weigh a stretch by
its frame rate (a stall counts nothing, a fast renderer counts double); instead the head is
**sampled at a fixed rate of session time**, every ``SAMPLE_S`` (0.3 s, as Psious does),
taking the newest sample at or before each instant, and an instant whose newest sample is
older than ``MAX_HOLD_S`` (frames stalled, or none recorded) counts as unknown, not as
where the head last was. Only the exposure windows count.

The gaze target (where the patient is asked to look, the same reference ``looked_away`` is
measured from) is marked when it is known: straight ahead on a screen, whose view the
scenario itself turns; the scenario's viewpoint ``look`` in a headset, read from the
scenario file if it is still the one the session ran (same SHA-256). A session whose head
never moved (a desktop, a recording made before head tracking) has no heat map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

STREAM = "vrex-headpose"
SAMPLE_S = 0.3  # one head direction every 0.3 s of session time
MAX_HOLD_S = 1.0  # a newest sample older than this: the head is unknown at that instant
BIN_DEG = 5.0  # the heat map's cells: 5° × 5°
STILL_DEG = 0.5  # a head whose heading and pitch never spread more than this did not move
LOOK_AWAY_DEG = 30.0  # as engine/session/stages.py: further than this from the target is looking away
STEREO = ("hmd-sim", "openxr")


@dataclass(frozen=True)
class HeadTrack:
    """The recorded head, on session time (seconds)."""

    t: np.ndarray
    heading: np.ndarray
    pitch: np.ndarray

    @property
    def moved(self) -> bool:
        return len(self.t) > 1 and bool(np.ptp(self.heading) > STILL_DEG or np.ptp(self.pitch) > STILL_DEG)


@dataclass(frozen=True)
class HeatMap:
    counts: np.ndarray  # (heading bins, pitch bins): samples in each cell
    heading_edges: np.ndarray  # degrees, -180 .. 180
    pitch_edges: np.ndarray  # degrees, -90 .. 90
    period_s: float  # each sample stands for this many seconds
    target: tuple[float, float] | None
    target_source: str  # how the target was found, or why it is unknown
    near_target: int | None  # samples within LOOK_AWAY_DEG of the target (None: no target)
    heading: np.ndarray  # the samples themselves (for the figure's extent)
    pitch: np.ndarray

    @property
    def samples(self) -> int:
        return int(self.counts.sum())

    @property
    def seconds(self) -> np.ndarray:
        return self.counts * self.period_s


def track(stamps: np.ndarray, values: np.ndarray, events: list[dict[str, Any]]) -> HeadTrack | None:
    """The head-pose stream's samples (LSL stamps; x, y, z, heading, pitch, roll) on session
    time, through the events' own pairs of ``lsl`` and ``t`` (the same time base); None when
    there is nothing to place."""
    offsets = [
        float(e["lsl"]) - float(e["t"])
        for e in events
        if isinstance(e.get("lsl"), (int, float)) and isinstance(e.get("t"), (int, float))
    ]
    values = np.asarray(values, float)
    if not offsets or values.ndim != 2 or values.shape[1] < 5 or not len(values):
        return None
    t = np.asarray(stamps, float) - float(np.median(offsets))
    order = np.argsort(t, kind="stable")
    ok = np.isfinite(t[order]) & np.isfinite(values[order, 3]) & np.isfinite(values[order, 4])
    order = order[ok]
    return HeadTrack(t[order], values[order, 3], values[order, 4])


def sample(
    head: HeadTrack, windows: Iterable[Any], period: float = SAMPLE_S, max_hold: float = MAX_HOLD_S
) -> tuple[np.ndarray, np.ndarray]:
    """(headings, pitches) at every ``period`` seconds of each window (objects with ``start``
    and ``end``), leaving out the instants with no sample in the ``max_hold`` before them."""
    # start + k·period for every k with an instant before the window's end (np.arange's float
    # step can add an instant at the end itself)
    times = np.concatenate(
        [w.start + period * np.arange(max(0, math.ceil((w.end - w.start) / period - 1e-9))) for w in windows]
        or [np.empty(0)]
    )
    if not len(times) or not len(head.t):
        return np.empty(0), np.empty(0)
    idx = np.searchsorted(head.t, times, side="right") - 1
    held = np.where(idx >= 0, times - head.t[np.maximum(idx, 0)], np.inf)  # how old the newest sample is
    ok = held <= max_hold
    heading = (head.heading[idx[ok]] + 180.0) % 360.0 - 180.0
    return heading, head.pitch[idx[ok]]


def angle_from(heading: np.ndarray, pitch: np.ndarray, target: tuple[float, float]) -> np.ndarray:
    """The 3-D angle (deg) between each direction and the target's (as the session measures it)."""

    def unit(h: np.ndarray, p: np.ndarray) -> np.ndarray:
        h, p = np.radians(h), np.radians(p)
        return np.stack([-np.sin(h) * np.cos(p), np.cos(h) * np.cos(p), np.sin(p)], axis=-1)

    to = unit(np.float64(target[0]), np.float64(target[1]))
    return np.degrees(np.arccos(np.clip(unit(np.asarray(heading), np.asarray(pitch)) @ to, -1.0, 1.0)))


def heat_map(
    head: HeadTrack | None,
    windows: Iterable[Any],
    target: tuple[float, float] | None = None,
    target_source: str = "",
    period: float = SAMPLE_S,
    bin_deg: float = BIN_DEG,
) -> HeatMap | None:
    """The heat map over ``windows``; None when the head never moved or nothing was sampled."""
    if head is None or not head.moved:
        return None
    heading, pitch = sample(head, windows, period)
    if not len(heading):
        return None
    h_edges = np.arange(-180.0, 180.0 + bin_deg / 2, bin_deg)
    p_edges = np.arange(-90.0, 90.0 + bin_deg / 2, bin_deg)
    counts, _, _ = np.histogram2d(heading, np.clip(pitch, -90.0, 90.0), bins=[h_edges, p_edges])
    near = int((angle_from(heading, pitch, target) <= LOOK_AWAY_DEG).sum()) if target is not None else None
    return HeatMap(counts.astype(int), h_edges, p_edges, period, target, target_source, near, heading, pitch)


def gaze_target(meta: dict[str, Any]) -> tuple[tuple[float, float] | None, str]:
    """Where the patient was asked to look, relative to what the head-pose stream is
    relative to, and how that is known (or why not)."""
    display = meta.get("display") if isinstance(meta.get("display"), dict) else {}
    if display.get("kind") not in STEREO:
        # a screen (and every session recorded before headsets): the camera hangs under the
        # scenario's own eye, which the scenario turns toward what to look at
        return (0.0, 0.0), "straight ahead: on a screen the scenario turns the view itself"
    scenario = meta.get("scenario") if isinstance(meta.get("scenario"), dict) else {}
    path = Path(str(scenario.get("file") or ""))
    if not scenario.get("file") or not path.is_file():
        return None, f"unknown: the scenario file {path} is not on this machine"
    try:
        from engine.scenario import load_scenario
        from engine.session.folder import file_sha256

        if scenario.get("sha256") and file_sha256(path) != scenario["sha256"]:
            return None, f"unknown: {path} has changed since the session (its SHA-256 differs)"
        look = load_scenario(path).viewpoint.look
    except Exception as exc:  # noqa: BLE001 — the report goes on without the target
        return None, f"unknown: {path} could not be read ({type(exc).__name__}: {exc})"
    return (float(look[0]), float(look[1])), f"the scenario's gaze target (its viewpoint's look, {path.name})"


def fraction_near(heat: HeatMap) -> float | None:
    """The share of sampled exposure time within ``LOOK_AWAY_DEG`` of the target."""
    if heat.near_target is None or not heat.samples:
        return None
    return heat.near_target / heat.samples


def extent(heat: HeatMap, margin: float = 15.0) -> tuple[float, float, float, float]:
    """Heading and pitch limits (deg) that hold the samples and the looking-away circle around
    the target, with a margin."""
    r = LOOK_AWAY_DEG
    hs = list(heat.heading) + ([heat.target[0] - r, heat.target[0] + r] if heat.target else [])
    ps = list(heat.pitch) + ([heat.target[1] - r, heat.target[1] + r] if heat.target else [])
    lo_h, hi_h = max(-180.0, min(hs) - margin), min(180.0, max(hs) + margin)
    lo_p, hi_p = max(-90.0, min(ps) - margin), min(90.0, max(ps) + margin)
    return math.floor(lo_h), math.ceil(hi_h), math.floor(lo_p), math.ceil(hi_p)
