"""``vrex train CONFIG.yaml``: train a controller on simulated patients with stable-baselines3.

The config (format ``vrex-train/1``, example ``adaptation/configs/ppo_default.yaml``) names
the algorithm and gives its constructor arguments by their SB3 names, as
rl-baselines3-zoo's ``hyperparams/*.yml`` do; nothing in it is evaluated as code. Unknown
keys, wrong types and impossible values are ``ConfigError``s with FILE:LINE:COL.

Training runs ``n_envs`` sessions as one numpy batch (``ExposureVecEnv``), each decision
through the safety shield, normalises observations (VecNormalize), evaluates the greedy
policy every ``evaluation.every_timesteps`` on a fixed set of simulated people with the
same code as ``vrex evaluate``, and keeps the best policy by
``success_rate − escape_weight × escape`` (``evaluation.escape_weight``, default 10; the
escape measure is ``evaluation.escape_measure``: ``observed``, the share who fled, or
``expected``, the simulator's escape probability summed over each session, which ranks
checkpoints without the luck of who happened to flee). Written to the output folder: ``policy.npz`` (best,
numpy, what sessions load), ``final.npz``, ``model.zip`` and ``vecnormalize.pkl`` (SB3's,
to resume), ``evaluations.csv``, ``learning_curve.png``, ``config.yaml`` and
``summary.json``. Same config and seed → same policy (CPU, one torch thread).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .train_config import (  # noqa: F401 — callers import the config's names from here
    ACTIVATIONS,
    ALGORITHMS,
    ESCAPE_MEASURES,
    FORMAT,
    TrainConfig,
    load_config,
    schedule,
)


def train(cfg: TrainConfig, out: str | Path, *, progress: bool = True, total_timesteps: int | None = None) -> dict:
    """Train as ``cfg`` says; write the results to ``out`` (see the module docstring)."""
    from ._training import run

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cfg.file, out / "config.yaml")
    return run(cfg, out, progress=progress, total_timesteps=total_timesteps or cfg.total_timesteps)
