"""Synthetic physiology driven by an arousal trace: ECG, PPG, EDA and respiration.

Used by ``vrex simulate`` (and later the simulated patient) in place of hardware. The
waveforms are generated chunk by chunk with their state carried over, so a stream is
continuous however it is cut, and every beat's true time is kept for testing detectors.

Physiology (sources in docs/clinical.md):
- heart rate rises with arousal in accelerators and falls in decelerators (fear
  bradycardia); RMSSD falls as arousal rises; respiratory sinus arrhythmia modulates RR;
- the pulse wave reaches the finger about 0.2 s after the R peak (pulse transit time);
- skin conductance: tonic level drifts up with arousal; phasic responses (SCRs) start 1–3 s
  after an arousal rise, rise in about 1 s and decay over 10–30 s (Boucsein 2012); about
  10 % of people are non-responders, who show no SCRs;
- breathing speeds up with arousal (about 12 → 22 breaths per minute).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Arousal = Callable[[np.ndarray], np.ndarray]  # times (s) -> arousal in [0, 1]

# ECG beat as Gaussians (McSharry et al. 2003, IEEE TBME 50:289): (offset s, width s, mV)
_ECG_WAVES = (
    (-0.20, 0.025, 0.12),
    (-0.035, 0.010, -0.10),
    (0.0, 0.011, 1.1),
    (0.035, 0.011, -0.25),
    (0.25, 0.045, 0.30),
)


@dataclass
class Person:
    """Individual physiology; the defaults are a calm adult."""

    hr_rest: float = 70.0  # bpm
    hr_gain: float = 35.0  # bpm at full arousal; negative for decelerators
    rmssd_rest: float = 45.0  # ms
    eda_tonic_rest: float = 3.0  # µS
    eda_tonic_gain: float = 4.0  # µS at full arousal
    scr_responder: bool = True
    resp_rest: float = 13.0  # breaths per minute
    resp_gain: float = 9.0
    ptt: float = 0.20  # s, R peak to pulse arrival


@dataclass
class Artefacts:
    """Faults to inject, as (start, end) intervals in seconds of simulated time."""

    noise: float = 0.0  # relative white noise on every signal
    motion: list[tuple[float, float]] = field(default_factory=list)  # large bursts
    electrode_loss: list[tuple[float, float]] = field(default_factory=list)  # ECG and EDA flat
    dropouts: list[tuple[float, float]] = field(default_factory=list)  # no samples at all

    def inside(self, t: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
        mask = np.zeros(t.shape, bool)
        for a, b in spans:
            mask |= (t >= a) & (t < b)
        return mask


class PhysiologySynth:
    """Continuous multi-signal generator. ``chunk(t0, t1)`` gives each signal's samples."""

    def __init__(
        self,
        arousal: Arousal,
        person: Person | None = None,
        artefacts: Artefacts | None = None,
        rates: dict[str, float] | None = None,
        seed: int = 0,
    ):
        self.arousal = arousal
        self.person = person or Person()
        self.artefacts = artefacts or Artefacts()
        self.rates = rates or {"ecg": 250.0, "ppg": 64.0, "eda": 32.0, "resp": 25.0}
        # One generator per purpose, drawn in time order: how the stream is cut into chunks
        # then cannot change a single sample.
        beats, scr, *noise = np.random.SeedSequence(seed).spawn(2 + len(self.rates))
        self._rng_beats, self._rng_scr = np.random.default_rng(beats), np.random.default_rng(scr)
        self._rng_noise = {name: np.random.default_rng(s) for name, s in zip(self.rates, noise)}
        self.beats: list[float] = []  # true R-peak times
        self._next_beat = 0.3
        self._resp_phase = 0.0
        self._resp_t = 0.0
        self._scr_onsets: list[tuple[float, float]] = []  # (onset time, amplitude µS)
        self._last_arousal = float(arousal(np.array([0.0]))[0])
        self._scr_checked_to = 0.0

    # -- beats -------------------------------------------------------------------------

    def _rr(self, t: float) -> float:
        p = self.person
        a = float(self.arousal(np.array([t]))[0])
        hr = p.hr_rest + p.hr_gain * a
        mean_rr = 60.0 / max(30.0, min(200.0, hr))
        rsa = 0.03 * math.sin(2 * math.pi * self._resp_rate(t) / 60.0 * t)  # respiratory sinus arrhythmia
        jitter = self._rng_beats.normal(0.0, (p.rmssd_rest * (1.0 - 0.7 * a)) / 1000.0 / math.sqrt(2))
        return max(0.27, mean_rr * (1.0 + rsa) + jitter)

    def _beats_until(self, t1: float) -> None:
        while self._next_beat < t1 + 1.0:  # one second ahead: waves straddle chunks
            self.beats.append(self._next_beat)
            self._next_beat += self._rr(self._next_beat)

    def _resp_rate(self, t: float) -> float:
        a = float(self.arousal(np.array([t]))[0])
        return self.person.resp_rest + self.person.resp_gain * a

    # -- signals -----------------------------------------------------------------------

    def chunk(self, t0: float, t1: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Samples in [t0, t1) per signal: {'ecg': (times, mV), 'ppg': ..., 'eda': (.., µS), 'resp': ...}."""
        self._beats_until(t1)
        out = {}
        for name, rate in self.rates.items():
            first = math.ceil(t0 * rate - 1e-9)
            last = math.ceil(t1 * rate - 1e-9)
            t = np.arange(first, last) / rate
            values = getattr(self, f"_{name}")(t)
            values = self._degrade(name, t, values)
            keep = ~self.artefacts.inside(t, self.artefacts.dropouts)
            out[name] = (t[keep], values[keep])
        return out

    def _near_beats(self, t: np.ndarray, before: float, after: float) -> np.ndarray:
        beats = np.asarray(self.beats)
        if len(t) == 0:
            return beats[:0]
        return beats[(beats > t[0] - after) & (beats < t[-1] + before)]

    def _ecg(self, t: np.ndarray) -> np.ndarray:
        v = np.zeros_like(t)
        for b in self._near_beats(t, 0.5, 0.8):  # wide enough that the tails vanish
            for offset, width, amp in _ECG_WAVES:
                v += amp * np.exp(-0.5 * ((t - b - offset) / width) ** 2)
        return v + 0.08 * np.sin(2 * np.pi * 0.25 * t)  # baseline wander

    def _ppg(self, t: np.ndarray) -> np.ndarray:
        v = np.zeros_like(t)
        ptt = self.person.ptt
        for b in self._near_beats(t, 0.1, ptt + 1.4):
            arrival = b + ptt
            v += np.exp(-0.5 * ((t - arrival - 0.12) / 0.07) ** 2)  # systolic peak
            v += 0.35 * np.exp(-0.5 * ((t - arrival - 0.40) / 0.09) ** 2)  # dicrotic wave
        return v

    def _eda(self, t: np.ndarray) -> np.ndarray:
        p = self.person
        a = self.arousal(t)
        tonic = p.eda_tonic_rest + p.eda_tonic_gain * a
        if p.scr_responder:
            self._schedule_scrs(t)
        phasic = np.zeros_like(t)
        for onset, amp in self._scr_onsets:
            dt = t - onset
            on = dt > 0
            # Bateman function: ~1 s rise, ~10 s recovery; normalised to peak ``amp``
            shape = np.exp(-dt[on] / 4.0) - np.exp(-dt[on] / 0.6)
            phasic[on] += amp * shape / 0.6275
        return tonic + phasic

    def _schedule_scrs(self, t: np.ndarray) -> None:
        """Spontaneous SCRs more often with arousal, plus one 1–3 s after each arousal rise."""
        if len(t) == 0:
            return
        step = 0.5
        while self._scr_checked_to < t[-1]:
            now = self._scr_checked_to
            a = float(self.arousal(np.array([now]))[0])
            spontaneous_per_min = 1.0 + 8.0 * a
            rise = a - self._last_arousal
            if self._rng_scr.random() < spontaneous_per_min / 60.0 * step or rise > 0.08:
                latency = self._rng_scr.uniform(1.0, 3.0)
                self._scr_onsets.append((now + latency, 0.1 + 0.6 * a + self._rng_scr.uniform(0, 0.15)))
            self._last_arousal = a
            self._scr_checked_to += step
        self._scr_onsets = [(o, amp) for o, amp in self._scr_onsets if o > t[0] - 60.0]

    def _resp(self, t: np.ndarray) -> np.ndarray:
        if len(t) == 0:
            return t.copy()
        rate = self.person.resp_rest + self.person.resp_gain * self.arousal(t)  # breaths/min
        dt = np.diff(np.concatenate([[self._resp_t], t])).clip(min=0.0)
        # integrate the phase: a changing rate never makes the waveform jump
        phase = self._resp_phase + np.cumsum(2 * np.pi * rate / 60.0 * dt)
        self._resp_phase, self._resp_t = float(phase[-1]), float(t[-1])
        return np.sin(phase)

    def _degrade(self, name: str, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        art = self.artefacts
        rng = self._rng_noise[name]
        scale = {"ecg": 1.0, "ppg": 1.0, "eda": 0.5, "resp": 1.0}.get(name, 1.0)
        if art.noise:
            v = v + rng.normal(0.0, art.noise * scale, size=v.shape)
        motion = art.inside(t, art.motion)
        if motion.any():
            v = v.copy()
            v[motion] += rng.normal(0.0, 3.0 * scale, size=int(motion.sum()))
        if name in ("ecg", "eda"):
            lost = art.inside(t, art.electrode_loss)
            if lost.any():
                v = v.copy()
                v[lost] = 0.0  # a lifted electrode reads a flat line
        return v
