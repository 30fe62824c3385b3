"""`vrex train`: config checking with FILE:LINE:COL, a real (tiny) reproducible training run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adaptation.config import ConfigError
from adaptation.train import load_config

pytest.importorskip("stable_baselines3")

SHIPPED = Path(__file__).resolve().parents[2] / "adaptation" / "configs" / "ppo_default.yaml"

TINY = """\
format: vrex-train/1
name: tiny
algorithm: PPO
seed: 3
total_timesteps: 512
n_envs: 2
session: {duration_s: 120}
hyperparameters:
  n_steps: 64
  batch_size: 64
  n_epochs: 2
  policy_kwargs: {net_arch: [16], activation_fn: relu}
evaluation: {every_timesteps: 256, episodes: 4, seed: 9}
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_shipped_config_loads():
    cfg = load_config(SHIPPED)
    assert cfg.algorithm == "PPO" and cfg.n_envs >= 1
    assert cfg.hyperparameters["n_steps"] * cfg.n_envs % cfg.hyperparameters["batch_size"] == 0


@pytest.mark.parametrize(
    "change, expect",
    [
        (
            ("n_epochs: 2", "n_epoch: 2"),
            r"c.yaml:11:3: hyperparameters.n_epoch: unknown key 'n_epoch' \(did you mean 'n_epochs'\?\)",
        ),
        (("seed: 3", "seed: three"), r"c.yaml:4:7: seed: expected a whole number, got 'three'"),
        (("algorithm: PPO", "algorithm: PPQ"), r"c.yaml:3:12: algorithm: unknown value 'PPQ' \(did you mean 'PPO'\?\)"),
        (("batch_size: 64", "batch_size: 100"), r"c.yaml:10:15: .*not a multiple of batch_size 100"),
        (("{duration_s: 120}", "{duration_s: -5}"), r"c.yaml:7:10: session: SessionConfig.duration_s = -5"),
        (
            ("{duration_s: 120}", "{duraton_s: 120}"),
            r"c.yaml:7:11: session.duraton_s: unknown key .*did you mean 'duration_s'",
        ),
        (("activation_fn: relu", "activation_fn: gelu"), r"c.yaml:12:50: .*unknown value 'gelu'"),
        (("format: vrex-train/1", "format: vrex-train/9"), r"c.yaml:1:9: format: .*write format: vrex-train/1"),
        (("n_envs: 2", "n_envs: 2\npopulation: nowhere.yaml"), r"nowhere.yaml"),
        (
            ("seed: 9}", "seed: 9, escape_measure: likely}"),
            r"c.yaml:13:74: evaluation.escape_measure: unknown value 'likely' — one of: observed, expected",
        ),
        (("seed: 9}", "seed: 9, escape_weight: -1}"), r"c.yaml:13:.*evaluation.escape_weight: "),
    ],
)
def test_bad_configs_name_file_line_and_key(tmp_path, change, expect):
    path = write(tmp_path, TINY.replace(*change))
    with pytest.raises(ConfigError, match=expect):
        load_config(path)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, TINY.replace("seed: 3", "seed: -1").replace("n_envs: 2", "n_envs: two"))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert len(err.value.problems) == 2


def _train(tmp_path, out: str):
    from adaptation.train import train

    cfg = load_config(write(tmp_path, TINY))
    return train(cfg, tmp_path / out, progress=False)


@pytest.mark.slow
def test_tiny_training_writes_everything_and_is_reproducible(tmp_path):
    from adaptation.policy import NumpyPolicy

    summary = _train(tmp_path, "a")
    out = tmp_path / "a"
    for name in (
        "policy.npz",
        "final.npz",
        "model.zip",
        "vecnormalize.pkl",
        "evaluations.csv",
        "learning_curve.png",
        "config.yaml",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    assert (out / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (out / "evaluations.csv").read_text().splitlines()
    assert rows[0].startswith("timesteps,") and len(rows) >= 3  # header + evaluations at 256, 512
    assert json.loads((out / "summary.json").read_text())["total_timesteps"] == 512 == summary["total_timesteps"]
    _train(tmp_path, "b")
    a, b = NumpyPolicy.load(out / "final.npz"), NumpyPolicy.load(tmp_path / "b" / "final.npz")
    for (wa, ba), (wb, bb) in zip(a.layers + [a.head], b.layers + [b.head]):
        assert np.array_equal(wa, wb) and np.array_equal(ba, bb)
    assert np.array_equal(a.obs_mean, b.obs_mean)


@pytest.mark.slow
def test_vrex_train_command(tmp_path, capsys):
    from engine.cli import main

    cfg = write(tmp_path, TINY)
    assert main(["train", str(cfg), "--out", str(tmp_path / "run"), "--timesteps", "256", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "trained 256 steps" in out and "policy.npz" in out
    assert (tmp_path / "run" / "policy.npz").is_file()


def test_vrex_train_reports_a_bad_config_in_one_line(tmp_path, capsys):
    from engine.cli import main

    cfg = write(tmp_path, TINY.replace("n_epochs: 2", "n_epochs: lots"))
    assert main(["train", str(cfg), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "c.yaml:11:13: hyperparameters.n_epochs: expected a whole number, got 'lots'" in err
    assert "Traceback" not in err


def test_start_from_must_name_an_earlier_run(tmp_path):
    path = write(tmp_path, TINY + "start_from: nowhere\n")
    with pytest.raises(ConfigError, match=r"c.yaml:14:13: start_from: no model.zip in .*nowhere"):
        load_config(path)


@pytest.mark.slow
def test_a_run_continues_from_an_earlier_one(tmp_path):
    from adaptation.policy import NumpyPolicy
    from adaptation.train import train

    first = _train(tmp_path, "first")
    cfg = load_config(write(tmp_path, TINY + "start_from: first\n", name="more.yaml"))
    summary = train(cfg, tmp_path / "more", progress=False)
    assert summary["start_from"].endswith("first") and first["total_timesteps"] == 512
    a, b = NumpyPolicy.load(tmp_path / "first" / "final.npz"), NumpyPolicy.load(tmp_path / "more" / "final.npz")
    assert a.layers[0][0].shape == b.layers[0][0].shape
    assert not np.array_equal(a.layers[0][0], b.layers[0][0])  # it trained on from there


def test_checkpoints_are_ranked_by_the_configured_escape_weight_and_measure(tmp_path):
    from adaptation._training import score

    bold = {"success_rate": 0.72, "escape_rate": 0.010, "expected_escape_rate": 0.008}
    careful = {"success_rate": 0.60, "escape_rate": 0.0, "expected_escape_rate": 0.004}
    default = load_config(write(tmp_path, TINY)).evaluation
    assert score(bold, default) > score(careful, default)  # 0.72 − 0.10 > 0.60
    strict = {**default, "escape_weight": 50.0}
    assert score(careful, strict) > score(bold, strict)
    expected = {**default, "escape_weight": 20.0, "escape_measure": "expected"}
    assert score(bold, expected) == pytest.approx(0.72 - 20 * 0.008)
    assert score(careful, expected) == pytest.approx(0.60 - 20 * 0.004)
