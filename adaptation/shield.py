"""The safety shield: it sits between every controller (rule, learned, in training too) and
the scene, and the therapist sits above both (docs/architecture.md).

``SafetyShield.decide(obs)`` asks the wrapped controller through a ``ControllerGuard`` and
filters the answer; ``filter(decision, obs)`` is the filtering step alone, for training,
where the agent's action arrives from outside; ``check(obs)`` applies the rules to the
target in force between decisions (a live session's alarming ticks) and returns only a
decrease they force. Rules, in order:

1. therapist STOP → 0.0 (calm) at once; no rate bound, the controller is not asked.
2. the controller fails (raises, NaN/inf, not a Decision, too slow) → the fallback
   controller; the fallback fails too → hold the last target.
3. clamp to [0, min(config.ceiling, obs.ceiling)]; an unreadable (NaN) ceiling → no increase.
4. heart signal untrustworthy (HR not finite or outside the plausible range, or the signal
   it came from — ``hr_source``, else any of ecg/ppg/rr — with quality below ``min_quality``
   or |age| above ``max_sensor_age_s``) → no increase; untrustworthy for
   longer than ``hold_before_ramp_s`` → ramp down at ``ramp_down_rate``. No HR baseline yet
   → no increase (a ceiling that cannot be checked must not be crossed upward).
5. HR over the patient's ceiling (relative or absolute) → one level below the current
   level, and never up. The beat-to-beat HR (``Features.hr_fast_bpm``: the newest run of
   regular beats, ``sensors.hr_fast``) is held to the same ceilings, also while rule 4
   distrusts the 10-s HR (a sudden surge is what makes it untrustworthy), when its own
   quality is usable and its newest beat at most ``hr_fast_max_age_s`` old. A SUDS
   answer at or over ``suds_ceiling`` (at most ``suds_max_age_s`` old) → never up, and
   one level down if it was given at this level.
   A recent SUDS at or over ``high_suds`` with a sign from the body (``body_signs``: a
   usable, fresh EDA, or breathing rate, or a trustworthy HR or RMSSD, past its limit) →
   never up, and ``distress_levels_down`` levels down (within the step and rate bounds:
   0.125 at 5 s decisions) at each decision while it lasts (through ``check`` also at a
   live session's alarming ticks between decisions, as a ramp at the rate bound).
6. therapist HOLD (or any command the shield does not know) → no increase.
7. no increase within ``min_raise_interval_s`` of the previous increase, nor, above calm,
   before a SUDS rating given at this level (or ``unrated_raise_after_s`` at it without one).
8. |target − last| ≤ min(max_step, max_rate × dt), dt = time since the shield's last output
   (first decision after reset: last = obs.target, only the step bound). Exceptions: STOP,
   and a ceiling below the last target, which the target may drop to at once (lowering
   fast is the safe direction; the scene still eases every frame).

Time that goes backwards or is NaN counts as dt = 0: nothing changes but the decreases a
STOP or a lowered ceiling force. The shield keeps the latest valid time, so after a glitch
(100, 50, 101) the next step is bounded by 1 s, not 51 s; a clock that really restarts
holds the target until ``reset()``.

Every change the shield makes appends a reason to ``Decision.interventions``; the output's
``source`` is the controller's name, ``'fallback:<name>'``, or ``'shield'`` when the shield
changed the target, and then ``reason`` names the rule that decided it (a decrease the
rate bound slows keeps the rule that asked for it; a controller's own step down that the
rate bound only slows stays the controller's, its reason saying so; a step down a rule
would have forced is the rule's even when the controller asked for it too).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from adaptation.guard import ControllerGuard, check_decision
from adaptation.safety_rules import (
    HEART,
    ShieldConfig,
    _reason_of,
    _step_down,
    agreeing_distress,
    alarm,
    heart_distrust,
    hr_fast_distrust,
    hr_fast_over_ceiling,
    hr_over_ceiling,
    suds_over_ceiling,
)
from adaptation.shield_rules import RULES, Situation, bound_rate
from adaptation.types import Controller, Decision, Observation, Therapist, step_target

__all__ = [
    "HEART",
    "SafetyShield",
    "ShieldConfig",
    "agreeing_distress",
    "alarm",
    "heart_distrust",
    "hr_fast_distrust",
    "hr_fast_over_ceiling",
    "hr_over_ceiling",
    "suds_over_ceiling",
]

_NAN = math.nan


class SafetyShield:
    """A Controller that wraps another; see the module docstring for the rules.

    ``controller`` may be None for a filter-only shield (training: actions come through
    ``filter``); its ``decide`` then uses the fallback. ``clock`` times inline controller
    calls (default ``time.perf_counter``); ``threaded`` runs them on a worker thread."""

    def __init__(
        self,
        controller: Controller | None,
        fallback: Controller,
        config: ShieldConfig = ShieldConfig(),
        threaded: bool = False,
        clock: Callable[[], float] | None = None,
    ):
        kw = {} if clock is None else {"clock": clock}  # the guards' clock: tests fake slowness
        self.config = config
        self.guard = ControllerGuard(controller, config.timeout_s, threaded, **kw)
        self.fallback = ControllerGuard(fallback, config.timeout_s, threaded, **kw)
        self.name = f"shield({self.guard.name})"
        # a controller that masks the raises the rules forbid is told, before it decides,
        # whether a raise would pass (``raise_hold``); the others are not (it costs a filter)
        self._tells_raise_hold = bool(getattr(controller, "reads_raise_hold", False))
        self.reset(controllers=False)

    def reset(self, controllers: bool = True) -> None:
        """Start a new session: forget the last target, times and timers."""
        self._last: float | None = None  # the shield's last output
        self._time: float | None = None  # the latest valid obs.time seen
        self._raised_at = -math.inf  # time of the last increase
        self._raised_before = -math.inf  # the one before (rebase undoes a raise not applied)
        self._untrusted_since: float | None = None
        if controllers:
            self.guard.reset()
            self.fallback.reset()

    def rebase(self, target: float, now: float | None = None) -> None:
        """The target was changed outside the shield (the therapist set a level, a suggestion
        was accepted or rejected): measure the next step from ``target``, keeping the timers.
        A raise made outside the shield at ``now`` (obs time) counts as a raise: the controller
        then waits ``min_raise_interval_s`` before raising again."""
        if not math.isfinite(target):
            return
        target = min(max(float(target), 0.0), 1.0)
        if self._last is not None and target < self._last and self._raised_at == self._time:
            self._raised_at = self._raised_before  # its raise was not applied: it does not count
        if now is not None and math.isfinite(now) and (self._last is None or target > self._last):
            self._raised_at = now
        if self._last is not None:  # before the first decision the shield starts
            self._last = target  # from obs.target anyway

    def hold_raises(self, now: float) -> None:
        """No raise for ``min_raise_interval_s`` from ``now`` (e.g. after a resume)."""
        if math.isfinite(now):
            self._raised_at = now

    def decide(self, obs: Observation) -> Decision:
        if obs.therapist == Therapist.STOP:  # the controller is not even asked
            return self._filter(None, obs, (), "")
        if self._tells_raise_hold:
            obs = replace(obs, raise_held=self.raise_hold(obs))
        d = self.guard.call(obs)
        if d is not None:
            return self._filter(d, obs, (), d.source or self.guard.name)
        return self._fall_back(obs, (self.guard.last_error,))

    def check(self, obs: Observation, why: str = "between decisions") -> Decision | None:
        """Between the controller's decisions (a live session's alarming tick): the rules
        alone, applied to the target in force (``obs.target``; unreadable → the shield's last
        output); the controller is not asked.
        Returns the decrease a rule forces, or None. When nothing is forced the shield's
        clock and last output are left as they were, so the controller's next step is
        bounded by the time since its last decision, as in training, not since this check."""
        held = obs.target if math.isfinite(obs.target) else (self._last if self._last is not None else 0.0)
        hold = Decision(held, "hold until the next decision", self.guard.name)
        with self._trial(keep_sensor_timer=True) as keep:
            d = self._filter(hold, obs, (f"between decisions: {why}",), self.guard.name)
            if d.source == "shield" and d.target < held:
                keep()
                return d
        return None

    def raise_hold(self, obs: Observation) -> str:
        """Why the rules would hold a one-level raise proposed now ("" when it would pass, or
        when there is no level above). A trial: the shield's state is left as it was.

        A controller told this (``Observation.raise_held``, through ``decide``) can stay
        instead of proposing what the protocol forbids: the same target as the shield's
        hold, without an intervention a therapist must read (adaptation/README.md)."""
        if obs.therapist == Therapist.STOP:
            return "therapist stop"
        up = step_target(obs, +1)
        last = self._last if self._last is not None else obs.target
        if not (math.isfinite(up) and math.isfinite(last) and up > last):
            return ""
        with self._trial():
            d = self._filter(Decision(up, "trial raise", self.guard.name), obs, (), self.guard.name)
        return "" if d.target > last else (d.reason or "held")

    @contextmanager
    def _trial(self, keep_sensor_timer: bool = False) -> Iterator[Callable[[], None]]:
        """Run ``_filter`` as a trial: its changes to the shield's state are undone on exit
        unless the body calls the yielded ``keep``. ``keep_sensor_timer``: a trial may start
        the sensor-loss timer, never clear it (the next decision does that)."""
        saved = (self._last, self._time, self._raised_at, self._raised_before, self._untrusted_since)
        kept = False

        def keep() -> None:
            nonlocal kept
            kept = True

        try:
            yield keep
        finally:
            if not kept:
                self._last, self._time, self._raised_at, self._raised_before, untrusted = saved
                if not (keep_sensor_timer and self._untrusted_since is not None and untrusted is None):
                    self._untrusted_since = untrusted

    def filter(self, decision: Decision, obs: Observation) -> Decision:
        """The filtering step alone: ``decision`` came from outside (an agent's action). An
        invalid one (NaN/inf target, not a Decision) is replaced by the fallback's."""
        if obs.therapist == Therapist.STOP:
            return self._filter(None, obs, (), "")
        d, error = check_decision(decision, "action")
        if d is not None:
            return self._filter(d, obs, (), d.source or self.guard.name)
        return self._fall_back(obs, (error,))

    def _fall_back(self, obs: Observation, notes: tuple[str, ...]) -> Decision:
        d = self.fallback.call(obs)
        if d is not None:
            return self._filter(
                d, obs, notes + (f"fallback '{self.fallback.name}' decided",), f"fallback:{self.fallback.name}"
            )
        return self._filter(None, obs, notes + (self.fallback.last_error,), "")

    def _filter(self, d: Decision | None, obs: Observation, given: tuple[str, ...], source: str) -> Decision:
        """``d`` None: no valid proposal (STOP, or every controller failed) → hold/calm."""
        cfg = self.config
        failure = given[-1] if given else "no valid target"
        notes = list(given)
        last, dt, valid_time, time_note = self._advance_clock(obs, notes)
        distrust = heart_distrust(obs.features, cfg)
        if valid_time:
            if not distrust:
                self._untrusted_since = None
            elif self._untrusted_since is None:
                self._untrusted_since = obs.time

        if obs.therapist == Therapist.STOP:  # rule 1
            self._last = 0.0
            notes.append("therapist stop")
            return Decision(0.0, "therapist stop", "shield", tuple(notes))
        cap = max(float(obs.ceiling), 0.0) if obs.ceiling < cfg.ceiling else cfg.ceiling  # a NaN ceiling: rule 3

        if d is not None and not math.isfinite(d.target):  # guarded already; defence in depth
            failure = f"non-finite target {d.target!r}"
            d = None
            notes.append(failure)
        t, why = (last, failure + ": hold last target") if d is None else (d.target, "")
        t0 = t
        if t > cap:  # rule 3
            t, why = cap, f"target {t:.3f} above ceiling {cap:.3f}: clamped"
            notes.append(why)
        elif t < 0.0:
            t, why = 0.0, f"target {t:.3f} below 0: clamped"
            notes.append(why)

        situation = Situation(
            obs, cfg, last, t, obs.time, dt, valid_time, distrust, self._untrusted_since, self._raised_at
        )
        t, why = self._apply_rules(situation, d, why, notes)
        t, why, softened = bound_rate(self.config, t, why, last, cap, dt, valid_time, time_note, d, notes)

        if t > last:
            self._raised_before, self._raised_at = self._raised_at, obs.time
        self._last = t
        if softened:
            return Decision(t, softened, source, tuple(notes))
        if d is None or t != t0 or why:
            return Decision(t, why, "shield", tuple(notes))
        return Decision(t, _reason_of(d), source, tuple(notes))

    def _advance_clock(self, obs: Observation, notes: list[str]) -> tuple[float, float, bool, str]:
        """The last output (first decision: the intensity last asked for), the seconds since
        it, whether ``obs.time`` is a valid next time, and the note when it is not."""
        cfg, now, last = self.config, obs.time, self._last
        if last is None:  # first decision: the intensity last asked for
            last = min(max(float(obs.target if not math.isnan(obs.target) else 0.0), 0.0), 1.0)
            dt = cfg.max_step / cfg.max_rate  # → only the step bound
        else:
            dt = 0.0  # no valid time yet: nothing to measure from
        if not math.isnan(now) and abs(now) != math.inf and (self._time is None or now >= self._time):
            if self._time is not None:
                dt = now - self._time
            self._time = now
            return last, dt, True, ""
        notes.append(
            f"time {now!r} s is not after the last valid time {self._time!r} s: dt = 0, no change but forced decreases"
            if self._time is not None
            else f"time {now!r} s is not a valid time: dt = 0, no change but forced decreases"
        )
        return last, 0.0, False, notes[-1]

    @staticmethod
    def _apply_rules(s: Situation, d: Decision | None, why: str, notes: list[str]) -> tuple[float, str]:
        """Rules 3–7 in order (``shield_rules.RULES``): steps down and ramps act at once;
        reasons not to raise are gathered and, if the target would rise, hold it."""
        t, hold = s.target, []
        for rule in RULES:
            c = rule(s)
            if c is None:
                continue
            if c.no_raise:
                hold.append(c.reason)
            if c.step_to is not None:
                t, why = _step_down(t, why, s.last, c.step_to, c.step_reason or c.reason, d, notes)
            if c.at_most is not None and t > c.at_most:
                t, why = c.at_most, c.reason
                notes.append(why)
            s.target = t
        if t > s.last and hold:
            t, why = s.last, "hold: " + "; ".join(hold)
            notes.append(why)
        return t, why
