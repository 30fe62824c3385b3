"""adaptation.patient: the simulated patient behaves as its docstring says.

Realistic people come from the default population; controlled cases copy the population's
median person and overwrite a few parameters (no arousal noise, no escapes, no learning,
as each test needs), so that a property can be checked exactly rather than on average.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pytest

from adaptation.parameters import PARAMETERS
from adaptation.patient import PatientBatch
from adaptation.population import Population

LEVELS = np.round(np.arange(11) / 10, 1)


@lru_cache(maxsize=1)
def _population() -> Population:
    return Population.builtin()


def sample(n: int, seed: int, **overrides) -> dict[str, np.ndarray]:
    """``n`` people from the default population, some parameters overwritten."""
    params = _population().sample(n, np.random.default_rng(seed))
    return _override(params, overrides)


@lru_cache(maxsize=1)
def _median() -> dict[str, float]:
    big = _population().sample(20_001, np.random.default_rng(12345))
    med = {k: float(np.median(v)) for k, v in big.items() if PARAMETERS[k].kind == "float"}
    med.update(hr_decelerator=False, eda_responder=True)  # the majority on both
    return med


def person(n: int = 1, **overrides) -> dict[str, np.ndarray]:
    """``n`` copies of the population's median person (an accelerator and EDA responder)."""
    params = {
        k: np.full(n, v, dtype=bool if PARAMETERS[k].kind == "bool" else np.float64) for k, v in _median().items()
    }
    return _override(params, overrides)


def _override(params: dict[str, np.ndarray], overrides: dict) -> dict[str, np.ndarray]:
    n = len(params["arousal_rest"])
    out = {k: v.copy() for k, v in params.items()}
    for k, v in overrides.items():
        assert k in PARAMETERS, k
        out[k] = np.broadcast_to(np.asarray(v, dtype=out[k].dtype), (n,)).copy()
    return out


QUIET = dict(arousal_noise=0.0, escape_hazard=0.0)  # deterministic, nobody leaves
FIXED = dict(QUIET, habituation_rate=0.0, sensitisation_rate=0.0)  # ... and the threshold stays put


def batch(params: dict[str, np.ndarray], seed: int = 0) -> PatientBatch:
    return PatientBatch(params, np.random.default_rng(seed))


def hold(b: PatientBatch, intensity, seconds: int) -> None:
    for _ in range(int(seconds / b.dt)):
        b.step(np.broadcast_to(intensity, (b.n,)))


def course(b: PatientBatch, intensity, seconds: int) -> np.ndarray:
    """The deterministic part of arousal after each of ``seconds`` steps, (seconds, n)."""
    out = []
    for _ in range(seconds):
        b.step(np.broadcast_to(intensity, (b.n,)))
        out.append(b.a.copy())
    return np.array(out)


# -- construction and reproducibility ------------------------------------------------------


def test_constructor_names_every_missing_parameter():
    params = person(3)
    del params["fear_width"], params["hr_tau_s"]
    with pytest.raises(ValueError, match=r"missing: fear_width, hr_tau_s"):
        batch(params)


@pytest.mark.parametrize(
    "name, value, shape",
    [
        ("fear_width", np.full(4, 0.1), "(4,)"),  # one too many
        ("hr_rest", np.full((3, 1), 70.0), "(3, 1)"),  # 2-D
        ("eda_responder", True, "()"),  # a scalar
    ],
)
def test_constructor_names_the_parameter_with_a_bad_shape(name, value, shape):
    params = person(3)
    params[name] = value
    with pytest.raises(ValueError, match=rf"'{name}' has shape {re.escape(shape)}; expected \(3,\)"):
        batch(params)


def test_constructor_reports_a_scalar_batch_size_parameter_as_a_shape_error():
    # arousal_rest sets n: a scalar there used to be a bare TypeError from len()
    params = person(3)
    params["arousal_rest"] = 0.2
    with pytest.raises(ValueError, match=r"'arousal_rest' has shape \(\)"):
        batch(params)


@pytest.mark.parametrize("dt", [0.0, -1.0, 2.5, math.nan])
def test_constructor_rejects_a_bad_dt(dt):
    with pytest.raises(ValueError, match="dt"):
        PatientBatch(person(2), np.random.default_rng(0), dt=dt)


def _run(b: PatientBatch, seconds: int, seed: int) -> list[np.ndarray]:
    """Random held intensities; every observable state, step by step."""
    rng = np.random.default_rng(seed)
    intensity = np.zeros(b.n)
    out = []
    for t in range(seconds):
        if t % 30 == 0:
            intensity = rng.choice(LEVELS, b.n)
        escaped = b.step(intensity)
        phys = b.physiology()
        out.append(np.concatenate([b.arousal, b.H, b.S, escaped, b.escaped, *phys.values()]))
        if t % 60 == 59:
            out.append(b.ask_suds(np.arange(b.n)))
    return out


def test_the_same_seed_gives_identical_trajectories():
    params = sample(40, seed=1, escape_hazard=0.3)  # escapes happen, so their draws are compared too
    first = _run(batch(params, seed=7), 200, seed=3)
    again = _run(batch(params, seed=7), 200, seed=3)
    other = _run(batch(params, seed=8), 200, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    assert not all(np.array_equal(x, y) for x, y in zip(first, other))


# -- evoked fear ----------------------------------------------------------------------------


def test_evoked_fear_is_exactly_zero_in_the_calm_state_whatever_was_learned():
    b = batch(sample(2000, seed=2))
    rng = np.random.default_rng(0)
    b.H[:] = rng.uniform(0.0, 2.0, b.n)
    b.S[:] = rng.uniform(0.0, 20.0, b.n) * (rng.random(b.n) < 0.5)
    assert np.all(b.evoked(np.zeros(b.n)) == 0.0)
    full = b.evoked(np.ones(b.n))
    assert np.all((full > 0.0) & (full <= 1.0))


def test_evoked_fear_grows_with_intensity_steepest_at_the_effective_threshold():
    b = batch(sample(300, seed=3))
    grid = np.linspace(0.0, 1.0, 2001)[:, None]  # (2001, 1) against (n,)
    step = grid[1, 0]
    f = b.evoked(grid)
    assert np.all(np.diff(f, axis=0) >= 0.0) and np.all(f[-1] > f[0])
    steepest = grid[np.argmax(np.diff(f, axis=0), axis=0), 0] + step / 2
    np.testing.assert_allclose(steepest, b.p["fear_threshold"], atol=1.5 * step)
    # habituation raises the threshold, sensitisation lowers it: the curve moves with H − S
    b.H[:] = 0.15
    b.S[:] = 0.05
    shifted = b.evoked(grid)
    steepest = grid[np.argmax(np.diff(shifted, axis=0), axis=0), 0] + step / 2
    inside = b.p["fear_threshold"] + 0.1 < 1.0 - 2 * step
    np.testing.assert_allclose(steepest[inside], b.p["fear_threshold"][inside] + 0.1, atol=1.5 * step)
    assert np.all(shifted <= f)


def _documented(intensity, theta, w):
    """The module docstring's formula, term by term, in exact arithmetic's float64 rounding."""
    s = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    zero = s(-theta / w)
    return (s((intensity - theta) / w) - zero) / (1.0 - zero)


def test_evoked_fear_is_the_documented_formula():
    b = batch(sample(500, seed=4))
    rng = np.random.default_rng(1)
    b.H[:] = rng.uniform(0.0, 0.3, b.n)
    b.S[:] = rng.uniform(0.0, 0.1, b.n)
    theta = b.p["fear_threshold"] + b.H - b.S  # > 0 here: the formula is well conditioned
    for intensity in (0.05, 0.3, 0.5, 0.8, 1.0):
        np.testing.assert_allclose(
            b.evoked(np.full(b.n, intensity)), _documented(intensity, theta, b.p["fear_width"]), rtol=0, atol=1e-12
        )


def test_evoked_fear_stays_right_when_sensitisation_drives_the_threshold_far_below_zero():
    # Regression: the formula as first written, (σ(x) − σ(−θ/w)) / max(1 − σ(−θ/w), 1e-9),
    # subtracted two numbers near 1 and collapsed toward 0 once θ < about −20 w.
    # The exact limit for θ → −∞ is 1 − exp(−I/w).
    b = batch(person(4, fear_width=[0.06, 0.1, 0.14, 0.4]))
    w = b.p["fear_width"]
    for depth in (20.0, 30.0, 200.0):
        b.S[:] = b.p["fear_threshold"] + depth * w  # θ = −depth × w
        for intensity in (0.1, 0.5, 1.0):
            limit = -np.expm1(-intensity / w)
            f = b.evoked(np.full(b.n, intensity))
            np.testing.assert_allclose(f, limit, rtol=1e-6)
        assert np.all(b.evoked(np.zeros(b.n)) == 0.0)


# -- the course of arousal -------------------------------------------------------------------


def test_arousal_rises_with_rise_tau_and_falls_with_the_slower_fall_tau():
    params = person(3, **FIXED, rise_tau_s=[2.0, 8.0, 20.0], fall_tau_s=[30.0, 60.0, 200.0])
    b = batch(params)
    rest = b.p["arousal_rest"]
    target = rest + (b.p["fear_max"] - rest) * b.evoked(np.ones(b.n))
    up = course(b, 1.0, 120)
    t = np.arange(1, 121)[:, None]
    np.testing.assert_allclose(up, target + (rest - target) * np.exp(-t / b.p["rise_tau_s"]), atol=1e-12)
    top = b.a.copy()
    down = course(b, 0.0, 600)
    t = np.arange(1, 601)[:, None]
    np.testing.assert_allclose(down, rest + (top - rest) * np.exp(-t / b.p["fall_tau_s"]), atol=1e-12)


def test_recovery_takes_longer_than_onset_for_everyone_in_the_population():
    b = batch(sample(500, seed=5, **FIXED))
    rest, target = b.p["arousal_rest"], _target(b, 0.7)
    rise, fall = np.full(b.n, np.inf), np.full(b.n, np.inf)
    for t in range(1, 121):
        b.step(np.full(b.n, 0.7))
        rise = np.where(np.isinf(rise) & (b.a - rest >= 0.5 * (target - rest)), t, rise)
    top = b.a.copy()
    for t in range(1, 301):
        b.step(np.zeros(b.n))
        fall = np.where(np.isinf(fall) & (b.a - rest <= 0.5 * (top - rest)), t, fall)
    assert np.all(np.isfinite(rise)) and np.all(np.isfinite(fall))
    assert np.all(rise < fall)


def _target(b: PatientBatch, intensity: float) -> np.ndarray:
    rest = b.p["arousal_rest"]
    return rest + (b.p["fear_max"] - rest) * b.evoked(np.full(b.n, intensity))


def test_a_median_person_held_at_a_tolerable_level_habituates_suds_halving_within_ten_minutes():
    # The clinic's rule (clinical.md): stay until peak SUDS has dropped by half.
    b = batch(person(1, arousal_noise=0.0, escape_hazard=0.0))
    assert _target(b, 0.5)[0] < b.p["habituation_band"][0], "0.5 should be tolerable for the median person"
    course = []
    for _ in range(600):
        b.step(np.array([0.5]))
        course.append(b.arousal[0])
    course = np.array(course)
    peak = int(np.argmax(course))
    assert 10 < peak < 120  # it rises first, then falls
    assert course[-1] <= course[peak] / 2  # raw arousal (SUDS ≈ 100 a) halved
    assert np.all(np.diff(course[peak:]) <= 1e-12)  # and falls steadily after the peak
    # with moment-to-moment noise the typical course does the same
    noisy = batch(person(100, escape_hazard=0.0), seed=1)
    arousal = []
    for _ in range(600):
        noisy.step(np.full(noisy.n, 0.5))
        arousal.append(noisy.arousal.copy())
    arousal = np.array(arousal)
    ratio = arousal.max(axis=0) / arousal[-30:].mean(axis=0)
    assert np.median(ratio) >= 2.0


def test_habituation_grows_only_while_fear_is_evoked_and_tolerable():
    params = sample(300, seed=6, escape_hazard=0.0)
    b = batch(params, seed=2)
    rng = np.random.default_rng(3)
    band, rate = b.p["habituation_band"], b.p["habituation_rate"]
    intensity = np.zeros(b.n)
    rows = []  # (intensity, arousal, H before, gain, expected gain)
    for t in range(600):
        if t % 40 == 0:
            intensity = rng.choice(LEVELS, b.n)
        f = b.evoked(intensity)
        before = b.H.copy()
        b.step(intensity)
        rows.append((intensity, b.arousal, before, b.H - before, np.minimum(before + rate * f, 2.0) - before))
    intensity, a, before, gain, expected = map(np.array, zip(*rows))
    assert np.all(gain[intensity == 0.0] == 0.0)  # nothing evoked, nothing learned
    assert np.all(gain[a > band] == 0.0)  # too afraid to habituate
    ok = a <= band
    np.testing.assert_allclose(gain[ok], expected[ok], rtol=0, atol=1e-15)
    assert np.sum(gain > 0) > 30_000 and np.sum(a > band) > 5_000 and np.sum(intensity == 0) > 5_000


def test_held_far_above_threshold_sensitisation_grows_and_arousal_stays_high():
    # Fast and slow sensitisers, narrow and wide fear curves; nobody may leave.
    n = 6
    params = person(
        n,
        **QUIET,
        fear_threshold=0.4,
        habituation_rate=0.003,
        fear_width=[0.06, 0.1, 0.14, 0.06, 0.1, 0.14],
        sensitisation_rate=[0.01, 0.01, 0.01, 0.1, 0.1, 0.1],
    )
    b = batch(params)
    band = b.p["habituation_band"]
    moderate_before = b.evoked(np.full(n, 0.3))
    hold(b, 1.0, 60)
    assert np.all(b.arousal > band)
    low = b.arousal.copy()
    arousal, s = [], [b.S.copy()]
    for _ in range(20 * 60):  # 20 minutes of flooding
        b.step(np.ones(n))
        arousal.append(b.arousal.copy())
        s.append(b.S.copy())
    assert np.all(np.array(arousal) > band)
    s = np.array(s)
    assert np.all((np.diff(s, axis=0) > 0) | (s[1:] == 1.0))  # grows until its cap of 1
    assert s.max() == 1.0 and np.all(s <= 1.0)
    assert np.all(np.array(arousal) >= low - 1e-9)  # too high stays too high
    assert np.all(b.evoked(np.full(n, 0.3)) > moderate_before + 0.2)  # it feeds itself


def test_no_habituation_while_above_the_band():
    b = batch(person(3, **QUIET, fear_threshold=0.3))
    hold(b, 1.0, 30)
    assert np.all(b.arousal > b.p["habituation_band"])
    h = b.H.copy()
    hold(b, 1.0, 300)
    assert np.array_equal(b.H, h)


def test_sensitisation_fades_with_its_decay_time_once_back_in_the_band():
    params = person(
        3,
        **QUIET,
        fear_threshold=0.4,
        habituation_rate=0.0,
        sensitisation_rate=0.03,
        sensitisation_decay_s=[100.0, 200.0, 400.0],
    )
    b = batch(params)
    hold(b, 1.0, 300)
    peak = b.S.copy()
    assert np.all(peak > 0.5)
    band, keep = b.p["habituation_band"], np.exp(-1.0 / b.p["sensitisation_decay_s"])
    s, in_band = [peak], []
    for _ in range(1500):
        b.step(np.zeros(b.n))
        s.append(b.S.copy())
        in_band.append(b.arousal <= band)
    s, in_band = np.array(s), np.array(in_band)
    np.testing.assert_allclose(s[1:][in_band], (s[:-1] * keep)[in_band], rtol=1e-12)
    assert np.all(s >= 0.0)
    assert in_band.mean() > 0.95
    assert np.all(b.S < peak * np.exp(-1200 / b.p["sensitisation_decay_s"]))


# -- panic and escape -----------------------------------------------------------------------


def test_escapes_happen_only_above_the_panic_level():
    params = sample(1000, seed=7, escape_hazard=1.0)
    b = batch(params, seed=4)
    rng = np.random.default_rng(5)
    intensity = np.zeros(b.n)
    excess = []
    for t in range(400):
        if t % 30 == 0:
            intensity = rng.choice(LEVELS, b.n)
        new = b.step(intensity)
        excess.extend(b.arousal[new] - b.p["panic_level"][new])
    assert len(excess) > 100 and min(excess) > 0


def test_escape_is_more_likely_the_higher_the_arousal_at_the_documented_hazard():
    # Four groups whose arousal settles at 0.80 (the panic level itself), 0.85, 0.90 and 1.0.
    groups, per = [0.8, 0.85, 0.9, 1.0], 2000
    params = person(
        len(groups) * per,
        arousal_noise=0.0,
        escape_hazard=0.02,
        panic_level=0.8,
        habituation_rate=0.0,
        sensitisation_rate=0.0,
        rise_tau_s=1.0,
        fear_threshold=0.1,
        fear_width=0.02,
        fear_max=np.repeat(groups, per),
    )
    b = batch(params, seed=6)
    survive = np.ones(b.n)  # expected P(still here), from the recorded arousal
    for _ in range(120):
        b.step(np.ones(b.n))
        excess = np.clip((b.arousal - 0.8) / 0.2, 0.0, 1.0)
        survive *= np.exp(-0.02 * excess)
    gone = b.escaped.reshape(len(groups), per).mean(axis=1)
    expected = 1.0 - survive.reshape(len(groups), per).mean(axis=1)
    assert gone[0] == 0.0  # at the panic level, never
    assert np.all(np.diff(gone) > 0.05)  # the higher, the likelier
    assert np.all(np.abs(gone - expected) <= 4 * np.sqrt(expected * (1 - expected) / per) + 1e-9)
    assert expected[-1] > 0.85  # ≈ escape_hazard per second at full arousal


def test_nobody_escapes_when_escape_hazard_is_zero():
    b = batch(sample(300, seed=8, escape_hazard=0.0), seed=7)
    panicked = np.zeros(b.n, bool)
    reported = np.zeros(b.n, bool)
    for _ in range(600):
        reported |= b.step(np.ones(b.n))
        panicked |= b.arousal > b.p["panic_level"]
    assert not reported.any() and not b.escaped.any()
    assert panicked.mean() > 0.5


def test_escaped_is_sticky_and_reported_once():
    b = batch(
        sample(
            200,
            seed=9,
            escape_hazard=1.0,
            arousal_noise=0.0,
            fear_threshold=0.2,
            panic_level=0.75,
            fear_max=1.0,
            sensitisation_rate=0.0,
        ),
        seed=8,
    )
    reported = np.zeros(b.n, int)
    for _ in range(300):
        reported += b.step(np.ones(b.n))
    assert b.escaped.all()
    assert np.all(reported == 1)
    for _ in range(300):  # calm again: still gone, never reported again
        assert not b.step(np.zeros(b.n)).any()
    assert b.escaped.all()
    assert np.all(b.arousal < b.p["panic_level"])
    b.reset(np.array([3, 5]))
    assert not b.escaped[[3, 5]].any() and b.escaped.sum() == b.n - 2


# -- recovery --------------------------------------------------------------------------------


def test_calm_brings_arousal_and_body_back_to_rest_keeping_habituation():
    b = batch(sample(300, seed=10, escape_hazard=0.0), seed=9)
    hold(b, 0.5, 240)
    hold(b, 0.9, 60)
    h, s = b.H.copy(), b.S.copy()
    assert np.mean(b.a - b.p["arousal_rest"]) > 0.3 and (s > 0.01).sum() > 50
    hold(b, 0.0, 600)
    rest = b.p["arousal_rest"]
    assert np.all(np.abs(b.a - rest) < 0.01)  # the course itself: back at rest
    assert np.median(np.abs(b.arousal - rest)) < 0.03  # what is felt: rest plus fluctuation
    assert np.array_equal(b.H, h)  # habituation stays
    faded = b.S[s > 0.01] / s[s > 0.01]  # sensitisation fades (decay time 200–600 s)
    assert faded.max() < 0.75 and np.median(faded) < 0.4
    phys, resting = b.physiology(), b.resting_physiology()
    for key in ("hr_bpm", "rmssd_ms", "eda_tonic_us", "resp_rate_bpm"):
        np.testing.assert_allclose(phys[key], resting[key], rtol=0.1)


def test_physiology_at_rest_is_the_resting_physiology():
    b = batch(sample(300, seed=11))
    phys, resting = b.physiology(), b.resting_physiology()
    assert phys.keys() == resting.keys()
    for key in phys:
        np.testing.assert_allclose(phys[key], resting[key], rtol=1e-15, err_msg=key)


# -- physiology ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staircase():
    """Realistic people stepped up the hierarchy, 4 minutes a level, at steady state each time."""
    b = batch(sample(500, seed=12, **FIXED))
    arousal, phys = [b.arousal.copy()], [b.physiology()]
    for level in (0.2, 0.4, 0.6, 0.8, 1.0):
        hold(b, level, 150)
        arousal.append(b.arousal.copy())
        phys.append(b.physiology())
    return b, np.array(arousal), {k: np.array([p[k] for p in phys]) for k in phys[0]}


def test_heart_rate_rises_with_arousal_in_accelerators_and_falls_in_decelerators(staircase):
    b, arousal, phys = staircase
    decel = b.p["hr_decelerator"]
    assert 0.15 < decel.mean() < 0.35
    rose = np.diff(arousal, axis=0) > 1e-3
    dhr = np.diff(phys["hr_bpm"], axis=0)
    assert rose.sum() > 500
    assert np.all(dhr[rose & ~decel] > 0)
    assert np.all(dhr[rose & decel] < 0)
    top = phys["hr_bpm"][-1]
    assert np.all(top[~decel] > b.p["hr_rest"][~decel] * 1.02)
    assert np.all(top[decel] < b.p["hr_rest"][decel])


def test_rmssd_falls_and_breathing_and_skin_conductance_rise_with_arousal(staircase):
    b, arousal, phys = staircase
    rose = np.diff(arousal, axis=0) > 1e-3
    responder = b.p["eda_responder"]
    assert np.all(np.diff(phys["rmssd_ms"], axis=0)[rose] < 0)
    assert np.all(np.diff(phys["resp_rate_bpm"], axis=0)[rose] > 0)
    assert np.all(np.diff(phys["eda_tonic_us"], axis=0)[rose & responder] > 0)
    assert np.all(np.diff(phys["scr_per_min"], axis=0)[rose & responder] > 0)


def test_heart_rate_lags_arousal_by_hr_tau():
    taus = np.array([0.5, 2.0, 5.0, 20.0])
    b = batch(person(4, **FIXED, rise_tau_s=1.0, hr_tau_s=taus))
    rest, gain, hr_rest = b.p["arousal_rest"], b.p["hr_gain_accel"], b.p["hr_rest"]
    lagged = rest.copy()
    reached = np.full(b.n, np.nan)
    final = _target(b, 1.0)
    for t in range(1, 121):
        b.step(np.ones(b.n))
        lagged += (b.arousal - lagged) * (1.0 - np.exp(-1.0 / taus))  # first-order lag of arousal
        hr = b.physiology()["hr_bpm"]
        np.testing.assert_allclose(hr, hr_rest * (1.0 + gain * (lagged - rest)), rtol=1e-12)
        if t == 1:
            assert np.all((hr / hr_rest - 1) / gain < b.arousal - rest)  # behind arousal already
        reached = np.where(np.isnan(reached) & ((hr / hr_rest - 1) / gain >= 0.63 * (final - rest)), t, reached)
    assert np.all(np.diff(reached) > 0)  # the longer hr_tau, the later


def test_skin_conductance_ignores_an_arousal_step_until_eda_latency_has_passed():
    latency = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.99, 3.0, 4.2, 5.0])
    drawn = sample(200, seed=13)["eda_latency_s"]
    latency = np.concatenate([latency, drawn])
    b = batch(person(len(latency), **FIXED, eda_latency_s=latency))
    rest = b.resting_physiology()
    first_change = np.full(b.n, np.nan)
    arousal, tonic = [b.arousal.copy()], []
    for t in range(1, 31):
        b.step(np.ones(b.n))  # arousal leaves rest at t = 1
        assert np.all(b.arousal > b.p["arousal_rest"])
        arousal.append(b.arousal.copy())
        phys = b.physiology()
        tonic.append(phys["eda_tonic_us"])
        moved = (phys["eda_tonic_us"] != rest["eda_tonic_us"]) | (phys["scr_per_min"] != rest["scr_per_min"])
        assert np.all(phys["eda_tonic_us"][moved] > rest["eda_tonic_us"][moved])
        first_change = np.where(np.isnan(first_change) & moved, t, first_change)
    np.testing.assert_array_equal(first_change, np.floor(latency) + 1)  # the first whole second after
    # after the latency, tonic EDA is arousal delayed by eda_latency_s (linearly interpolated
    # between seconds), passed through a first-order rise of eda_tau_s
    arousal = np.array(arousal)
    t = np.arange(len(arousal))
    lagged, keep = b.p["arousal_rest"].copy(), np.exp(-1.0 / b.p["eda_tau_s"])
    for k in range(1, len(arousal)):
        delayed = np.array([np.interp(k - lat, t, arousal[:, j]) for j, lat in enumerate(latency)])
        lagged = delayed + (lagged - delayed) * keep
        expected = b.p["eda_rest"] * (1 + b.p["eda_gain"] * (lagged - b.p["arousal_rest"]))
        np.testing.assert_allclose(tonic[k - 1], expected, rtol=1e-12)


def test_non_responders_show_flat_skin_conductance_whatever_their_arousal():
    b = batch(sample(500, seed=14, eda_responder=False, escape_hazard=0.0), seed=10)
    rng = np.random.default_rng(11)
    top = np.zeros(b.n)
    for t in range(300):
        if t % 30 == 0:
            intensity = rng.choice(LEVELS, b.n)
        b.step(intensity)
        phys = b.physiology()
        assert np.array_equal(phys["eda_tonic_us"], b.p["eda_rest"])
        assert np.all(phys["scr_per_min"] == 0.0) and np.all(phys["scr_amplitude_us"] == 0.0)
        top = np.maximum(top, b.arousal)
    assert np.mean(top > 0.7) > 0.3
    resting = b.resting_physiology()
    assert np.all(resting["scr_per_min"] == 0.0) and np.all(resting["scr_amplitude_us"] == 0.0)


def test_the_population_has_about_ten_percent_non_responders_and_a_quarter_decelerators():
    params = sample(20_000, seed=15)
    assert abs((~params["eda_responder"]).mean() - 0.10) < 0.015
    assert abs(params["hr_decelerator"].mean() - 0.25) < 0.015


# -- SUDS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("level, bias, noise", [(0.5, 0.0, 5.0), (0.5, 10.0, 3.0), (0.5, -15.0, 8.0)])
def test_suds_answers_are_whole_numbers_centred_on_arousal_plus_bias(level, bias, noise):
    b = batch(person(1, **FIXED, suds_bias=bias, suds_noise=noise), seed=12)
    hold(b, level, 150)
    answers = b.ask_suds(np.zeros(40_000, dtype=np.int64))
    assert np.all(answers == np.round(answers)) and answers.min() >= 0 and answers.max() <= 100
    centre = 100 * b.arousal[0] + bias
    assert 5 + 4 * noise < centre < 95 - 4 * noise  # no clipping in these cases
    assert abs(answers.mean() - centre) < 0.2
    assert abs(answers.std() - math.sqrt(noise**2 + 1 / 12)) < 0.05 * noise  # rounding adds 1/12


def test_suds_answers_are_clipped_to_the_scale_and_exact_without_noise():
    b = batch(sample(500, seed=16, suds_noise=0.0), seed=13)
    hold(b, 0.6, 120)
    answers = b.ask_suds(np.arange(b.n))
    np.testing.assert_array_equal(answers, np.clip(np.round(100 * b.arousal + b.p["suds_bias"]), 0, 100))
    extreme = batch(person(2, suds_bias=[-50.0, 50.0], suds_noise=30.0, arousal_noise=0.0, fear_max=1.0), seed=14)
    low = extreme.ask_suds(np.zeros(2000, dtype=np.int64))
    hold(extreme, 1.0, 120)
    high = extreme.ask_suds(np.ones(2000, dtype=np.int64))
    assert low.min() == 0 and high.max() == 100
    assert np.all((low >= 0) & (high <= 100))
    assert np.mean(low == 0) > 0.7 and np.mean(high == 100) > 0.7


# -- reset and inputs ------------------------------------------------------------------------


def test_reset_starts_only_the_given_rows_afresh_with_their_new_parameters():
    params = sample(6, seed=17, escape_hazard=0.05)
    a, b = batch(params, seed=15), batch(params, seed=15)
    rng = np.random.default_rng(16)
    schedule = [rng.choice(LEVELS, 6) for _ in range(10)]
    for intensity in schedule:
        for _ in range(30):
            a.step(intensity)
            b.step(intensity)
    rows = np.array([1, 4])
    fresh = sample(2, seed=18, **QUIET, rise_tau_s=[1.5, 40.0], eda_latency_s=[0.0, 5.0])
    b.reset(rows, fresh)
    others = np.setdiff1d(np.arange(6), rows)
    for name in ("a", "H", "S", "escaped", "a_hr", "a_eda", "a_resp", "noise"):
        np.testing.assert_array_equal(getattr(b, name)[others], getattr(a, name)[others], err_msg=name)
    assert np.array_equal(b.a[rows], fresh["arousal_rest"]) and not b.escaped[rows].any()
    assert np.all(b.H[rows] == 0) and np.all(b.S[rows] == 0)
    for k in PARAMETERS:
        np.testing.assert_array_equal(b.p[k][rows], fresh[k], err_msg=k)
    # afterwards: the other rows go on exactly as without the reset; the new people behave
    # exactly like the same people in a batch of their own (noise-free, so no shared draws)
    alone = batch(fresh)
    for intensity in schedule:
        for _ in range(30):
            a.step(intensity)
            b.step(intensity)
            alone.step(intensity[rows])
        for name in ("a", "H", "S", "escaped", "a_eda"):
            np.testing.assert_array_equal(getattr(b, name)[others], getattr(a, name)[others], err_msg=name)
        for key, value in b.physiology().items():
            np.testing.assert_allclose(value[rows], alone.physiology()[key], rtol=1e-12, err_msg=key)


def test_step_clips_intensity_to_zero_one_and_treats_nan_as_the_calm_state():
    given = np.array([2.0, np.inf, 1.0, -0.5, -np.inf, np.nan, 0.0])
    meant = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    params = person(len(given), **QUIET)
    b, ref = batch(params), batch(params)
    for _ in range(120):
        b.step(given)
        ref.step(meant)
    for name in ("a", "H", "S", "a_hr", "a_eda", "a_resp"):
        np.testing.assert_array_equal(getattr(b, name), getattr(ref, name), err_msg=name)
    assert np.all(np.isfinite(b.arousal))
    assert np.all(np.isfinite(b.ask_suds(np.arange(b.n))))
