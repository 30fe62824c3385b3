"""What ``sensors/`` would report about a simulated patient: noise, artefacts, dropouts.

Training on the true physiology would teach a controller to trust its sensors; in a
session they lie. This model measures ``PatientBatch.physiology()`` the way the live
pipeline does and with the errors it was measured to have (issue 3's note), so that the
features a controller reads in simulation have the live ones' layout, units, gaps and
quality marks:

- heart rate ± 1 bpm (window-to-window scatter of the 10 s estimate; the detectors agree
  with neurokit2 to 0.05–1 bpm); RMSSD ±15 % (10 s windows, Munoz et al. 2015); tonic
  EDA ± 0.03 µS + 1 %; SCRs counted over the 60 s window (Poisson); breathing ± 0.7 bpm;
- movement artefacts (``artefacts_per_hour``, 2–15 s each, plus the 10 s window they
  spoil): heart and breathing unreadable, quality 0.1–0.4, values NaN with reason 'noisy';
- dropouts (``dropouts_per_hour``, 5–60 s): half are stream stalls (every signal stale,
  its age growing, values NaN), half a lifted EDA electrode (a flat line, EDA NaN);
- the baseline is the person's resting values measured with the same scatter, so
  relative features carry the baseline's error as they do in a session.

Relative values follow ``sensors.baseline``: heart rate and tonic EDA as a fraction above
baseline, every other feature as a difference.

The beat-to-beat heart rate (``Features.hr_fast_bpm``, ``sensors.hr_fast``; the shield's
fast HR-ceiling path) is measured too, in ``measure`` (kept in ``fast``; ``with_fast``
adds it to a session's ``Features``): the true HR ± 2.5 bpm (a mean of 4 intervals: respiratory sinus
arrhythmia of ±3 % does not average out in 2 s, and jitter adds ~1 bpm); unknown (NaN,
quality 0) wherever the heart is unreadable (its live counterpart needs the 10-s signal
checks), and ``FAST_IRREGULAR`` of the time otherwise (an ectopic or missed beat silences it
for a run); its newest beat 0–0.8 s old (up to one interval plus the detector's delay), the
stall's age in a stall. Its noise comes from a generator of its own (spawned from ``rng``,
which spawning does not advance), so every other measurement is drawn exactly as before.

Every draw is one person's (``adaptation.streams.PersonStreams``): a fault or a baseline
draws only for the people it concerns, so what a person's sensors do never depends on who
else is in the batch.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sensors.baseline import RATIO
from sensors.types import Features, Quality

from .streams import PersonStreams

NAMES = Features.NAMES  # hr, rmssd, eda tonic, scr rate, scr amplitude, resp
GROUPS = ("heart", "eda", "resp")  # quality and age per signal group
_GROUP_OF = {"hr_bpm": 0, "rmssd_ms": 0, "eda_tonic_us": 1, "scr_per_min": 1, "scr_amplitude_us": 1, "resp_rate_bpm": 2}
_RATIO = np.array([n in RATIO for n in NAMES])
WINDOW_S = 10.0  # heart and breathing windows: an artefact spoils this long after
FAST_SD_BPM = 2.5  # beat-to-beat HR scatter (see the module docstring)
FAST_IRREGULAR = 0.03  # share of ticks whose newest run holds an ectopic or missed beat
FAST_AGE_S = (0.0, 0.8)  # newest beat's age at a tick


class SensorModel:
    """Measures a batch of patients once per decision; tracks artefacts every second."""

    def __init__(
        self,
        n: int,
        artefacts_per_hour: np.ndarray,
        dropouts_per_hour: np.ndarray,
        rng: np.random.Generator | PersonStreams,
    ):
        self.n = n
        self.rng = rng if isinstance(rng, PersonStreams) else PersonStreams.spawned(rng, n)
        if self.rng.n != n:
            raise ValueError(f"{self.rng.n} random streams for {n} people; expected one per person")
        self.artefact_rate = np.asarray(artefacts_per_hour, float) / 3600.0
        self.dropout_rate = np.asarray(dropouts_per_hour, float) / 3600.0
        self.spoiled_until = np.zeros(n)  # heart/breathing unreadable until this time
        self.stall_since = np.full(n, np.nan)
        self.stall_until = np.zeros(n)
        self.flat_until = np.zeros(n)  # EDA electrode lifted
        self.baseline = np.full((n, len(NAMES)), np.nan)
        # the beat-to-beat HR's own draws: the main generator's sequence stays as it was
        self._fast_rng = self.rng.spawn(1)[0]
        self.fast: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (
            np.full(n, np.nan),
            np.full(n, np.nan),
            np.zeros(n),
            np.full(n, np.nan),
        )

    def reset(
        self,
        rows: np.ndarray,
        resting: dict[str, np.ndarray],
        artefacts_per_hour: np.ndarray | None = None,
        dropouts_per_hour: np.ndarray | None = None,
    ) -> None:
        """New people in ``rows``: clear their faults and measure their baseline."""
        if artefacts_per_hour is not None:
            self.artefact_rate[rows] = np.asarray(artefacts_per_hour, float) / 3600.0
        if dropouts_per_hour is not None:
            self.dropout_rate[rows] = np.asarray(dropouts_per_hour, float) / 3600.0
        self.spoiled_until[rows] = 0.0
        self.stall_since[rows] = np.nan
        self.stall_until[rows] = 0.0
        self.flat_until[rows] = 0.0
        # A baseline phase of a few minutes: medians scatter less than single windows.
        base = np.stack([resting[k][rows] for k in NAMES], axis=1)
        self.baseline[rows] = self._noisy(base, scale=0.3, rows=rows)

    def advance(self, now: np.ndarray | float, dt: float) -> None:
        """Let faults begin and end over the ``dt`` seconds ending at ``now`` (per session)."""
        n, rng = self.n, self.rng
        now = np.broadcast_to(np.asarray(now, dtype=np.float64), (n,))
        starts = rng.random(n) < self.artefact_rate * dt
        if starts.any():
            length = np.zeros(n)
            length[starts] = rng.uniform(2.0, 15.0, rows=np.flatnonzero(starts))  # only theirs: see the docstring
            self.spoiled_until = np.where(
                starts, np.maximum(self.spoiled_until, now + length + WINDOW_S), self.spoiled_until
            )
        drops = rng.random(n) < self.dropout_rate * dt
        if drops.any():
            rows = np.flatnonzero(drops)
            length = np.zeros(n)
            length[rows] = rng.uniform(5.0, 60.0, rows=rows)
            stall = np.zeros(n, bool)
            stall[rows] = rng.random(rows=rows) < 0.5
            flat = drops & ~stall
            fresh_stall = stall & ~(self.stall_until > now)
            self.stall_since = np.where(fresh_stall, now, self.stall_since)
            self.stall_until = np.where(stall, np.maximum(self.stall_until, now + length), self.stall_until)
            self.flat_until = np.where(flat, np.maximum(self.flat_until, now + length), self.flat_until)
        ended = ~(self.stall_until > now)
        self.stall_since = np.where(ended, np.nan, self.stall_since)

    def _noisy(self, values: np.ndarray, scale: float = 1.0, rows: np.ndarray | None = None) -> np.ndarray:
        """``values`` (n or len(rows), 6) with measurement scatter, drawn from those people's streams."""
        rng = self.rng
        out = values.copy()
        if rows is None:
            z = rng.standard_normal((self.n, 5))
        else:
            rows = np.asarray(rows)
            z = rng.standard_normal((len(rows), 5), rows=rows) if len(rows) else np.zeros((0, 5))
        out[:, 0] += 1.0 * scale * z[:, 0]  # HR bpm
        out[:, 1] *= np.exp(0.15 * scale * z[:, 1])  # RMSSD
        out[:, 2] = out[:, 2] * (1 + 0.01 * scale * z[:, 2]) + 0.03 * scale * z[:, 3]
        out[:, 5] += 0.7 * scale * z[:, 4]  # breathing
        return out

    def measure(
        self, now: np.ndarray | float, true: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(values, relative, quality, age): values and relative (n, 6) in ``NAMES`` order,
        NaN where ``sensors`` would give NaN; quality and age (n, 3) in ``GROUPS`` order."""
        n, rng = self.n, self.rng
        now = np.broadcast_to(np.asarray(now, dtype=np.float64), (n,))
        values = self._noisy(np.stack([true[k] for k in NAMES], axis=1))
        scr = true["scr_per_min"]
        values[:, 3] = rng.poisson(np.maximum(scr, 0.0))  # counted over a 60 s window
        values[:, 4] = np.where(values[:, 3] > 0, values[:, 4] * np.exp(rng.normal(0, 0.2, n)), np.nan)
        quality = rng.uniform(0.8, 1.0, (n, 3))
        age = rng.uniform(0.0, 0.1, (n, 3))
        spoiled = self.spoiled_until > now
        if spoiled.any():
            sick = rng.uniform(0.1, 0.4, (int(spoiled.sum()), 2), rows=np.flatnonzero(spoiled))
            quality[spoiled, 0] = sick[:, 0]
            quality[spoiled, 2] = sick[:, 1]
        flat = self.flat_until > now
        quality[flat, 1] = 0.0
        stalled = self.stall_until > now
        age[stalled] = (now[stalled] - self.stall_since[stalled])[:, None]
        quality[stalled] = 0.0
        usable = (quality >= 0.5) & (age <= 3.0)
        group_usable = usable[:, [_GROUP_OF[k] for k in NAMES]]
        values[~group_usable] = np.nan
        base = self.baseline
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.where(_RATIO, (values - base) / np.where(base > 0, base, np.nan), values - base)
        self.fast = self._measure_fast(true["hr_bpm"], usable[:, 0], age[:, 0], stalled)
        return values, relative, quality, age

    def _measure_fast(
        self, hr_true: np.ndarray, heart_usable: np.ndarray, heart_age: np.ndarray, stalled: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(hr_fast_bpm, relative, quality index, age) per session (see the module docstring)."""
        rng, n = self._fast_rng, self.n
        hr = np.asarray(hr_true, dtype=np.float64) + rng.normal(0.0, FAST_SD_BPM, n)
        known = heart_usable & (rng.random(n) >= FAST_IRREGULAR)
        hr = np.where(known, hr, np.nan)
        quality = np.where(known, 1.0, 0.0)
        age = np.where(stalled, heart_age, rng.uniform(*FAST_AGE_S, n))
        base = self.baseline[:, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = (hr - base) / np.where(base > 0, base, np.nan)
        return hr, relative, quality, age

    def with_fast(self, features: Features, i: int) -> Features:
        """``features`` (session ``i``'s, from the last ``measure``) with its beat-to-beat HR:
        ``hr_fast_*`` and ``relative['hr_fast_bpm']``, as ``sensors.features`` fills them."""
        hr, rel, q, age = (float(a[i]) for a in self.fast)
        known = hr == hr
        return dataclasses.replace(
            features,
            hr_fast_bpm=hr,
            hr_fast_source="ecg" if known else "",
            hr_fast_quality=Quality(q, "ok" if known else "noisy"),
            hr_fast_age_s=age,
            relative={**features.relative, "hr_fast_bpm": rel},
        )
