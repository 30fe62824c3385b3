"""A session's logic without Panda3D: phases, modes, therapist commands, SUDS prompts and
the control tick that asks the controller, through the safety shield, for a target.

Phases: ``baseline`` (calm state; resting values recorded) → ``exposure`` → ``recovery``
(calm state) → ``done``. Modes: ``auto`` applies the shielded decision; ``suggest`` keeps it
as a proposal the therapist accepts or rejects; ``manual`` only shows it. The shield's forced
decreases (HR over the ceiling, a lost heart signal ramping down, a SUDS at its ceiling, a
high SUDS the body agrees with) apply at once in auto and suggest mode; in manual mode,
where the therapist drives, they are raised as alerts. The therapist's own commands outrank every controller.

Cadence: ``tick`` runs at every control tick (each second of session time, and when a heart
beat arrives; see ``tick.py``). The controller is consulted every ``decision_s`` (5 s; a
learned policy's own training interval, which its file records, when it has one). At any tick between decisions where
``shield.alarm`` says the shield must look now, the shield filters the target in force (the
controller is not asked), so a surge or a lost sensor is acted on at that tick, not at the
next decision (architecture.md: sensor loss → hold, then ramp down), while the controller
still acts at the cadence it was trained at.

Everything that changes the target goes through ``set_target`` and is logged as an
``intensity`` event with its source and reason (rule 5 of the house: every change of
intensity is recorded with its cause). Events follow docs/session-format.md.

Beside it: the decision step in ``decision.py``, the session's shape (``Plan``) in
``plan.py``, what the console and the terminal see (``CoreSnapshot``) in ``snapshot.py``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from adaptation.controllers import ThresholdRule
from adaptation.shield import SafetyShield, ShieldConfig
from adaptation.types import Controller, Decision, Observation, Therapist, level_of
from engine.session.decision import control
from engine.session.forecast_watch import ForecastWatch
from engine.session.health import SensorHealth
from engine.session.phase import Mode, Phase  # noqa: F401 — imported from here by the console and tests
from engine.session.plan import PhaseView, Plan  # Plan: imported from here by the launcher and tests
from engine.session.roles import LogEvent
from engine.session.snapshot import CoreSnapshot, take  # CoreSnapshot: imported from here by the terminal
from sensors.baseline import Baseline
from sensors.types import Features

Log = LogEvent  # EventLog.log(source, kind, reason="", **fields)


class SessionCore(PhaseView):
    def __init__(
        self,
        plan: Plan,
        controller: Controller,
        log: Log,
        *,
        mode: Mode = Mode.AUTO,
        shield: ShieldConfig = ShieldConfig(),
        ceiling: float = 1.0,
        baseline: Baseline | None = None,
        threaded: bool = False,
    ):
        """``threaded``: ask the controller on a worker thread and wait at most the shield's
        ``timeout_s`` (adaptation/guard.py); a live session's control loop must never wait
        on a controller that hangs (the fallback decides instead). Tests and simulations
        call inline."""
        # a learned policy decides at the interval it was trained at (its file records it)
        cadence = getattr(controller, "decision_s", None)
        if isinstance(cadence, (int, float)) and math.isfinite(cadence) and cadence > 0:
            plan = replace(plan, decision_s=float(cadence))
        self.plan = plan
        self.rest: dict[str, float] = {}  # the baseline phase's resting values, once recorded
        self.baseline_suds = math.nan  # a SUDS answered during the baseline phase
        self.log = log
        self.mode = Mode(mode)
        self.ceiling = ceiling
        self.shield_config = shield
        self.shield = SafetyShield(controller, ThresholdRule(), shield, threaded=threaded)
        self.baseline = baseline if baseline is not None else Baseline()
        self.health = SensorHealth(shield.max_sensor_age_s, shield.min_quality)
        self.phase = Phase.BASELINE
        self.therapist = Therapist.CLEAR
        self.target = plan.calm
        self.calm_requests = 0  # "calm now" asked so far: the frame thread blinks at each new one
        self.recentres = 0  # "recentre" asked so far: a headset's seat turns at each new one
        self.stalled = False  # the frame thread is stalled (runner's watchdog): no raises
        self.features: Features | None = None  # the last tick's
        self.time = 0.0
        self.phase_start = 0.0
        self.exposure_start: float | None = None
        self.level = 0
        self.level_since = 0.0
        self.top_reached = 0
        self.suds, self.suds_at = math.nan, -math.inf
        self.peak_suds_at_level = math.nan
        self.prompt_since: float | None = None
        self._last_prompt = -math.inf
        self._next_decision = 0.0
        self.pending: tuple[Decision, float, float] | None = None  # proposal, when, the target it was made from
        self.last_decision: Decision | None = None
        self.last_obs: Observation | None = None
        self.alerts: list[dict] = []
        self.last_change: tuple[str, str] = ("session", "start")  # who changed the target last, and why
        self._forcing = False  # the shield forced a decrease at the last decision
        self.forecast = ForecastWatch(shield, log, self.alert)  # the predictive distress alert

    def snapshot(self) -> CoreSnapshot:
        """The session's state as the console and the terminal show it (``CoreSnapshot``)."""
        return take(self)

    def change_key(self) -> tuple:
        """Changes when something a therapist must see at once changes (a stop, a hold, the
        mode, the target, an alert or its acknowledgement, a proposal): cheap to compare."""
        return (
            self.phase,
            self.therapist,
            self.mode,
            self.target,
            len(self.alerts),
            sum(a["acknowledged"] for a in self.alerts),
            self.pending is None,
            self.stalled,
        )

    # -- phases --------------------------------------------------------------------------

    def start(self, now: float) -> None:
        self.time = self.phase_start = now
        self.log("session", "phase", "calm baseline: resting values are recorded", phase=Phase.BASELINE.value)

    def enter(self, phase: Phase, now: float, reason: str, source: str = "session") -> None:
        self.phase, self.phase_start = phase, now
        self.log(source, "phase", reason, phase=phase.value)
        if phase is Phase.EXPOSURE:
            self.exposure_start = now
            self._next_decision = now
        elif phase in (Phase.RECOVERY, Phase.DONE):
            self.pending = None
            self.prompt_since = None
            self.set_target(self.plan.calm, source, f"{phase.value}: calm state")

    # -- the control tick ------------------------------------------------------------------

    def tick(self, now: float, features: Features, shown: float) -> None:
        """One control tick at session time ``now`` with this tick's features and the shown intensity."""
        self.time = now
        self.features = features
        level = level_of(shown, self.plan.levels)
        if level != self.level:
            self.level, self.level_since = level, now
            self.top_reached = max(self.top_reached, level) if self.phase is Phase.EXPOSURE else self.top_reached
            self.peak_suds_at_level = math.nan
            if self.phase is Phase.EXPOSURE:
                self._last_prompt = min(self._last_prompt, now - self.plan.suds_every_s + self.plan.suds_after_change_s)
        for signal, status, why in self.health.update(features, now):
            self.log("sensors", "sensor", why, signal=signal, status=status)
            if status != "fresh":
                self.alert("sensor", f"{signal} {status}: {why}")
        self._log_tick(features, shown)
        elapsed = now - self.phase_start
        if self.phase is Phase.BASELINE:
            self.baseline.add(features)
            if elapsed >= self.plan.baseline_s and (self._baseline_complete() or elapsed >= 2 * self.plan.baseline_s):
                values = {k: (v if math.isfinite(v) else None) for k, v in self.baseline.values().items()}
                self.rest = {k: v for k, v in values.items() if v is not None}
                why = (
                    "resting values recorded"
                    if self._baseline_complete()
                    else (
                        "too few trustworthy heart-rate values at rest: no HR baseline, the shield will not raise"
                        if not self.baseline.ready
                        else "too few EDA values at rest: no EDA baseline (EDA reads as unknown)"
                    )
                )
                self.log("sensors", "baseline", why, values=values)
                for signal in self.health.never_fresh(sorted(features.quality)):
                    self.log(
                        "sensors", "sensor", "no good data during the whole baseline", signal=signal, status="lost"
                    )
                    self.alert("sensor", f"{signal}: no good data during the baseline")
                self.enter(Phase.EXPOSURE, now, "exposure begins")
        elif self.phase is Phase.EXPOSURE:
            if elapsed >= self.plan.exposure_s:
                self.enter(Phase.RECOVERY, now, f"exposure time ({self.plan.exposure_s / 60:.0f} min) is over")
            else:
                control(self, now, features, shown)  # the decision step (decision.py)
        elif self.phase is Phase.RECOVERY and elapsed >= self.plan.recovery_s:
            self.enter(Phase.DONE, now, "recovery over: session done")

    def _baseline_complete(self) -> bool:
        """HR has a baseline, and so does EDA if any EDA values came at all: the policy reads
        EDA relative to rest, and without it acts as if the sensor were missing."""
        b = self.baseline
        return b.ready and (b.count("eda_tonic_us") == 0 or b.count("eda_tonic_us") >= b.min_values)

    def observation(self, now: float, features: Features, shown: float) -> Observation:
        start = self.exposure_start if self.exposure_start is not None else now
        therapist = self.therapist
        if self.stalled and therapist is Therapist.CLEAR:
            therapist = Therapist.HOLD  # nobody sees a raise while the picture is frozen
        return Observation(
            time=now - start,
            intensity=shown,
            target=self.target,
            levels=self.plan.levels,
            level=self.level,
            time_at_level=now - self.level_since,
            features=features,
            suds=self.suds,
            suds_age=now - self.suds_at,
            peak_suds_at_level=self.peak_suds_at_level,
            top_reached=self.top_reached,
            therapist=therapist,
            ceiling=self.ceiling,
            rest_hr_bpm=self.rest.get("hr_bpm", math.nan),
            rest_eda_us=self.rest.get("eda_tonic_us", math.nan),
            baseline_suds=self.baseline_suds,
        )

    def _log_tick(self, f: Features, shown: float) -> None:
        num = lambda v: v if isinstance(v, (int, float)) and math.isfinite(v) else None  # noqa: E731
        self.log(
            "sensors",
            "tick",
            "",
            phase=self.phase.value,
            intensity=shown,
            target=self.target,
            level=self.level,
            hr_bpm=num(f.hr_bpm),
            rmssd_ms=num(f.rmssd_ms),
            eda_tonic_us=num(f.eda_tonic_us),
            scr_per_min=num(f.scr_per_min),
            resp_bpm=num(f.resp_rate_bpm),
            relative={k: num(v) for k, v in f.relative.items()},
            quality={k: round(q.index, 3) for k, q in f.quality.items()},
            age_s={k: num(round(a, 3)) for k, a in f.age_s.items()},
        )

    # -- targets, commands, SUDS ----------------------------------------------------------

    def obs_time(self) -> float:
        """Now on the shield's clock (``Observation.time``: seconds since exposure began)."""
        return self.time - (self.exposure_start if self.exposure_start is not None else self.time)

    def set_target(self, target: float, source: str, reason: str, *, calm_now: bool = False) -> None:
        target = min(max(float(target), 0.0), self.ceiling)
        if calm_now:
            self.calm_requests += 1
        if abs(target - self.target) < 1e-9 and not calm_now:
            return
        self.pending = None  # a proposal made from another target is void
        previous, self.target = self.target, target
        self.last_change = (source, reason)
        level = level_of(target, self.plan.levels)
        self.log(
            source,
            "intensity",
            reason,
            target=target,
            previous=previous,
            level=level,
            level_name=self.plan.names[level],
        )

    def ask_suds(self, source: str = "session") -> None:
        """Show the SUDS question now (and count it as this minute's)."""
        self.prompt_since = self._last_prompt = self.time
        self.log(source, "prompt", "SUDS rating asked", what="suds")

    def alert(self, kind: str, text: str) -> None:
        self.alerts.append({"t": self.time, "kind": kind, "text": text, "acknowledged": False})

    def suds_answer(self, value: float, origin: str = "patient") -> tuple[bool, str]:
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 <= value <= 100):
            return False, f"SUDS {value!r} is not a number from 0 to 100"
        self.suds, self.suds_at = float(value), self.time
        if self.phase is Phase.BASELINE:
            self.baseline_suds = float(value)
        self.peak_suds_at_level = value if not self.peak_suds_at_level >= value else self.peak_suds_at_level
        self.prompt_since = None
        self.log(origin, "suds", f"SUDS {value:.0f} at level {self.level + 1}", value=float(value), level=self.level)
        return True, ""

    def command(
        self, name: str, args: dict | None = None, origin: str = "therapist", request: str | None = None
    ) -> tuple[bool, str]:
        """Apply a therapist (or patient) command now; returns (accepted, reason) and logs it,
        with ``request`` (the asker's id) so that the verdict finds its way back."""
        from engine.session.handlers import apply  # the handlers live beside the core

        given = args if isinstance(args, dict) else {}
        origin = "patient" if name == "patient_stop" else origin  # the patient's button, whoever relays it
        accepted, reason = apply(self, name, args, origin)
        extra = {"request": request} if request is not None else {}
        self.log(origin, "command", reason, command=name, args=dict(given), accepted=accepted, **extra)
        return accepted, reason
