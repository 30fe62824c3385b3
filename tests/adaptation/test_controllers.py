"""Rule controllers driven through scripted observations (adaptation/controllers.py)."""

from __future__ import annotations

import math

import pytest

from adaptation.controllers import (
    BALAN_STEPS,
    RULE_CONTROLLERS,
    BalanRule,
    FixedSchedule,
    SudsGated,
    ThresholdRule,
    make_controller,
)
from adaptation.types import Controller, Decision, Observation
from sensors.types import Features, Quality

LEVELS = tuple(i / 10 for i in range(11))
NAN, INF = math.nan, math.inf


def feats(hr=NAN, eda=NAN, *, hr_q=1.0, eda_q=1.0, hr_source="ecg", age=0.2, **kw) -> Features:
    quality = {
        hr_source or "ecg": Quality(hr_q, "ok" if hr_q >= 0.5 else "flat line"),
        "eda": Quality(eda_q, "ok" if eda_q >= 0.5 else "clipping"),
    }
    kw.setdefault("quality", quality)
    kw.setdefault("age_s", {hr_source or "ecg": age, "eda": age})
    kw.setdefault("relative", {"hr_bpm": hr, "eda_tonic_us": eda})
    return Features(time=0.0, hr_source=hr_source, **kw)


def obs(t, level, tal, *, target=None, features=None, **kw) -> Observation:
    return Observation(
        time=t,
        intensity=LEVELS[level],
        target=LEVELS[level] if target is None else target,
        levels=LEVELS,
        level=level,
        time_at_level=tal,
        features=features if features is not None else feats(),
        **kw,
    )


def run(ctrl, script):
    return [ctrl.decide(o) for o in script]


# ---- FixedSchedule -------------------------------------------------------------------


def test_fixed_holds_then_steps_up_with_times_in_the_reason():
    c = FixedSchedule()
    d = c.decide(obs(100, 3, 100))
    assert d.target == 0.3 and d.reason == "holding: 1 min 40 s of 2 min 30 s at level 3"
    assert d.source == "fixed"
    d = c.decide(obs(150, 3, 150))
    assert d.target == 0.4
    assert "2 min 30 s at level 3" in d.reason and "step up to level 4" in d.reason


def test_fixed_never_steps_down_and_holds_at_the_top():
    c = FixedSchedule(step_every_s=30)
    d = c.decide(obs(40, 2, 40, features=feats(hr=0.9, eda=0.9)))
    assert d.target == 0.3  # alarming physiology is not its concern
    d = c.decide(obs(60, 10, 60))
    assert d.target == 1.0 and "top" in d.reason


def test_fixed_follows_a_level_set_by_someone_else():
    c = FixedSchedule(step_every_s=30)
    assert c.decide(obs(40, 5, 40)).target == 0.6
    d = c.decide(obs(41, 2, 1, target=0.2))  # therapist moved it down
    assert d.target == 0.2 and "1 s of 30 s at level 2" in d.reason
    assert c.decide(obs(71, 2, 31, target=0.2)).target == 0.3


def test_fixed_holds_below_the_therapists_ceiling():
    d = FixedSchedule().decide(obs(200, 4, 200, ceiling=0.45))
    assert d.target == 0.4 and "ceiling 0.45" in d.reason and "level 5 (0.50)" in d.reason


def test_fixed_repeated_step_up_during_a_ramp_does_not_compound():
    c = FixedSchedule(step_every_s=30)
    assert c.decide(obs(30, 3, 30)).target == 0.4
    # the scene is still ramping (level 3, target 0.4): asking again asks for the same level
    assert c.decide(obs(31, 3, 31, target=0.4)).target == 0.4


# ---- SudsGated -----------------------------------------------------------------------


def test_suds_waits_for_a_rating_at_this_level():
    c = SudsGated()
    d = c.decide(obs(100, 4, 100))
    assert d.target == 0.4 and d.reason.startswith("waiting for a SUDS rating at level 4")
    d = c.decide(obs(101, 4, 101, suds=60, suds_age=120))  # answered before this level began
    assert d.target == 0.4 and "waiting for a SUDS rating at level 4" in d.reason and "60" in d.reason


def test_suds_steps_up_when_suds_halves_from_the_peak_seen():
    c = SudsGated()
    d = c.decide(obs(10, 4, 10, suds=65, suds_age=2))
    assert d.target == 0.4 and "SUDS 65, peak 65" in d.reason and "32 or less" in d.reason
    assert c.decide(obs(70, 4, 70, suds=40, suds_age=1)).target == 0.4
    d = c.decide(obs(90, 4, 90, suds=32, suds_age=1))
    assert d.target == 0.5
    assert "SUDS 32 is half or less of its peak 65 at level 4" in d.reason and "step up to level 5" in d.reason


def test_suds_uses_the_sessions_peak_when_it_is_higher():
    a, b = SudsGated(), SudsGated()
    for c in (a, b):
        c.decide(obs(10, 4, 10, suds=65, suds_age=2))
    assert a.decide(obs(90, 4, 90, suds=36, suds_age=1)).target == 0.4  # 36 > 32.5
    d = b.decide(obs(90, 4, 90, suds=36, suds_age=1, peak_suds_at_level=80))  # 36 ≤ 40
    assert d.target == 0.5 and "peak 80" in d.reason


def test_suds_waits_for_the_minimum_time_at_level():
    c = SudsGated()
    c.decide(obs(10, 4, 10, suds=65, suds_age=2))
    d = c.decide(obs(40, 4, 40, suds=20, suds_age=1))
    assert d.target == 0.4 and "only 40 s of 1 min at level 4" in d.reason


def test_suds_moves_on_from_a_mild_item():
    c = SudsGated()
    assert c.decide(obs(30, 2, 30, suds=15, suds_age=5)).target == 0.2
    d = c.decide(obs(61, 2, 61, suds=15, suds_age=36))
    assert d.target == 0.3 and "peak SUDS 15 at level 2 is mild (≤ 20)" in d.reason


def test_suds_never_steps_down_and_gives_up_after_the_classic_limit():
    c = SudsGated()
    assert c.decide(obs(500, 6, 500, suds=100, suds_age=1)).target == 0.6
    d = c.decide(obs(1800, 6, 1800, suds=100, suds_age=1))
    assert d.target == 0.7 and "30 min" in d.reason


def test_suds_peak_belongs_to_the_level_overridden_or_reentered():
    c = SudsGated()
    c.decide(obs(10, 4, 10, suds=65, suds_age=2))
    d = c.decide(obs(80, 3, 5, suds=30, suds_age=2))  # therapist stepped down to 3
    assert d.target == 0.3 and "peak 30" in d.reason  # 65 was level 4's peak
    c.decide(obs(100, 4, 10, suds=65, suds_age=2))
    d = c.decide(obs(200, 4, 5, suds=30, suds_age=2))  # level 4 again, restarted at 195
    assert d.target == 0.4 and "peak 30" in d.reason


def test_suds_reset_clears_the_peak():
    a, b = SudsGated(), SudsGated()
    for c in (a, b):
        c.decide(obs(10, 4, 10, suds=65, suds_age=2))
    b.reset()
    assert a.decide(obs(90, 4, 90, suds=30, suds_age=1)).target == 0.5
    d = b.decide(obs(90, 4, 90, suds=30, suds_age=1))
    assert d.target == 0.4 and "peak 30" in d.reason


# ---- ThresholdRule -------------------------------------------------------------------


def test_threshold_steps_down_on_high_hr_or_eda():
    d = ThresholdRule().decide(obs(100, 4, 30, features=feats(hr=0.24, eda=0.05)))
    assert d.target == 0.3
    assert "HR 24 % above baseline (limit 20 %)" in d.reason and "step down to level 3" in d.reason
    d = ThresholdRule().decide(obs(100, 4, 30, features=feats(hr=0.05, eda=0.35)))
    assert d.target == 0.3 and "EDA 35 % above baseline (limit 30 %)" in d.reason


def test_threshold_lets_a_step_settle_before_stepping_down():
    d = ThresholdRule().decide(obs(100, 4, 5, features=feats(hr=0.3)))
    assert d.target == 0.4 and "only 5 s at level 4" in d.reason
    d = ThresholdRule().decide(obs(100, 0, 50, features=feats(hr=0.3)))
    assert d.target == 0.0 and "level 0 is the calm level" in d.reason


def test_threshold_steps_up_after_continuous_calm_and_restarts_on_unrest():
    c = ThresholdRule()
    calm = feats(hr=0.05, eda=0.02)
    assert c.decide(obs(100, 3, 100, features=calm)).target == 0.3
    d = c.decide(obs(159, 3, 159, features=calm))
    assert d.target == 0.3 and "calm for 59 s of 1 min at level 3" in d.reason
    assert "HR 5 % above baseline" in d.reason and "EDA 2 % above baseline" in d.reason
    d = c.decide(obs(160, 3, 160, features=calm))
    assert d.target == 0.4 and "calm for 1 min at level 3" in d.reason
    c2 = ThresholdRule()
    c2.decide(obs(100, 3, 100, features=calm))
    d = c2.decide(obs(130, 3, 130, features=feats(hr=0.12, eda=0.02)))
    assert d.target == 0.3 and "HR 12 % above baseline (calm below 10 %)" in d.reason
    d = c2.decide(obs(170, 3, 170, features=calm))
    assert d.target == 0.3 and "calm for 0 s" in d.reason


def test_threshold_counts_calm_at_this_level_only():
    c = ThresholdRule()
    calm = feats(hr=0.0, eda=0.0)
    c.decide(obs(0, 3, 50, features=calm))
    d = c.decide(obs(100, 4, 30, features=calm))  # moved to level 4 at t=70
    assert d.target == 0.4 and "calm for 30 s of 1 min at level 4" in d.reason


def test_threshold_ignores_untrustworthy_signals_and_says_so():
    c = ThresholdRule()
    d = c.decide(obs(100, 4, 30, features=feats(hr=0.5, eda=0.0, hr_q=0.1)))
    assert d.target == 0.4 and "HR ignored (ecg flat line)" in d.reason
    d = c.decide(obs(100, 4, 30, features=feats(hr=0.5, eda=0.0, age=7.0)))
    assert d.target == 0.4 and "HR ignored (newest sample 7 s old" in d.reason
    # HR missing, EDA calm: EDA alone decides, and the reason says HR was missing
    c = ThresholdRule()
    for t in (0, 60):
        d = c.decide(obs(t, 2, 100 + t, features=feats(eda=0.01, reasons={"hr_bpm": "ecg stale"})))
    assert d.target == 0.3 and "EDA 1 % above baseline" in d.reason and "HR missing (ecg stale)" in d.reason


def test_threshold_reads_quality_without_hr_source():
    f = Features(time=0.0, relative={"hr_bpm": 0.5}, quality={"ppg": Quality(0.2, "noisy")})
    d = ThresholdRule().decide(obs(100, 4, 30, features=f))
    assert d.target == 0.4 and "HR ignored (ppg noisy)" in d.reason


def test_threshold_reset_clears_the_calm_timer():
    c = ThresholdRule()
    calm = feats(hr=0.0, eda=0.0)
    c.decide(obs(100, 3, 100, features=calm))
    c.reset()
    d = c.decide(obs(170, 3, 170, features=calm))
    assert d.target == 0.3 and "calm for 0 s" in d.reason


# ---- BalanRule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "hr, eda, fear, target",
    [
        (-0.10, NAN, 0, 0.6),
        (0.0, 0.0, 0, 0.6),
        (0.069, 0.05, 0, 0.6),
        (0.07, NAN, 1, 0.6),
        (0.10, 0.15, 1, 0.6),
        (0.15, NAN, 2, 0.5),
        (0.05, 0.20, 2, 0.5),
        (0.249, 0.0, 2, 0.5),
        (0.25, NAN, 3, 0.4),
        (0.0, 0.30, 3, 0.4),
        (NAN, 0.5, 3, 0.4),
    ],
)
def test_balan_mapping(hr, eda, fear, target):
    c = BalanRule()
    assert c.estimate(feats(hr=hr, eda=eda))[0] == fear
    d = c.decide(obs(100, 5, 30, features=feats(hr=hr, eda=eda)))
    assert d.target == target and f"fear estimate {fear} of 3" in d.reason
    assert BALAN_STEPS[fear] == round((target - 0.5) * 10)


def test_balan_reason_names_each_signal():
    d = BalanRule().decide(obs(100, 5, 30, features=feats(hr=0.10, eda=0.35)))
    assert "HR 10 % above baseline → 1" in d.reason and "EDA 35 % above baseline → 3" in d.reason
    assert "step down to level 4" in d.reason


def test_balan_changes_at_most_once_per_interval():
    c = BalanRule()
    assert c.decide(obs(100, 5, 30, features=feats(hr=0.0))).target == 0.6
    d = c.decide(obs(105, 5, 35, target=0.6, features=feats(hr=0.3)))  # still ramping up
    assert d.target == 0.6 and "last change was 5 s ago (one per 20 s)" in d.reason
    assert c.decide(obs(120, 6, 10, features=feats(hr=0.3))).target == 0.6
    assert c.decide(obs(130, 6, 20, features=feats(hr=0.3))).target == 0.5


def test_balan_reset_and_external_level_change():
    c = BalanRule()
    c.decide(obs(100, 5, 30, features=feats(hr=0.0)))
    c.reset()
    assert c.decide(obs(105, 5, 35, features=feats(hr=0.3))).target == 0.4
    d = BalanRule().decide(obs(100, 2, 3, features=feats(hr=0.0)))  # therapist set level 2
    assert d.target == 0.2 and "3 s ago" in d.reason


def test_balan_rejects_bad_bands():
    with pytest.raises(ValueError, match="hr_bands"):
        BalanRule(hr_bands=(0.2, 0.1, 0.3))


# ---- every controller: missing input holds, with a reason -------------------------------

BAD = {
    "nan features": dict(features=feats()),
    "empty features": dict(features=Features(time=0.0)),
    "no features": dict(features=None),
    "nan suds": dict(suds=NAN, suds_age=1.0),
    "nan suds age": dict(suds=50.0, suds_age=NAN),
    "inf suds age": dict(suds=50.0, suds_age=INF),
    "nan peak": dict(suds=50.0, suds_age=1.0, peak_suds_at_level=NAN),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("name", ["suds", "threshold", "balan"])
def test_missing_input_holds_with_a_reason(name, case):
    kw = dict(BAD[case])
    features = kw.pop("features", feats())
    o = Observation(
        time=40, intensity=0.4, target=0.4, levels=LEVELS, level=4, time_at_level=40, features=features, **kw
    )
    d = make_controller(name).decide(o)
    assert isinstance(d, Decision) and d.target == 0.4 and d.reason and d.source == name
    if name == "suds":
        assert "SUDS" in d.reason
    elif case != "nan peak" and "suds" not in case:
        assert "no trustworthy HR or EDA" in d.reason or "no fear estimate" in d.reason


@pytest.mark.parametrize("name", sorted(RULE_CONTROLLERS))
def test_nan_clock_and_target_do_not_crash(name):
    o = Observation(time=NAN, intensity=NAN, target=NAN, levels=LEVELS, level=3, time_at_level=NAN, features=feats())
    d = make_controller(name).decide(o)
    assert d.target == 0.3 and d.reason


# ---- registry -------------------------------------------------------------------------


def test_registry_builds_controllers_that_follow_the_protocol():
    for name, cls in RULE_CONTROLLERS.items():
        c = make_controller(name)
        assert isinstance(c, cls) and isinstance(c, Controller) and c.name == name
    assert make_controller("fixed", step_every_s=30).step_every_s == 30


def test_registry_errors_say_what_was_expected():
    with pytest.raises(ValueError) as e:
        make_controller("sud")
    assert str(e.value) == (
        "unknown controller 'sud'; expected one of fixed, suds, threshold, balan (did you mean 'suds'?)"
    )
    with pytest.raises(ValueError) as e:
        make_controller("x")
    assert str(e.value) == "unknown controller 'x'; expected one of fixed, suds, threshold, balan"
    with pytest.raises(ValueError, match="controller 'fixed'.*step_every_s"):
        make_controller("fixed", step_evry_s=30)
    with pytest.raises(ValueError, match="fraction"):
        make_controller("suds", fraction=1.5)


def test_a_clock_that_goes_back_starts_a_new_session():
    c = SudsGated()
    c.decide(obs(500, 4, 100, suds=65, suds_age=2))
    d = c.decide(obs(90, 4, 90, suds=30, suds_age=1))  # new session, reset() forgotten
    assert d.target == 0.4 and "peak 30" in d.reason


def test_holding_mid_step_finishes_its_own_step_and_settles_lower_otherwise():
    # the shield passes at most 0.025 per second: targets lie between levels for a while
    c = ThresholdRule()
    calm = feats(hr=0.0, eda=0.0)
    c.decide(obs(100, 3, 100, features=calm))
    assert c.decide(obs(160, 3, 160, features=calm)).target == 0.4
    d = c.decide(obs(161, 3, 161, target=0.325, features=feats(hr=0.12, eda=0.0)))  # no longer calm
    assert d.target == 0.4 and "holding at level 3" in d.reason  # its step goes on
    d = ThresholdRule().decide(obs(50, 4, 1, target=0.475, features=feats(hr=0.12)))  # shield stepping down
    assert d.target == 0.4
    b = BalanRule()
    assert b.decide(obs(100, 5, 30, features=feats(hr=0.0))).target == 0.6
    for t, x in ((101, 0.525), (102, 0.55)):
        d = b.decide(obs(t, 5, 30 + t - 100, target=x, features=feats(hr=0.0)))
        assert d.target == 0.6 and "one per 20 s" in d.reason
