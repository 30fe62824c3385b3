"""The learned policy's input: one fixed-length vector, built the same way live and simulated.

A live session has a ``sensors.types.Features`` per tick; a simulated one has arrays for a
whole batch. Both go through ``encode_arrays`` so the policy never sees a difference in
layout, units or scaling between training and a session. NaN never reaches the network:
a missing feature is 0 with its ``valid`` flag 0, which is how the policy learns what
"unknown" means.

The policy reads ``POLICY_FIELDS``: these plus the session's running peaks of relative
HR, EDA and SCR rate and of SUDS (``SessionMemory``).

Layout (``FIELDS``), every entry roughly in [-3, 3]:

=====  ===========================================================================
0–5    relative features (``Features.NAMES``): HR and tonic EDA as fractions above
       baseline, RMSSD/50 ms, SCRs/10 per min, SCR amplitude µS, breathing/10 per min
6–11   1 where the matching feature is known, else 0
12–14  quality index of heart, EDA, breathing (0–1)
15–17  age of the newest heart, EDA, breathing sample / 10 s, at most 1
18     intensity now           19  level / top level
20     time at this level / 300 s (at most 3)
21     time in session / 1800 s (at most 1.5)
22     last SUDS / 100 (0 if none)       23  1 if a SUDS answer exists
24     age of that answer / 300 s (at most 3)
25     peak SUDS at this level / 100 (0 if none)
26     highest level reached / top level
27     1 while the therapist holds
=====  ===========================================================================
"""

from __future__ import annotations

import math

import numpy as np

from sensors.types import Features

from .types import Observation, Therapist

FIELDS = (
    *(f"rel_{n}" for n in Features.NAMES),
    *(f"valid_{n}" for n in Features.NAMES),
    "quality_heart",
    "quality_eda",
    "quality_resp",
    "age_heart",
    "age_eda",
    "age_resp",
    "intensity",
    "level",
    "time_at_level",
    "time_in_session",
    "suds",
    "has_suds",
    "suds_age",
    "peak_suds_at_level",
    "top_reached",
    "held",
)
SIZE = len(FIELDS)

# What the policy reads: the observation plus what this session has shown so far. The
# peaks let it tell, within a session, a person whose skin conductance never answers (an
# EDA non-responder) or whose heart slows under fear (a decelerator) from a calm one.
MEMORY_FIELDS = ("peak_rel_hr_bpm", "peak_rel_eda_tonic_us", "peak_rel_scr_per_min", "peak_suds")
POLICY_FIELDS = FIELDS + MEMORY_FIELDS
POLICY_SIZE = len(POLICY_FIELDS)
_PEAK_OF = [FIELDS.index(n) for n in ("rel_hr_bpm", "rel_eda_tonic_us", "rel_scr_per_min", "suds")]
_PEAK_VALID = [FIELDS.index(n) for n in ("valid_hr_bpm", "valid_eda_tonic_us", "valid_scr_per_min", "has_suds")]
_SCALE_LIST = (1.0, 1 / 50, 1.0, 1 / 10, 1.0, 1 / 10)
_SCALE = np.array(_SCALE_LIST)
SIGNALS = {"heart": ("ecg", "ppg", "rr"), "eda": ("eda",), "resp": ("resp",)}


def encode_arrays(
    relative: np.ndarray,
    quality: np.ndarray,
    age: np.ndarray,
    *,
    intensity: np.ndarray,
    level: np.ndarray,
    top_level: int,
    time_at_level: np.ndarray,
    time: np.ndarray,
    suds: np.ndarray,
    suds_age: np.ndarray,
    peak_suds: np.ndarray,
    top_reached: np.ndarray,
    held: np.ndarray,
) -> np.ndarray:
    """Observation vectors (n, SIZE), float32, from batch arrays (see the module docstring)."""
    relative = np.atleast_2d(relative)
    n = relative.shape[0]
    out = np.empty((n, SIZE), dtype=np.float32)
    valid = np.isfinite(relative)
    out[:, 0:6] = np.clip(np.where(valid, relative, 0.0) * _SCALE, -3.0, 3.0)
    out[:, 6:12] = valid
    out[:, 12:15] = np.clip(np.nan_to_num(quality, nan=0.0), 0.0, 1.0)
    out[:, 15:18] = np.clip(np.nan_to_num(age, nan=1e9, posinf=1e9) / 10.0, 0.0, 1.0)
    out[:, 18] = np.clip(intensity, 0.0, 1.0)
    out[:, 19] = np.asarray(level) / max(top_level, 1)
    out[:, 20] = np.clip(np.asarray(time_at_level) / 300.0, 0.0, 3.0)
    out[:, 21] = np.clip(np.asarray(time) / 1800.0, 0.0, 1.5)
    suds = np.asarray(suds, dtype=np.float64)
    has = np.isfinite(suds)
    out[:, 22] = np.where(has, np.clip(suds, 0, 100) / 100.0, 0.0)
    out[:, 23] = has
    out[:, 24] = np.where(has, np.clip(np.nan_to_num(suds_age, nan=1e9, posinf=1e9) / 300.0, 0.0, 3.0), 3.0)
    peak = np.asarray(peak_suds, dtype=np.float64)
    out[:, 25] = np.where(np.isfinite(peak), np.clip(peak, 0, 100) / 100.0, 0.0)
    out[:, 26] = np.asarray(top_reached) / max(top_level, 1)
    out[:, 27] = held
    return out


def _clip(x: float, low: float, high: float) -> float:
    return low if x < low else high if x > high else x


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def encode(obs: Observation) -> np.ndarray:
    """The vector of one live observation (SIZE,), float32.

    Plain Python arithmetic: a decision must not pay numpy's per-call overhead a few dozen
    times for one row. It computes exactly what ``encode_arrays`` does (a test compares the
    two on many simulated states, faults included).
    """
    f = obs.features
    out = [0.0] * SIZE
    for j, name in enumerate(Features.NAMES):
        rel = f.relative.get(name, math.nan)
        known = _finite(getattr(f, name)) and _finite(rel)  # NaN absolute: not trustworthy now
        out[j] = _clip(rel * _SCALE_LIST[j], -3.0, 3.0) if known else 0.0
        out[6 + j] = 1.0 if known else 0.0
    for g, names in enumerate(SIGNALS.values()):
        qualities = [f.quality[k].index for k in names if k in f.quality and _finite(f.quality[k].index)]
        ages = [f.age_s[k] for k in names if k in f.age_s and not math.isnan(f.age_s[k])]
        out[12 + g] = _clip(max(qualities), 0.0, 1.0) if qualities else 0.0
        out[15 + g] = _clip(min(ages) / 10.0, 0.0, 1.0) if ages else 1.0
    top = max(len(obs.levels) - 1, 1)
    out[18] = _clip(obs.intensity, 0.0, 1.0) if not math.isnan(obs.intensity) else math.nan
    out[19] = obs.level / top
    out[20] = _clip(obs.time_at_level / 300.0, 0.0, 3.0) if not math.isnan(obs.time_at_level) else math.nan
    out[21] = _clip(obs.time / 1800.0, 0.0, 1.5) if not math.isnan(obs.time) else math.nan
    has = _finite(obs.suds)
    out[22] = _clip(obs.suds, 0.0, 100.0) / 100.0 if has else 0.0
    out[23] = 1.0 if has else 0.0
    age = obs.suds_age if not math.isnan(obs.suds_age) else math.inf
    out[24] = _clip(age / 300.0, 0.0, 3.0) if has else 3.0
    out[25] = _clip(obs.peak_suds_at_level, 0.0, 100.0) / 100.0 if _finite(obs.peak_suds_at_level) else 0.0
    out[26] = obs.top_reached / top
    out[27] = 0.0 if obs.therapist is Therapist.NONE else 1.0
    return np.array(out, dtype=np.float32)


class SessionMemory:
    """Running peaks of encoded observations over each session, for ``n`` sessions.

    ``update`` takes this decision's vectors (n, SIZE) and returns the policy's input
    (n, POLICY_SIZE); call it once per decision, and ``reset`` rows when their session
    restarts. The same class serves a live session (``PolicyController``, n = 1) and
    training (``ExposureCore``), so both compute the peaks identically.
    """

    def __init__(self, n: int = 1):
        self.peaks = np.zeros((n, len(MEMORY_FIELDS)), np.float32)

    def reset(self, rows: np.ndarray | None = None) -> None:
        if rows is None:
            self.peaks[:] = 0.0
        else:
            self.peaks[rows] = 0.0

    def update(self, vectors: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(vectors, np.float32))
        seen = np.where(x[:, _PEAK_VALID] > 0, x[:, _PEAK_OF], 0.0)
        np.maximum(self.peaks, seen, out=self.peaks)
        return np.concatenate([x, self.peaks], axis=1)
