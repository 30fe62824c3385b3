"""What a controller sees of a ``SessionBatch`` (``adaptation.sim``): session ``i`` as the
``Observation`` a live session would build (``observation``: the sensors' features with
their quality, age and reasons, the scene, the SUDS answers, the therapist's hold) and, for
the learned policy, every session at once as observation vectors (``vectors``:
``adaptation.observation``'s encoding). The sensors are measured once per decision and the
measurement kept on the batch until its next ``advance``; ``SessionBatch.observation``,
``vectors`` and ``_measure`` call these.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sensors.types import Features, Quality

from .observation import encode_arrays
from .sensing import NAMES
from .types import Observation, Therapist

if TYPE_CHECKING:
    from .sim import SessionBatch

_GROUP_KEY = {
    "hr_bpm": "ecg",
    "rmssd_ms": "ecg",
    "eda_tonic_us": "eda",
    "scr_per_min": "eda",
    "scr_amplitude_us": "eda",
    "resp_rate_bpm": "resp",
}


def measure(batch: SessionBatch) -> tuple[np.ndarray, ...]:
    if batch._measured is None:
        batch._measured = batch.sensors.measure(batch.time, batch.patients.physiology())
    return batch._measured


def vectors(batch: SessionBatch) -> np.ndarray:
    """Observation vectors (n, observation.SIZE) for the learned policy."""
    _, relative, quality, age = measure(batch)
    return encode_arrays(
        relative,
        quality,
        age,
        intensity=batch.intensity,
        level=batch.level,
        top_level=batch.top,
        time_at_level=batch.time_at_level,
        time=batch.time,
        suds=batch.suds,
        suds_age=batch.suds_age,
        peak_suds=batch.peak_suds,
        top_reached=batch.top_reached,
        held=batch.held,
        **context(batch),
    )


def context(batch: SessionBatch) -> dict[str, np.ndarray]:
    """What a session knows besides this tick's features: the baseline phase's resting
    HR, EDA and SUDS, and the share of recent time the person looked away."""
    base = batch.sensors.baseline
    return {
        "rest_hr": base[:, NAMES.index("hr_bpm")],
        "rest_eda": base[:, NAMES.index("eda_tonic_us")],
        "baseline_suds": batch.baseline_suds,
        "avoidance": batch.patients.looking_away_share if batch.config.avoidance > 0 else np.full(batch.n, math.nan),
    }


def rows(batch: SessionBatch) -> tuple[list, ...]:
    """Every session's state as Python lists, made once per decision: indexing numpy
    arrays element by element costs more than the whole decision."""
    if batch._lists is None:
        values, relative, quality, age = measure(batch)
        batch._lists = (
            values.tolist(),
            relative.tolist(),
            quality.tolist(),
            age.tolist(),
            batch.time.tolist(),
            batch.intensity.tolist(),
            batch.target.tolist(),
            batch.level.tolist(),
            batch.time_at_level.tolist(),
            batch.suds.tolist(),
            batch.suds_age.tolist(),
            batch.peak_suds.tolist(),
            batch.top_reached.tolist(),
            batch.held.tolist(),
            *(v.tolist() for v in context(batch).values()),
        )
    return batch._lists


def observation(batch: SessionBatch, i: int, ceiling: float = 1.0) -> Observation:
    """Session ``i`` as a live session would see it."""
    (
        values,
        relative,
        quality,
        age,
        time,
        intensity,
        target,
        level,
        time_at_level,
        suds,
        suds_age,
        peak_suds,
        top_reached,
        held,
        rest_hr,
        rest_eda,
        baseline_suds,
        avoidance,
    ) = rows(batch)
    qualities, ages, reasons = {}, {}, {}
    for g, key in enumerate(("ecg", "eda", "resp")):  # GROUPS: heart, eda, resp
        q, a = quality[i][g], age[i][g]
        reason = "stale" if a > 3.0 else "flat line" if q == 0.0 else "noisy" if q < 0.5 else "ok"
        qualities[key] = Quality(q, reason)
        ages[key] = a
    vals = dict(zip(NAMES, values[i]))
    for k, v in vals.items():
        if math.isnan(v):
            group = _GROUP_KEY[k]
            reasons[k] = qualities[group].reason if qualities[group].reason != "ok" else "no responses in the window"
    features = Features(
        time=time[i],
        hr_source="ecg",
        quality=qualities,
        age_s=ages,
        relative=dict(zip(NAMES, relative[i])),
        reasons=reasons,
        **vals,
    )
    features = batch.sensors.with_fast(features, i)  # the beat-to-beat HR the shield's fast rule reads
    return Observation(
        time=time[i],
        intensity=intensity[i],
        target=target[i],
        levels=batch.config.levels,
        level=level[i],
        time_at_level=time_at_level[i],
        features=features,
        suds=suds[i],
        suds_age=suds_age[i],
        peak_suds_at_level=peak_suds[i],
        top_reached=top_reached[i],
        therapist=Therapist.HOLD if held[i] else Therapist.CLEAR,
        ceiling=ceiling,
        rest_hr_bpm=rest_hr[i],
        rest_eda_us=rest_eda[i],
        baseline_suds=baseline_suds[i],
        avoidance=avoidance[i],
    )
