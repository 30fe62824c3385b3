"""The shifted populations (issue 15): each moves at least three parameters by at least one of
default.yaml's standard deviations, is documented, and together they cover the shifts asked for."""

from __future__ import annotations

import pytest

from adaptation.population import BUILTIN_DIR, Population

SHIFTED = ("more_afraid", "slow_habituation", "under_reporting", "physiology_atypical", "noisy_sensors")


@pytest.fixture(scope="module")
def default():
    return Population.builtin("default")


def moved(population: Population, default: Population) -> dict[str, float]:
    """Parameter -> shift of its mean in default SDs, for every parameter whose distribution differs."""
    out = {}
    for name, dist in population.parameters.items():
        base = default.parameters[name]
        if dist == base:
            continue
        m0, sd0 = base.moments()
        m1, _ = dist.moments()
        out[name] = (m1 - m0) / sd0
    return out


@pytest.mark.parametrize("name", SHIFTED)
def test_each_shifted_population_moves_three_parameters_by_a_default_sd(name, default):
    shifts = moved(Population.builtin(name), default)
    big = {k: v for k, v in shifts.items() if abs(v) >= 1.0}
    assert len(big) >= 3, f"{name}: moved by ≥ 1 SD only {big} (all moves: {shifts})"


@pytest.mark.parametrize("name", SHIFTED)
def test_each_shifted_population_says_who_what_moved_and_why(name, default):
    population = Population.builtin(name)
    text = (BUILTIN_DIR / f"{name}.yaml").read_text()
    header = text[: text.index("format:")]
    assert "Who:" in header and "Moved" in header
    for param in moved(population, default):
        assert param in header, f"{name}: {param} moved but not in the header"
        source = population.source(param)
        assert source.startswith(f"shifted ({name})") and "SD" in source, f"{name}.{param}: {source!r}"


def test_the_shifts_cover_what_the_issue_asks_for(default):
    def shift(pop: str, param: str) -> float:
        return moved(Population.builtin(pop), default).get(param, 0.0)

    assert shift("more_afraid", "fear_threshold") <= -1 and shift("more_afraid", "arousal_rest") >= 1
    assert shift("slow_habituation", "habituation_rate") <= -1
    assert shift("under_reporting", "suds_bias") <= -1
    assert shift("physiology_atypical", "hr_decelerator") >= 1 and shift("physiology_atypical", "eda_responder") <= -1
    assert shift("noisy_sensors", "artefacts_per_hour") >= 1 and shift("noisy_sensors", "dropouts_per_hour") >= 1


def test_moments_of_a_truncated_distribution_match_its_draws(default):
    import numpy as np

    for name in ("arousal_rest", "habituation_rate", "artefacts_per_hour", "hr_decelerator"):
        dist = default.parameters[name]
        draws = dist.sample(200_000, np.random.default_rng(1)).astype(float)
        mean, sd = dist.moments()
        assert draws.mean() == pytest.approx(mean, rel=0.02, abs=1e-4) and draws.std() == pytest.approx(sd, rel=0.02)
