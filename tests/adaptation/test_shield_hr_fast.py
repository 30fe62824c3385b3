"""The shield's beat-to-beat HR ceiling (issue 12): a surge the 10-s HR still rejects is
acted on at the tick its run of beats arrives; a stale, untrusted, implausible or missing
beat-to-beat HR never is; the monitor, the alarm and the sensing model agree."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from adaptation.invariants import InvariantMonitor
from adaptation.population import Population
from adaptation.sensing import SensorModel
from adaptation.shield import SafetyShield, ShieldConfig, alarm, hr_fast_distrust, hr_fast_over_ceiling, hr_over_ceiling
from adaptation.sim import SessionBatch
from adaptation.types import Decision
from sensors.types import Features, Quality
from tests.adaptation.test_shield import Fixed, Rule, heart, obs


def surging(
    hr_fast: float = 130.0, rel_fast: float | None = 0.86, q: float = 1.0, age: float = 0.4, slow_q: float = 0.3, **kw
) -> Features:
    """A surge's first seconds: the 10-s HR is rejecting the new beats (quality below 0.5,
    HR NaN) while the newest run of beats says 130 bpm, 86 % over baseline."""
    f = heart(hr=math.nan, rel=math.nan, q=slow_q, **kw)
    fast_rel = {} if rel_fast is None else {"hr_fast_bpm": rel_fast}
    return replace(
        f,
        hr_fast_bpm=hr_fast,
        hr_fast_source="rr",
        hr_fast_quality=Quality(q),
        hr_fast_age_s=age,
        relative={**f.relative, **fast_rel},
    )


def test_a_surge_the_10_s_hr_rejects_steps_down_at_once_and_says_it_was_the_beat_to_beat_path():
    s = SafetyShield(Fixed(0.5), Rule())
    s.decide(obs(0.0, 0.5))
    d = s.check(obs(2.0, 0.5, features=surging()), "surge")
    assert d is not None and d.source == "shield" and d.target < 0.5
    assert d.reason.startswith("beat-to-beat HR 130 bpm (rr, last 5 beats) is 86 % above baseline (ceiling 40 %)")
    # the same features under today's rule alone: the heart is untrustworthy, so hold only
    old = SafetyShield(Fixed(0.5), Rule(), ShieldConfig(hr_fast_max_age_s=0))
    old.decide(obs(0.0, 0.5))
    assert old.check(obs(2.0, 0.5, features=surging()), "surge") is None


def test_the_absolute_limit_applies_to_the_beat_to_beat_hr_without_a_baseline():
    f = surging(hr_fast=160.0, rel_fast=None)
    assert (
        hr_fast_over_ceiling(f, ShieldConfig()) == "beat-to-beat HR 160 bpm (rr, last 5 beats) above the 150 bpm limit"
    )
    assert alarm(obs(0.0, 0.5, features=f), ShieldConfig()).startswith("beat-to-beat HR 160 bpm")


def test_decide_steps_down_on_the_beat_to_beat_hr_also_when_the_10_s_hr_is_trusted():
    trusted = replace(surging(slow_q=1.0), hr_bpm=80.0, relative={"hr_bpm": 0.1, "hr_fast_bpm": 0.86})
    d = SafetyShield(Fixed(0.9), Rule()).decide(obs(0.0, 0.5, features=trusted))
    assert d.target == pytest.approx(0.4) and "beat-to-beat HR 130 bpm" in d.reason
    assert "beat-to-beat" in hr_over_ceiling(trusted, ShieldConfig())


@pytest.mark.parametrize(
    "change, why",
    [
        ({"age": 2.5}, "newest beat 2.5 s old (allowed 2 s)"),
        ({"age": -5.0}, "newest beat -5.0 s old"),
        ({"age": math.nan}, "newest beat nan s old"),
        ({"q": 0.3}, "quality 0.30 < 0.5"),
        ({"hr_fast": 300.0}, "300 bpm implausible"),
        ({"hr_fast": math.nan}, "no beat-to-beat HR"),
    ],
)
def test_stale_untrusted_or_implausible_beat_to_beat_hr_never_acts(change, why):
    f = surging(**change)
    cfg = ShieldConfig()
    assert why in hr_fast_distrust(f, cfg)
    assert hr_fast_over_ceiling(f, cfg) == "" and "beat-to-beat" not in alarm(obs(0.0, 0.5, features=f), cfg)
    s = SafetyShield(Fixed(0.5), Rule())
    s.decide(obs(0.0, 0.5))
    assert s.check(obs(2.0, 0.5, features=f), "x") is None  # hold, nothing forced


def test_malformed_beat_to_beat_fields_are_untrusted_not_a_crash():
    f = replace(surging(), hr_fast_quality="good", hr_fast_age_s="now")
    assert hr_fast_distrust(f, ShieldConfig()).startswith("beat-to-beat HR quality nan")
    f = replace(surging(), relative=None)
    assert hr_fast_over_ceiling(f, ShieldConfig()) == ""  # 130 bpm is under 150 bpm
    assert hr_fast_distrust(object(), ShieldConfig()) == "no beat-to-beat HR"


def test_a_beat_to_beat_hr_under_the_ceiling_changes_nothing():
    calm = surging(hr_fast=85.0, rel_fast=0.2)
    assert hr_fast_over_ceiling(calm, ShieldConfig()) == ""
    assert ShieldConfig(hr_fast_max_age_s=0).hr_fast_max_age_s == 0.0
    with pytest.raises(ValueError, match="hr_fast_max_age_s=-1"):
        ShieldConfig(hr_fast_max_age_s=-1)


def test_the_monitor_flags_a_raise_while_the_beat_to_beat_hr_is_over_the_ceiling():
    trusted = replace(surging(slow_q=1.0), hr_bpm=80.0, relative={"hr_bpm": 0.1, "hr_fast_bpm": 0.86})
    m = InvariantMonitor(ShieldConfig())
    assert m.check(obs(0.0, 0.5, features=heart()), Decision(0.5, "x")) == []
    broken = m.check(obs(20.0, 0.5, features=trusted), Decision(0.55, "up"))
    assert broken and "beat-to-beat HR 130 bpm (+86 %) over its ceiling" in broken[0]
    # a stale one is no reason (the monitor judges trust with code of its own)
    m = InvariantMonitor(ShieldConfig())
    m.check(obs(0.0, 0.5, features=heart()), Decision(0.5, "x"))
    stale = replace(trusted, hr_fast_age_s=3.0)
    assert m.check(obs(20.0, 0.5, features=stale), Decision(0.55, "up")) == []
    # and off is off
    m = InvariantMonitor(ShieldConfig(hr_fast_max_age_s=0))
    m.check(obs(0.0, 0.5, features=heart()), Decision(0.5, "x"))
    assert m.check(obs(20.0, 0.5, features=trusted), Decision(0.55, "up")) == []


# -- the sensing model -----------------------------------------------------------------------


def batch(n: int, seed: int, **overrides) -> SessionBatch:
    params = Population.builtin().sample(n, np.random.default_rng(seed))
    for k, v in overrides.items():
        params[k] = np.full(n, v, dtype=params[k].dtype)
    return SessionBatch(params, rng=np.random.default_rng(seed + 1))


def test_the_sensing_model_measures_the_beat_to_beat_hr_like_the_sensors():
    b = batch(400, 3, artefacts_per_hour=0.0, dropouts_per_hour=0.0)
    b.advance()
    true = b.patients.physiology()["hr_bpm"]
    fs = [b.sensors.with_fast(b.observation(i).features, i) for i in range(b.n)]
    hr = np.array([f.hr_fast_bpm for f in fs])
    known = ~np.isnan(hr)
    assert 0.9 < known.mean() < 1.0  # an irregular run now and then
    assert np.std(hr[known] - true[known]) == pytest.approx(2.5, rel=0.2)
    f = fs[int(np.flatnonzero(known)[0])]
    assert f.hr_fast_quality.usable and 0.0 <= f.hr_fast_age_s <= 0.8 and f.hr_fast_source == "ecg"
    base = b.sensors.baseline[0, 0]
    assert fs[0].relative["hr_fast_bpm"] == pytest.approx((fs[0].hr_fast_bpm - base) / base, nan_ok=True)
    assert set(fs[0].relative) >= set(Features.NAMES)  # the other relative values stay


def test_the_sensing_model_gives_no_beat_to_beat_hr_in_an_artefact_or_a_stall():
    b = batch(300, 5, artefacts_per_hour=600.0, dropouts_per_hour=300.0)
    for _ in range(12):
        b.advance()
    b.vectors()
    _, _, quality, age = b._measure()
    hr, rel, q, fast_age = b.sensors.fast
    unusable = (quality[:, 0] < 0.5) | (age[:, 0] > 3.0)
    assert unusable.any() and np.isnan(hr[unusable]).all() and (q[unusable] == 0.0).all()
    stalled = age[:, 0] > 3.0
    assert stalled.any() and (fast_age[stalled] == age[stalled, 0]).all()


def test_the_beat_to_beat_draws_leave_every_other_measurement_as_it_was(monkeypatch):
    """Training and evaluation results depend on the main generator's sequence: the fast
    path draws from its own, so what the policy reads is unchanged."""

    def run(patch: bool):
        if patch:
            monkeypatch.setattr(
                SensorModel, "_measure_fast", lambda self, *a: tuple(np.full(self.n, np.nan) for _ in range(4))
            )
        b = batch(50, 9)
        out = []
        for _ in range(10):
            b.advance()
            out.append(b.vectors())
        return np.stack(out)

    with_fast = run(False)
    without = run(True)
    np.testing.assert_array_equal(with_fast, without)
