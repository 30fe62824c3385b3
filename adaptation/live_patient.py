"""One simulated patient, live: the person of ``patient.py`` with a body that streams over LSL.

The demo's patient is the same model the controllers are trained and evaluated on, drawn
from a population file, but measured the way a real patient is: its arousal drives
``sensors.waveforms.PhysiologySynth`` (ECG, PPG, EDA, respiration, RR intervals), which
``sensors.publish.SimulatedPublisher`` pushes as real LSL streams; vrex reads them back
through ``sensors/`` like any device. The patient also answers SUDS prompts, may press the
stop key when panic makes it escape, and turns its head away from the stimulus when its
fear is high (a behaviour signal the session records).

Mapping the model onto the waveform generator (``Person``). The generator takes one arousal
trace and linear gains; the model gives each signal its own lag and a gain relative to rest.
The trace is the arousal above rest as the heart sees it (``a_hr − arousal_rest``, the HR
lag included), and the gains are the model's, turned into absolute units, so heart rate
matches ``PatientBatch.physiology()`` exactly in the mean. EDA and breathing then share the
heart's lag instead of their own (1–5 s apart): a simplification noted here, not hidden.

Time is session time in seconds (simulated seconds in a demo run ``speed`` times faster).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sensors.publish import SimulatedPublisher
from sensors.waveforms import Artefacts, Person, PhysiologySynth

from .patient import PatientBatch
from .population import Population

LOOK_AWAY_AROUSAL = 0.75  # fraction of the panic level above which the head turns away
LOOK_AWAY_DEG = 50.0  # how far it turns at panic
# Brief glances away from the feared thing (a safety behaviour) come more often the more
# afraid the person is: from GLANCES_CALM a minute at rest to GLANCES_AFRAID near panic,
# each 2–5 s long and 35–55° aside (or up). A modelling choice, not a fitted one: it gives
# the avoidance measures (looked_away, time looking away) something to see before panic.
GLANCES_CALM, GLANCES_AFRAID = 0.2, 3.0


@dataclass
class Surge:
    """An injected heart-rate surge: ``bpm`` extra from ``start`` for ``seconds`` (session time)."""

    start: float
    seconds: float
    bpm: float

    def extra(self, t: float) -> float:
        return self.bpm if self.start <= t < self.start + self.seconds else 0.0


@dataclass
class Injections:
    """Faults a demo or a test injects: heart-rate surges and stream dropouts (session time)."""

    surges: list[Surge] = field(default_factory=list)
    dropouts: list[tuple[float, float]] = field(default_factory=list)


def person_of(params: dict[str, np.ndarray], row: int = 0) -> Person:
    """The waveform generator's ``Person`` for one row of model parameters (see module docstring)."""
    p = {k: float(v[row]) for k, v in params.items()}
    decel = bool(p["hr_decelerator"])
    gain = p["hr_gain_decel"] if decel else p["hr_gain_accel"]
    responder = bool(p["eda_responder"])
    return Person(
        hr_rest=p["hr_rest"],
        hr_gain=p["hr_rest"] * gain,
        rmssd_rest=p["rmssd_rest"],
        eda_tonic_rest=p["eda_rest"],
        eda_tonic_gain=p["eda_rest"] * p["eda_gain"] if responder else 0.0,
        scr_responder=responder,
        resp_rest=p["resp_rest"],
        resp_gain=p["resp_rest"] * p["resp_gain"],
    )


class SimulatedPatient:
    """A simulated person seeing the scene; call ``advance(t, intensity)`` every frame."""

    def __init__(
        self,
        population: Population | None = None,
        seed: int = 0,
        *,
        injections: Injections | None = None,
        params: dict[str, np.ndarray] | None = None,
    ):
        rng = np.random.default_rng(seed)
        population = population or Population.builtin()
        self.params = params if params is not None else population.sample(1, rng)
        self.model = PatientBatch(self.params, rng, dt=1.0)
        self.rng = rng
        self.injections = injections or Injections()
        self.rest = float(self.params["arousal_rest"][0])
        self.panic_level = float(self.params["panic_level"][0])
        self.person = person_of(self.params)
        self._hr_rest = self.person.hr_rest
        # the heart's arousal above rest at each whole second of session time
        self._trace = [float(self.model.a_hr[0]) - self.rest]
        self.time = 0.0  # session time simulated so far (whole seconds)
        self.escaped_at: float | None = None
        self._head_rng = np.random.default_rng([seed, 13])  # its own stream: the model's stays as it was
        self._glance: tuple[float, float, float, float] | None = None  # start, end, heading, pitch
        self.synth = PhysiologySynth(
            self._arousal, self.person, Artefacts(dropouts=list(self.injections.dropouts)), seed=seed
        )

    # -- the person ------------------------------------------------------------------

    def _arousal(self, times: np.ndarray) -> np.ndarray:
        """Arousal above rest at ``times`` for the generator: interpolated, held past the end."""
        trace = self._trace
        t = np.clip(np.asarray(times, dtype=np.float64), 0.0, len(trace) - 1)
        return np.interp(t, np.arange(len(trace)), trace)

    def advance(self, t: float, intensity: float) -> None:
        """Live through session time up to ``t`` seeing ``intensity`` (the shown one)."""
        while self.time + 1.0 <= t:
            escaped = self.model.step(np.array([intensity]))
            self.time += 1.0
            self._trace.append(float(self.model.a_hr[0]) - self.rest)
            if escaped[0] and self.escaped_at is None:
                self.escaped_at = self.time
            self._maybe_glance()
        # an injected surge changes the heart, not the fear: the generator reads hr_rest per beat
        self.person.hr_rest = self._hr_rest + sum(s.extra(t) for s in self.injections.surges)

    @property
    def arousal(self) -> float:
        return float(self.model.arousal[0])

    @property
    def escaped(self) -> bool:
        return self.escaped_at is not None

    def true_physiology(self) -> dict[str, float]:
        """What the model says the body shows now (for tests and the demo's log)."""
        return {k: float(v[0]) for k, v in self.model.physiology().items()}

    def answer_suds(self) -> int:
        """A SUDS answer (0–100) as this person gives it now: arousal, bias and scatter."""
        return int(self.model.ask_suds(np.array([0]))[0])

    def head_pose(self, t: float | None = None) -> tuple[float, float, float, float, float, float]:
        """x, y, z (m) and heading, pitch, roll (deg) relative to looking at the stimulus, at
        session time ``t`` (default: the last whole second lived; pass the frame's time for
        a head that moves smoothly between seconds).

        High fear turns the head away (avoidance): heading grows from 0 at
        ``LOOK_AWAY_AROUSAL`` × panic level to ``LOOK_AWAY_DEG`` at panic; brief glances
        away come more often the more afraid (``GLANCES_*``); small sway always.
        """
        now = self.time if t is None else t
        onset = LOOK_AWAY_AROUSAL * self.panic_level
        away = min(max((self.arousal - onset) / max(self.panic_level - onset, 1e-6), 0.0), 1.0)
        sway = 2.0 * math.sin(0.7 * now)
        heading, pitch = LOOK_AWAY_DEG * away + sway, -5.0 + 0.5 * sway
        if self._glance is not None:
            start, end, g_heading, g_pitch = self._glance
            # turn out and back over 0.5 s each (no teleporting head), hold in between
            w = min(max(min(now - start, end - now) / 0.5, 0.0), 1.0)
            heading, pitch = heading + w * g_heading, pitch + w * g_pitch
        return (0.0, 0.0, 0.0, heading, pitch, 0.0)

    def _maybe_glance(self) -> None:
        """Once a second: end a glance that is over, or perhaps start one (fear makes them likelier)."""
        if self._glance is not None and self.time >= self._glance[1]:
            self._glance = None
        if self._glance is not None:
            return
        fear = min(max((self.arousal - self.rest) / max(self.panic_level - self.rest, 1e-6), 0.0), 1.0)
        per_minute = GLANCES_CALM + (GLANCES_AFRAID - GLANCES_CALM) * fear
        r = self._head_rng
        if r.random() < per_minute / 60.0:
            size = r.uniform(35.0, 55.0)
            up = r.random() < 0.3  # sometimes up, away from a drop or the floor
            self._glance = (
                self.time,
                self.time + r.uniform(2.0, 5.0),
                0.0 if up else size * r.choice((-1.0, 1.0)),
                size if up else 0.0,
            )


def publisher(patient: SimulatedPatient, *, speed: float, clock, prefix: str, source: str) -> SimulatedPublisher:
    """The LSL outlets of the patient's body (ECG, PPG, EDA, RESP, RR), ``speed`` times real time."""
    return SimulatedPublisher(patient.synth, prefix=prefix, source=source, speed=speed, clock=clock)
