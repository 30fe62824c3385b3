"""adaptation.population: the population format, its errors, and sampling from it.

Each file in ``broken_populations/`` starts with one or more lines

    # expect: LINE:COL: SUBSTRING

worked out by hand: loading it must raise ``ConfigError`` with a problem
``FILE:LINE:COL: …SUBSTRING…`` for each, and no problem that no expectation accounts for,
except the "N parameters missing" note that every small file earns.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from adaptation.config import ConfigError
from adaptation.parameters import PARAMETERS
from adaptation.population import BUILTIN_DIR, FORMAT, MIN_MASS, Distribution, Population

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken_populations"
DEFAULT = BUILTIN_DIR / "default.yaml"
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")
N = 20_000

# Every kind of error keeps a file, so the corpus cannot silently shrink.
REQUIRED = {
    "unknown_key",
    "unknown_parameter",
    "unknown_top_key",
    "unknown_distribution",
    "wrong_type",
    "wrong_type_bool",
    "number_as_text",
    "sd_zero",
    "sigma_negative",
    "beta_negative",
    "uniform_low_ge_high",
    "p_out_of_range",
    "bounds_impossible",
    "bounds_reversed",
    "bounds_not_a_pair",
    "bounds_outside_range",
    "bounds_on_constant",
    "missing_source",
    "empty_source",
    "missing_parameter",
    "missing_distribution",
    "lognormal_mean_sd",
    "bernoulli_on_float",
    "normal_on_bool",
    "constant_number_on_bool",
    "constant_out_of_range",
    "normal_unbounded",
    "lognormal_unbounded",
    "uniform_outside_range",
    "duplicate_key",
    "duplicate_parameter",
    "tag_python",
    "tag_local",
    "tag_binary",
    "merge_key",
    "alias_bomb",
    "alias_recursive",
    "wrong_format",
    "not_a_mapping",
    "empty",
    "two_documents",
    "syntax_error",
}


@pytest.fixture(scope="module")
def default() -> Population:
    return Population.builtin()


@pytest.fixture(scope="module")
def sample(default) -> dict[str, np.ndarray]:
    return default.sample(N, np.random.default_rng(20240611))


def expectations(path: Path) -> list[tuple[int, int, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.match(line)
        if not m:
            break
        out.append((int(m[1]), int(m[2]), m[3]))
    return out


def load_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        Population.load(path)
    return info.value.problems


# -- the broken corpus --------------------------------------------------------------------


def test_corpus_keeps_every_kind_of_error():
    assert REQUIRED <= {p.stem for p in BROKEN.glob("*.yaml")}


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_population(path):
    wanted = expectations(path)
    assert wanted, f"{path.name} has no '# expect: LINE:COL: text' line"
    found = load_problems(path)

    def matches(problem: str, want: tuple[int, int, str]) -> bool:
        return problem.startswith(f"{path}:{want[0]}:{want[1]}: ") and want[2] in problem

    for want in wanted:
        assert any(matches(p, want) for p in found), f"expected {want} in:\n" + "\n".join(found)
    for p in found:
        assert any(matches(p, w) for w in wanted) or " parameters missing: " in p, f"unexpected: {p}"
        assert " — " in p, f"says nothing about what to write instead: {p}"


def test_tag_in_corpus_was_not_executed():
    assert not Path("/tmp/vrex-population-pwned").exists()


def test_non_utf8_population(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(DEFAULT.read_bytes().replace(b"source: >", b"source: \xe9t\xe9 >", 1))
    found = load_problems(path)
    line = DEFAULT.read_bytes().split(b"source: >")[0].count(b"\n") + 1
    assert found == [f"{path}:{line}:13: byte 0xe9 is not valid UTF-8 — save the file as UTF-8"]


def test_all_problems_are_reported_at_once(tmp_path):
    text = DEFAULT.read_text(encoding="utf-8")
    text = text.replace("    sd: 10\n", "    sd: -10\n", 1).replace("    p: 0.9\n", "    p: 9\n", 1)
    text = text.replace("  fear_width:\n", "  fear_widht:\n", 1)
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")
    found = load_problems(path)
    assert len(found) == 4, found
    assert "parameters: 1 parameter missing: fear_width" in found[0]  # at the 'parameters:' key
    assert "fear_widht: unknown key 'fear_widht' (did you mean 'fear_width'?)" in found[1]
    assert "hr_rest.sd: -10 is not > 0" in found[2] and "eda_responder.p: 9 is not in [0, 1]" in found[3]
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines)


def parameter_blocks() -> tuple[str, list[str]]:
    """The default file split into its head and one text block per parameter."""
    head, body = DEFAULT.read_text(encoding="utf-8").split("parameters:\n")
    body = "\n".join(line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return head + "parameters:\n", re.split(r"\n(?=  [a-z_]+:\n)", body)


def test_each_missing_parameter_is_named(tmp_path):
    head, blocks = parameter_blocks()
    path = tmp_path / "short.yaml"
    for name in PARAMETERS:
        block = next(b for b in blocks if b.startswith(f"  {name}:\n"))
        path.write_text(head + "\n".join(b for b in blocks if b is not block) + "\n", encoding="utf-8")
        found = load_problems(path)
        assert len(found) == 1 and f"parameters: 1 parameter missing: {name} — " in found[0], found


def test_unknown_builtin_lists_the_available_ones():
    with pytest.raises(
        ConfigError,
        match=r"no built-in population named 'defualt' \(did you mean 'default'\?\) "
        r"— available: default",
    ):
        Population.builtin("defualt")
    with pytest.raises(ConfigError, match="no built-in population"):
        Population.builtin("../populations/default")


# -- the default population ---------------------------------------------------------------


def test_default_loads_with_a_source_for_every_parameter(default):
    assert default.name == "default" and default.description.strip()
    assert set(default.parameters) == set(PARAMETERS)
    for name in PARAMETERS:
        assert len(default.source(name)) > 20, name
    assert "Boucsein 2012" in default.source("eda_responder")
    assert "Boucsein 2012" in default.source("eda_latency_s")
    assert "Munoz et al. 2015" in default.source("rmssd_rest")
    assert Population.load(DEFAULT) == default
    assert f"format: {FORMAT}" in DEFAULT.read_text(encoding="utf-8")
    with pytest.raises(KeyError, match="did you mean 'hr_rest'"):
        default.source("hr_rst")


# The distributions the design asked for, checked against the file so an edit shows here.
ASKED = {
    "arousal_rest": ("beta", {"a": 2, "b": 10}, (0.02, 0.5)),
    "fear_threshold": ("normal", {"mean": 0.45, "sd": 0.15}, (0.1, 0.9)),
    "fear_width": ("uniform", {"low": 0.06, "high": 0.14}, None),
    "fear_max": ("uniform", {"low": 0.9, "high": 1.0}, None),
    "rise_tau_s": ("uniform", {"low": 5, "high": 12}, None),
    "fall_tau_s": ("uniform", {"low": 30, "high": 90}, None),
    "habituation_rate": ("lognormal", {"median": 0.0015, "sigma": 0.5}, (0.0003, 0.02)),
    "habituation_band": ("normal", {"mean": 0.72, "sd": 0.05}, (0.6, 0.85)),
    "sensitisation_rate": ("lognormal", {"median": 0.01, "sigma": 0.5}, (0.001, 0.1)),
    "sensitisation_decay_s": ("uniform", {"low": 200, "high": 600}, None),
    "panic_level": ("normal", {"mean": 0.85, "sd": 0.04}, (0.75, 0.95)),
    "escape_hazard": ("lognormal", {"median": 0.03, "sigma": 0.5}, (0.005, 0.3)),
    "arousal_noise": ("uniform", {"low": 0.01, "high": 0.03}, None),
    "suds_bias": ("normal", {"mean": 0, "sd": 8}, (-25, 25)),
    "suds_noise": ("uniform", {"low": 3, "high": 8}, None),
    "hr_rest": ("normal", {"mean": 72, "sd": 10}, (50, 110)),
    "hr_decelerator": ("bernoulli", {"p": 0.25}, None),
    "hr_gain_accel": ("normal", {"mean": 0.45, "sd": 0.15}, (0.1, 0.9)),
    "hr_gain_decel": ("normal", {"mean": -0.12, "sd": 0.05}, (-0.3, -0.02)),
    "hr_tau_s": ("uniform", {"low": 2, "high": 5}, None),
    "rmssd_rest": ("lognormal", {"median": 40, "sigma": 0.4}, (10, 120)),
    "rmssd_drop": ("uniform", {"low": 0.5, "high": 1.5}, None),
    "eda_responder": ("bernoulli", {"p": 0.9}, None),
    "eda_rest": ("lognormal", {"median": 4, "sigma": 0.5}, (0.5, 20)),
    "eda_gain": ("uniform", {"low": 0.5, "high": 1.5}, None),
    "eda_latency_s": ("uniform", {"low": 1, "high": 3}, None),
    "eda_tau_s": ("uniform", {"low": 0.5, "high": 5}, None),
    "scr_rest_per_min": ("uniform", {"low": 1, "high": 3}, None),
    "scr_gain_per_min": ("uniform", {"low": 5, "high": 12}, None),
    "resp_rest": ("normal", {"mean": 14, "sd": 2}, (8, 22)),
    "resp_gain": ("uniform", {"low": 0.3, "high": 0.7}, None),
    "resp_tau_s": ("uniform", {"low": 5, "high": 15}, None),
    "artefacts_per_hour": ("lognormal", {"median": 4, "sigma": 0.7}, (0, 60)),
    "dropouts_per_hour": ("lognormal", {"median": 1, "sigma": 0.7}, (0, 20)),
}


def test_default_holds_the_distributions_asked_for(default):
    assert set(ASKED) == set(PARAMETERS)
    for name, (kind, args, bounds) in ASKED.items():
        dist = default.parameters[name]
        assert (dist.kind, dist.args, dist.bounds) == (kind, args, bounds), name


def test_sample_shapes_and_types(sample):
    assert list(sample) == list(PARAMETERS)
    for name, values in sample.items():
        assert values.shape == (N,), name
        assert values.dtype == (np.bool_ if PARAMETERS[name].kind == "bool" else np.float64), name


def test_sample_respects_bounds_and_parameter_ranges(default, sample):
    for name, values in sample.items():
        spec, dist = PARAMETERS[name], default.parameters[name]
        if spec.kind == "bool":
            continue
        assert np.all(np.isfinite(values)), name
        assert spec.low <= values.min() and values.max() <= spec.high, name
        lo, hi = dist.support()
        assert lo <= values.min() and values.max() <= hi, name
        if dist.bounds:  # truncation redraws: values pile up at neither bound
            assert np.mean(values == dist.bounds[0]) < 1e-3 and np.mean(values == dist.bounds[1]) < 1e-3


def test_sample_proportions(sample):
    assert abs(sample["eda_responder"].mean() - 0.9) < 0.01
    assert abs(sample["hr_decelerator"].mean() - 0.25) < 0.015


def test_sample_moments_match_the_truncated_distributions(default, sample):
    for name, dist in default.parameters.items():
        if dist.kind in ("bernoulli", "constant"):
            continue
        frozen = dist.frozen()
        lo, hi = dist.bounds or frozen.support()
        mean = frozen.expect(lambda x: x, lb=lo, ub=hi, conditional=True)
        var = frozen.expect(lambda x, mean=mean: (x - mean) ** 2, lb=lo, ub=hi, conditional=True)
        values = sample[name]
        # 5 standard errors for the mean, 5 % for the sd (20 000 draws: about 3.5 sd errors)
        assert abs(values.mean() - mean) < 5 * math.sqrt(var / N), (name, values.mean(), mean)
        assert abs(values.std() - math.sqrt(var)) < 0.05 * math.sqrt(var), (name, values.std(), math.sqrt(var))
        # and the whole shape: a Kolmogorov–Smirnov test against the truncated cdf
        c_lo, c_hi = frozen.cdf(lo), frozen.cdf(hi)

        def cdf(x, frozen=frozen, lo=lo, hi=hi, c_lo=c_lo, c_hi=c_hi):
            return (frozen.cdf(np.clip(x, lo, hi)) - c_lo) / (c_hi - c_lo)

        ks = stats.kstest(values, cdf)
        assert ks.pvalue > 1e-4, (name, ks)


def test_spot_checks(sample):
    assert abs(np.median(sample["rmssd_rest"]) - 40) < 1.5  # median of a lognormal
    assert abs(sample["hr_rest"].mean() - 72.4) < 0.3  # truncated at 50 and 110
    assert abs(sample["eda_latency_s"].mean() - 2.0) < 0.02


def test_same_seed_same_people_other_seed_other_people(default):
    a = default.sample(500, np.random.default_rng(7))
    b = default.sample(500, np.random.default_rng(7))
    c = default.sample(500, np.random.default_rng(8))
    for name in PARAMETERS:
        assert np.array_equal(a[name], b[name]), name
    assert not np.array_equal(a["hr_rest"], c["hr_rest"])
    assert not all(np.array_equal(a[name], c[name]) for name in PARAMETERS)


def test_file_order_does_not_change_the_draws(tmp_path, default):
    head, blocks = parameter_blocks()
    assert len(blocks) == len(PARAMETERS)
    path = tmp_path / "reversed.yaml"
    path.write_text(head + "\n".join(reversed(blocks)) + "\n", encoding="utf-8")
    other = Population.load(path)
    a = default.sample(100, np.random.default_rng(1))
    b = other.sample(100, np.random.default_rng(1))
    assert all(np.array_equal(a[k], b[k]) for k in PARAMETERS)


def test_sampling_100_000_people(default):
    people = default.sample(100_000, np.random.default_rng(3))
    assert all(v.shape == (100_000,) for v in people.values())
    assert default.sample(0, np.random.default_rng(3))["hr_rest"].shape == (0,)
    with pytest.raises(ValueError, match="n must be ≥ 0"):
        default.sample(-1, np.random.default_rng(3))


# -- distributions on their own ------------------------------------------------------------


def test_truncation_redraws_instead_of_clipping():
    dist = Distribution("normal", {"mean": 0.0, "sd": 1.0}, bounds=(1.0, 3.0))
    assert MIN_MASS < dist.mass < 0.2
    x = dist.sample(50_000, np.random.default_rng(0))
    assert x.min() >= 1.0 and x.max() <= 3.0
    assert np.mean(x < 1.1) > 0.1  # density is highest at the lower bound …
    assert np.mean(x == 1.0) == 0  # … but nothing sits exactly on it
    expected = stats.truncnorm(1.0, 3.0).mean()
    assert abs(x.mean() - expected) < 0.01


def test_rare_bounds_near_the_limit_still_fill_quickly():
    dist = Distribution("normal", {"mean": 0.0, "sd": 1.0}, bounds=(2.33, 10.0))  # ~1 % of the mass
    assert 0.0099 < dist.mass < 0.0101
    x = dist.sample(100_000, np.random.default_rng(0))
    assert len(x) == 100_000 and x.min() >= 2.33


def test_beta_scale_and_constants():
    dist = Distribution("beta", {"a": 2.0, "b": 2.0}, scale=(10.0, 20.0))
    x = dist.sample(10_000, np.random.default_rng(0))
    assert 10 <= x.min() and x.max() <= 20 and abs(x.mean() - 15) < 0.1
    assert dist.support() == (10.0, 20.0)
    assert Distribution("constant", {"value": True}).sample(3, np.random.default_rng(0)).tolist() == [True] * 3
    fixed = Distribution("constant", {"value": 4.0}).sample(3, np.random.default_rng(0))
    assert fixed.dtype == np.float64 and fixed.tolist() == [4.0] * 3


def test_population_must_cover_every_parameter(default):
    with pytest.raises(ValueError, match="missing \\['hr_rest'\\]"):
        Population("x", "y", {k: v for k, v in default.parameters.items() if k != "hr_rest"})
