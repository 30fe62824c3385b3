"""`vrex evaluate`: every controller on the same people, subgroups, JSON, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adaptation.evaluate import METRICS, controller_factory, evaluate, run_episodes, subgroups, table
from adaptation.population import Population
from adaptation.sim import SessionConfig

SHORT = SessionConfig(duration_s=300.0)


@pytest.fixture(scope="module")
def population():
    return Population.builtin()


def test_subgroups_pick_the_people_they_name(population):
    p = population.sample(400, np.random.default_rng(0))
    g = subgroups(p)
    assert g["all"].all()
    assert np.array_equal(g["eda_non_responders"], ~p["eda_responder"])
    assert np.array_equal(g["hr_decelerators"], p["hr_decelerator"])
    assert p["arousal_rest"][g["high_baseline_arousal"]].min() >= p["arousal_rest"][~g["high_baseline_arousal"]].max()
    assert p["habituation_rate"][g["slow_habituators"]].max() <= p["habituation_rate"][~g["slow_habituators"]].min()
    assert 90 <= g["slow_habituators"].sum() <= 110


def test_same_seed_same_people_and_same_outcome(population):
    p = population.sample(12, np.random.default_rng(4))
    a = run_episodes(controller_factory("fixed"), p, seed=9, config=SHORT)
    b = run_episodes(controller_factory("fixed"), p, seed=9, config=SHORT)
    assert np.array_equal(a.top_level, b.top_level) and np.array_equal(a.time_in_band, b.time_in_band)


def test_result_has_every_metric_for_every_controller_and_subgroup(population):
    r = evaluate(["fixed", "suds", "threshold", "balan"], population, 16, seed=3, config=SHORT)
    assert set(r["controllers"]) == {"fixed", "suds", "threshold", "balan"}
    for groups in r["controllers"].values():
        assert set(groups) == {
            "all",
            "eda_non_responders",
            "hr_decelerators",
            "high_baseline_arousal",
            "slow_habituators",
        }
        for stats in groups.values():
            assert set(METRICS) <= set(stats)
        assert groups["all"]["invariant_violations"] == 0
        assert groups["all"]["n"] == 16
    # the fixed schedule climbs one level per 150 s whoever the person: one step in 300 s
    assert r["controllers"]["fixed"]["all"]["mean_top_level"] == 1.0
    assert r["controllers"]["suds"]["all"]["mean_top_level"] != 1.0
    text = table(r)
    assert "fixed" in text and "violations" in text


def test_unknown_controller_is_refused_before_anything_runs(population):
    with pytest.raises(ValueError, match=r"unknown controller 'sud'.*did you mean 'suds'"):
        evaluate(["fixed", "sud"], population, 5, seed=0)


def test_vrex_evaluate_writes_json_and_prints_a_table(tmp_path, capsys):
    from engine.cli import main

    out = tmp_path / "r.json"
    code = main(
        [
            "evaluate",
            "--controllers",
            "fixed,threshold",
            "--episodes",
            "6",
            "--seed",
            "2",
            "--json",
            str(out),
            "--subgroups",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "subgroup: hr_decelerators" in printed and "threshold" in printed
    result = json.loads(out.read_text())
    assert result["episodes"] == 6 and result["seed"] == 2
    assert set(result["controllers"]["threshold"]["all"]) >= set(METRICS)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--controllers", "fixed,bogus"], "unknown controller 'bogus'"),
        (["--episodes", "0"], "--episodes 0"),
        (["--population", "nowhere.yaml"], "nowhere.yaml"),
        (["--population", "defualt"], "defualt"),
        (["--json", "/no/such/dir/r.json"], "/no/such/dir"),
        (["--controllers", "policy", "--policy", "/no/such/policy.npz"], "no such policy file"),
    ],
)
def test_vrex_evaluate_bad_arguments_say_what_is_wrong(capsys, args, message):
    from engine.cli import main

    assert main(["evaluate", "--episodes", "2", *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
