"""Synthetic physiology with the heart's own faults: ectopic beats, missed beats, surges.

``sensors.waveforms.PhysiologySynth`` draws a regular sinus rhythm. The beat-to-beat heart
rate (``sensors.hr_fast``) must tell a real rise from the irregular beats every long
recording has, so tests and ``benchmarks/surge_latency.py`` need them too:

- an **ectopic beat** (a premature beat, PVC or PAC): the interval before it is short
  (``ECTOPIC_PREMATURITY`` of the normal one) and the pause after it compensatory, so the two
  together last two normal intervals (a full compensatory pause, as after a PVC);
- a **missed beat**: a beat the sensors do not see (a detector or a strap skips it, or a
  dropped beat): one interval about twice the normal one, in ECG, PPG and RR alike;
- a **surge**: ``extra_bpm(t)`` beats per minute added to the resting rate (a step, a
  ramp), changing the heart and not the arousal, as ``adaptation.live_patient.Surge`` does.

Faults are drawn from their own generator (seeded from ``seed``), so a recording with the
same seed and no faults has the same arousal-driven beats.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .waveforms import Arousal, Artefacts, Person, PhysiologySynth

ECTOPIC_PREMATURITY = (0.55, 0.80)  # the premature interval as a fraction of the normal one


class FaultyHeartSynth(PhysiologySynth):
    """``PhysiologySynth`` whose heart has ectopic and missed beats and injected surges.

    ``ectopic_per_hour`` and ``missed_per_hour`` are mean rates (Poisson, per beat);
    ``extra_bpm(t)`` adds to the person's resting rate at beat time ``t`` (session s).
    ``faults`` lists what was injected: (time, 'ectopic' | 'missed')."""

    def __init__(
        self,
        arousal: Arousal,
        person: Person | None = None,
        artefacts: Artefacts | None = None,
        rates: dict[str, float] | None = None,
        seed: int = 0,
        *,
        ectopic_per_hour: float = 0.0,
        missed_per_hour: float = 0.0,
        extra_bpm: Callable[[float], float] | None = None,
    ):
        super().__init__(arousal, person, artefacts, rates, seed)
        if not (ectopic_per_hour >= 0 and missed_per_hour >= 0):
            raise ValueError(
                f"FaultyHeartSynth: fault rates must be ≥ 0 per hour; got ectopic "
                f"{ectopic_per_hour!r}, missed {missed_per_hour!r}"
            )
        self._rng_faults = np.random.default_rng(np.random.SeedSequence([seed, 12]))
        self.ectopic_per_hour = ectopic_per_hour
        self.missed_per_hour = missed_per_hour
        self.extra_bpm = extra_bpm or (lambda t: 0.0)
        self._rest = self.person.hr_rest
        self._compensate = 0.0  # the rest of a compensatory pause still to come
        self.faults: list[tuple[float, str]] = []

    def _rr(self, t: float) -> float:
        self.person.hr_rest = self._rest + float(self.extra_bpm(t))
        normal = super()._rr(t)
        if self._compensate > 0.0:  # the beat after an ectopic one: the pause
            rr, self._compensate = self._compensate, 0.0
            return rr
        per_beat = self.ectopic_per_hour / 3600.0 * normal
        if self._rng_faults.random() < per_beat:
            short = normal * self._rng_faults.uniform(*ECTOPIC_PREMATURITY)
            self._compensate = 2.0 * normal - short
            self.faults.append((t + short, "ectopic"))
            return short
        return normal

    def _beats_until(self, t1: float) -> None:
        while self._next_beat < t1 + 1.0:  # as the parent: one second ahead
            last = self.beats[-1] - self.beats[-2] if len(self.beats) > 1 else 0.0
            if last > 0.0 and self._rng_faults.random() < self.missed_per_hour / 3600.0 * last:
                self.faults.append((self._next_beat, "missed"))  # the heart beat; no sensor saw it
            else:
                self.beats.append(self._next_beat)
            self._next_beat += self._rr(self._next_beat)
