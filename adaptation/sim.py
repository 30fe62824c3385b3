"""Simulated exposure sessions, many at once: the ground under the env, training and evaluation.

``SessionBatch`` runs ``n`` sessions side by side, one simulated person each, in steps of
one second: the scene eases toward each session's target at the scene's bounded rate, the
person's fear and body follow (``adaptation.patient``), the sensors measure them
(``adaptation.sensing``), SUDS is asked once a minute and soon after each level change (as
a live session asks: ``engine.session.core.Plan``), and the therapist now and then holds
the session. A controller acts every ``decision_interval_s`` through
``observation(i)`` (the same ``Observation`` a live session builds) or, for the learned
policy in training, through ``vectors()`` (the same encoding). This module keeps the
sessions' state and the second-by-second step; what controllers see is built in
``adaptation.sim_view``, and the success judgment, SUDS prompts and therapist holds are in
``adaptation.sim_events``.

A session ends on **escape** (the person panicked and left: failure), on **success**
(at the top level for at least ``success_time_s`` with the fear it evokes halved from its
peak there — the clinic's "until SUDS has fallen by half", judged on true arousal above
rest), or when ``duration_s`` has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import sim_view
from .patient import PatientBatch
from .sensing import SensorModel
from .sim_events import ask_suds, judge_top, therapist_holds
from .streams import PersonStreams
from .types import Observation


@dataclass(frozen=True)
class SessionConfig:
    """One session's shape. Defaults: a 30-minute session (clinical.md: Freeman et al. 2018)
    over an 11-level hierarchy (10–15 items, clinical.md) with a decision every 5 s."""

    levels: tuple[float, ...] = tuple(i / 10 for i in range(11))
    duration_s: float = 1800.0
    decision_interval_s: float = 5.0
    suds_interval_s: float = 60.0  # SUDS asked once a minute
    suds_after_change_s: float = 20.0  # and this long after each level change (inf: not)
    ramp_rate: float = 0.05  # scene easing, intensity per second
    band: tuple[float, float] = (0.35, 0.70)  # therapeutic (moderate) arousal, SUDS 35–70
    success_time_s: float = 60.0
    holds_per_hour: float = 2.0  # therapist holds, each 30–90 s
    dt: float = 1.0
    avoidance: float = 0.0  # afraid people look away (adaptation.patient, Avoidance); 0: never

    def __post_init__(self) -> None:
        lv = self.levels
        if len(lv) < 2 or lv[0] != 0.0 or any(b <= a for a, b in zip(lv, lv[1:])) or lv[-1] > 1.0:
            raise ValueError(f"levels {lv}: expected at least two ascending intensities from 0.0 up to at most 1.0")
        for name in ("duration_s", "decision_interval_s", "suds_interval_s", "ramp_rate", "dt", "success_time_s"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"SessionConfig.{name} = {v!r}; expected a positive number")
        if not (isinstance(self.suds_after_change_s, (int, float)) and self.suds_after_change_s >= 0):
            raise ValueError(
                f"SessionConfig.suds_after_change_s = {self.suds_after_change_s!r}; expected "
                "seconds ≥ 0 (inf: no extra rating after a level change)"
            )
        if self.decision_interval_s < self.dt:
            raise ValueError(f"decision_interval_s {self.decision_interval_s} is shorter than dt {self.dt}")
        if not 0.0 <= self.band[0] < self.band[1] <= 1.0:
            raise ValueError(f"band {self.band}: expected (low, high) with 0 ≤ low < high ≤ 1")
        if self.holds_per_hour < 0:
            raise ValueError(f"holds_per_hour {self.holds_per_hour}: expected ≥ 0")
        if not 0.0 <= self.avoidance <= 1.0:
            raise ValueError(f"avoidance {self.avoidance}: expected a probability per second, 0–1")


@dataclass
class Tally:
    """What happened in the seconds since the last decision, per session."""

    in_band_s: np.ndarray
    panic_s: np.ndarray
    sensitising_s: np.ndarray  # arousal above the person's habituation band (fear grows there)
    escape_risk: np.ndarray  # expected escapes: the sum of each second's escape probability
    escaped: np.ndarray  # escaped in this interval
    succeeded: np.ndarray  # succeeded in this interval
    new_levels: np.ndarray  # rise of the highest level reached
    remaining_s: np.ndarray | None = None  # session time left when it succeeded (0 otherwise)


class SessionBatch:
    """``n`` simulated sessions stepped together (see the module docstring)."""

    def __init__(
        self,
        params: dict[str, np.ndarray],
        config: SessionConfig = SessionConfig(),
        rng: np.random.Generator | PersonStreams | None = None,
    ):
        self.config = config
        rng = rng if rng is not None else np.random.default_rng()
        # one stream per person, shared by patient, sensors and therapist (adaptation.streams)
        n = len(np.atleast_1d(params["arousal_rest"]))
        self.rng = rng if isinstance(rng, PersonStreams) else PersonStreams.spawned(rng, n)
        self.levels = np.asarray(config.levels, dtype=np.float64)
        self.top = len(self.levels) - 1
        self.patients = PatientBatch(params, self.rng, dt=config.dt, avoidance=config.avoidance)
        self.baseline_suds = np.full(self.patients.n, math.nan)  # rated in the baseline phase
        self.n = self.patients.n
        self.sensors = SensorModel(self.n, params["artefacts_per_hour"], params["dropouts_per_hour"], self.rng)
        z = np.zeros(self.n)
        self.time, self.intensity, self.target = z.copy(), z.copy(), z.copy()
        self.level = np.zeros(self.n, np.int64)
        self.top_reached = np.zeros(self.n, np.int64)
        self.time_at_level = z.copy()
        self.suds, self.suds_age, self.peak_suds = z.copy(), z.copy(), z.copy()
        self.hold_until = z.copy()
        self.next_suds = z.copy()  # session time of the next SUDS rating
        self.peak_top, self.time_at_top = z.copy(), z.copy()
        self.escaped = np.zeros(self.n, bool)
        self.succeeded = np.zeros(self.n, bool)
        self.in_band_s, self.panic_s = z.copy(), z.copy()
        self._measured: tuple[np.ndarray, ...] | None = None
        self._lists: tuple[list, ...] | None = None
        self.reset()

    # -- sessions --------------------------------------------------------------------

    def reset(self, rows: np.ndarray | None = None, params: dict[str, np.ndarray] | None = None) -> None:
        """Start sessions afresh (with new people when ``params`` is given)."""
        rows = np.arange(self.n) if rows is None else np.asarray(rows)
        self.patients.reset(rows, params)
        self.sensors.reset(
            rows,
            self.patients.resting_physiology(),
            None if params is None else params["artefacts_per_hour"],
            None if params is None else params["dropouts_per_hour"],
        )
        for arr in (
            self.time,
            self.intensity,
            self.target,
            self.time_at_level,
            self.hold_until,
            self.peak_top,
            self.time_at_top,
            self.in_band_s,
            self.panic_s,
        ):
            arr[rows] = 0.0
        self.level[rows] = 0
        self.top_reached[rows] = 0
        self.suds[rows] = math.nan
        self.suds_age[rows] = math.inf
        self.next_suds[rows] = self.config.suds_interval_s
        self.peak_suds[rows] = math.nan
        self.escaped[rows] = False
        self.succeeded[rows] = False
        # the baseline phase's rating: resting arousal and the person's bias, without noise
        # (no draw, so every other random number is drawn as before)
        p = self.patients.p
        self.baseline_suds[rows] = np.clip(np.round(100.0 * p["arousal_rest"][rows] + p["suds_bias"][rows]), 0, 100)
        if self._measured is not None:
            # the other sessions keep the measurement their controllers already saw
            fresh = self.sensors.measure(self.time, self.patients.physiology())
            for kept, new in zip(self._measured, fresh):
                kept[rows] = new[rows]
        self._lists = None

    @property
    def done(self) -> np.ndarray:
        return self.escaped | self.succeeded | (self.time >= self.config.duration_s - 1e-9)

    @property
    def held(self) -> np.ndarray:
        return self.hold_until > self.time

    def set_targets(self, targets: np.ndarray) -> None:
        """The (shielded) intensities to ease toward; finished sessions ignore theirs, and a
        NaN keeps the previous target (the shield never sends one; a bug must not move the scene)."""
        t = np.asarray(targets, dtype=np.float64)
        keep = self.done | np.isnan(t)
        self.target = np.where(keep, self.target, np.clip(t, 0.0, self.levels[-1]))
        self._lists = None

    def advance(self) -> Tally:
        """Run one decision interval; sessions already finished stand still."""
        cfg = self.config
        steps = int(round(cfg.decision_interval_s / cfg.dt))
        n, p = self.n, self.patients.p
        tally = Tally(
            np.zeros(n),
            np.zeros(n),
            np.zeros(n),
            np.zeros(n),
            np.zeros(n, bool),
            np.zeros(n, bool),
            np.zeros(n, np.int64),
        )
        top_before = self.top_reached.copy()
        low, high = cfg.band
        for _ in range(steps):
            live = ~self.done
            if not live.any():
                break
            dt = cfg.dt
            move = np.clip(self.target - self.intensity, -cfg.ramp_rate * dt, cfg.ramp_rate * dt)
            self.intensity = np.where(live, self.intensity + move, self.intensity)
            escaped = self.patients.step(np.where(live, self.intensity, 0.0)) & live
            tally.escape_risk += live * self.patients.escape_probability
            self.time = np.where(live, self.time + dt, self.time)
            self.sensors.advance(self.time, dt)
            level = np.searchsorted(self.levels, self.intensity + 1e-6, side="right") - 1
            changed = level != self.level
            self.level = level
            self.top_reached = np.maximum(self.top_reached, level)
            self.time_at_level = np.where(changed, 0.0, self.time_at_level + dt * live)
            self.peak_suds = np.where(changed, math.nan, self.peak_suds)
            self.next_suds = np.where(
                changed & live, np.minimum(self.next_suds, self.time + cfg.suds_after_change_s), self.next_suds
            )
            self.suds_age = self.suds_age + dt * live
            a = self.patients.arousal
            in_band = live * ((a >= low) & (a <= high) & (self.intensity > 0)) * dt
            panic = live * (a > p["panic_level"]) * dt
            tally.in_band_s += in_band
            tally.panic_s += panic
            tally.sensitising_s += live * (a > p["habituation_band"]) * dt
            self.in_band_s += in_band
            self.panic_s += panic
            self.escaped |= escaped
            tally.escaped |= escaped
            judge_top(self, a, live & ~escaped)
            tally.succeeded |= self.succeeded & live
            ask_suds(self, live)
            therapist_holds(self, live)
        tally.new_levels = self.top_reached - top_before
        tally.remaining_s = np.where(tally.succeeded, np.maximum(cfg.duration_s - self.time, 0.0), 0.0)
        self._measured = None
        self._lists = None
        return tally

    # -- what controllers see (adaptation.sim_view) -------------------------------------

    def _measure(self) -> tuple[np.ndarray, ...]:
        return sim_view.measure(self)

    def vectors(self) -> np.ndarray:
        """Observation vectors (n, observation.SIZE) for the learned policy."""
        return sim_view.vectors(self)

    def observation(self, i: int, ceiling: float = 1.0) -> Observation:
        """Session ``i`` as a live session would see it."""
        return sim_view.observation(self, i, ceiling)
