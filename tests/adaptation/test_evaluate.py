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


def test_results_carry_95_percent_intervals_around_their_rates(population):
    r = evaluate(["fixed", "balan"], population, 20, seed=5, config=SHORT)
    for groups in r["controllers"].values():
        row = groups["all"]
        for metric in ("success_rate", "escape_rate", "expected_escape_rate"):
            lo, hi = row[f"{metric}_ci"]
            assert 0.0 <= lo <= row[metric] <= hi <= 1.0
        assert row["success_rate_ci"][1] > 0.1  # 20 people cannot pin a rate down
    assert "[" in table(r) and "95% CI" in table(r)


def test_cutting_the_people_into_shards_changes_nothing(population):
    # every person draws from their own stream (adaptation.streams), so shards merge into the serial run
    one = evaluate(["fixed", "policy"], population, 14, seed=8, config=SHORT)
    many = evaluate(["fixed", "policy"], population, 14, seed=8, config=SHORT, shard_count=4)
    assert json.dumps(one, sort_keys=True) == json.dumps(many, sort_keys=True)
    other = evaluate(["fixed", "policy"], population, 14, seed=9, config=SHORT)
    assert json.dumps(one["controllers"]) != json.dumps(other["controllers"])  # the seed matters


def test_vrex_evaluate_reports_each_population_on_its_own(tmp_path, capsys):
    from engine.cli import main

    out = tmp_path / "r.json"
    args = ["evaluate", "--controllers", "fixed", "--episodes", "3", "--seed", "1", "--json", str(out)]
    assert main([*args, "--populations", "default,more_afraid", "--population", "noisy_sensors"]) == 0
    printed = capsys.readouterr().out
    for name in ("default", "more_afraid", "noisy_sensors"):
        assert f"population: {name}," in printed
    result = json.loads(out.read_text())
    assert set(result["populations"]) == {"default", "more_afraid", "noisy_sensors"}
    afraid = result["populations"]["more_afraid"]
    assert afraid["population"] == "more_afraid" and afraid["controllers"]["fixed"]["all"]["n"] == 3


def test_vrex_evaluate_help_names_populations_and_ray(capsys):
    from engine.cli import main

    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = capsys.readouterr().out
    assert "--populations" in text and "--ray" in text and "95 %" in text


def test_a_bad_population_among_several_fails_before_anything_runs(tmp_path, capsys):
    from engine.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text((Population.builtin().file and open(Population.builtin().file).read()).replace("sd: 10", "sd: -1"))
    assert main(["evaluate", "--episodes", "2", "--populations", f"default,{bad}"]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "hr_rest.sd" in err and "running" not in err and "Traceback" not in err
    assert main(["evaluate", "--episodes", "2", "--populations", "default,more_afriad"]) == 1
    assert "more_afraid" in capsys.readouterr().err  # did you mean


def test_a_ray_address_that_does_not_answer_is_named(capsys):
    pytest.importorskip("ray")
    from engine.cli import main

    assert main(["evaluate", "--episodes", "2", "--ray", "127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "127.0.0.1:9" in err and "no Ray cluster answers" in err and "Traceback" not in err


def test_a_slow_call_on_a_loaded_machine_does_not_change_an_evaluation():
    """Evaluation runs in simulated time: a controller call that takes longer than the live
    guard's timeout (here it sleeps 0.3 s > 0.25 s once) is not replaced by the fallback."""
    import time

    from adaptation.controllers import SudsGated
    from adaptation.population import Population

    class SlowOnce(SudsGated):
        calls = 0

        def decide(self, obs):
            SlowOnce.calls += 1
            if SlowOnce.calls == 3:
                time.sleep(0.3)
            return super().decide(obs)

    params = Population.builtin().sample_people(77, range(2))
    slow = run_episodes(SlowOnce, params, seed=78)
    plain = run_episodes(SudsGated, params, seed=78)
    assert SlowOnce.calls > 3
    for field in ("success", "escaped", "escape_risk", "top_level", "time_in_band", "interventions"):
        np.testing.assert_array_equal(getattr(slow, field), getattr(plain, field), err_msg=field)
