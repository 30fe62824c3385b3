"""The SB3 side of a training config: which algorithm, its hyperparameters (checked against
the algorithm's own signature), learning-rate schedules and the ``sweep:`` grid. Apart from
``train_config.py`` (the file, its sections and the populations) because this half follows
stable-baselines3's constructor and changes when SB3 does.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from . import config as cfgio

if TYPE_CHECKING:  # the config this fills in; train_config imports this module
    from .train_config import TrainConfig

ALGORITHMS = ("PPO", "A2C")
ACTIVATIONS = ("tanh", "relu")
# constructor arguments a config may not set: vrex sets them, or they are not numbers
_NOT_FROM_YAML = {
    "policy",
    "env",
    "seed",
    "verbose",
    "tensorboard_log",
    "device",
    "_init_setup_model",
    "policy_kwargs",
    "rollout_buffer_class",
    "rollout_buffer_kwargs",
    "stats_window_size",
}


def _algorithm_class(name: str):
    import stable_baselines3 as sb3

    return getattr(sb3, name)


def _hyperparameters(doc: cfgio.Doc, hp: Any, cfg: TrainConfig) -> None:
    if cfg.algorithm not in ALGORITHMS:
        return
    signature = inspect.signature(_algorithm_class(cfg.algorithm).__init__).parameters
    allowed = {k for k in signature if k not in _NOT_FROM_YAML and k != "self"} | {"policy_kwargs"}
    if not doc.check_keys(("hyperparameters",), hp, allowed):
        return
    for key, value in hp.items():
        if key not in allowed:
            continue
        path = ("hyperparameters", key)
        if key == "policy_kwargs":
            _policy_kwargs(doc, value, cfg)
            continue
        if key in SCHEDULED and isinstance(value, str):
            # rl-baselines3-zoo's convention: "lin_3.0e-4" falls linearly from 3.0e-4 to 0
            if _linear(value) is None:
                doc.error(path, f"'{value}' is not a schedule", "write a number, or lin_<number> (e.g. lin_3.0e-4)")
            else:
                cfg.hyperparameters[key] = value
            continue
        default = signature[key].default
        kind = (
            "boolean"
            if isinstance(default, bool)
            else "integer"
            if isinstance(default, int)
            else ("number", "null")
            if default is None
            else "number"
        )
        if isinstance(default, str):
            kind = "string"
        if doc.expect(path, value, kind):
            if key in ("learning_rate", "n_steps", "batch_size", "n_epochs") and value is not None and value <= 0:
                doc.error(path, f"{value} must be positive")
            elif key in ("gamma", "gae_lambda") and not 0 < value <= 1:
                doc.error(path, f"{value} is not in (0, 1]")
            else:
                cfg.hyperparameters[key] = value
    n_steps, batch = cfg.hyperparameters.get("n_steps"), cfg.hyperparameters.get("batch_size")
    if cfg.algorithm == "PPO" and n_steps and batch and (n_steps * cfg.n_envs) % batch:
        doc.error(
            ("hyperparameters", "batch_size"),
            f"n_steps × n_envs = {n_steps} × {cfg.n_envs} = {n_steps * cfg.n_envs} "
            f"is not a multiple of batch_size {batch}",
            "choose a batch_size that divides it, or SB3 drops the remainder of every rollout",
        )


SCHEDULED = ("learning_rate", "clip_range")


def _linear(text: str) -> float | None:
    """The start value of a 'lin_<number>' schedule, or None when ``text`` is not one."""
    if not text.startswith("lin_"):
        return None
    try:
        start = float(text[4:])
    except ValueError:
        return None
    return start if start > 0 and start == start and start != float("inf") else None


def schedule(value: Any) -> Any:
    """What SB3 takes for a hyperparameter: a number, or a function of progress left (1 → 0)."""
    start = _linear(value) if isinstance(value, str) else None
    if start is None:
        return value
    return lambda progress_remaining: progress_remaining * start


def _policy_kwargs(doc: cfgio.Doc, pk: Any, cfg: TrainConfig) -> None:
    path = ("hyperparameters", "policy_kwargs")
    if not doc.check_keys(path, pk, {"net_arch", "activation_fn", "ortho_init"}):
        return
    if "net_arch" in pk:
        arch = pk["net_arch"]
        if doc.expect((*path, "net_arch"), arch, "list") and all(
            doc.expect((*path, "net_arch", i), w, "integer", low=1, high=4096) for i, w in enumerate(arch)
        ):
            cfg.policy_kwargs["net_arch"] = list(arch)
    if "activation_fn" in pk and doc.expect(
        (*path, "activation_fn"), pk["activation_fn"], "string", choices=ACTIVATIONS
    ):
        cfg.policy_kwargs["activation_fn"] = pk["activation_fn"]
    if "ortho_init" in pk and doc.expect((*path, "ortho_init"), pk["ortho_init"], "boolean"):
        cfg.policy_kwargs["ortho_init"] = pk["ortho_init"]


def parse_sweep(doc: cfgio.Doc, raw: Any, cfg: TrainConfig) -> None:
    """The config's ``sweep:`` section into ``cfg.sweep``; problems go to ``doc``."""
    path = ("sweep",)
    if not doc.check_keys(path, raw, {"seeds", "grid", "cpus_per_trial"}):
        return
    sweep: dict[str, Any] = {}
    if "seeds" in raw and doc.expect((*path, "seeds"), raw["seeds"], "list"):
        if all(doc.expect((*path, "seeds", i), s, "integer", low=0) for i, s in enumerate(raw["seeds"])):
            sweep["seeds"] = list(raw["seeds"])
    if "cpus_per_trial" in raw and doc.expect((*path, "cpus_per_trial"), raw["cpus_per_trial"], "integer", low=1):
        sweep["cpus_per_trial"] = raw["cpus_per_trial"]
    grid = raw.get("grid")
    if grid is not None and doc.expect((*path, "grid"), grid, "mapping"):
        allowed = set(inspect.signature(_algorithm_class(cfg.algorithm).__init__).parameters) - _NOT_FROM_YAML
        ok = doc.check_keys((*path, "grid"), grid, allowed - {"self"})
        for key, values in grid.items():
            if key in allowed and doc.expect((*path, "grid", key), values, "list"):
                if not values:
                    doc.error((*path, "grid", key), "an empty list", "give at least one value to try")
                ok = ok and bool(values)
        if ok:
            sweep["grid"] = {k: list(v) for k, v in grid.items()}
    cfg.sweep = sweep
