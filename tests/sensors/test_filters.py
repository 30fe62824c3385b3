"""sensors.filters must give scipy's numbers exactly: the detectors and the tick functions
rely on it for outputs that do not depend on which of the two computed them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from sensors import filters


@pytest.fixture(scope="module")
def x():
    d = np.load(__import__("tests.sensors.stream_reference", fromlist=["PHYSIONET"]).PHYSIONET)
    return d["ecg_ii_mV"].astype(np.float64)[:20000]  # real ECG: baseline wander, QRS, noise


DESIGNS = [
    signal.butter(2, [5.0, 15.0], "bandpass", fs=250.0, output="sos"),
    signal.butter(2, [0.5, 40.0], "bandpass", fs=1000.0, output="sos"),
    signal.butter(2, 1.0, "lowpass", fs=32.0, output="sos"),
    signal.butter(4, [0.05, 0.9], "bandpass", fs=25.0, output="sos"),
]


@pytest.mark.parametrize("k", range(len(DESIGNS)))
@pytest.mark.parametrize("sizes", [(1,) * 40, (4,) * 30 + (1000,), (2, 3, 250, 7, 5000)])
def test_sosfilt_in_chunks_equals_scipy(x, k, sizes):
    sos = DESIGNS[k]
    zi_ours = zi_ref = signal.sosfilt_zi(sos) * x[0]
    i = 0
    for n in sizes:
        ours, zi_ours = filters.sosfilt(sos, x[i : i + n], zi_ours)
        ref, zi_ref = signal.sosfilt(sos, x[i : i + n], zi=zi_ref)
        assert np.array_equal(ours, ref) and np.array_equal(zi_ours, zi_ref)
        i += n


@pytest.mark.parametrize("sizes", [(1,) * 50, (4,) * 30 + (1000,), (2, 37, 38, 39, 5000)])
def test_fir_and_iir_in_chunks_equal_lfilter(x, sizes):
    b = np.full(38, 1.0 / 38)
    ema = ([0.0004], [1.0, 0.0004 - 1.0])
    zf, ze = np.zeros(37), np.zeros(1)
    rf, re = zf.copy(), ze.copy()
    i = 0
    for n in sizes:
        y = x[i : i + n] ** 2
        ours, zf = filters.fir(b, y, zf)
        ref, rf = signal.lfilter(b, 1.0, y, zi=rf)
        assert np.array_equal(ours, ref) and np.array_equal(zf, rf)
        ours, ze = filters.iir(*ema, y, ze)
        ref, re = signal.lfilter(*ema, y, zi=re)
        assert np.array_equal(ours, ref) and np.array_equal(ze, re)
        i += n


@pytest.mark.parametrize("k", range(len(DESIGNS)))
@pytest.mark.parametrize("n, padlen", [(7500, None), (2500, None), (500, 0), (4800, 96), (40, 39), (30, 29)])
def test_sosfiltfilt_equals_scipy(x, k, n, padlen):
    sos = DESIGNS[k]
    seg = x[1000 : 1000 + n]
    if padlen is None and n <= 3 * (2 * len(sos) + 1):
        pytest.skip("too short for the default padding")
    assert np.array_equal(filters.sosfiltfilt(sos, seg, padlen=padlen), signal.sosfiltfilt(sos, seg, padlen=padlen))


def test_sosfiltfilt_refuses_too_short_a_signal(x):
    with pytest.raises(ValueError, match="padlen=10"):
        filters.sosfiltfilt(DESIGNS[0], x[:10], padlen=10)


def test_a_different_filter_would_be_noticed(x):
    """The comparisons above can fail: one ulp of difference in a coefficient shows."""
    sos = DESIGNS[0].copy()
    bent = sos.copy()
    bent[0, 0] = np.nextafter(bent[0, 0], 1.0)
    zi = signal.sosfilt_zi(sos) * x[0]
    assert not np.array_equal(filters.sosfilt(bent, x[:500], zi)[0], signal.sosfilt(sos, x[:500], zi=zi)[0])


def test_quality_shortcuts_equal_numpy_and_scipy(x):
    """signal_quality's one-sort mode and median, and beat_correlations' detrend, are the
    numpy/scipy results exactly (on real ECG, on quantised codes, on odd and even sizes)."""
    from sensors.numerics import mode_and_median as _mode_and_median

    rng = np.random.default_rng(3)
    samples = [
        x[:2500],
        x[:2501],
        np.round(x[5000:7500], 2),
        rng.integers(0, 5, 999).astype(float),
        np.r_[x[:300], np.full(40, -3.2767)],
        np.array([2.0, 1.0]),
    ]
    for v in samples:
        values, counts = np.unique(v, return_counts=True)
        k = int(np.argmax(counts))
        assert _mode_and_median(v) == (float(values[k]), int(counts[k]), float(np.median(v)))
    for h in (30, 61, 2):
        idx = np.arange(3 * h + 1, x.size - 3 * h - 1, 207)
        segs = x[idx[:, None] + np.arange(-h, h + 1)]
        assert np.array_equal(filters.detrend_rows(segs), signal.detrend(segs, axis=1))
    eda = 4.0 + np.cumsum(rng.standard_normal(1920)) * 0.001  # one long row, as sensors.eda
    assert np.array_equal(filters.detrend_rows(eda[None, :])[0], signal.detrend(eda))


def test_percentile_and_nanmedian_shortcuts_equal_numpy():
    import warnings

    from sensors.heart import _nanmedian_rows
    from sensors.numerics import median
    from sensors.numerics import percentile as _percentile

    rng = np.random.default_rng(5)
    for n in list(range(1, 40)) + [99, 100, 101, 250]:
        for v in (rng.standard_normal(n), np.round(rng.uniform(0, 3, n), 1), rng.uniform(1e-12, 1e-9, n)):
            for q in (90, 50, 10, 99.5):
                assert _percentile(v, q) == float(np.percentile(v, q)), (n, q, v)
            assert median(v) == float(np.median(v)), (n, v)
    for _ in range(2000):
        n = int(rng.integers(1, 40))
        a = rng.uniform(0.3, 2.0, (n, 10))
        a[rng.random((n, 10)) < rng.random()] = np.nan
        a[0] = np.nan if rng.random() < 0.2 else a[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            want = np.nanmedian(a, axis=1)
        assert np.array_equal(_nanmedian_rows(a), want, equal_nan=True)
