"""Issue 15's training side: constraints, randomisation, warm start and Ray sweeps from YAML."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adaptation.config import ConfigError
from adaptation.train import load_config

pytest.importorskip("stable_baselines3")

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_POLICY = ROOT / "adaptation" / "policies" / "ppo_default.npz"

TINY = """\
format: vrex-train/1
name: tiny_constrained
algorithm: PPO
seed: 3
total_timesteps: 512
n_envs: 2
population: [default, default]
widen: 1.2
session: {duration_s: 120, avoidance: 0.5}
shield: {forecast_step_p: 0}
constraints: {enabled: true, escape_budget: 0.001, interventions_budget: 2.0, interventions_lr: 0.5}
hyperparameters:
  n_steps: 64
  batch_size: 64
  n_epochs: 1
  policy_kwargs: {net_arch: [16], activation_fn: relu}
evaluation: {every_timesteps: 256, episodes: 4, seed: 9, max_interventions: 10}
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_constrained_config_loads():
    cfg = load_config(ROOT / "adaptation" / "configs" / "ppo_constrained.yaml")
    assert cfg.constraints.enabled and cfg.warm_start == SHIPPED_POLICY  # resolved: Ray trials run elsewhere
    assert cfg.session.avoidance > 0 and cfg.widen > 1 and cfg.evaluation["max_interventions"] == 10


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ("constraints: {escape_budget: lots}", ":17:30: constraints.escape_budget: expected a number"),
        ("constraints: {escape_budget: 0}", "escape_budget = 0; expected a positive budget"),
        ("constraints: {budget: 1}", "constraints.budget"),
        ("population: [default, 7]", "population[1]"),
        ("widen: 0", "widen"),
        ("warm_start: nowhere.npz", "no policy file"),
        ("sweep: {grid: {learning_rate: []}}", "an empty list"),
        ("sweep: {grid: {learnin_rate: [1]}}", "sweep.grid.learnin_rate"),
        ("sweep: {seeds: [1, -2]}", "sweep.seeds[1]"),
        ("max_wall_s: -5", "max_wall_s"),
    ],
)
def test_bad_constrained_configs_name_file_line_and_key(tmp_path, change, expect):
    base = "\n".join(line for line in TINY.splitlines() if not line.startswith(change.split(":")[0] + ":"))
    path = write(tmp_path, base + "\n" + change + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and expect in str(err.value), str(err.value)


@pytest.mark.slow
def test_constrained_training_moves_the_multipliers_and_writes_format_2(tmp_path):
    from adaptation.policy import FORMAT, NumpyPolicy
    from adaptation.train import train

    cfg = load_config(write(tmp_path, TINY))
    summary = train(cfg, tmp_path / "run", progress=False)
    rows = (tmp_path / "run" / "constraints.csv").read_text().splitlines()
    assert rows[0].startswith("timesteps,sessions,expected_escapes,interventions,lambda_escape")
    assert len(rows) >= 2
    assert summary["final_lambdas"] != [100.0, 0.05]  # the multipliers moved
    with np.load(tmp_path / "run" / "final.npz") as z:
        assert str(z["format"]) == FORMAT
    policy = NumpyPolicy.load(tmp_path / "run" / "final.npz")
    assert policy.decision_s == cfg.session.decision_interval_s
    # trained unmasked (TINY has no mask_raises): the file says so, and PolicyController will not mask
    assert cfg.mask_raises is False and policy.mask_raises is False
    header = (tmp_path / "run" / "evaluations.csv").read_text().splitlines()[0].split(",")
    # the raises the policy held back are reported beside the interventions (issue 15)
    assert header.index("held_raises") == header.index("shield_interventions") + 1


def test_warm_start_begins_from_the_shipped_policys_decisions(tmp_path):
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    from adaptation._training import warm_start
    from adaptation.export import to_numpy
    from adaptation.policy import NumpyPolicy
    from adaptation.vec_env import ExposureVecEnv

    torch.set_num_threads(1)
    env = VecNormalize(ExposureVecEnv(2, seed=1))
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=64, seed=0, device="cpu", policy_kwargs={"net_arch": [64, 64]})
    old = NumpyPolicy.load(SHIPPED_POLICY)
    warm_start(model, env, old)
    new = to_numpy(model, env)
    x = np.random.default_rng(2).uniform(-2, 2, (2000, new.layers[0][0].shape[1])).astype(np.float32)
    # same decisions on the inputs the old policy read; the new inputs start at zero weight
    assert np.array_equal(new.act(x), old.act(x[:, old.columns]))
    x2 = x.copy()
    x2[:, [i for i in range(x.shape[1]) if i not in set(old.columns.tolist())]] = 1.5
    assert np.array_equal(new.act(x2), new.act(x))


def test_sweep_trials_cover_seeds_and_the_grid(tmp_path):
    from adaptation.sweep import trials

    cfg = load_config(write(tmp_path, TINY + "sweep: {seeds: [1, 2], grid: {learning_rate: [0.001, 0.0003]}}\n"))
    got = trials(cfg)
    assert [(t["seed"], t["hyperparameters"]["learning_rate"]) for t in got] == [
        (1, 0.001),
        (1, 0.0003),
        (2, 0.001),
        (2, 0.0003),
    ]
    assert trials(cfg, seeds=[5]) == [
        {"seed": 5, "hyperparameters": {"learning_rate": 0.001}},
        {"seed": 5, "hyperparameters": {"learning_rate": 0.0003}},
    ]


RAY_SWEEP = """\
format: vrex-train/1
name: ray_sweep
algorithm: PPO
total_timesteps: 50_000
n_envs: 8
shield: {forecast_step_p: 0}
hyperparameters: {n_steps: 256, batch_size: 512, n_epochs: 2, policy_kwargs: {net_arch: [32, 32]}}
evaluation: {every_timesteps: 25_000, episodes: 20, seed: 5}
sweep: {seeds: [1, 2], cpus_per_trial: 1}
"""


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_vrex_train_ray_runs_a_two_trial_sweep_of_50000_steps(tmp_path, capsys):
    pytest.importorskip("ray.tune")
    from engine.cli import main

    cfg = write(tmp_path, RAY_SWEEP)
    assert main(["train", str(cfg), "--ray", "--out", str(tmp_path / "sweep"), "--no-progress"]) == 0
    result = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert sorted(t["seed"] for t in result["trials"]) == [1, 2]
    for t in result["trials"]:
        summary = json.loads((tmp_path / "sweep" / t["trial"] / "summary.json").read_text())
        assert summary["seed"] == t["seed"] and summary["planned_timesteps"] == 50_000
        assert summary["total_timesteps"] >= 50_000  # whole rollouts: SB3 finishes the one it is in
        assert t["success_rate"] == summary["best"]["success_rate"]
    assert '"sweep":' in capsys.readouterr().out


def test_ray_flags_are_checked_before_anything_runs(tmp_path, capsys):
    from engine.cli import main

    cfg = write(tmp_path, TINY)
    assert main(["train", str(cfg), "--seeds", "1,2"]) != 0
    assert "--seeds goes with --ray" in capsys.readouterr().err
    assert main(["train", str(cfg), "--ray", "--seeds", "1,x"]) != 0
    assert "--seeds '1,x'" in capsys.readouterr().err
