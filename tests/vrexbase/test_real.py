"""vrexbase.real: the one "real, finite number" rule, and what it changed for each caller.

Before it there were five helpers that disagreed (issue 17): ``controllers._num`` took "20"
and True, ``safety_rules._real`` and ``invariants._as_number`` kept ±inf,
``report/load.is_number`` and ``observation._finite`` refused inf, and ``_finite(10**400)``
raised OverflowError. Each caller's old edge cases are pinned here, and where behaviour
changed the test says how."""

import math
from fractions import Fraction

import numpy as np
import pytest

from adaptation import controllers, observation, safety_rules
from adaptation.shield import ShieldConfig
from engine.report.load import is_number
from sensors.types import Features, Quality
from vrexbase.real import finite, is_finite

NOT_NUMBERS = [True, False, "20", "nan", None, [1.0], {"x": 1}, b"1", math.nan, math.inf, -math.inf, 10**400]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_what_is_not_a_number(value):
    assert not is_finite(value)
    assert math.isnan(finite(value))
    assert finite(value, 7.0) == 7.0


@pytest.mark.parametrize(
    "value", [0, -3, 2.5, 1e300, 10**300, np.float32(1.5), np.float64(-2.0), np.int64(4), Fraction(1, 4)]
)
def test_what_is(value):
    assert is_finite(value)
    assert finite(value) == float(value)


def test_infinity_only_as_a_stated_default():
    # the controllers' "an unknown age is infinitely old": inf is the caller's default, not a value
    assert finite("stale", math.inf) == math.inf
    assert finite(math.inf, 0.0) == 0.0


def test_report_loader_keeps_its_rule():
    assert is_number(3) and is_number(2.5)
    assert not any(is_number(v) for v in (True, "3", math.nan, math.inf, None, 10**400))


def test_observation_no_longer_overflows_on_huge_ints():
    # observation._finite(10**400) raised OverflowError; is_finite says no
    assert not observation.is_finite(10**400)


def test_controllers_no_longer_read_text_or_booleans_as_numbers():
    # controllers._num("20", d) was 20.0 and _num(True, d) was 1.0; a SUDS of "20" from a
    # malformed observation is no rating now
    assert controllers.finite("20", math.nan) != 20.0
    assert math.isnan(controllers.finite(True, math.nan))


def _features(**kw):
    base = dict(
        time=100.0,
        hr_bpm=80.0,
        hr_source="ecg",
        quality={"ecg": Quality(0.9, ""), "eda": Quality(0.9, "")},
        age_s={"ecg": 0.1, "eda": 0.1},
        relative={"hr_bpm": 0.0, "eda_tonic_us": 0.0},
    )
    base.update(kw)
    return Features(**base)


def test_shield_rules_treat_infinity_as_no_evidence():
    """safety_rules._real kept ±inf: a beat-to-beat HR of inf was 'implausible' and an EDA
    quality index of inf counted as usable. Both are malformed now, so no evidence."""
    cfg = ShieldConfig()
    why = safety_rules.hr_fast_distrust(_features(hr_fast_bpm=math.inf, hr_fast_age_s=0.1), cfg)
    assert why == "no beat-to-beat HR"
    broken = _features(quality={"ecg": Quality(0.9, ""), "eda": Quality(math.inf, "")}, relative={"eda_tonic_us": 5.0})
    assert not safety_rules._fresh_and_usable(broken, "eda", cfg)
    fine = _features(relative={"eda_tonic_us": 5.0})
    assert safety_rules._fresh_and_usable(fine, "eda", cfg)
