"""What each command does to a session: the handlers behind ``SessionCore.command``.

``apply(core, name, args, origin)`` changes the ``SessionCore`` and returns (accepted,
reason); the core logs every command, refused ones included, with its origin. A refused
command changes nothing. Names, arguments and who may send them are checked first against
the one command table (``command_spec.py``) that the keys and the console read too; the
handlers check what depends on the session's state (the phase, a stop, the ceiling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from adaptation.types import Therapist, level_of
from engine.session import command_spec
from engine.session.phase import Mode, Phase

if TYPE_CHECKING:
    from engine.session.core import SessionCore


def _stop(core: SessionCore, args: dict, origin: str) -> tuple[bool, str]:
    core.therapist = Therapist.STOP
    core.pending = None
    who = "patient pressed stop" if origin == "patient" else f"{origin} stop"
    core.set_target(core.plan.calm, origin, f"{who}: calm state now", calm_now=True)
    core.shield.rebase(core.target)
    if origin == "patient":
        core.alert("patient", "the patient pressed stop")
    return True, f"{who}: calm state now"


def _hold(core, args, origin):
    if core.therapist is Therapist.STOP:
        return False, "the session is stopped; resume first"
    core.therapist = Therapist.HOLD
    return True, "hold: the controller may not raise intensity"


def _resume(core, args, origin):
    if core.therapist is Therapist.CLEAR:
        return False, "nothing to resume: the session is neither held nor stopped"
    was = core.therapist.value
    core.therapist = Therapist.CLEAR
    core.shield.rebase(core.target)
    core.shield.hold_raises(core.obs_time())  # the controller waits before its first raise
    return True, f"resumed after {was}"


def _move_to(core, level: int, origin: str, why: str) -> tuple[bool, str]:
    if core.phase is not Phase.EXPOSURE:
        return False, f"levels change only during exposure (phase is {core.phase.value})"
    if core.therapist is Therapist.STOP:
        return False, "the session is stopped; resume first"
    levels = core.plan.levels
    if levels[level] > core.ceiling + 1e-9:
        return False, f"level {level + 1} ({levels[level]:.2f}) is above this patient's ceiling {core.ceiling:.2f}"
    core.set_target(levels[level], origin, why)
    core.shield.rebase(core.target, core.obs_time())  # a raise by hand counts as a raise
    core.pending = None
    return True, why


def _step(direction: int) -> Callable:
    def run(core, args, origin):
        current = level_of(core.target, core.plan.levels)
        k = current + direction
        if not 0 <= k < len(core.plan.levels):
            return False, f"no level {'above' if direction > 0 else 'below'} level {current + 1}"
        return _move_to(
            core,
            k,
            origin,
            f"{origin} stepped {'up' if direction > 0 else 'down'} to level {k + 1} '{core.plan.names[k]}'",
        )

    return run


def _set_level(core, args, origin):
    level = args["level"]
    return _move_to(core, level - 1, origin, f"{origin} set level {level} '{core.plan.names[level - 1]}'")


def _mode(core, args, origin):
    core.mode = Mode(args["mode"])
    core.pending = None
    core.shield.rebase(core.target)
    return True, f"mode is now {core.mode.value}"


def _accept(core, args, origin):
    """Apply the pending proposal if it is recent and nothing the shield watches forbids it now.

    The proposal was filtered by the shield when it was made (step, rate and the time since
    the last raise, from the target then in force); it is refused if the target has moved
    since, and a raise is checked again against what is true now: therapist hold, alarms,
    and a high SUDS that the body agrees with (the shield would hold it too)."""
    from adaptation.shield import agreeing_distress, alarm

    if core.pending is None:
        return False, "no proposal to accept"
    decision, at, made_from = core.pending
    core.pending = None
    if abs(core.target - made_from) > 1e-9:
        return False, (
            f"the proposal was made at target {made_from:.2f}, which is now {core.target:.2f}; wait for the next"
        )
    if core.time - at > core.plan.suggestion_valid_s:
        return (
            False,
            f"the proposal is {core.time - at:.0f} s old (> {core.plan.suggestion_valid_s:.0f} s); wait for the next",
        )
    if decision.target > core.target:
        obs, cfg = core.last_obs, core.shield_config
        why = (alarm(obs, cfg) or agreeing_distress(obs, cfg)) if obs is not None else "no observation yet"
        if core.therapist is not Therapist.CLEAR:
            why = f"the session is on {core.therapist.value}"
        elif core.stalled:
            why = "the picture is frozen (a stall): no raise until frames come again"
        if why:
            return False, f"not raised: {why}"
    core.set_target(decision.target, origin, f"{origin} accepted: {decision.reason}")
    core.shield.rebase(core.target, core.obs_time())
    return True, f"accepted: target {core.target:.2f}"


def _reject(core, args, origin):
    if core.pending is None:
        return False, "no proposal to reject"
    core.pending = None
    core.shield.rebase(core.target)
    return True, "proposal rejected"


def _suds(core, args, origin):
    return core.suds_answer(args.get("value"), origin)


def _ask_suds(core, args, origin):
    core.ask_suds(origin)
    return True, "SUDS prompt shown"


def _note(core, args, origin):
    core.log(origin, "note", args["text"], text=args["text"])
    return True, "note added"


def _ssq(core, args, origin):
    """The Simulator Sickness Questionnaire's total (and any subscales), as the therapist scored it."""
    scores = {k: float(v) for k, v in args.items()}
    core.log(origin, "ssq", f"SSQ total {scores['total']:g}", **scores)
    return True, "SSQ recorded"


def _end(core, args, origin):
    if core.phase in (Phase.RECOVERY, Phase.DONE):
        return False, f"already in {core.phase.value}"
    core.enter(Phase.RECOVERY, core.time, f"{origin} ended the exposure", origin)
    return True, "exposure ended: recovery in the calm state"


def _recentre(core, args, origin):
    core.recentres += 1  # the frame thread turns the seat at the next frame
    return True, "recentred: forward is where the patient looks now"


def _ack(core, args, origin):
    """Acknowledge alert ``index`` (0-based, in the order raised): it stays listed, no longer open."""
    index, n = args["index"], len(core.alerts)
    if not index < n:
        return False, (
            f"alert {index!r} does not exist: give an index from 0 to {n - 1}"
            if n
            else "there is no alert to acknowledge"
        )
    alert = core.alerts[index]
    if alert["acknowledged"]:
        return False, f"alert {index} was already acknowledged"
    alert["acknowledged"] = True
    return True, f"alert acknowledged: {alert['kind']}: {alert['text']}"


HANDLERS = {
    "stop": _stop,
    "patient_stop": _stop,
    "hold": _hold,
    "resume": _resume,
    "recentre": _recentre,
    "step_up": _step(+1),
    "step_down": _step(-1),
    "set_level": _set_level,
    "mode": _mode,
    "accept": _accept,
    "reject": _reject,
    "suds": _suds,
    "ssq": _ssq,
    "ask_suds": _ask_suds,
    "note": _note,
    "end": _end,
    "ack": _ack,
}


def apply(core: SessionCore, name: str, args: dict | None, origin: str) -> tuple[bool, str]:
    try:
        name, args = command_spec.check(name, args, origin, len(core.plan.levels))
    except command_spec.Refused as exc:
        return False, str(exc)
    return HANDLERS[name](core, args, origin)
