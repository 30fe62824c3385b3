"""``vrex train CONFIG --ray [ADDRESS]``: several training runs at once on Ray (the ``scale`` extra).

A config's ``sweep:`` section (``TrainConfig.sweep``) names the seeds to run and, optionally,
a grid of hyperparameters (SB3 names, each a list of values); every combination is one
trial of ``adaptation.train.train`` with that seed and those values, run by Ray Tune with
``cpus_per_trial`` CPUs each. Without a ``sweep:`` section, ``--seeds`` (or the config's one
seed) are the trials. Each trial writes the usual output folder under ``OUT/trial-K``;
``OUT/sweep.json`` lists every trial's settings and its best checkpoint's evaluation,
best first (by ``adaptation._training.score``). ``ADDRESS`` is a running Ray cluster's
(``ray start --head`` prints it); without one Ray starts on this machine.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
from pathlib import Path
from typing import Any

from .train_config import TrainConfig

log = logging.getLogger(__name__)


def trials(cfg: TrainConfig, seeds: list[int] | None = None) -> list[dict[str, Any]]:
    """Every (seed, hyperparameters) combination the sweep runs, in a fixed order."""
    sweep = cfg.sweep or {}
    seeds = seeds or list(sweep.get("seeds") or [cfg.seed])
    grid: dict[str, list] = dict(sweep.get("grid") or {})
    keys = sorted(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))] or [{}]
    return [{"seed": int(s), "hyperparameters": h} for s in seeds for h in combos]


def _trial_config(cfg: TrainConfig, trial: dict[str, Any]) -> TrainConfig:
    hyper = {**cfg.hyperparameters, **trial["hyperparameters"]}
    return dataclasses.replace(cfg, seed=trial["seed"], hyperparameters=hyper, sweep=None)


def _run_trial(config: dict[str, Any]) -> None:
    """One Ray Tune trial (runs in a Ray worker process)."""
    from ray import tune

    from ._training import score
    from .train import train

    cfg: TrainConfig = config["cfg"]
    trial = config["trial"]
    out = Path(config["out"]) / f"trial-{config['index']}"
    summary = train(_trial_config(cfg, trial), out, progress=False, total_timesteps=config["timesteps"])
    best = summary["best"]
    tune.report({"score": score(best, cfg.evaluation), **{k: v for k, v in best.items() if k != "best"}})


def run_sweep(
    cfg: TrainConfig,
    out: str | Path,
    *,
    address: str | None = None,
    seeds: list[int] | None = None,
    total_timesteps: int | None = None,
) -> list[dict[str, Any]]:
    """Run every trial on Ray; returns (and writes to ``out/sweep.json``) their results, best first."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise RuntimeError("--ray needs the scale extra: .venv/bin/pip install -e '.[scale]'") from None
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    todo = trials(cfg, seeds)
    cfg = dataclasses.replace(cfg, file=Path(cfg.file).resolve())  # trials run elsewhere (Ray's trial folders)
    cpus = int((cfg.sweep or {}).get("cpus_per_trial", 1))
    if address in (None, "", "local"):
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    else:
        ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
    try:
        space = {
            "cfg": cfg,
            "out": str(out),
            "timesteps": total_timesteps or cfg.total_timesteps,
            "index": tune.grid_search(list(range(len(todo)))),
        }
        trainable = tune.with_resources(
            lambda config: _run_trial({**config, "trial": todo[config["index"]]}), {"cpu": cpus}
        )
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(metric="score", mode="max"),
            run_config=tune.RunConfig(name="ray", storage_path=str(out), verbose=0),
        )
        grid = tuner.fit()
        rows = []
        for i in range(len(grid)):  # ResultGrid is indexable; its stubs declare no __iter__
            result = grid[i]
            config, measured = result.config or {}, result.metrics or {}
            if result.error is not None:
                cause = result.error.__cause__ or result.error
                raise RuntimeError(f"trial-{config.get('index')} failed: {str(cause).strip().splitlines()[-1]}")
            index = config["index"]
            metrics = {k: v for k, v in measured.items() if k in ("score", *_METRICS)}
            rows.append({"trial": f"trial-{index}", **todo[index], **metrics})
    finally:
        ray.shutdown()
    rows.sort(key=lambda r: -r["score"])
    (out / "sweep.json").write_text(json.dumps({"config": str(cfg.file), "trials": rows}, indent=2) + "\n")
    return rows


_METRICS = (
    "timesteps",
    "wall_s",
    "success_rate",
    "escape_rate",
    "expected_escape_rate",
    "mean_top_level",
    "shield_interventions",
    "held_raises",
    "invariant_violations",
)
