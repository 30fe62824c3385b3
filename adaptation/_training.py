"""The SB3 side of ``adaptation.train``: model, callbacks, export, learning curve.

Kept apart so that reading and checking a config never imports torch.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecEnv, VecFrameStack, VecNormalize
from tqdm import tqdm

from .errors import PolicyError
from .evaluate import run_episodes
from .export import to_numpy
from .policy import NumpyPolicy, PolicyController
from .train_config import TrainConfig, _algorithm_class, schedule
from .training_files import plot, write_dicts, write_rows
from .vec_env import ExposureVecEnv

_ACTIVATION = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}


def score(row: dict, evaluation: dict) -> float:
    """How training ranks checkpoints: by default an escape costs ten successes (a patient
    who flees a session may not come back; one who did not finish the hierarchy comes back
    next week). ``evaluation`` (TrainConfig.evaluation) may weigh escapes more, and count
    them as expected (the simulator's escape probabilities summed) rather than observed."""
    escape = row["expected_escape_rate" if evaluation.get("escape_measure") == "expected" else "escape_rate"]
    value = row["success_rate"] - evaluation.get("escape_weight", 10.0) * escape
    limit = evaluation.get("max_interventions")
    if limit is not None and row.get("shield_interventions", 0.0) > limit:
        value -= 1.0  # over the limit: ranks below every checkpoint within it
    return value


class _Evaluate(BaseCallback):
    """Greedy policy on a fixed set of people every ``every`` steps; keeps the best."""

    def __init__(
        self,
        cfg: TrainConfig,
        out: Path,
        normaliser: VecNormalize | None,
        bar: tqdm | None,
        sim: ExposureVecEnv | None = None,
    ):
        super().__init__()
        self.cfg, self.out, self.normaliser, self.bar = cfg, out, normaliser, bar
        self.sim = sim
        self.constraint_rows: list[dict] = []
        ev = cfg.evaluation
        self.every = ev["every_timesteps"]
        self.params = cfg.load_population().sample(ev["episodes"], np.random.default_rng(ev["seed"]))
        self.next = self.every
        self.rows: list[dict] = []
        self.returns: list[float] = []
        self.best = -np.inf
        self.started = time.perf_counter()

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", ()):
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
        if self.bar is not None:
            self.bar.update(self.training_env.num_envs)
        if self.num_timesteps >= self.next:
            self.next += self.every
            self.evaluate()
        limit = self.cfg.max_wall_s
        return limit is None or time.perf_counter() - self.started < limit

    def _on_rollout_end(self) -> None:
        # the Lagrangian step: each rollout's finished sessions move the multipliers
        if self.sim is None or not self.cfg.constraints.enabled:
            return
        row = self.sim.update_lambdas()
        if row:
            self.constraint_rows.append({"timesteps": self.num_timesteps, **row})
            write_dicts(self.constraint_rows, self.out / "constraints.csv")  # as it goes: a cut run keeps it

    def _on_training_end(self) -> None:
        if not self.rows or self.rows[-1]["timesteps"] != self.num_timesteps:
            self.evaluate()

    def evaluate(self) -> None:
        policy = to_numpy(self.model, self.normaliser, self.cfg.frames, self.cfg.session.decision_interval_s)
        policy.mask_raises = self.cfg.mask_raises  # evaluated (and deployed) as it was trained
        ev = self.cfg.evaluation
        eps = run_episodes(
            lambda: PolicyController(policy),
            self.params,
            seed=ev["seed"] + 1,
            config=self.cfg.session,
            shield=self.cfg.shield,
        )
        row = {
            "timesteps": self.num_timesteps,
            "wall_s": round(time.perf_counter() - self.started, 1),
            "success_rate": float(eps.success.mean()),
            "escape_rate": float(eps.escaped.mean()),
            "expected_escape_rate": float(eps.escape_risk.mean()),
            "mean_top_level": float(eps.top_level.mean()),
            "time_in_band": float(eps.time_in_band.mean()),
            "invariant_violations": int(eps.violations.sum()),
            "shield_interventions": float(eps.interventions.mean()),
            # the raises the masking policy held back itself: shown beside the interventions
            "held_raises": float(eps.held_raises.mean()) if eps.held_raises is not None else 0.0,
            "lambda_escape": float(self.sim.lambdas[0]) if self.sim is not None else 0.0,
            "lambda_interventions": float(self.sim.lambdas[1]) if self.sim is not None else 0.0,
            "train_return": float(np.mean(self.returns[-100:])) if self.returns else float("nan"),
        }
        self.rows.append(row)
        write_rows(self.rows, self.out / "evaluations.csv")  # the curve so far, should the run be cut short
        s = score(row, ev)
        mark = ""
        checkpoints = self.out / "checkpoints"
        checkpoints.mkdir(exist_ok=True)
        policy.save(checkpoints / f"step_{self.num_timesteps}.npz")  # every evaluated policy, to pick from later
        if s > self.best:
            self.best = s
            policy.save(self.out / "policy.npz")
            row["best"] = True
            mark = "  (best so far: saved policy.npz)"
        line = (
            f"{row['timesteps']:>9,} steps  success {row['success_rate']:.1%}  escape {row['escape_rate']:.1%}"
            f" (expected {row['expected_escape_rate']:.2%})  "
            f"top {row['mean_top_level']:.2f}  in band {row['time_in_band']:.1%}  shield/ep "
            f"{row['shield_interventions']:.1f} (held raises {row['held_raises']:.1f})  "
            f"λ {row['lambda_escape']:.0f}/{row['lambda_interventions']:.2f}  "
            f"return {row['train_return']:.1f}{mark}"
        )
        (self.bar.write if self.bar is not None else print)(line)


def run(cfg: TrainConfig, out: Path, *, progress: bool, total_timesteps: int) -> dict:
    torch.set_num_threads(cfg.threads)
    started = time.perf_counter()
    sim = ExposureVecEnv(
        cfg.n_envs,
        cfg.load_population(),
        cfg.session,
        cfg.shield,
        cfg.reward,
        seed=cfg.seed,
        constraints=cfg.constraints,
        mask_raises=cfg.mask_raises,
    )
    env: VecEnv = sim
    normaliser = None
    start = cfg.start_from
    if start is not None and (start / "vecnormalize.pkl").is_file():
        # continue from an earlier run: its normalisation statistics go on updating here
        env = normaliser = VecNormalize.load(str(start / "vecnormalize.pkl"), env)
    elif cfg.normalize["observations"] or cfg.normalize["rewards"]:
        gamma = cfg.hyperparameters.get("gamma", 0.99)
        env = normaliser = VecNormalize(
            env,
            norm_obs=cfg.normalize["observations"],
            norm_reward=cfg.normalize["rewards"],
            clip_obs=cfg.normalize["clip_obs"],
            gamma=gamma,
        )
    if cfg.frames > 1:
        # normalise each decision's vector, then stack: what PolicyController does at run time
        env = VecFrameStack(env, n_stack=cfg.frames)
    policy_kwargs = dict(cfg.policy_kwargs)
    if "activation_fn" in policy_kwargs:
        policy_kwargs["activation_fn"] = _ACTIVATION[policy_kwargs["activation_fn"]]
    algorithm = _algorithm_class(cfg.algorithm)
    hyper = {k: schedule(v) for k, v in cfg.hyperparameters.items()}
    if start is not None:
        # the network and optimiser state of the earlier run; this config's hyperparameters
        # (a lower learning rate, say) replace its own
        model = algorithm.load(str(start / "model.zip"), env=env, device="cpu", seed=cfg.seed, custom_objects=hyper)
    else:
        model = algorithm(
            "MlpPolicy", env, seed=cfg.seed, device="cpu", verbose=0, policy_kwargs=policy_kwargs, **hyper
        )
    if cfg.warm_start is not None and start is None:
        warm_start(model, normaliser, NumpyPolicy.load(cfg.warm_start))
    bar = tqdm(
        total=total_timesteps,
        unit="step",
        unit_scale=True,
        desc=f"training {cfg.name}",
        disable=not progress,
        dynamic_ncols=True,
    )
    callback = _Evaluate(cfg, out, normaliser, bar if progress else None, sim)
    # SB3 otherwise configures a logger per learn() that makes an empty SB3-<time> folder in
    # /tmp each run; vrex logs its evaluations itself (_Evaluate), so no output format is needed
    model.set_logger(Logger(folder=None, output_formats=[]))
    try:
        model.learn(total_timesteps=total_timesteps, callback=callback, reset_num_timesteps=True)
    finally:
        bar.close()
    wall = time.perf_counter() - started
    final = to_numpy(model, normaliser, cfg.frames, cfg.session.decision_interval_s)
    final.mask_raises = cfg.mask_raises  # PolicyController masks "up" only for a policy trained so
    final.save(out / "final.npz")
    model.save(out / "model.zip")
    if normaliser is not None:
        normaliser.save(str(out / "vecnormalize.pkl"))
    write_rows(callback.rows, out / "evaluations.csv")
    if callback.constraint_rows:
        write_dicts(callback.constraint_rows, out / "constraints.csv")
    plot(callback.rows, out / "learning_curve.png", title=f"{cfg.name}: {cfg.algorithm}, seed {cfg.seed}")
    best = max(callback.rows, key=lambda r: score(r, cfg.evaluation))
    summary = {
        "name": cfg.name,
        "algorithm": cfg.algorithm,
        "seed": cfg.seed,
        "total_timesteps": model.num_timesteps,  # fewer than planned when max_wall_s stopped it
        "planned_timesteps": total_timesteps,
        "n_envs": cfg.n_envs,
        "threads": cfg.threads,
        "frames": cfg.frames,
        "start_from": str(cfg.start_from) if cfg.start_from else None,
        "wall_s": round(wall, 1),
        "steps_per_s": round(model.num_timesteps / wall, 1),
        "best": best,
        "evaluation": cfg.evaluation,
        "decision_s": cfg.session.decision_interval_s,
        "constraints": dataclasses.asdict(cfg.constraints),
        "final_lambdas": [float(v) for v in sim.lambdas],
        "warm_start": str(cfg.warm_start) if cfg.warm_start else None,
        "torch": torch.__version__,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def warm_start(model, normaliser: VecNormalize | None, old: NumpyPolicy) -> None:
    """Start the actor from an earlier numpy policy (format 1 or 2): its weights on the
    inputs it read, zero weights on the inputs it did not, its normalisation statistics for
    its inputs. The critic starts afresh. The network shapes must match (net_arch)."""
    policy: Any = model.policy
    linears = [m for m in policy.mlp_extractor.policy_net if isinstance(m, torch.nn.Linear)]
    if len(linears) != len(old.layers) or any(
        m.weight.shape[0] != w.shape[0] for m, (w, _) in zip(linears, old.layers)
    ):
        raise PolicyError(f"{old.source}: its layers do not match this config's net_arch; warm_start needs the same")
    if old.frames != 1:
        raise PolicyError(f"{old.source}: warm_start supports one-frame policies")
    cols = torch.as_tensor(old.columns)
    with torch.no_grad():
        first = torch.zeros_like(linears[0].weight)
        first[:, cols] = torch.as_tensor(old.layers[0][0])
        linears[0].weight.copy_(first)
        linears[0].bias.copy_(torch.as_tensor(old.layers[0][1]))
        for m, (w, b) in zip(linears[1:], old.layers[1:]):
            m.weight.copy_(torch.as_tensor(w))
            m.bias.copy_(torch.as_tensor(b))
        policy.action_net.weight.copy_(torch.as_tensor(old.head[0]))
        policy.action_net.bias.copy_(torch.as_tensor(old.head[1]))
    if normaliser is not None and normaliser.norm_obs and old.obs_mean is not None and old.obs_var is not None:
        rms: Any = normaliser.obs_rms
        rms.mean[old.columns] = old.obs_mean
        rms.var[old.columns] = old.obs_var
        rms.count = max(float(rms.count), 1e5)  # trust these statistics as if seen over many steps
