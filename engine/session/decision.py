"""The decision step of a session's control tick in exposure: at each ``decision_s`` the
controller is asked through the safety shield (``shield.decide``); at a tick between decisions
that ``shield.alarm`` (or the distress forecast) marks urgent, the shield alone filters the
target in force (``shield.check``). The decision is logged, then applied, kept as the
therapist's proposal, or raised as an alert, by mode (see ``core.py`` for the cadence and the
modes). At every tick it also asks for SUDS when one is due and updates the distress
forecast; while the therapist stops, nothing is decided. A function of the ``SessionCore`` it
changes, as ``handlers.py``'s commands are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adaptation.shield import alarm
from adaptation.types import Therapist, level_of
from engine.session.phase import Mode

if TYPE_CHECKING:  # types only: core imports this module
    from engine.session.core import SessionCore
    from sensors.types import Features


def control(core: SessionCore, now: float, features: Features, shown: float) -> None:
    """One control tick's decision step at session time ``now`` (``SessionCore.tick`` calls it in exposure)."""
    obs = core.observation(now, features, shown)
    core.last_obs = obs
    if core.prompt_since is None and now - core._last_prompt >= core.plan.suds_every_s:
        core.ask_suds()
    predicted = core.forecast.update(obs)  # every tick: the alert must not wait for a decision
    if core.therapist is Therapist.STOP:
        return
    urgent = alarm(obs, core.shield_config) or predicted
    due = now >= core._next_decision
    if not due and not urgent:
        return
    if due:
        core._next_decision = now + core.plan.decision_s
        d = core.shield.decide(obs)
    else:
        # Between decisions the shield alone looks, at the target in force: asking the
        # controller at every alarming tick would let the policy step every second, five
        # times faster than it was trained to (seen in the demo: three policy step-downs
        # in 2 s while the heart signal was untrustworthy). Its answer comes at the next
        # decision.
        forced_now = core.shield.check(obs, urgent)
        if forced_now is None:
            core._forcing = False
            return  # nothing forced: the controller's decision stands
        d = forced_now
    core.last_decision = d
    forced = d.source == "shield" and d.target < core.target
    applied = core.mode is Mode.AUTO or (forced and core.mode is Mode.SUGGEST)
    core.log(
        d.source or "controller",
        "decision",
        d.reason,
        controller=core.shield.guard.name,
        target=d.target,
        level=level_of(d.target, core.plan.levels),
        applied=applied,
        mode=core.mode.value,
    )
    if d.interventions:
        core.log(
            "shield",
            "shield",
            "; ".join(d.interventions),
            interventions=list(d.interventions),
            target=d.target,
            current=core.target,
        )
    was_forcing, core._forcing = core._forcing, forced
    if forced and applied and not was_forcing:  # once per episode, not at every tick of a ramp
        core.alert("shield", f"shield lowered intensity: {d.reason}")
    if applied:
        core.set_target(d.target, "shield" if forced else "controller", d.reason)
    else:
        core.shield.rebase(core.target)  # its proposal was not applied: measure from what was
        core.pending = None  # only the newest proposal stands
        if forced:
            if not was_forcing:  # once per episode, not at every tick
                core.alert("shield", f"shield advises lowering intensity: {d.reason}")
        elif abs(d.target - core.target) > 1e-9 and core.mode is Mode.SUGGEST:
            core.pending = (d, now, core.target)
