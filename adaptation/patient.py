"""Simulated patients: fear, habituation, sensitisation, escape, and the body's signals.

A controller cannot be trained on frightened people, so it learns on these. The model is
deliberately small and every part of it is named after what the clinic observes
(docs/clinical.md); its parameters, with their distributions and sources, are in
``adaptation/parameters.py`` and ``adaptation/populations/default.yaml``.

Fear (arousal ``a`` in 0–1; a SUDS answer is about 100 × a):

- **Evoked fear.** The scene at intensity ``I`` evokes the fraction
  ``f = (σ((I − θ)/w) − σ(−θ/w)) / (1 − σ(−θ/w))`` of the person's full fear, a logistic
  curve around their effective threshold ``θ = fear_threshold + H − S``, exactly zero in
  the calm state. Arousal moves toward ``a* = rest + (fear_max − rest) · f`` with a fast
  rise and a slower fall (time constants ``rise_tau_s``, ``fall_tau_s``), plus an
  Ornstein–Uhlenbeck fluctuation.
- **Habituation** (``H``). Staying exposed while fear is activated but tolerable
  (arousal at or below ``habituation_band``) raises the threshold at
  ``habituation_rate · f`` per second: no fear evoked, nothing learned (emotional
  processing, Foa & Kozak 1986); the clinic's "stay until SUDS has fallen by half"
  (clinical.md) is this curve flattening. Habituation generalises to nearby items because
  it shifts one threshold, so each step up starts partly habituated.
- **Sensitisation** (``S``). Arousal above the band lowers the threshold at
  ``sensitisation_rate · (a − band)`` per second; it fades with ``sensitisation_decay_s``
  once arousal is back in the band. Left alone it feeds itself: too high stays too high.
  (Both shifts are capped — habituation at 2, sensitisation at 1 intensity unit — beyond
  which every item is equally harmless, or equally frightening; the caps only keep long
  simulated floods finite.)
- **Panic and escape.** Above ``panic_level`` the person may escape (take off the headset,
  leave the room); the hazard grows with the excess, up to ``escape_hazard`` per second at
  full arousal. An escape ends the session badly and is final.
- **Recovery.** In the calm state nothing is evoked: arousal falls back to rest and
  sensitisation fades; habituation stays (within one session).
- **Avoidance** (off unless ``avoidance`` > 0). Afraid people look away from the feared
  stimulus: each second a person looks away with probability ``avoidance`` ×
  clip((a − band + 0.1) / 0.25, 0, 1), and while looking away the scene evokes fear as
  at 40 % of its intensity (less fear, less to habituate to: a safety behaviour).
  ``looking_away_share`` is the share of about the last 30 s spent looking away, what a
  head or gaze tracker would report. Its draws come from a generator of its own, so
  everything else is drawn as without it.

Physiology follows arousal above rest with the real latencies: heart rate after
``hr_tau_s`` (startle acceleration peaks within about 5 s), up in accelerators and down in
decelerators (fear bradycardia; HR is not a monotone fear index); RMSSD falls (vagal
withdrawal); tonic skin conductance after a pure delay of 1–3 s and a rise of 0.5–5 s,
with skin-conductance responses more frequent with arousal, none in the ~10 % of
non-responders (Boucsein 2012); breathing speeds up. Measurement (noise, artefacts,
dropouts) is ``adaptation.sensing``'s job, not this module's.

Everything is a numpy array over a batch of people, stepped together at ``dt`` seconds:
one step costs the same few dozen array operations whether the batch holds 1 or 10 000.
"""

from __future__ import annotations

import math

import numpy as np

from .parameters import PARAMETERS
from .streams import PersonStreams

_HISTORY = 8  # seconds of arousal kept for the EDA delay (latency ≤ 5 s)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


class PatientBatch:
    """``n`` simulated people, stepped together.

    ``params`` maps every name in ``PARAMETERS`` to an array of shape (n,), as
    ``Population.sample`` returns. ``rng`` drives arousal noise, escapes and SUDS answers:
    ``PersonStreams`` (one stream per person, ``adaptation.streams``), or a ``Generator`` from
    which per-person streams are spawned.
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        rng: np.random.Generator | PersonStreams,
        dt: float = 1.0,
        avoidance: float = 0.0,
    ):
        missing = sorted(set(PARAMETERS) - set(params))
        if missing:
            raise ValueError(f"patient parameters missing: {', '.join(missing)}")
        shape = np.shape(params["arousal_rest"])
        self.n = shape[0] if shape else 1  # a scalar is then reported as a bad shape, not a TypeError
        for name, values in params.items():
            if np.shape(values) != (self.n,):
                raise ValueError(f"patient parameter '{name}' has shape {np.shape(values)}; expected ({self.n},)")
        if not (0.0 < dt <= 2.0):
            raise ValueError(f"dt = {dt} s; expected 0 < dt ≤ 2 (the fastest lag is 0.5 s)")
        self.dt = dt
        # one stream per person (adaptation.streams): results do not depend on the batch
        self.rng = rng if isinstance(rng, PersonStreams) else PersonStreams.spawned(rng, self.n)
        if self.rng.n != self.n:
            raise ValueError(f"{self.rng.n} random streams for {self.n} people; expected one per person")
        rng = self.rng
        self.avoidance = float(avoidance)
        self._avoid_rng = rng.spawn(1)[0] if self.avoidance > 0 else None
        self.p = {
            k: np.array(v, dtype=bool if PARAMETERS[k].kind == "bool" else np.float64)
            for k, v in params.items()
            if k in PARAMETERS
        }
        self._derive()
        self.reset()

    def _derive(self) -> None:
        p, dt = self.p, self.dt
        self._k_rise = 1.0 - np.exp(-dt / p["rise_tau_s"])
        self._k_fall = 1.0 - np.exp(-dt / p["fall_tau_s"])
        self._k_hr = 1.0 - np.exp(-dt / p["hr_tau_s"])
        self._k_eda = 1.0 - np.exp(-dt / p["eda_tau_s"])
        self._k_resp = 1.0 - np.exp(-dt / p["resp_tau_s"])
        self._k_sens_decay = 1.0 - np.exp(-dt / p["sensitisation_decay_s"])
        self._hr_gain = np.where(p["hr_decelerator"], p["hr_gain_decel"], p["hr_gain_accel"])
        lag = p["eda_latency_s"] / dt
        self._lag_whole = np.floor(lag).astype(np.int64)
        self._lag_frac = lag - self._lag_whole
        if _HISTORY * dt <= float(np.max(p["eda_latency_s"], initial=0.0)) + dt:
            raise ValueError("eda_latency_s too long for the history kept; raise _HISTORY")
        # arousal noise: OU process with a 10 s correlation time
        self._ou_keep = math.exp(-dt / 10.0)
        self._ou_kick = p["arousal_noise"] * math.sqrt(1.0 - self._ou_keep**2)

    def reset(self, rows: np.ndarray | None = None, params: dict[str, np.ndarray] | None = None) -> None:
        """Start (some) people afresh at rest; ``params`` replaces their parameters."""
        if rows is None:
            rows = np.arange(self.n)
        if params is not None:
            for k in PARAMETERS:
                self.p[k][rows] = params[k]
            self._derive()
        if not hasattr(self, "a"):
            z = np.zeros(self.n)
            self.a, self.noise, self.H, self.S = z.copy(), z.copy(), z.copy(), z.copy()
            self.a_hr, self.a_eda, self.a_resp = z.copy(), z.copy(), z.copy()
            self.escaped = np.zeros(self.n, bool)
            self.escape_probability = np.zeros(self.n)
            self.history = np.zeros((_HISTORY, self.n))
            self.head = 0
            self.looking_away = np.zeros(self.n, bool)
            self.looking_away_share = np.zeros(self.n)
        rest = self.p["arousal_rest"][rows]
        for state in (self.a, self.a_hr, self.a_eda, self.a_resp):
            state[rows] = rest
        self.noise[rows] = 0.0
        self.H[rows] = 0.0
        self.S[rows] = 0.0
        self.escaped[rows] = False
        self.history[:, rows] = rest
        self.looking_away[rows] = False
        self.looking_away_share[rows] = 0.0

    # -- fear ------------------------------------------------------------------------

    def evoked(self, intensity: np.ndarray) -> np.ndarray:
        """Fraction of full fear the scene evokes now, 0 in the calm state.

        Computed as ``σ((I − θ)/w) · (1 − exp(−I/w))``, which is the module docstring's
        ``(σ((I − θ)/w) − σ(−θ/w)) / (1 − σ(−θ/w))`` rewritten without the difference of
        two numbers near 1: that form lost all precision once sensitisation pushed ``θ``
        below about −20 w, and evoked fear then collapsed toward 0 at full intensity.
        """
        p = self.p
        theta = p["fear_threshold"] + self.H - self.S
        w = p["fear_width"]
        intensity = np.asarray(intensity, dtype=np.float64)
        f = _sigmoid((intensity - theta) / w) * -np.expm1(-intensity / w)
        return np.clip(f, 0.0, 1.0)

    @property
    def arousal(self) -> np.ndarray:
        """Arousal felt now, 0–1 (deterministic course plus fluctuation)."""
        return np.clip(self.a + self.noise, 0.0, 1.0)

    def step(self, intensity: np.ndarray) -> np.ndarray:
        """Advance ``dt`` seconds at the given intensities; returns who escaped in this step.

        Intensities are clipped to [0, 1] (±inf to 1 or 0); NaN counts as 0, the calm
        state, rather than making that person's arousal NaN for good.
        """
        p, dt = self.p, self.dt
        intensity = np.clip(np.nan_to_num(np.asarray(intensity, dtype=np.float64), nan=0.0), 0.0, 1.0)
        rest = p["arousal_rest"]
        if self._avoid_rng is not None:
            chance = self.avoidance * np.clip((self.arousal - p["habituation_band"] + 0.1) / 0.25, 0.0, 1.0)
            self.looking_away = self._avoid_rng.random(self.n) < chance * dt
            intensity = np.where(self.looking_away, 0.4 * intensity, intensity)
            keep = math.exp(-dt / 30.0)
            self.looking_away_share = self.looking_away_share * keep + (1.0 - keep) * self.looking_away
        f = self.evoked(intensity)
        target = rest + np.maximum(p["fear_max"] - rest, 0.0) * f
        self.a += (target - self.a) * np.where(target > self.a, self._k_rise, self._k_fall)
        self.noise = self.noise * self._ou_keep + self._ou_kick * self.rng.standard_normal(self.n)
        a = self.arousal
        band = p["habituation_band"]
        tolerable = a <= band
        self.H += np.where(tolerable, p["habituation_rate"] * f * dt, 0.0)
        np.minimum(self.H, 2.0, out=self.H)
        self.S += np.where(tolerable, -self.S * self._k_sens_decay, p["sensitisation_rate"] * (a - band) * dt)
        np.minimum(self.S, 1.0, out=self.S)
        # escape: a hazard that grows with the excess over the panic level
        excess = np.clip((a - p["panic_level"]) / np.maximum(1.0 - p["panic_level"], 1e-6), 0.0, 1.0)
        hazard = p["escape_hazard"] * excess
        self.escape_probability = -np.expm1(-hazard * dt)  # of escaping in this step
        new = (~self.escaped) & (self.rng.random(self.n) < self.escape_probability)
        self.escaped |= new
        # physiology lags
        self.head = (self.head + 1) % _HISTORY
        self.history[self.head] = a
        self.a_hr += (a - self.a_hr) * self._k_hr
        self.a_resp += (a - self.a_resp) * self._k_resp
        cols = np.arange(self.n)
        newer = self.history[(self.head - self._lag_whole) % _HISTORY, cols]
        older = self.history[(self.head - self._lag_whole - 1) % _HISTORY, cols]
        delayed = newer + (older - newer) * self._lag_frac
        self.a_eda += (delayed - self.a_eda) * self._k_eda
        return new

    # -- what a sensor or a question would find ---------------------------------------

    def physiology(self) -> dict[str, np.ndarray]:
        """True values now, keyed like ``sensors.types.Features`` fields."""
        p = self.p
        rest = p["arousal_rest"]
        up_hr = self.a_hr - rest
        up_eda = self.a_eda - rest
        responder = p["eda_responder"]
        return {
            "hr_bpm": p["hr_rest"] * (1.0 + self._hr_gain * up_hr),
            "rmssd_ms": p["rmssd_rest"] * np.exp(-p["rmssd_drop"] * up_hr),
            "eda_tonic_us": p["eda_rest"] * (1.0 + np.where(responder, p["eda_gain"], 0.0) * up_eda),
            "scr_per_min": np.where(
                responder, p["scr_rest_per_min"] + p["scr_gain_per_min"] * np.maximum(up_eda, 0.0), 0.0
            ),
            "scr_amplitude_us": np.where(responder, 0.1 + 0.6 * np.clip(self.a_eda, 0.0, 1.0), 0.0),
            "resp_rate_bpm": p["resp_rest"] * (1.0 + p["resp_gain"] * (self.a_resp - rest)),
        }

    def resting_physiology(self) -> dict[str, np.ndarray]:
        """What the same person's body shows at rest (what a baseline phase measures)."""
        p = self.p
        responder = p["eda_responder"]
        return {
            "hr_bpm": p["hr_rest"].copy(),
            "rmssd_ms": p["rmssd_rest"].copy(),
            "eda_tonic_us": p["eda_rest"].copy(),
            "scr_per_min": np.where(responder, p["scr_rest_per_min"], 0.0),
            "scr_amplitude_us": np.where(responder, 0.1 + 0.6 * p["arousal_rest"], 0.0),
            "resp_rate_bpm": p["resp_rest"].copy(),
        }

    def ask_suds(self, rows: np.ndarray) -> np.ndarray:
        """SUDS answers (0–100, whole numbers) of the given people: arousal, their bias, noise."""
        rows = np.asarray(rows)
        p = self.p
        raw = (
            100.0 * self.arousal[rows]
            + p["suds_bias"][rows]
            + p["suds_noise"][rows] * self.rng.standard_normal(rows=rows)  # only the people asked draw
        )
        return np.clip(np.round(raw), 0.0, 100.0)
