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
28     resting HR: (bpm − 70) / 20 (0 if unknown)
29     resting tonic EDA / 10 µS (0 if unknown)
30     baseline-phase SUDS / 100 (0 if none)  31  1 if a baseline SUDS exists
32     share of the last ~30 s looking away from the feared stimulus (0 if unknown)
=====  ===========================================================================

``SessionMemory`` adds (``MEMORY_FIELDS``): the session's peaks of relative HR, EDA, SCR
rate and SUDS; 1 if the shield changed the policy's last proposal, and the share of this
session's decisions it changed; the time spent aroused at this level / 300 s (at most 3).
Last (``SHIELD_FIELDS``): 1 when the shield would hold a raise proposed now
(``Observation.raise_held``).
The fields of the policy format 1 (``V1_POLICY_FIELDS``) are a subset: a policy reads the
columns it was trained on, by name (``adaptation.policy``).
"""

from __future__ import annotations

import math

import numpy as np

from sensors.types import Features
from vrexbase.real import is_finite

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
    "rest_hr",
    "rest_eda",
    "baseline_suds",
    "has_baseline_suds",
    "avoidance",
)
SIZE = len(FIELDS)
V1_FIELDS = FIELDS[:28]  # the layout of policy format 1 (before the fields above rest_hr)

# What the policy reads: the observation plus what this session has shown so far. The
# peaks let it tell, within a session, a person whose skin conductance never answers (an
# EDA non-responder) or whose heart slows under fear (a decelerator) from a calm one.
# The shield's interventions are visible to the policy (a policy that fights its shield can
# learn that it does), and so is how long fear has lasted at this level (habituation needs
# time at tolerable fear; fear that does not fall is a reason to step down).
V1_MEMORY_FIELDS = ("peak_rel_hr_bpm", "peak_rel_eda_tonic_us", "peak_rel_scr_per_min", "peak_suds")
MEMORY_FIELDS = (*V1_MEMORY_FIELDS, "shield_changed_last", "shield_share", "aroused_at_level")
# What the shield says before the policy acts: 1 when it would hold a raise proposed now
# (``Observation.raise_held``; the policy's "up" then stays, as invalid-action masking does).
SHIELD_FIELDS = ("raise_held",)
POLICY_FIELDS = FIELDS + MEMORY_FIELDS + SHIELD_FIELDS
POLICY_SIZE = len(POLICY_FIELDS)
V1_POLICY_FIELDS = V1_FIELDS + V1_MEMORY_FIELDS
# aroused: a SUDS answer of 50 or more, or HR 15 % / tonic EDA 20 % above baseline
_AROUSED_SUDS, _AROUSED_HR, _AROUSED_EDA = 0.5, 0.15, 0.2
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
    rest_hr: np.ndarray | float = math.nan,
    rest_eda: np.ndarray | float = math.nan,
    baseline_suds: np.ndarray | float = math.nan,
    avoidance: np.ndarray | float = math.nan,
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
    hr = np.asarray(rest_hr, dtype=np.float64)
    out[:, 28] = np.where(np.isfinite(hr), np.clip((np.nan_to_num(hr) - 70.0) / 20.0, -3.0, 3.0), 0.0)
    eda = np.asarray(rest_eda, dtype=np.float64)
    out[:, 29] = np.where(np.isfinite(eda), np.clip(np.nan_to_num(eda) / 10.0, 0.0, 3.0), 0.0)
    bs = np.asarray(baseline_suds, dtype=np.float64)
    out[:, 30] = np.where(np.isfinite(bs), np.clip(np.nan_to_num(bs), 0, 100) / 100.0, 0.0)
    out[:, 31] = np.isfinite(bs)
    av = np.asarray(avoidance, dtype=np.float64)
    out[:, 32] = np.where(np.isfinite(av), np.clip(np.nan_to_num(av), 0.0, 1.0), 0.0)
    return out


def _clip(x: float, low: float, high: float) -> float:
    return low if x < low else high if x > high else x


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
        known = is_finite(getattr(f, name)) and is_finite(rel)  # NaN absolute: not trustworthy now
        out[j] = _clip(rel * _SCALE_LIST[j], -3.0, 3.0) if known else 0.0
        out[6 + j] = 1.0 if known else 0.0
    for g, names in enumerate(SIGNALS.values()):
        qualities = [f.quality[k].index for k in names if k in f.quality and is_finite(f.quality[k].index)]
        ages = [f.age_s[k] for k in names if k in f.age_s and not math.isnan(f.age_s[k])]
        out[12 + g] = _clip(max(qualities), 0.0, 1.0) if qualities else 0.0
        out[15 + g] = _clip(min(ages) / 10.0, 0.0, 1.0) if ages else 1.0
    top = max(len(obs.levels) - 1, 1)
    out[18] = _clip(obs.intensity, 0.0, 1.0) if not math.isnan(obs.intensity) else math.nan
    out[19] = obs.level / top
    out[20] = _clip(obs.time_at_level / 300.0, 0.0, 3.0) if not math.isnan(obs.time_at_level) else math.nan
    out[21] = _clip(obs.time / 1800.0, 0.0, 1.5) if not math.isnan(obs.time) else math.nan
    has = is_finite(obs.suds)
    out[22] = _clip(obs.suds, 0.0, 100.0) / 100.0 if has else 0.0
    out[23] = 1.0 if has else 0.0
    age = obs.suds_age if not math.isnan(obs.suds_age) else math.inf
    out[24] = _clip(age / 300.0, 0.0, 3.0) if has else 3.0
    out[25] = _clip(obs.peak_suds_at_level, 0.0, 100.0) / 100.0 if is_finite(obs.peak_suds_at_level) else 0.0
    out[26] = obs.top_reached / top
    out[27] = 0.0 if obs.therapist is Therapist.CLEAR else 1.0
    out[28] = _clip((obs.rest_hr_bpm - 70.0) / 20.0, -3.0, 3.0) if is_finite(obs.rest_hr_bpm) else 0.0
    out[29] = _clip(obs.rest_eda_us / 10.0, 0.0, 3.0) if is_finite(obs.rest_eda_us) else 0.0
    has_base = is_finite(obs.baseline_suds)
    out[30] = _clip(obs.baseline_suds, 0.0, 100.0) / 100.0 if has_base else 0.0
    out[31] = 1.0 if has_base else 0.0
    out[32] = _clip(obs.avoidance, 0.0, 1.0) if is_finite(obs.avoidance) else 0.0
    return np.array(out, dtype=np.float32)


class SessionMemory:
    """What this session has shown so far, for ``n`` sessions: the running peaks of encoded
    observations, the shield's changes to the policy's proposals, time aroused at this level.

    ``update`` takes this decision's vectors (n, SIZE) and, when known, whether the shield
    changed each session's previous proposal, and returns the policy's input (n,
    POLICY_SIZE); call it once per decision (``decision_s`` apart), and ``reset`` rows when
    their session restarts. The same class serves a live session (``PolicyController``,
    n = 1) and training (``ShieldedSessions``), so both compute these identically.
    """

    def __init__(self, n: int = 1, decision_s: float = 5.0):
        self.decision_s = float(decision_s)
        self.peaks = np.zeros((n, len(V1_MEMORY_FIELDS)), np.float32)
        self.changed = np.zeros(n, np.float32)
        self.changes = np.zeros(n)
        self.decisions = np.zeros(n)
        self.aroused_s = np.zeros(n)
        self.level = np.full(n, np.nan)

    def reset(self, rows: np.ndarray | None = None) -> None:
        if rows is None:
            rows = np.arange(len(self.changed))  # everyone
        self.peaks[rows] = 0.0
        self.changed[rows] = 0.0
        self.changes[rows] = 0.0
        self.decisions[rows] = 0.0
        self.aroused_s[rows] = 0.0
        self.level[rows] = np.nan

    def update(self, vectors: np.ndarray, changed: np.ndarray | None = None) -> np.ndarray:
        x = np.atleast_2d(np.asarray(vectors, np.float32))
        seen = np.where(x[:, _PEAK_VALID] > 0, x[:, _PEAK_OF], 0.0)
        np.maximum(self.peaks, seen, out=self.peaks)
        if changed is not None:
            # the first decision of a session has no previous proposal to have been changed
            first = np.isnan(self.level)
            flag = np.where(first, 0.0, np.asarray(changed, np.float64))
            self.changed[:] = flag
            self.changes += flag
            self.decisions += ~first
        level = x[:, _LEVEL].astype(np.float64)
        aroused = (
            ((x[:, _HAS_SUDS] > 0) & (x[:, _SUDS] >= _AROUSED_SUDS))
            | ((x[:, _VALID_HR] > 0) & (x[:, _REL_HR] >= _AROUSED_HR))
            | ((x[:, _VALID_EDA] > 0) & (x[:, _REL_EDA] >= _AROUSED_EDA))
        )
        same = level == self.level  # False at a session's first decision (NaN)
        self.aroused_s = np.where(same, self.aroused_s + self.decision_s * aroused, 0.0)
        self.level = level
        share = self.changes / np.maximum(self.decisions, 1.0)
        extra = np.stack([self.changed, share, np.minimum(self.aroused_s / 300.0, 3.0)], axis=1).astype(np.float32)
        return np.concatenate([x, self.peaks, extra], axis=1)


_LEVEL = FIELDS.index("level")
_SUDS, _HAS_SUDS = FIELDS.index("suds"), FIELDS.index("has_suds")
_REL_HR, _VALID_HR = FIELDS.index("rel_hr_bpm"), FIELDS.index("valid_hr_bpm")
_REL_EDA, _VALID_EDA = FIELDS.index("rel_eda_tonic_us"), FIELDS.index("valid_eda_tonic_us")
