"""The safety shield, rule by rule: each intervention with a reason a therapist can read."""

from __future__ import annotations

import math
import threading
from dataclasses import replace

import pytest

from adaptation.invariants import InvariantMonitor
from adaptation.shield import SafetyShield, ShieldConfig
from adaptation.types import Controller, Decision, Observation, Therapist, level_of
from sensors.types import Features, Quality

LEVELS = tuple(i / 10 for i in range(11))
NAN, INF = math.nan, math.inf


def heart(
    t: float = 0.0, hr: float = 80.0, rel: float | None = 0.1, q: float = 1.0, age: float = 0.3, source: str = "ecg"
) -> Features:
    """Features with one heart signal; ``rel`` None leaves the baseline out."""
    return Features(
        time=t,
        hr_bpm=hr,
        hr_source=source,
        quality={source: Quality(q)},
        age_s={source: age},
        relative={} if rel is None else {"hr_bpm": rel},
    )


def obs(
    t: float, target: float, features: Features | None = None, therapist=Therapist.CLEAR, ceiling: float = 1.0
) -> Observation:
    """A calm patient who rated this level (SUDS 20, 10 s ago, 30 s into it): nothing but
    what a test changes stands in the way of a raise."""
    return Observation(
        time=t,
        intensity=target,
        target=target,
        levels=LEVELS,
        level=level_of(target, LEVELS),
        time_at_level=30.0,
        features=heart(t) if features is None else features,
        therapist=therapist,
        ceiling=ceiling,
        suds=20.0,
        suds_age=10.0,
    )


class Fixed:
    """Answers ``target`` (or raises it, if it is an exception); counts calls."""

    def __init__(self, target, name: str = "fixed", reason: str = "as scripted"):
        self.target, self.name, self.reason = target, name, reason
        self.calls = self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def decide(self, o: Observation):
        self.calls += 1
        if isinstance(self.target, BaseException):
            raise self.target
        if callable(self.target):
            return self.target(o)
        return Decision(self.target, self.reason)


class Rule(Fixed):
    """A tiny stand-in for the rule controller: stay where you are."""

    def __init__(self) -> None:
        super().__init__(None, "rule", "stay")

    def decide(self, o: Observation) -> Decision:
        self.calls += 1
        return Decision(o.target, "stay")


def run(shield: SafetyShield, start: float, steps: list[tuple[float, dict]], monitor: bool = True):
    """Feed (time, obs kwargs) steps, each observing the previous output; return decisions.
    Every decision is also checked by an InvariantMonitor."""
    m = InvariantMonitor(shield.config)
    target, out = start, []
    for t, kw in steps:
        o = obs(t, target, **kw)
        d = shield.decide(o)
        if monitor:
            assert m.check(o, d) == []
        out.append(d)
        target = d.target
    return out


# ---- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("ceiling", 1.5),
        ("ceiling", NAN),
        ("max_step", 0.0),
        ("max_rate", INF),
        ("max_rate", -1.0),
        ("min_quality", 2.0),
        ("hr_ceiling_bpm", 0.0),
        ("timeout_s", 0.0),
        ("hold_before_ramp_s", -1.0),
        ("max_sensor_age_s", "3"),
        ("ceiling", True),
        ("low_hr_rel", 1.5),
        ("low_rmssd_rel", -0.1),
        ("high_resp_bpm", INF),
        ("distress_levels_down", 0),
        ("distress_levels_down", 11),
    ],
)
def test_config_rejects_values_naming_field_value_and_range(field, value):
    with pytest.raises(ValueError, match=rf"ShieldConfig\.{field}={value!r}: must be a finite number in \["):
        ShieldConfig(**{field: value})


def test_config_cross_checks_and_floats():
    with pytest.raises(ValueError, match="ramp_down_rate=0.05 exceeds max_rate=0.025"):
        ShieldConfig(ramp_down_rate=0.05)
    with pytest.raises(ValueError, match="hr_min_plausible_bpm=200.0 must be below"):
        ShieldConfig(hr_min_plausible_bpm=200.0, hr_max_plausible_bpm=100.0)
    assert type(ShieldConfig(ceiling=1).ceiling) is float
    with pytest.raises(ValueError, match=r"distress_levels_down=1\.5: must be a whole number of levels"):
        ShieldConfig(distress_levels_down=1.5)


# ---- pass-through and identity ----------------------------------------------------------


def test_an_allowed_decision_passes_untouched_and_the_shield_is_a_controller():
    s = SafetyShield(Fixed(0.3, "ctl", "one step up"), Rule())
    assert isinstance(s, Controller) and s.name == "shield(ctl)"
    d = s.decide(obs(0.0, 0.2))
    assert d == Decision(0.3, "one step up", "ctl", ())
    assert not d.shielded


def test_reset_resets_both_controllers_and_the_state():
    c, f = Fixed(0.9), Rule()
    s = SafetyShield(c, f)
    assert s.decide(obs(0.0, 0.2)).target == pytest.approx(0.35)  # first: step bound only
    s.reset()
    assert (c.resets, f.resets) == (1, 1)
    assert s.decide(obs(5.0, 0.5)).target == pytest.approx(0.65)  # measured from obs.target again


# ---- therapist stop and hold ------------------------------------------------------------


def test_stop_is_calm_at_once_and_the_controller_is_not_asked():
    c = Fixed(0.9)
    s = SafetyShield(c, Rule())
    run(s, 0.8, [(0.0, {})])
    calls = c.calls
    d = s.decide(obs(1.0, 0.8, therapist=Therapist.STOP))
    assert d == Decision(0.0, "therapist stop", "shield", ("therapist stop",))
    assert c.calls == calls


def test_stop_wins_over_everything_at_once():
    s = SafetyShield(Fixed(ValueError("broken")), Fixed(INF, "bad fallback"))
    s.decide(obs(0.0, 0.9))
    o = obs(NAN, 0.9, features=heart(hr=NAN, age=99.0), therapist="stop", ceiling=NAN)
    for decide in (s.decide, lambda o: s.filter(Decision(NAN, "x"), o)):
        d = decide(o)
        assert d.target == 0.0 and d.reason == "therapist stop" and d.source == "shield"


def test_hold_allows_lowering_but_never_raising():
    s = SafetyShield(Fixed(0.9), Rule())
    d1, d2 = run(s, 0.5, [(0.0, {"therapist": Therapist.HOLD}), (20.0, {"therapist": Therapist.HOLD})])
    assert d1.target == 0.5 and d1.reason == "hold: therapist hold" and d1.source == "shield"
    assert d2.target == 0.5
    s2 = SafetyShield(Fixed(0.45), Rule())
    assert run(s2, 0.5, [(0.0, {"therapist": Therapist.HOLD})])[0].target == 0.45


def test_an_unknown_therapist_command_is_treated_as_hold():
    d = SafetyShield(Fixed(0.9), Rule()).decide(obs(0.0, 0.5, therapist="pause"))
    assert d.target == 0.5 and "therapist pause" in d.reason


# ---- controller failure → fallback ------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "answer, error",
    [
        (ValueError("boom"), "raised ValueError: boom"),
        (NAN, "returned NaN target"),
        (INF, "returned inf target"),
        (-INF, "returned -inf target"),
        ("none", "returned NoneType not a Decision"),
        ("str", "returned str not a Decision"),
    ],
)
def test_a_failing_controller_falls_back_to_the_rule_controller(answer, error):
    bad = {"none": lambda o: None, "str": lambda o: "up"}.get(answer, answer)
    s = SafetyShield(Fixed(bad, "ctl"), Rule())
    d = s.decide(obs(0.0, 0.4))
    assert d.target == 0.4 and d.source == "fallback:rule" and d.reason == "stay"
    assert d.interventions == (f"controller 'ctl' {error}", "fallback 'rule' decided")


def test_a_slow_controller_falls_back_inline_on_the_injected_clock():
    clock = FakeClock()

    def slow(o):
        clock.now += 0.41
        return Decision(0.9, "late")

    s = SafetyShield(Fixed(slow, "ctl"), Rule(), clock=clock)
    d = s.decide(obs(0.0, 0.4))
    assert d.source == "fallback:rule" and d.interventions[0] == "controller 'ctl' took 0.41 s > 0.25 s"


def test_a_hung_controller_falls_back_in_threaded_mode_and_stays_on_the_fallback():
    release = threading.Event()

    def hang(o):
        release.wait(10.0)
        return Decision(0.9, "late")

    s = SafetyShield(Fixed(hang, "ctl"), Rule(), ShieldConfig(timeout_s=0.05), threaded=True)
    try:
        d1 = s.decide(obs(0.0, 0.4))
        d2 = s.decide(obs(1.0, 0.4))
    finally:
        release.set()
    assert d1.source == d2.source == "fallback:rule" and d1.target == d2.target == 0.4
    assert d1.interventions[0] == "controller 'ctl' took more than 0.05 s"
    assert d2.interventions[0].startswith("controller 'ctl' still busy with a previous call")


def test_when_the_fallback_fails_too_the_last_target_holds():
    s = SafetyShield(Fixed(NAN, "ctl"), Fixed(KeyError("k"), "rule"))
    d = s.decide(obs(0.0, 0.4))
    assert d.target == 0.4 and d.source == "shield"
    assert d.interventions == ("controller 'ctl' returned NaN target", "controller 'rule' raised KeyError: 'k'")
    assert d.reason == "controller 'rule' raised KeyError: 'k': hold last target"


# ---- ceilings ----------------------------------------------------------------------------


def test_a_target_above_the_ceiling_is_clamped_with_the_numbers():
    s = SafetyShield(Fixed(0.9), Rule())
    d = s.decide(obs(0.0, 0.5, ceiling=0.6))
    assert d.target == 0.6 and d.reason == "target 0.900 above ceiling 0.600: clamped"
    d = SafetyShield(Fixed(0.9), Rule(), ShieldConfig(ceiling=0.55)).decide(obs(0.0, 0.5))
    assert d.target == 0.55


def test_a_negative_target_is_clamped_to_zero():
    d = SafetyShield(Fixed(-3.0), Rule()).decide(obs(0.0, 0.1))
    assert d.target == 0.0 and d.interventions == ("target -3.000 below 0: clamped",)


def test_a_lowered_ceiling_is_followed_at_once():
    s = SafetyShield(Fixed(0.8), Rule())
    d = run(s, 0.8, [(0.0, {}), (1.0, {"ceiling": 0.3}), (2.0, {"ceiling": -1.0})])
    assert [x.target for x in d] == [0.8, 0.3, 0.0]


def test_an_unreadable_ceiling_stops_increases():
    d = SafetyShield(Fixed(0.9), Rule()).decide(obs(0.0, 0.5, ceiling=NAN))
    assert d.target == 0.5 and "therapist ceiling unknown (NaN)" in d.reason


# ---- heart signal: stale, low quality, implausible, no baseline -------------------------


@pytest.mark.parametrize(
    "features, why",
    [
        (heart(age=5.0), "ecg 5.0 s old (allowed ±3 s)"),
        (heart(age=NAN), "ecg nan s old"),
        (heart(q=0.2), "ecg quality 0.20 < 0.5"),
        (heart(hr=NAN), "no HR"),
        (heart(hr=0.0), "HR 0 bpm implausible"),
        (heart(hr=300.0), "HR 300 bpm implausible"),
        (Features(time=0.0, hr_bpm=80.0, relative={"hr_bpm": 0.1}), "no ECG, PPG or RR quality"),
        (
            Features(
                time=0.0,
                hr_bpm=80.0,
                hr_source="ppg",
                quality={"ecg": Quality(1.0)},
                age_s={"ecg": 0.1},
                relative={"hr_bpm": 0.1},
            ),
            "no quality for ppg",
        ),
    ],
)
def test_an_untrustworthy_heart_signal_holds(features, why):
    d = SafetyShield(Fixed(0.9), Rule()).decide(obs(0.0, 0.5, features=features))
    assert d.target == 0.5 and d.source == "shield"
    assert d.reason.startswith("hold: heart signal stale/low quality (") and why in d.reason


def test_no_baseline_holds():
    d = SafetyShield(Fixed(0.9), Rule()).decide(obs(0.0, 0.5, features=heart(rel=None)))
    assert d.target == 0.5 and d.reason == "hold: no usable heart-rate baseline (relative HR nan)"


def test_a_stale_signal_holds_then_ramps_down_after_hold_before_ramp_s():
    s = SafetyShield(Fixed(0.9), Rule())
    stale = {"features": heart(age=10.0)}
    out = run(s, 0.5, [(float(t), stale) for t in range(0, 21)])
    assert all(d.target == 0.5 for d in out[:16])  # untrustworthy for ≤ 15 s: hold
    assert out[16].target == pytest.approx(0.49)  # 16 s: 0.01/s × 1 s
    assert out[20].target == pytest.approx(0.45)
    assert out[16].reason.startswith("ramp down: heart signal untrustworthy for 16 s > 15 s (ecg 10.0 s old")
    # the signal comes back: the ramp stops and the timer starts over
    back = run(s, out[-1].target, [(21.0, {}), (22.0, stale), (23.0, stale)])
    assert back[1].target == back[2].target == back[0].target


def test_the_heart_judged_is_the_one_the_hr_came_from():
    f = Features(
        time=0.0,
        hr_bpm=80.0,
        hr_source="ppg",
        relative={"hr_bpm": 0.1},
        quality={"ecg": Quality(1.0), "ppg": Quality(1.0)},
        age_s={"ecg": 0.2, "ppg": 9.0},
    )
    assert SafetyShield(Fixed(0.9), Rule()).decide(obs(0.0, 0.5, features=f)).target == 0.5


# ---- physiology ceiling -----------------------------------------------------------------


def test_hr_over_its_relative_ceiling_steps_down_with_the_numbers():
    s = SafetyShield(Fixed(0.9), Rule())
    d = s.decide(obs(0.0, 0.5, features=heart(hr=152.0, rel=0.46)))
    assert d.target == pytest.approx(0.4)  # one level below level 5
    assert d.reason == "HR 152 bpm is 46 % above baseline (ceiling 40 %): step down to 0.40"
    assert d.source == "shield"


def test_hr_over_its_absolute_ceiling_steps_down_at_the_rate_bound():
    s = SafetyShield(Fixed(0.9), Rule())
    hot = {"features": heart(hr=160.0, rel=0.2)}
    out = run(s, 0.5, [(0.0, {}), (1.0, hot), (2.0, hot)])
    assert out[0].target == pytest.approx(0.65)
    assert out[1].target == pytest.approx(0.625)  # wants 0.5, may fall 0.025 in 1 s
    assert out[1].reason.startswith("HR 160 bpm above the 150 bpm limit: step down to 0.50; decrease limited")


def test_hr_over_its_ceiling_is_the_recorded_cause_even_when_the_controller_also_steps_down():
    """The rule would have forced the step: the change is the shield's, and its reason names
    the heart rate, not only the rate limit (rule 5: every change with its cause)."""
    s = SafetyShield(Fixed(0.2, reason="policy: arousal high"), Rule())
    hot = {"features": heart(hr=152.0, rel=0.46)}
    out = run(s, 0.5, [(0.0, {"features": heart(rel=0.1)}), (2.0, hot)])
    d = out[1]
    assert d.target == pytest.approx(0.3) and d.source == "shield"  # 0.35 may fall 0.05 in 2 s
    assert d.reason.startswith(
        "HR 152 bpm is 46 % above baseline (ceiling 40 %): step down to 0.20, "
        "which the controller also asked for (policy: arousal high)"
    )
    assert "decrease limited" in d.reason


def test_a_controller_that_asks_for_more_than_the_rule_forces_is_named_for_the_rest():
    s = SafetyShield(Fixed(0.0, reason="policy: calm now"), Rule())
    hot = {"features": heart(hr=152.0, rel=0.46)}
    d = run(s, 0.5, [(0.0, {"features": heart(rel=0.1)}), (2.0, hot)])[1]
    assert d.source == "shield" and d.target == pytest.approx(0.3)  # 0.35 may fall 0.05 in 2 s
    assert d.reason.startswith(
        "HR 152 bpm is 46 % above baseline (ceiling 40 %): step down to 0.20 at least; "
        "the controller asks for 0.00 (policy: calm now)"
    )


def test_a_per_patient_hr_ceiling_applies():
    cfg = ShieldConfig(hr_ceiling_rel=0.2, hr_ceiling_bpm=120.0)
    d = SafetyShield(Fixed(0.9), Rule(), cfg).decide(obs(0.0, 0.5, features=heart(hr=100.0, rel=0.25)))
    assert d.target == pytest.approx(0.4) and "(ceiling 20 %)" in d.reason


# ---- timing: step, rate, raise interval, clock faults -----------------------------------


def test_first_decision_uses_only_the_step_bound_then_the_rate_bound():
    s = SafetyShield(Fixed(1.0), Rule())
    out = run(s, 0.2, [(0.0, {}), (10.0, {}), (30.0, {})])
    assert [round(d.target, 6) for d in out] == [0.35, 0.5, 0.65]
    assert out[0].reason == "raise limited to 0.150 (0.025/s × 6.00 s, step ≤ 0.15)"
    s = SafetyShield(Fixed(0.0), Rule())
    out = run(s, 0.6, [(0.0, {}), (2.0, {})])
    assert [round(d.target, 6) for d in out] == [0.45, 0.4]
    # the controller's own step down, only made gentler: still its decision, with its reason
    assert out[1].reason == "as scripted (decrease limited to 0.050 (0.025/s × 2.00 s, step ≤ 0.15))"
    assert out[1].source == "fixed"


def test_no_raise_within_min_raise_interval_of_the_last():
    s = SafetyShield(Fixed(1.0), Rule())
    out = run(s, 0.2, [(0.0, {}), (4.0, {}), (10.0, {})])
    assert [round(d.target, 6) for d in out] == [0.35, 0.35, 0.5]
    assert out[1].reason == "hold: last raise 4.0 s ago < 10 s"


@pytest.mark.parametrize("bad_time", [NAN, INF, 5.0])
def test_time_going_backwards_or_nan_allows_no_change(bad_time):
    s = SafetyShield(Fixed(1.0), Rule())
    run(s, 0.2, [(10.0, {})])
    d = s.decide(obs(bad_time, 0.35))
    assert d.target == 0.35 and d.source == "shield"
    assert d.interventions[0].startswith(f"time {bad_time!r} s is not after the last valid time 10.0 s")
    d = s.decide(obs(bad_time, 0.35, ceiling=0.2))  # a forced decrease still happens
    assert d.target == 0.2
    assert s.decide(obs(bad_time, 0.2, therapist=Therapist.STOP)).target == 0.0


def test_after_a_backwards_glitch_the_next_step_is_bounded_by_real_time():
    s = SafetyShield(Fixed(0.0), Rule())
    out = run(s, 0.5, [(100.0, {}), (50.0, {}), (101.0, {})])
    assert [round(d.target, 6) for d in out] == [0.35, 0.35, 0.325]


# ---- filter: the training path ----------------------------------------------------------


def test_filter_applies_the_same_rules_to_an_outside_action():
    s = SafetyShield(Fixed(AssertionError("decide must not be called")), Rule())
    d = s.filter(Decision(0.9, "agent"), obs(0.0, 0.5, ceiling=0.6))
    assert d.target == 0.6 and "above ceiling" in d.reason
    d = s.filter(Decision(0.6, "agent", "ppo"), obs(10.0, 0.6))
    assert d == Decision(0.6, "agent", "ppo", ())


@pytest.mark.parametrize("action", [Decision(NAN, "agent"), Decision(-INF, "agent"), None, 0.7])
def test_filter_replaces_an_invalid_action_by_the_fallback(action):
    d = SafetyShield(Fixed(0.9), Rule()).filter(action, obs(0.0, 0.5))
    assert d.target == 0.5 and d.source == "fallback:rule" and d.interventions[0].startswith("action returned")


def test_a_filter_only_shield_has_no_controller_and_decides_by_the_fallback():
    s = SafetyShield(None, Rule())
    s.reset()
    assert s.name == "shield(none)"
    d = s.filter(Decision(0.6, "policy: up", "policy"), obs(0.0, 0.5))
    assert d == Decision(0.6, "policy: up", "policy", ())
    d = s.decide(obs(10.0, 0.6))
    assert d.source == "fallback:rule" and d.interventions[0] == "no controller (a filter-only shield)"


def _at(t: float, target: float, suds: float, suds_age: float, time_at_level: float) -> Observation:
    return replace(obs(t, target), suds=suds, suds_age=suds_age, time_at_level=time_at_level)


def test_a_suds_over_the_ceiling_given_at_this_level_steps_down_with_its_reason():
    shield = SafetyShield(Fixed(0.6), Fixed(0.5))
    d = shield.decide(_at(100.0, 0.5, suds=85, suds_age=10, time_at_level=40))
    assert d.target == pytest.approx(0.4)
    assert "SUDS 85 ≥ 70" in d.reason and "step down" in d.reason


def test_a_high_suds_from_before_this_level_only_holds_and_an_old_one_is_ignored():
    held = SafetyShield(Fixed(0.6), Fixed(0.5)).decide(_at(100.0, 0.5, suds=85, suds_age=50, time_at_level=20))
    assert held.target == 0.5 and "hold" in held.reason and "SUDS 85" in held.reason
    stale = SafetyShield(Fixed(0.6), Fixed(0.5)).decide(_at(100.0, 0.5, suds=85, suds_age=120, time_at_level=200))
    assert stale.target == pytest.approx(0.6)


# -- alarm() and rebase(): what a live session needs from the shield -------------------------


@pytest.mark.parametrize(
    "features,words",
    [
        (heart(hr=80.0, rel=0.1), ""),  # calm and trustworthy
        (heart(hr=120.0, rel=0.5), "above baseline"),  # over the relative ceiling
        (heart(hr=160.0, rel=0.1), "bpm limit"),  # over the absolute limit
        (heart(age=10.0), "old"),  # stale
        (heart(q=0.2), "quality"),  # poor quality
        (heart(hr=NAN), "no HR"),
        (heart(hr=300.0), "implausible"),
    ],
)
def test_alarm_says_when_the_shield_must_look_now(features, words):
    from adaptation.shield import alarm

    why = alarm(obs(10.0, 0.5, features), ShieldConfig())
    assert (why == "") if not words else (words in why)


def test_a_raise_waits_for_a_suds_rating_at_this_level():
    """Bălan et al. 2020 rate each step before the next: a rating from the level below
    says nothing about this one, so the controller's raise is held, and the reason says so."""
    up = lambda: SafetyShield(Fixed(0.6, "ctl", "up"), Rule())  # noqa: E731
    unrated = up().decide(_at(100.0, 0.5, suds=20, suds_age=30, time_at_level=15))
    assert unrated.target == 0.5 and unrated.reason == "hold: no SUDS rating at this level yet (15 s here)"
    never = up().decide(replace(obs(100.0, 0.5), suds=math.nan, suds_age=math.inf, time_at_level=15.0))
    assert never.target == 0.5 and "no SUDS rating" in never.reason
    rated = up().decide(_at(100.0, 0.5, suds=20, suds_age=5, time_at_level=15))
    assert rated.target == 0.6 and rated.source == "ctl"


def test_a_rating_in_the_second_of_the_change_counts_but_a_nan_or_negative_one_does_not():
    up = lambda: SafetyShield(Fixed(0.6, "ctl", "up"), Rule())  # noqa: E731
    assert up().decide(_at(100.0, 0.5, suds=20, suds_age=0, time_at_level=0)).target == 0.6
    high = SafetyShield(Fixed(0.5), Rule()).decide(_at(100.0, 0.5, suds=75, suds_age=0, time_at_level=0))
    assert high.target == pytest.approx(0.4) and "given at this level: step down" in high.reason
    for suds, age in [(NAN, 5.0), (20.0, -1.0), (20.0, NAN)]:
        d = up().decide(_at(100.0, 0.5, suds=suds, suds_age=age, time_at_level=15))
        assert d.target == 0.5 and "no SUDS rating at this level" in d.reason, (suds, age)


def test_an_unanswered_level_is_left_after_the_wait_and_calm_needs_no_rating():
    up = lambda: SafetyShield(Fixed(0.6, "ctl", "up"), Rule())  # noqa: E731
    waited = up().decide(_at(200.0, 0.5, suds=20, suds_age=130, time_at_level=120))
    assert waited.target == 0.6  # the patient did not answer for 2 min
    first_step = SafetyShield(Fixed(0.1, "ctl", "up"), Rule()).decide(
        replace(obs(100.0, 0.0), suds=math.nan, suds_age=math.inf, time_at_level=3.0)
    )
    assert first_step.target == 0.1  # calm shows nothing to rate
    off = SafetyShield(Fixed(0.6, "ctl", "up"), Rule(), ShieldConfig(unrated_raise_after_s=0))
    assert off.decide(_at(100.0, 0.5, suds=20, suds_age=30, time_at_level=15)).target == 0.6


def test_alarm_includes_a_recent_suds_at_the_ceiling_only():
    from adaptation.shield import alarm

    recent = replace(obs(10.0, 0.5), suds=85.0, suds_age=20.0)
    old = replace(recent, suds_age=200.0)
    assert "SUDS 85" in alarm(recent, ShieldConfig()) and alarm(old, ShieldConfig()) == ""


def test_rebase_measures_the_next_step_from_the_new_target_and_keeps_the_raise_timer():
    shield = SafetyShield(Fixed(1.0), Rule(), ShieldConfig())
    first = shield.decide(obs(0.0, 0.2))
    assert first.target == pytest.approx(0.35)  # one step (0.15) up from 0.2
    shield.rebase(0.6)  # the therapist set a level
    held = shield.decide(obs(5.0, 0.6))
    assert held.target == pytest.approx(0.6) and any("last raise" in i for i in held.interventions)
    later = shield.decide(obs(20.0, 0.6))
    assert later.target == pytest.approx(0.75)  # from 0.6, not from 0.35
    fresh = SafetyShield(Fixed(1.0), Rule(), ShieldConfig())
    fresh.rebase(0.9)  # before any decision: no effect
    assert fresh.decide(obs(0.0, 0.2)).target == pytest.approx(0.35)


def test_check_between_decisions_forces_what_a_rule_forces_and_otherwise_leaves_the_clock():
    """A live session's alarming tick between decisions: the rules alone, on the target in
    force. A check that forces nothing must not count as an output: the controller's next
    step, 5 s after its last decision, is bounded by those 5 s, not by the 1 s since a check."""
    ctl = Fixed(0.4, "ctl", "down")
    shield = SafetyShield(ctl, Rule())
    assert shield.decide(obs(0.0, 0.5)).target == pytest.approx(0.4)
    assert shield.check(obs(4.0, 0.4, heart(4.0, age=10.0)), "stale") is None  # hold only, first 15 s
    assert ctl.calls == 1  # the controller is not asked
    ctl.target = 0.3
    d = shield.decide(obs(5.0, 0.4))
    assert d.target == pytest.approx(0.3) and d.reason == "down" and not d.interventions
    forced = shield.check(obs(6.0, 0.3, heart(6.0, hr=120.0, rel=0.5)), "HR")
    assert forced is not None and forced.source == "shield" and "above baseline" in forced.reason
    assert 0.3 - 0.025 - 1e-9 <= forced.target < 0.3  # one second of ramp
    assert shield.check(obs(7.0, forced.target, heart(7.0)), "") is None  # calm again: nothing
    assert ctl.calls == 2


# -- distress that a SUDS and the body agree on -----------------------------------------------


def _distressed(
    suds: float = 65.0,
    suds_age: float = 20.0,
    eda: float = 0.35,
    hr: float = 0.05,
    target: float = 0.5,
    heart_age: float = 0.3,
    eda_q: float = 1.0,
    eda_age: float = 0.5,
    resp: float = 0.5,
    resp_q: float = 1.0,
    resp_age: float = 0.5,
    rmssd: float = 40.0,
    rmssd_change: float = -4.0,
) -> Observation:
    """SUDS 65 with EDA +35 %; breathing, RMSSD (40 ms, 4 ms below a 44 ms baseline) and HR
    calm unless a test says otherwise."""
    f = heart(100.0, hr=80.0, rel=hr, age=heart_age)
    f = replace(
        f,
        rmssd_ms=rmssd,
        relative={**f.relative, "eda_tonic_us": eda, "resp_rate_bpm": resp, "rmssd_ms": rmssd_change},
        quality={**f.quality, "eda": Quality(eda_q), "resp": Quality(resp_q)},
        age_s={**f.age_s, "eda": eda_age, "resp": resp_age},
    )
    return replace(obs(100.0, target, f), suds=suds, suds_age=suds_age, time_at_level=200.0)


@pytest.mark.parametrize(
    "change,words",
    [
        (dict(), "EDA +35 %"),
        (dict(eda=0.05, hr=0.25), "HR +25 %"),
        (dict(eda=0.40, hr=0.30), "EDA +40 % and HR +30 %"),
        (dict(eda=0.0, hr=-0.12), "HR -12 %"),  # fear bradycardia
        (dict(eda=0.0, rmssd=20.0, rmssd_change=-20.0), "RMSSD -50 %"),  # 20 ms, half its 40 ms baseline
        (dict(eda=0.0, resp=3.5), "breathing +3.5/min"),
    ],
)
def test_a_high_suds_with_a_sign_from_the_body_steps_down_two_levels_and_says_both(change, words):
    up = SafetyShield(Fixed(0.6, "ctl", "up"), Rule())
    d = up.decide(_distressed(**change))
    # two levels down (0.30), as fast as the step bound allows: 0.15 a decision
    assert d.target == pytest.approx(0.35) and d.source == "shield"
    assert d.reason.startswith("SUDS 65 ≥ 60 (20 s ago) with " + words + " vs baseline: step down to 0.30")
    assert "decrease limited to 0.150" in d.reason
    one = SafetyShield(Fixed(0.6, "ctl", "up"), Rule(), ShieldConfig(distress_levels_down=1))
    assert one.decide(_distressed(**change)).target == pytest.approx(0.4)


@pytest.mark.parametrize(
    "change",
    [
        dict(eda=0.10, hr=0.05),  # the body does not agree
        dict(suds=55.0),  # the patient is not that distressed
        dict(suds_age=120.0),  # the rating is too old to stand
        dict(eda=NAN, hr=0.0),  # no EDA (a non-responder, a lost sensor), a calm heart
        dict(eda_q=0.2),  # an EDA this noisy is no evidence …
        dict(eda_age=10.0),  # … nor one 10 s old
        dict(eda=0.0, hr=-0.05),  # a heart 5 % slower: within its scatter
        dict(eda=0.0, resp=3.5, resp_q=0.2),  # fast breathing on a noisy belt …
        dict(eda=0.0, resp=3.5, resp_age=10.0),  # … or one 10 s old
        dict(eda=0.0, rmssd=30.0, rmssd_change=-10.0),  # RMSSD 25 % down
        dict(eda=0.0, rmssd=20.0, rmssd_change=NAN),  # no RMSSD baseline
        dict(eda=0.0, rmssd=20.0, rmssd_change=20.0),  # a baseline of 0 ms is no baseline
        dict(eda=0.0, rmssd=0.0, rmssd_change=-40.0),  # RMSSD 0: a frozen RR stream, not fear
        dict(eda=0.0, rmssd="20", rmssd_change=-20.0),  # junk is no evidence …
        dict(eda=0.0, resp=True),  # … of any kind
        dict(eda=0.0, hr=-0.0999),  # just short of the 10 % limit
    ],
)
def test_one_sign_alone_does_not_step_down(change):
    up = SafetyShield(Fixed(0.6, "ctl", "up"), Rule())
    assert up.decide(_distressed(**change)).target == pytest.approx(0.6)


@pytest.mark.parametrize("change", [dict(hr=0.25), dict(hr=-0.15), dict(rmssd=20.0, rmssd_change=-20.0)])
def test_an_untrustworthy_heart_gives_no_sign_and_the_rule_can_be_turned_off(change):
    # a stale heart: the shield holds (its own rule), but neither its HR nor its RMSSD
    # makes it step down
    stale = SafetyShield(Fixed(0.5, "ctl", "stay"), Rule()).decide(_distressed(eda=0.0, heart_age=10.0, **change))
    assert stale.target == pytest.approx(0.5)
    off = SafetyShield(Fixed(0.6, "ctl", "up"), Rule(), ShieldConfig(high_suds=0))
    assert off.decide(_distressed()).target == pytest.approx(0.6)


def test_at_calm_the_agreeing_signs_only_forbid_a_raise():
    d = SafetyShield(Fixed(0.1, "ctl", "up"), Rule()).decide(_distressed(target=0.0))
    assert d.target == 0.0 and "SUDS 65 ≥ 60" in d.reason


@pytest.mark.parametrize(
    "body",
    [
        dict(resp=3.5, resp_age=10.0),
        dict(resp=3.5, resp_q=0.2),
        dict(rmssd=20.0, rmssd_change=20.0),
        dict(rmssd=0.0, rmssd_change=-40.0),
        dict(rmssd=10**400, rmssd_change=-(10**400)),
        dict(resp=10**400),
    ],
)
def test_the_monitor_sees_no_sign_in_a_stale_or_noisy_belt_a_bad_rmssd_baseline_or_junk(body):
    m = InvariantMonitor(ShieldConfig())
    assert m.check(replace(_distressed(eda=0.0, **body), time=80.0), Decision(0.5, "x")) == []
    assert m.check(_distressed(eda=0.0, **body), Decision(0.6, "x")) == []
    assert SafetyShield(Fixed(0.6, "ctl", "up"), Rule()).decide(_distressed(eda=0.0, **body)).target == 0.6


def test_under_agreeing_distress_at_5_s_decisions_the_rate_bound_sets_the_pace_down():
    """Two levels a decision is asked; 0.025/s × 5 s = 0.125 is what the bounds allow."""
    shield = SafetyShield(Fixed(0.5, "ctl", "stay"), Rule())
    assert shield.decide(replace(_distressed(eda=0.0), time=95.0, suds=20.0)).target == pytest.approx(0.5)
    targets = []
    for k in range(3):
        d = shield.decide(replace(_distressed(eda=0.0, hr=-0.10, target=0.5 - 0.125 * k), time=100.0 + 5 * k))
        targets.append(d.target)
        assert "HR -10 %" in d.reason and "decrease limited to 0.125" in d.reason
    assert targets == pytest.approx([0.375, 0.25, 0.125])


@pytest.mark.parametrize("sign", [dict(hr=-0.12), dict(rmssd=20.0, rmssd_change=-20.0), dict(resp=3.5)])
def test_the_monitor_flags_a_raise_under_each_new_sign_and_a_sign_set_to_0_is_not_counted(sign):
    m = InvariantMonitor(ShieldConfig())
    assert m.check(replace(_distressed(eda=0.0, **sign), time=80.0), Decision(0.5, "x")) == []
    (found,) = m.check(_distressed(eda=0.0, **sign), Decision(0.6, "x"))
    assert "SUDS 65 ≥ 60 with EDA +0.00" in found
    off = ShieldConfig(low_hr_rel=0, low_rmssd_rel=0, high_resp_bpm=0)
    m = InvariantMonitor(off)
    assert m.check(replace(_distressed(eda=0.0, **sign), time=80.0), Decision(0.5, "x")) == []
    assert m.check(_distressed(eda=0.0, **sign), Decision(0.6, "x")) == []
    assert SafetyShield(Fixed(0.6, "ctl", "up"), Rule(), off).decide(_distressed(eda=0.0, **sign)).target == 0.6


def test_the_monitor_flags_a_raise_under_agreeing_signs_but_not_on_a_stale_eda():
    m = InvariantMonitor(ShieldConfig())
    before = replace(_distressed(), time=80.0)
    assert m.check(before, Decision(0.5, "x")) == []
    (found,) = m.check(_distressed(), Decision(0.6, "x"))
    assert "SUDS 65 ≥ 60 with EDA +0.35" in found
    m = InvariantMonitor(ShieldConfig())
    assert m.check(replace(_distressed(eda_age=10.0), time=80.0), Decision(0.5, "x")) == []
    assert m.check(_distressed(eda_age=10.0), Decision(0.6, "x")) == []
    junk = _distressed()
    junk = replace(junk, features=replace(junk.features, relative={"hr_bpm": 0.05, "eda_tonic_us": "high"}))
    assert InvariantMonitor(ShieldConfig()).check(junk, Decision(0.5, "x")) == []  # no crash on junk
