"""benchmarks/policy_vs_baselines.py: the done-when of issue 4 is judged as the issue words it."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from adaptation.population import Population

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("policy_vs_baselines", ROOT / "benchmarks" / "policy_vs_baselines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _result(seed: int, **rows: tuple) -> dict:
    """An ``evaluate`` result: controller → (success_rate, escape_rate, violations[,
    shield interventions per session]), 500 each."""
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
                    "shield_interventions": rest[0] if rest else 4.0,
                }
            }
            for name, (s, e, v, *rest) in rows.items()
        },
    }


BASE = dict(fixed=(0.18, 0.0, 0), suds=(0.09, 0.0, 0), threshold=(0.08, 0.002, 0), balan=(0.40, 0.004, 0))


@pytest.mark.parametrize(
    "policy,verdict",
    [
        ((0.52, 0.0, 0), {"success": True, "escape": True, "violations": True, "interventions": True}),
        # one escape, the suds rule none
        ((0.52, 0.002, 0), {"success": True, "escape": False, "violations": True, "interventions": True}),
        # a tie with Bălan is not beating it
        ((0.40, 0.0, 0), {"success": False, "escape": True, "violations": True, "interventions": True}),
        ((0.52, 0.0, 1), {"success": True, "escape": True, "violations": False, "interventions": True}),
        # issue 15: at most 10 shield interventions per session (10 passes, 10.1 does not)
        ((0.52, 0.0, 0, 10.0), {"success": True, "escape": True, "violations": True, "interventions": True}),
        ((0.52, 0.0, 0, 10.1), {"success": True, "escape": True, "violations": True, "interventions": False}),
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
    assert p["shield_interventions"] == pytest.approx(4.0) and p["held_raises"] == 0.0


@pytest.mark.slow  # ~4 s: the benchmark end to end
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
    assert set(d["criteria"]["5"]) == {"success", "escape", "violations", "interventions"}
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


def test_baselines_from_an_earlier_run_are_reused_only_for_the_same_people(bench, tmp_path, capsys):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    bench.main(["--seeds", "5", "--episodes", "4", "--populations", "default", "--json", str(first)])
    bench.main(
        ["--seeds", "5", "--episodes", "4", "--populations", "default", "--json", str(second)]
        + ["--baselines-from", str(first)]
    )
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert b["baselines_from"] == str(first) and a["baselines_from"] is None
    rows_a, rows_b = (r["populations"]["default"]["per_seed"]["5"]["controllers"] for r in (a, b))
    assert rows_a == rows_b  # the baselines copied, the policy run again to the same numbers
    assert a["populations"]["default"]["pooled"] == b["populations"]["default"]["pooled"]
    assert b["populations"]["default"]["per_seed"]["5"]["fingerprint"] == bench.fingerprint(
        Population.builtin("default"), 5, 4
    )
    capsys.readouterr()
    # other people (another seed, size or population) are refused, naming what differs
    with pytest.raises(SystemExit):
        bench.main(["--seeds", "6", "--episodes", "4", "--baselines-from", str(first), "--json", str(tmp_path / "x")])
    # the pooled intervals it copies pool the earlier run's seeds: those must be this run's
    assert "seeds [5], this one [6]" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        bench.main(["--seeds", "5", "--episodes", "5", "--baselines-from", str(first), "--json", str(tmp_path / "x")])
    assert "4 people per seed, not 5" in str(e.value)
    with pytest.raises(SystemExit) as e:
        bench.main(
            ["--seeds", "5", "--episodes", "4", "--populations", "more_afraid", "--baselines-from", str(first)]
            + ["--json", str(tmp_path / "x")]
        )
    assert "'more_afraid', seed 5: not in the earlier run" in str(e.value)


def test_baselines_from_a_population_file_of_the_same_name_but_other_content_is_refused(bench, tmp_path):
    """The subgroup sizes alone would not see it: a fear threshold moved up changes no subgroup."""
    first = tmp_path / "first.json"
    bench.main(["--seeds", "5", "--episodes", "4", "--populations", "default", "--json", str(first)])
    shifted = tmp_path / "default.yaml"
    text = (ROOT / "adaptation" / "populations" / "default.yaml").read_text()
    shifted.write_text(text.replace("    mean: 0.45\n    sd: 0.15", "    mean: 0.55\n    sd: 0.15", 1))
    assert shifted.read_text() != text
    with pytest.raises(SystemExit) as e:
        bench.main(
            ["--seeds", "5", "--episodes", "4", "--populations", str(shifted), "--baselines-from", str(first)]
            + ["--json", str(tmp_path / "x")]
        )
    assert "other people or settings" in str(e.value) and not (tmp_path / "x").exists()
