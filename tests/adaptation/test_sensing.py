"""adaptation.sensing (and what SessionBatch shows of it): the simulated sensors measure the
simulated patient the way its docstring says — scatter, baseline, relative values,
artefacts, dropouts — and a simulated observation encodes exactly like the batch vectors.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from adaptation.observation import encode
from adaptation.patient import PatientBatch
from adaptation.population import Population
from adaptation.sensing import GROUPS, NAMES, WINDOW_S, SensorModel
from adaptation.sim import SessionBatch, SessionConfig
from sensors.baseline import RATIO, Baseline
from sensors.types import Features

HEART, EDA, RESP = (GROUPS.index(g) for g in ("heart", "eda", "resp"))
HR, RMSSD, TONIC, SCR, AMP, BREATH = (NAMES.index(k) for k in Features.NAMES)
HEART_VALUES, EDA_VALUES = [HR, RMSSD], [TONIC, SCR, AMP]


@lru_cache(maxsize=1)
def _population() -> Population:
    return Population.builtin()


def sample(n: int, seed: int, **overrides) -> dict[str, np.ndarray]:
    params = _population().sample(n, np.random.default_rng(seed))
    for k, v in overrides.items():
        params[k] = np.broadcast_to(np.asarray(v, dtype=params[k].dtype), (n,)).copy()
    return params


def aroused_patients(n: int, seed: int) -> PatientBatch:
    """Realistic people a few minutes into moderate-to-high exposure."""
    b = PatientBatch(sample(n, seed, escape_hazard=0.0), np.random.default_rng(seed))
    levels = np.random.default_rng(seed + 1).choice([0.0, 0.3, 0.5, 0.7, 0.9], n)
    for _ in range(120):
        b.step(levels)
    return b


def sensors_for(
    patients: PatientBatch, seed: int, artefacts: float | np.ndarray = 0.0, dropouts: float | np.ndarray = 0.0
) -> SensorModel:
    n = patients.n
    model = SensorModel(
        n, np.broadcast_to(artefacts, (n,)), np.broadcast_to(dropouts, (n,)), np.random.default_rng(seed)
    )
    model.reset(np.arange(n), patients.resting_physiology())
    return model


# -- scatter, baseline and relative values -------------------------------------------------


def test_measured_values_average_to_the_true_ones():
    patients = aroused_patients(100, seed=1)
    true = patients.physiology()
    model = sensors_for(patients, seed=2)
    values = np.array([model.measure(0.0, true)[0] for _ in range(500)])  # (draws, n, 6)
    truth = np.stack([true[k] for k in NAMES], axis=1)
    error = values - truth
    assert np.all(np.abs(error[..., HR].mean(axis=0)) < 0.2)  # bpm, every person
    assert abs(error[..., HR].std() - 1.0) < 0.05  # ± 1 bpm a window
    assert np.all(np.abs(error[..., BREATH].mean(axis=0)) < 0.2)  # ± 0.7 breaths/min
    assert abs(error[..., BREATH].std() - 0.7) < 0.05
    tonic_sd = np.hypot(0.03, 0.01 * truth[:, TONIC])  # ± 0.03 µS + 1 %
    assert np.all(np.abs(error[..., TONIC].mean(axis=0)) < 4.5 * tonic_sd / np.sqrt(len(values)))
    assert abs((error[..., TONIC] / tonic_sd).std() - 1.0) < 0.05
    rmssd = np.log(values[..., RMSSD] / truth[None, :, RMSSD])
    assert abs(rmssd.mean()) < 0.01 and abs(rmssd.std() - 0.15) < 0.01  # ± 15 %
    counts = values[..., SCR]  # counted, Poisson
    assert np.all(counts == np.round(counts)) and np.all(counts >= 0)
    np.testing.assert_allclose(counts.mean(axis=0), truth[:, SCR], atol=4 * np.sqrt(truth[:, SCR].max() / 500))


def test_the_baseline_is_the_resting_values_with_a_third_of_the_scatter():
    patients = aroused_patients(40, seed=3)
    resting = patients.resting_physiology()
    model = sensors_for(patients, seed=4)
    draws = []
    for _ in range(500):
        model.reset(np.arange(patients.n), resting)
        draws.append(model.baseline.copy())
    draws = np.array(draws)
    truth = np.stack([resting[k] for k in NAMES], axis=1)
    assert np.all(np.abs(draws[..., HR].mean(axis=0) - truth[:, HR]) < 0.2)
    assert abs((draws[..., HR] - truth[:, HR]).std() - 0.3) < 0.03
    np.testing.assert_array_equal(draws[..., SCR], np.broadcast_to(truth[:, SCR], draws[..., SCR].shape))


def test_relative_values_follow_sensors_baseline():
    # heart rate and tonic EDA as a fraction of baseline, everything else as a difference
    assert {NAMES[j] for j in (HR, TONIC)} == set(RATIO)
    patients = aroused_patients(60, seed=5)
    model = sensors_for(patients, seed=6, artefacts=60.0, dropouts=20.0)
    checked = 0
    for t in range(10, 200, 10):
        model.advance(float(t), 10.0)
        values, relative, _, _ = model.measure(float(t), patients.physiology())
        for i in range(patients.n):
            baseline = Baseline(min_values=1)
            baseline.add(Features(time=0.0, **dict(zip(NAMES, model.baseline[i]))))
            want = baseline.relative(Features(time=float(t), **dict(zip(NAMES, values[i]))))
            np.testing.assert_array_equal(relative[i], [want[k] for k in NAMES])
            checked += int(np.isfinite(relative[i]).sum())
    assert checked > 3_000
    finite = np.isfinite(values[:, HR])
    np.testing.assert_allclose(
        relative[finite, HR], (values[finite, HR] - model.baseline[finite, HR]) / model.baseline[finite, HR]
    )
    np.testing.assert_allclose(relative[finite, RMSSD], values[finite, RMSSD] - model.baseline[finite, RMSSD])


# -- artefacts and dropouts, second by second --------------------------------------------------


def _record(model: SensorModel, patients: PatientBatch, seconds: int):
    values, quality, age = [], [], []
    true = patients.physiology()
    for t in range(1, seconds + 1):
        model.advance(float(t), 1.0)
        v, _, q, a = model.measure(float(t), true)
        values.append(v)
        quality.append(q)
        age.append(a)
    return np.array(values), np.array(quality), np.array(age)  # (T, n, 6), (T, n, 3), (T, n, 3)


def _runs(mask: np.ndarray, apart_from: np.ndarray | None = None) -> np.ndarray:
    """Lengths of the runs of True in each column of (T, n) ``mask`` that lie wholly inside
    the recording (not cut off by its start or end) and, if given, do not touch a True of
    ``apart_from`` (another fault that hides part of this one)."""
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1]), int)
    padded[1:-1] = mask
    other = np.zeros_like(padded, dtype=bool)
    if apart_from is not None:
        other[1:-1] = apart_from
    edges = np.diff(padded, axis=0)
    lengths = []
    for j in range(mask.shape[1]):
        starts, ends = np.flatnonzero(edges[:, j] == 1), np.flatnonzero(edges[:, j] == -1)
        for a, b in zip(starts, ends):  # mask[a:b] is the run
            if a > 0 and b < mask.shape[0] and not other[a : b + 2, j].any():
                lengths.append(b - a)
    return np.array(lengths)


def test_artefacts_make_heart_and_breathing_unreadable_for_their_length_plus_the_window():
    patients = aroused_patients(150, seed=7)
    values, quality, age = _record(sensors_for(patients, seed=8, artefacts=30.0), patients, 600)
    spoiled = quality[..., HEART] < 0.5
    assert spoiled.mean() > 0.05
    # heart and breathing together: quality 0.1–0.4, values NaN; EDA untouched, nothing stale
    np.testing.assert_array_equal(spoiled, quality[..., RESP] < 0.5)
    assert np.all((quality[spoiled][:, [HEART, RESP]] >= 0.1) & (quality[spoiled][:, [HEART, RESP]] <= 0.4))
    assert np.all(np.isnan(values[spoiled][:, HEART_VALUES + [BREATH]]))
    assert np.all(quality[..., EDA] >= 0.8) and np.all(age <= 0.1)
    assert np.all(np.isfinite(values[..., [TONIC, SCR]]))
    clean = ~spoiled
    assert np.all(quality[clean][:, [HEART, RESP]] >= 0.8)
    assert np.all(np.isfinite(values[clean][:, HEART_VALUES + [BREATH]]))
    # each artefact lasts 2–15 s and spoils the 10 s window after it: 12–25 whole seconds
    lengths = _runs(spoiled)
    assert len(lengths) > 500
    assert lengths.min() >= 2 + WINDOW_S
    single = lengths <= 15 + WINDOW_S  # longer ones are overlapping artefacts
    assert single.mean() > 0.8
    assert abs(lengths[single].mean() - (8.5 + WINDOW_S + 0.5)) < 0.5


def test_dropouts_either_stall_every_signal_or_flatten_eda():
    patients = aroused_patients(150, seed=9)
    values, quality, age = _record(sensors_for(patients, seed=10, dropouts=20.0), patients, 600)
    stalled = quality[..., HEART] == 0.0  # no artefacts here: 0 means a stall
    flat = (quality[..., EDA] == 0.0) & ~stalled
    ok = ~stalled & ~flat
    # a stall: every group quality 0, every value NaN, one age for all, growing a second a second
    assert np.all(quality[stalled] == 0.0)
    assert np.all(np.isnan(values[stalled]))
    assert np.all(age[stalled] == age[stalled][:, :1])
    stall_age = np.where(stalled, age[..., HEART], np.nan)
    growing = stalled[1:] & stalled[:-1]
    later = stall_age[1:][growing]
    step = later - stall_age[:-1][growing]
    restarted = later == 0.0  # one stall ended and another began at once
    np.testing.assert_allclose(step[~restarted], 1.0)
    assert restarted.mean() < 0.01
    lengths = _runs(stalled)
    assert len(lengths) > 50 and lengths.min() >= 5 and np.median(lengths) > 20
    assert np.nanmax(stall_age) > 30
    assert np.mean(age[stalled][:, HEART] > 3.0) > 0.8  # stale past the 3 s limit most of the time
    # a lifted electrode: EDA quality 0 and EDA NaN; heart and breathing fine and fresh
    assert np.all(np.isnan(values[flat][:, EDA_VALUES]))
    assert np.all(quality[flat][:, [HEART, RESP]] >= 0.8) and np.all(age[flat] <= 0.1)
    assert np.all(np.isfinite(values[flat][:, HEART_VALUES + [BREATH]]))
    lengths = _runs(flat, apart_from=stalled)
    assert len(lengths) > 50 and lengths.min() >= 5 and np.median(lengths) > 20
    # about half and half
    assert 0.35 < stalled.sum() / (stalled.sum() + flat.sum()) < 0.65
    # otherwise everything is fresh and readable
    assert np.all(quality[ok] >= 0.8) and np.all(age[ok] <= 0.1)
    assert np.all(np.isfinite(values[ok][:, [HR, RMSSD, TONIC, SCR, BREATH]]))


def test_fault_frequencies_match_the_per_person_rates():
    # Every idle second a fault starts with probability rate × dt: count fresh starts
    # (idle -> faulty) over ~2000 simulated hours of people with the population's rates.
    n, seconds = 6_000, 600
    params = sample(n, seed=11)
    artefacts, dropouts = params["artefacts_per_hour"], params["dropouts_per_hour"]
    model = SensorModel(n, artefacts, dropouts, np.random.default_rng(12))
    model.reset(np.arange(n), {k: np.ones(n) for k in NAMES})
    kinds = {
        "artefact": ("spoiled_until", artefacts),
        "stall": ("stall_until", dropouts / 2),
        "flat EDA": ("flat_until", dropouts / 2),
    }
    starts = {k: np.zeros(n) for k in kinds}
    chances = {k: np.zeros(n) for k in kinds}  # expected starts: Σ rate × dt over idle seconds
    lengths = {k: [] for k in kinds}
    for t in range(1, seconds + 1):
        before = {k: getattr(model, attr).copy() for k, (attr, _) in kinds.items()}
        model.advance(float(t), 1.0)
        for k, (attr, rate) in kinds.items():
            idle = before[k] <= t
            fresh = idle & (getattr(model, attr) > t)
            starts[k] += fresh
            chances[k] += idle * rate / 3600.0
            lengths[k].extend(getattr(model, attr)[fresh] - t)
    tercile = np.argsort(np.argsort(artefacts + dropouts)) * 3 // n
    for k in kinds:
        for part in range(3):  # low, middle and high rates alike
            got, want = starts[k][tercile == part].sum(), chances[k][tercile == part].sum()
            assert abs(got - want) < 4 * math.sqrt(want) + 2, (k, part, got, want)
        assert starts[k].sum() > 500
    artefact, stall, flat = (np.array(lengths[k]) for k in kinds)
    assert artefact.min() >= 2 + WINDOW_S and artefact.max() <= 15 + WINDOW_S
    assert abs(artefact.mean() - (8.5 + WINDOW_S)) < 0.5
    for length in (stall, flat):
        assert length.min() >= 5 and length.max() <= 60 and abs(length.mean() - 32.5) < 2.0
    assert not starts["artefact"][artefacts == 0].any()


def test_no_faults_without_fault_rates():
    patients = aroused_patients(50, seed=13)
    values, quality, age = _record(sensors_for(patients, seed=14), patients, 600)
    assert np.all(quality >= 0.8) and np.all(age <= 0.1)
    assert np.all(np.isfinite(values[..., [HR, RMSSD, TONIC, SCR, BREATH]]))


# -- what a controller sees through SessionBatch --------------------------------------------


REASONS = {"noisy", "flat line", "stale", "no responses in the window"}
GROUP_OF = {
    "hr_bpm": "ecg",
    "rmssd_ms": "ecg",
    "eda_tonic_us": "eda",
    "scr_per_min": "eda",
    "scr_amplitude_us": "eda",
    "resp_rate_bpm": "resp",
}


def _check(batch: SessionBatch, seen: dict[str, int]) -> None:
    """Every session's observation: NaN features explained, encoding equal to vectors()."""
    vectors = batch.vectors()
    encoded = []
    for i in range(batch.n):
        obs = batch.observation(i)
        f = obs.features
        for name in Features.NAMES:
            value, group = getattr(f, name), GROUP_OF[name]
            quality = f.quality[group]
            if math.isnan(value):
                reason = f.reasons.get(name)
                assert reason in REASONS, (name, reason)
                if quality.reason == "ok":  # readable signal, nothing to measure
                    assert name == "scr_amplitude_us" and f.scr_per_min == 0.0
                    assert reason == "no responses in the window"
                else:
                    assert reason == quality.reason
                    assert not quality.usable or f.age_s[group] > 3.0
                seen[reason] += 1
            else:
                assert name not in f.reasons
                assert quality.usable and f.age_s[group] <= 3.0
        encoded.append(encode(obs))
        seen["held"] += obs.therapist.value == "hold"
        seen["no SUDS yet"] += math.isnan(obs.suds)
        seen["SUDS"] += not math.isnan(obs.suds)
        seen["finished"] += bool(batch.done[i])
    np.testing.assert_array_equal(np.array(encoded), vectors, err_msg=f"at {batch.time.min()}–{batch.time.max()} s")


CONFIGS = {
    # the default session shape, with frequent faults and holds
    "default": (SessionConfig(holds_per_hour=30.0), 24, 120, 3),
    # decisions every second (stalls seen in their first seconds), short sessions that end
    # and start again, SUDS often
    "fast": (
        SessionConfig(
            holds_per_hour=60.0, decision_interval_s=1.0, suds_interval_s=7.0, duration_s=150.0, success_time_s=5.0
        ),
        16,
        300,
        4,
    ),
}


@pytest.mark.parametrize("shape", CONFIGS)
def test_observations_explain_every_missing_feature_and_encode_like_the_batch_vectors(shape):
    config, n, decisions, every = CONFIGS[shape]
    params = sample(n, seed=15, artefacts_per_hour=60.0, dropouts_per_hour=20.0, escape_hazard=0.3)
    params["eda_responder"][:4] = False
    batch = SessionBatch(params, config, np.random.default_rng(16))
    rng = np.random.default_rng(17)
    seen = dict.fromkeys([*REASONS, "held", "no SUDS yet", "SUDS", "finished"], 0)
    _check(batch, seen)  # before anything happened: no SUDS yet
    for k in range(decisions):
        if k % 6 == 0:  # jumps as well as steps
            batch.set_targets(rng.choice(np.array(config.levels), n))
        batch.advance()
        if k % every == 0:
            _check(batch, seen)
        if k % 40 == 39:  # finished sessions start again, new people
            rows = np.flatnonzero(batch.done)
            if len(rows):
                batch.reset(rows, sample(len(rows), seed=k, artefacts_per_hour=60.0, dropouts_per_hour=20.0))
    assert all(count > 0 for count in seen.values()), seen
