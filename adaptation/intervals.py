"""95 % intervals for evaluation rates: exact binomial for counts, bootstrap for expectations.

- **Observed rates** (``success_rate``, ``escape_rate``: k of n sessions) get the
  Clopper–Pearson interval, the exact binomial one. It never claims less uncertainty than
  there is, which matters for escapes: 0 escapes in 500 sessions still allows up to 0.74 %.
- **Expected rates** (``expected_escape_rate``: a mean of per-person escape probabilities,
  not a count) get a percentile bootstrap over people: the people are resampled with
  replacement ``RESAMPLES`` times from a seeded generator, so the same evaluation gives the
  same interval.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

LEVEL = 0.95
RESAMPLES = 2000


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion ``k / n`` (``n`` ≥ 1)."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"clopper_pearson: k = {k}, n = {n}; expected 0 ≤ k ≤ n and n ≥ 1")
    alpha = 1.0 - level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def bootstrap_mean(
    values: np.ndarray, seed: int, resamples: int = RESAMPLES, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampling people)."""
    values = np.asarray(values, dtype=np.float64)
    k = len(values)
    if k == 0:
        raise ValueError("bootstrap_mean: no values")
    rng = np.random.default_rng(seed)
    # multinomial counts per resample: one (resamples × k) matrix product, no index arrays
    counts = rng.multinomial(k, np.full(k, 1.0 / k), size=resamples)
    means = counts @ values / k
    alpha = 1.0 - level
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)
