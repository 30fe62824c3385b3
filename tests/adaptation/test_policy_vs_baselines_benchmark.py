"""benchmarks/policy_vs_baselines.py: the done-when of issue 4 is judged as the issue words it."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("policy_vs_baselines", ROOT / "benchmarks" / "policy_vs_baselines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _result(seed: int, **rows: tuple[float, float, int]) -> dict:
    """An ``evaluate`` result: controller → (success_rate, escape_rate, violations), 500 each."""
    return {
        "seed": seed,
        "controllers": {
            name: {
                "all": {
                    "n": 500,
                    "success_rate": s,
                    "escape_rate": e,
                    "expected_escape_rate": e / 2,
                    "invariant_violations": v,
                }
            }
            for name, (s, e, v) in rows.items()
        },
    }


BASE = dict(fixed=(0.18, 0.0, 0), suds=(0.09, 0.0, 0), threshold=(0.08, 0.002, 0), balan=(0.40, 0.004, 0))


@pytest.mark.parametrize(
    "policy,verdict",
    [
        ((0.52, 0.0, 0), {"success": True, "escape": True, "violations": True}),
        ((0.52, 0.002, 0), {"success": True, "escape": False, "violations": True}),  # one escape, the suds rule none
        ((0.40, 0.0, 0), {"success": False, "escape": True, "violations": True}),  # a tie with Bălan is not beating it
        ((0.52, 0.0, 1), {"success": True, "escape": True, "violations": False}),
    ],
)
def test_each_criterion_is_judged_as_the_issue_words_it(bench, policy, verdict):
    assert bench.judge(_result(1, **BASE, policy=policy)) == verdict


def test_pooling_adds_sessions_escapes_and_expected_escapes_over_seeds(bench):
    pooled = bench.pool([_result(1, **BASE, policy=(0.5, 0.002, 0)), _result(2, **BASE, policy=(0.6, 0.0, 0))], 500)
    p = pooled["policy"]
    assert p["sessions"] == 1000 and p["escapes"] == 1 and p["success_rate"] == pytest.approx(0.55)
    assert p["expected_escapes"] == pytest.approx(0.5)  # 500 × 0.001
    assert p["p_no_escape_in_500"] == pytest.approx(math.exp(-0.25))


def test_a_small_real_run_writes_its_verdict_and_exits_by_it(bench, tmp_path, capsys):
    # issue 15: results per population, pooled with 95 % intervals (layout changed from one population)
    out = tmp_path / "r.json"
    status = bench.main(
        ["--seeds", "5", "--episodes", "4", "--populations", "default,noisy_sensors", "--json", str(out)]
    )
    r = json.loads(out.read_text())
    assert r["complete"] is True and set(r["populations"]) == {"default", "noisy_sensors"}
    assert status == (0 if r["all_criteria_met"] else 1)
    assert r["all_criteria_met"] == all(p["all_criteria_met"] for p in r["populations"].values())
    d = r["populations"]["default"]
    assert set(d["criteria"]["5"]) == {"success", "escape", "violations"}
    assert set(d["pooled"]) == {"fixed", "suds", "threshold", "balan", "policy"}
    p = d["pooled"]["policy"]
    assert p["sessions"] == 4 and p["success_rate_ci"][0] <= p["success_rate"] <= p["success_rate_ci"][1]
    assert p["expected_escape_rate_ci"][0] <= p["expected_escape_rate"] <= p["expected_escape_rate_ci"][1]
    assert d["per_seed"]["5"]["controllers"]["policy"]["all"]["n"] == 4  # subgroups kept too
    assert set(d["per_seed"]["5"]["controllers"]["policy"]) >= {"all", "eda_non_responders", "slow_habituators"}
    assert isinstance(d["pooled_expected_escape_rate_no_higher_than_lowest_baseline"], bool)
    assert "noisy_sensors, seed 5" in capsys.readouterr().out


def test_the_default_seeds_are_new(bench):
    seeds = {int(s) for s in bench.SEEDS.split(",")}
    assert len(seeds) == 5 and not seeds & {3031, 5101, 6067, 7001, 8009, 11, 12, 13, 2026, 4049}


@pytest.mark.parametrize(
    "seeds,words",
    [("twenty", "expected whole numbers separated by commas"), ("-1", "none negative"), ("5,5", "each seed once")],
)
def test_bad_seeds_are_refused_with_what_to_write(bench, capsys, seeds, words):
    with pytest.raises(SystemExit):
        bench.main(["--seeds", seeds])
    assert words in capsys.readouterr().err


@pytest.mark.parametrize(
    "option,value,words",
    [
        ("--population", "nosuch", "no built-in population named 'nosuch'"),
        ("--populations", "default,nosuch", "no built-in population named 'nosuch'"),
        ("--policy", "nosuch.npz", "nosuch.npz"),
    ],
)
def test_a_bad_population_or_policy_is_refused_before_any_run(bench, capsys, tmp_path, option, value, words):
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit):
        bench.main(["--seeds", "5", "--episodes", "2", option, value, "--json", str(out)])
    assert words in capsys.readouterr().err and not out.exists()
