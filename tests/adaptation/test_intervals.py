"""95 % intervals of evaluation rates: exact binomial for observed, bootstrap for expected."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from adaptation.intervals import bootstrap_mean, clopper_pearson


@pytest.mark.parametrize("k, n", [(0, 500), (1, 500), (246, 500), (500, 500), (3, 7)])
def test_clopper_pearson_agrees_with_scipys_exact_binomial_interval(k, n):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    lo, hi = clopper_pearson(k, n)
    assert lo == pytest.approx(ref.low, abs=1e-9) and hi == pytest.approx(ref.high, abs=1e-9)
    assert lo <= k / n <= hi


def test_no_escape_in_500_still_allows_three_in_a_thousand():
    lo, hi = clopper_pearson(0, 500)
    assert lo == 0.0 and 0.007 < hi < 0.008  # the "rule of three": about 3/500


def test_a_count_outside_zero_to_n_is_refused():
    with pytest.raises(ValueError, match="0 ≤ k ≤ n"):
        clopper_pearson(6, 5)


def test_bootstrap_is_seeded_covers_the_mean_and_narrows_with_more_people():
    rng = np.random.default_rng(0)
    small, large = rng.exponential(0.01, 100), rng.exponential(0.01, 4000)
    a, b = bootstrap_mean(small, seed=4), bootstrap_mean(small, seed=4)
    assert a == b  # same seed, same interval
    assert a[0] < small.mean() < a[1]
    wide, narrow = a[1] - a[0], np.subtract(*bootstrap_mean(large, seed=4)[::-1])
    assert narrow < wide / 3  # √40 ≈ 6 times narrower, roughly
    # about ±1.96 standard errors
    se = small.std(ddof=1) / np.sqrt(len(small))
    assert wide == pytest.approx(2 * 1.96 * se, rel=0.25)


def test_all_zero_expectations_give_a_zero_interval():
    assert bootstrap_mean(np.zeros(50), seed=1) == (0.0, 0.0)
