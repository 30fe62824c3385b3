"""SessionCore: phases, modes, commands and the control tick, with hand-made features.

The controller here is a stand-in that always asks for one level up (or a fixed target):
these tests are about what the session does with decisions, not about any controller.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from adaptation.shield import ShieldConfig
from adaptation.types import Decision, Observation, Therapist, step_target
from engine.session.core import Mode, Phase, Plan, SessionCore
from sensors.types import Features, Quality
from tests.engine.stand_ins import AlwaysUp as Up

LEVELS = tuple(i / 10 for i in range(11))
NAMES = tuple(f"L{i}" for i in range(11))


class Log:
    def __init__(self):
        self.events: list[dict] = []

    def __call__(self, source, kind, reason="", **fields):
        e = {"source": source, "kind": kind, "reason": reason, **fields}
        self.events.append(e)
        return e

    def kinds(self, kind):
        return [e for e in self.events if e["kind"] == kind]


def calm(t: float, hr: float = 70.0, rel: float = 0.0, q: float = 1.0, age: float = 0.2) -> Features:
    return Features(
        time=t,
        hr_bpm=hr,
        hr_source="ecg",
        quality={"ecg": Quality(q, "ok" if q >= 0.5 else "noisy")},
        age_s={"ecg": age},
        relative={"hr_bpm": rel},
    )


# The shield's wait for a SUDS rating at each level is left out unless a test is about it:
# these tests send no ratings (test_a_raise_waits_for_the_patients_rating_at_this_level).
NO_RATING_WAIT = ShieldConfig(unrated_raise_after_s=0)


def make(mode=Mode.AUTO, shield=NO_RATING_WAIT, **plan):
    log = Log()
    p = Plan(LEVELS, NAMES, baseline_s=40.0, exposure_s=600.0, recovery_s=30.0, **plan)
    core = SessionCore(p, Up(), log, mode=mode, shield=shield)
    core.start(0.0)
    return core, log


def run(core, t0, t1, shown=None, feats=calm):
    """Ticks every second from t0 to t1; the scene shows the target at once unless ``shown``."""
    for t in range(int(t0), int(t1)):
        core.tick(float(t), feats(float(t)), core.target if shown is None else shown)


def into_exposure(mode=Mode.AUTO):
    core, log = make(mode)
    run(core, 0, 41)
    assert core.phase is Phase.EXPOSURE
    return core, log


def test_baseline_then_exposure_records_resting_values():
    core, log = make()
    run(core, 0, 40)
    assert core.phase is Phase.BASELINE
    run(core, 40, 41)
    assert core.phase is Phase.EXPOSURE
    (b,) = log.kinds("baseline")
    assert b["values"]["hr_bpm"] == pytest.approx(70.0)
    assert [e["phase"] for e in log.kinds("phase")] == ["baseline", "exposure"]


def test_baseline_is_extended_while_heart_rate_is_missing():
    core, log = make()
    run(core, 0, 60, feats=lambda t: calm(t, hr=math.nan, q=0.0))
    assert core.phase is Phase.BASELINE  # no HR yet: keeps recording rest (up to twice as long)
    run(core, 60, 82, feats=lambda t: calm(t, hr=math.nan, q=0.0))
    assert core.phase is Phase.EXPOSURE
    assert "no HR baseline" in log.kinds("baseline")[0]["reason"]


def test_auto_mode_raises_every_decision_and_logs_the_cause():
    core, log = into_exposure()
    run(core, 41, 80)
    assert core.target > 0.2
    changes = log.kinds("intensity")
    assert changes and all(e["source"] == "controller" and e["reason"] == "always up" for e in changes)
    # consulted every 5 s of session time, not every tick: 39 ticks → 8 decisions
    assert len(log.kinds("decision")) == 8


def test_a_raise_waits_for_the_patients_rating_at_this_level():
    """The default shield: after a step, the next raise waits for a SUDS rating of the new level."""
    core, log = make(shield=ShieldConfig())
    run(core, 0, 41)
    run(core, 41, 60)
    assert core.target == pytest.approx(0.1)  # first step from calm: no rating needed
    assert any("no SUDS rating at this level" in e["reason"] for e in log.kinds("decision"))
    core.suds_answer(25)  # the patient rates level 1
    run(core, 60, 66)
    assert core.target == pytest.approx(0.2)
    assert log.kinds("intensity")[-1]["reason"] == "always up"


def test_hr_over_ceiling_lowers_the_target_at_the_next_tick_not_the_next_decision():
    core, log = into_exposure()
    run(core, 41, 100)
    high = core.target
    assert high >= 0.3
    core.tick(100.0, calm(100.0, hr=105.0, rel=0.5), core.target)
    assert core.target < high
    assert log.kinds("intensity")[-1]["source"] == "shield"
    assert log.kinds("shield")
    (alert,) = [a for a in core.alerts if a["kind"] == "shield"]  # the therapist is told, once
    assert "above baseline" in alert["text"] and not alert["acknowledged"]
    core.tick(101.0, calm(101.0, hr=105.0, rel=0.5), core.target)
    assert len([a for a in core.alerts if a["kind"] == "shield"]) == 1  # not again at every tick


class CountingDown:
    """Always asks for one level down, and counts how often it is asked."""

    name = "down"

    def __init__(self) -> None:
        self.calls = 0

    def reset(self) -> None:
        pass

    def decide(self, obs: Observation) -> Decision:
        self.calls += 1
        return Decision(step_target(obs, -1), "always down", self.name)


def test_an_alarm_between_decisions_is_the_shields_alone_the_controller_keeps_its_cadence():
    """While an alarm lasts (here a stale heart signal, in its first 15 s, when the shield
    only holds), the shield looks at every tick but the controller is asked every 5 s only:
    a policy asked every second would step down five times faster than it was trained."""
    core, log = into_exposure()
    run(core, 41, 81)  # decisions at 41, 46, …, 76; the next at 81
    high = core.target
    down = CountingDown()
    core.shield.guard.controller = down
    run(core, 81, 91, feats=lambda t: calm(t, age=10.0))
    assert down.calls == 2  # 10 alarming ticks → decisions at 81 and 86
    assert core.target == pytest.approx(high - 0.2)
    assert [e["reason"] for e in log.kinds("intensity")[-2:]] == ["always down"] * 2


def test_stale_heart_holds_then_ramps_down():
    core, log = into_exposure()
    run(core, 41, 100)
    high = core.target
    stale = lambda t: calm(t, age=10.0)  # noqa: E731
    run(core, 100, 112, feats=stale)
    assert core.target == pytest.approx(high)  # hold first (15 s)
    run(core, 112, 140, feats=stale)
    assert core.target < high  # then ramp down
    assert any(e["kind"] == "sensor" and e["status"] == "stale" for e in log.events)
    assert any(a["kind"] == "sensor" for a in core.alerts)


def test_hold_stops_the_controller_raising_but_not_the_therapist():
    core, log = into_exposure()
    run(core, 41, 60)
    assert core.command("hold") == (True, "hold: the controller may not raise intensity")
    held = core.target
    run(core, 60, 120)
    assert core.target == held
    ok, _ = core.command("step_up")
    assert ok and core.target > held
    assert log.kinds("intensity")[-1]["source"] == "therapist"


def test_no_raise_while_the_picture_is_frozen_a_stop_still_acts_and_raises_resume_after():
    core, log = into_exposure()
    run(core, 41, 60)
    raised_to = core.target
    assert raised_to > 0.0  # the controller raises when frames come
    core.stalled = True  # the runner's frame watchdog: a stall
    run(core, 60, 120)
    assert core.target == raised_to  # no raise during it
    core.pending = (Decision(raised_to + 0.1, "up", "up"), core.time, core.target)
    assert core.command("accept") == (
        False,
        "not raised: the picture is frozen (a stall): no raise until frames come again",
    )
    ok, _ = core.command("stop")  # a stop acts during it
    assert ok and core.target == 0.0 and core.calm_requests == 1
    core.command("resume")
    core.stalled = False
    run(core, 120, 240)
    assert core.target > 0.0  # raises again after it


def test_stop_goes_calm_at_once_and_no_decision_is_taken_while_stopped():
    core, log = into_exposure()
    run(core, 41, 90)
    ok, why = core.command("stop")
    assert ok and core.target == 0.0 and core.calm_requests == 1 and core.therapist is Therapist.STOP
    n = len(log.kinds("decision"))
    run(core, 90, 150)
    assert core.target == 0.0 and len(log.kinds("decision")) == n
    assert core.command("hold")[0] is False  # stopped: resume first
    assert core.command("resume")[0] is True
    run(core, 150, 170)
    assert core.target > 0.0


def test_patient_stop_is_logged_as_the_patients_and_raises_an_alert():
    core, log = into_exposure()
    run(core, 41, 70)
    core.command("patient_stop", {}, "keyboard")
    (cmd,) = log.kinds("command")
    assert cmd["source"] == "patient" and cmd["accepted"] is True
    assert log.kinds("intensity")[-1]["source"] == "patient"
    assert core.alerts[-1]["kind"] == "patient"


def test_suggest_mode_waits_for_the_therapist():
    core, log = into_exposure(Mode.SUGGEST)
    run(core, 41, 47)
    assert core.target == 0.0 and core.pending is not None
    assert all(d["applied"] is False for d in log.kinds("decision"))
    ok, why = core.command("accept")
    assert ok and core.target == pytest.approx(0.1)
    run(core, 47, 53)
    assert core.pending is None  # an accepted raise counts: 10 s before the next one
    run(core, 53, 58)
    assert core.command("reject")[0] is True and core.target == pytest.approx(0.1)
    assert core.command("reject") == (False, "no proposal to reject")


def test_a_proposal_made_before_the_shield_lowered_the_target_cannot_be_accepted():
    core, log = into_exposure(Mode.SUGGEST)
    core.command("set_level", {"level": 5})
    run(core, 41, 52)
    assert core.pending is not None
    core.tick(52.0, calm(52.0, hr=110.0, rel=0.6), core.target)  # the shield lowers at once
    lowered = core.target
    assert lowered < 0.4 and core.pending is None
    core.tick(53.0, calm(53.0), core.target)
    assert core.command("accept")[0] is False and core.target == lowered


def test_a_proposed_raise_cannot_be_accepted_while_a_high_suds_and_the_body_agree():
    """Found in review: accepting re-checked the shield's alarms only, not the rule on a high
    SUDS with a physiological sign, which the shield would have held the raise for."""
    core, log = into_exposure(Mode.SUGGEST)
    run(core, 41, 43)
    assert core.pending is not None and core.pending[0].target > core.target
    aroused = replace(
        calm(43.0),
        relative={"hr_bpm": 0.0, "eda_tonic_us": 0.4},
        quality={"ecg": Quality(1.0), "eda": Quality(1.0)},
        age_s={"ecg": 0.2, "eda": 0.3},
    )
    core.suds_answer(65)
    core.tick(43.0, aroused, core.target)
    ok, why = core.command("accept")
    assert not ok and why.startswith("not raised: SUDS 65 ≥ 60") and "EDA +40 %" in why
    assert core.target == 0.0


def test_raises_by_hand_or_by_accept_count_for_the_controllers_spacing():
    core, log = into_exposure()
    run(core, 41, 60)
    core.command("hold")
    ok, _ = core.command("step_up")
    assert ok
    by_hand = core.target
    core.command("resume")
    run(core, 60, 69)  # < 10 s after the therapist's raise
    assert core.target == by_hand
    run(core, 69, 76)
    assert core.target > by_hand


def test_after_a_stop_and_resume_the_controller_waits_before_raising():
    core, log = into_exposure()
    run(core, 41, 70)
    core.command("stop")
    run(core, 70, 90)
    core.command("resume")
    run(core, 90, 99)
    assert core.target == 0.0
    run(core, 99, 110)
    assert core.target > 0.0


def test_suggest_mode_still_applies_the_shields_forced_decrease():
    core, log = into_exposure(Mode.SUGGEST)
    core.command("set_level", {"level": 6})
    core.tick(60.0, calm(60.0, hr=110.0, rel=0.6), core.target)
    assert core.target < 0.5
    assert log.kinds("intensity")[-1]["source"] == "shield"


def test_manual_mode_only_advises():
    core, log = into_exposure(Mode.MANUAL)
    run(core, 41, 100)
    assert core.target == 0.0
    assert log.kinds("decision") and not any(d["applied"] for d in log.kinds("decision"))


@pytest.mark.parametrize(
    "name,args,expected",
    [
        ("set_level", {"level": 0}, "does not exist"),
        ("set_level", {"level": 12}, "does not exist"),
        ("set_level", {"level": "3"}, "does not exist"),
        ("set_level", {"level": True}, "does not exist"),
        ("mode", {"mode": "fast"}, "not one of"),
        ("launch", {}, "unknown command"),
        ("suds", {"value": 101}, "0 to 100"),
        ("suds", {"value": "high"}, "0 to 100"),
        ("note", {"text": ""}, "1 to 2000"),
        ("ssq", {"total": 300}, "0 to 235.62"),
        ("ssq", {"total": 20, "nausea": -1}, "0 or more"),
        ("accept", {}, "no proposal"),
    ],
)
def test_bad_commands_are_refused_logged_and_change_nothing(name, args, expected):
    core, log = into_exposure()
    before = (core.target, core.mode, core.therapist, core.suds)
    ok, why = core.command(name, args)
    assert not ok and expected in why
    assert (core.target, core.mode, core.therapist, core.suds) == before or (
        math.isnan(core.suds) and math.isnan(before[3])
    )
    assert log.kinds("command")[-1]["accepted"] is False


def test_ceiling_refuses_a_level_above_it():
    log = Log()
    core = SessionCore(Plan(LEVELS, NAMES, baseline_s=40.0), Up(), log, ceiling=0.5)
    core.start(0.0)
    run(core, 0, 41)
    ok, why = core.command("set_level", {"level": 8})
    assert not ok and "ceiling" in why
    run(core, 41, 200)
    assert core.target <= 0.5


def test_suds_prompts_every_minute_and_after_a_level_change():
    core, log = into_exposure(Mode.MANUAL)
    run(core, 41, 42)
    assert len(log.kinds("prompt")) == 1  # at the start of exposure
    core.suds_answer(30)
    run(core, 42, 70)
    assert len(log.kinds("prompt")) == 1
    core.command("set_level", {"level": 3})
    run(core, 70, 95)  # shown at the new level from 70 s: prompt ~20 s later
    assert len(log.kinds("prompt")) == 2
    core.suds_answer(55)
    assert core.peak_suds_at_level == 55 and log.kinds("suds")[-1]["level"] == 2  # 0-based: level 3 is index 2


def test_exposure_then_recovery_then_done():
    core, log = into_exposure()
    run(core, 41, 641)
    assert core.phase is Phase.RECOVERY and core.target == 0.0
    run(core, 641, 672)
    assert core.done
    assert [e["phase"] for e in log.kinds("phase")] == ["baseline", "exposure", "recovery", "done"]


def test_ssq_is_recorded_with_its_subscales():
    core, log = into_exposure()
    assert core.command("ssq", {"total": 37.4, "nausea": 19.08, "oculomotor": 30.32})[0]
    (e,) = log.kinds("ssq")
    assert e["total"] == 37.4 and e["nausea"] == 19.08 and "disorientation" not in e


class Hangs:
    """A controller whose decide never comes back in time (a deadlocked plug-in)."""

    name = "hangs"

    def __init__(self) -> None:
        import threading

        self.release = threading.Event()

    def reset(self) -> None:
        pass

    def decide(self, obs: Observation) -> Decision:
        self.release.wait(30.0)
        return Decision(1.0, "too late", "hangs")


def test_a_live_core_does_not_wait_on_a_hung_controller_the_fallback_decides():
    log = Log()
    p = Plan(LEVELS, NAMES, baseline_s=40.0, exposure_s=600.0, recovery_s=30.0)
    hung = Hangs()
    core = SessionCore(p, hung, log, shield=NO_RATING_WAIT, threaded=True)
    core.start(0.0)
    try:
        run(core, 0, 45)  # baseline, then the first decisions of the exposure
        assert core.phase is Phase.EXPOSURE
        decisions = [e for e in log.events if e["kind"] == "decision"]
        assert decisions, "the control loop went on deciding"
        assert all(e.get("source") == "fallback:threshold" for e in decisions)
        assert "took more than" in core.shield.guard.last_error or "still busy" in core.shield.guard.last_error
    finally:
        hung.release.set()
