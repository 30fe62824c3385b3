"""Reading ``vrex train``'s config (format ``vrex-train/1``): ``load_config(path)`` →
``TrainConfig``, every problem a ``ConfigError`` with FILE:LINE:COL (``adaptation/train.py``
says what training does with it). A leaf of its own, so the trainer (``_training.py``) and
the sweep runner (``sweep.py``) read the config without importing each other.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config as cfgio
from .env import Constraints, RewardWeights
from .population import Population
from .randomise import MixedPopulation, widened
from .shield import ShieldConfig
from .sim import SessionConfig

FORMAT = "vrex-train/1"
ESCAPE_MEASURES = ("observed", "expected")  # how checkpoints count escapes (evaluation.escape_measure)
ALGORITHMS = ("PPO", "A2C")
ACTIVATIONS = ("tanh", "relu")
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


@dataclass
class TrainConfig:
    file: Path
    name: str
    algorithm: str = "PPO"
    seed: int = 0
    total_timesteps: int = 100_000
    n_envs: int = 8
    threads: int = 1
    frames: int = 1  # decisions the policy sees at once (SB3's VecFrameStack n_stack)
    start_from: Path | None = None  # an earlier run's folder (model.zip, vecnormalize.pkl) to continue from
    max_wall_s: float | None = None  # stop learning after this long (the best checkpoint is kept)
    sweep: dict[str, Any] | None = None  # seeds and a hyperparameter grid for --ray (adaptation.sweep)
    warm_start: Path | None = None  # a numpy policy (.npz) whose actor starts this run (new inputs at zero weight)
    normalize: dict[str, Any] = field(default_factory=lambda: {"observations": True, "rewards": True, "clip_obs": 10.0})
    population: str | list[str] = "default"  # one, or several to draw each person from (randomisation)
    widen: float = 1.0  # every population's spreads times this (adaptation.randomise.widened)
    constraints: Constraints = field(default_factory=Constraints)
    session: SessionConfig = field(default_factory=SessionConfig)
    shield: ShieldConfig = field(default_factory=ShieldConfig)
    reward: RewardWeights = field(default_factory=RewardWeights)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    policy_kwargs: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(
        default_factory=lambda: {
            "every_timesteps": 50_000,
            "episodes": 200,
            "seed": 1001,
            "escape_weight": 10.0,
            "escape_measure": "observed",
        }
    )

    def load_population(self) -> Population | MixedPopulation:
        names = self.population if isinstance(self.population, list) else [self.population]
        members = tuple(widened(self._one(n), self.widen) for n in names)
        return members[0] if len(members) == 1 else MixedPopulation(members)

    def _one(self, name: str) -> Population:
        path = Path(name)
        if not path.is_absolute() and not path.suffix:
            return Population.builtin(name)
        return Population.load(path if path.is_absolute() else self.file.parent / path)


def _algorithm_class(name: str):
    import stable_baselines3 as sb3

    return getattr(sb3, name)


def _dataclass_section(doc: cfgio.Doc, path: tuple, raw: Any, cls) -> Any:
    """A dataclass from a mapping of its fields, each checked against its default's type."""
    if raw is None:
        return cls()
    names = [f.name for f in dataclasses.fields(cls)]
    if not doc.check_keys(path, raw, names):
        return cls()
    defaults = cls()
    ok = True
    for key, value in raw.items():
        if key not in names:
            ok = False
            continue
        default = getattr(defaults, key)
        if isinstance(default, tuple):
            if doc.expect((*path, key), value, "list") and all(
                doc.expect((*path, key, i), v, "number") for i, v in enumerate(value)
            ):
                raw[key] = tuple(float(v) for v in value)
            else:
                ok = False
        elif isinstance(default, bool):
            ok &= doc.expect((*path, key), value, "boolean")
        else:
            ok &= doc.expect((*path, key), value, "number")
    if not ok:
        return cls()
    try:
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items()})
    except (ValueError, TypeError) as exc:
        doc.error(path, str(exc))
        return cls()


def load_config(path: str | Path) -> TrainConfig:
    """Read and check a training config; every problem at once as a ``ConfigError``."""
    doc = cfgio.load(path)
    d = doc.data
    top = {
        "format",
        "name",
        "algorithm",
        "seed",
        "total_timesteps",
        "n_envs",
        "threads",
        "frames",
        "start_from",
        "warm_start",
        "max_wall_s",
        "sweep",
        "normalize",
        "population",
        "widen",
        "constraints",
        "session",
        "shield",
        "reward",
        "hyperparameters",
        "evaluation",
    }
    if not doc.check_keys((), d, top, required={"format", "algorithm", "total_timesteps"}):
        doc.raise_if_problems()
    if d.get("format") != FORMAT:
        doc.error(
            ("format",), f"format {cfgio.describe(d.get('format'))} is not a training config", f"write format: {FORMAT}"
        )
    cfg = TrainConfig(file=Path(path), name=str(d.get("name", Path(path).stem)))
    _top(doc, d, cfg)
    _files(doc, d, cfg, Path(path))
    if "sweep" in d:
        parse_sweep(doc, d["sweep"], cfg)
    _normalize(doc, d.get("normalize"), cfg)
    _evaluation(doc, d.get("evaluation"), cfg)
    cfg.session = _dataclass_section(doc, ("session",), d.get("session"), SessionConfig)
    cfg.shield = _dataclass_section(doc, ("shield",), d.get("shield"), ShieldConfig)
    cfg.reward = _dataclass_section(doc, ("reward",), d.get("reward"), RewardWeights)
    cfg.constraints = _dataclass_section(doc, ("constraints",), d.get("constraints"), Constraints)
    _hyperparameters(doc, d.get("hyperparameters") or {}, cfg)
    doc.raise_if_problems()
    try:
        cfg.load_population()
    except FileNotFoundError as exc:
        raise cfgio.ConfigError(
            [f"{doc.file}:{doc.where(('population',))[0]}:{doc.where(('population',))[1]}: population: {exc}"]
        ) from None
    return cfg


def _top(doc: cfgio.Doc, d: dict, cfg: TrainConfig) -> None:
    """The algorithm, the whole numbers, the name, the wall-time limit and the population."""
    if doc.expect(("algorithm",), d.get("algorithm"), "string", choices=ALGORITHMS):
        cfg.algorithm = d["algorithm"]
    for key, low, high in (
        ("seed", 0, None),
        ("total_timesteps", 1, None),
        ("n_envs", 1, 1024),
        ("threads", 1, 64),
        ("frames", 1, 16),
    ):
        if key in d and doc.expect((key,), d[key], "integer", low=low, high=high):
            setattr(cfg, key, d[key])
    if "name" in d:
        doc.expect(("name",), d["name"], "string")
    if "max_wall_s" in d and doc.expect(("max_wall_s",), d["max_wall_s"], "number", low=0, low_open=True):
        cfg.max_wall_s = float(d["max_wall_s"])
    if "population" in d:
        pop = d["population"]
        if isinstance(pop, list) and pop:
            if all(doc.expect(("population", i), v, "string") for i, v in enumerate(pop)):
                cfg.population = list(pop)
        elif doc.expect(("population",), pop, "string"):
            cfg.population = pop
    if "widen" in d and doc.expect(("widen",), d["widen"], "number", low=0, low_open=True):
        cfg.widen = float(d["widen"])


def _files(doc: cfgio.Doc, d: dict, cfg: TrainConfig, path: Path) -> None:
    """``start_from`` (an earlier run's folder) and ``warm_start`` (a policy file), relative
    to the config file."""
    if "start_from" in d and doc.expect(("start_from",), d["start_from"], "string"):
        start = Path(d["start_from"])
        start = (start if start.is_absolute() else path.parent / start).resolve()
        if not (start / "model.zip").is_file():
            doc.error(
                ("start_from",),
                f"no model.zip in {start}",
                "name the output folder of an earlier `vrex train` run, relative to this file",
            )
        else:
            cfg.start_from = start
    if "warm_start" in d and doc.expect(("warm_start",), d["warm_start"], "string"):
        warm = Path(d["warm_start"])
        warm = (warm if warm.is_absolute() else path.parent / warm).resolve()  # sweeps run elsewhere
        if not warm.is_file():
            doc.error(("warm_start",), f"no policy file {warm}", "name a .npz policy, relative to this file")
        else:
            cfg.warm_start = warm


def _normalize(doc: cfgio.Doc, norm: Any, cfg: TrainConfig) -> None:
    if norm is not None and doc.check_keys(("normalize",), norm, {"observations", "rewards", "clip_obs"}):
        for k in ("observations", "rewards"):
            if k in norm and doc.expect(("normalize", k), norm[k], "boolean"):
                cfg.normalize[k] = norm[k]
        if "clip_obs" in norm and doc.expect(
            ("normalize", "clip_obs"), norm["clip_obs"], "number", low=0, low_open=True
        ):
            cfg.normalize["clip_obs"] = float(norm["clip_obs"])


def _evaluation(doc: cfgio.Doc, ev: Any, cfg: TrainConfig) -> None:
    if ev is not None and doc.check_keys(
        ("evaluation",),
        ev,
        {"every_timesteps", "episodes", "seed", "escape_weight", "escape_measure", "max_interventions"},
    ):
        if "max_interventions" in ev and doc.expect(
            ("evaluation", "max_interventions"), ev["max_interventions"], "number", low=0
        ):
            cfg.evaluation["max_interventions"] = float(ev["max_interventions"])
        for k, low in (("every_timesteps", 1), ("episodes", 1), ("seed", 0)):
            if k in ev and doc.expect(("evaluation", k), ev[k], "integer", low=low):
                cfg.evaluation[k] = ev[k]
        if "escape_weight" in ev and doc.expect(("evaluation", "escape_weight"), ev["escape_weight"], "number", low=0):
            cfg.evaluation["escape_weight"] = float(ev["escape_weight"])
        if "escape_measure" in ev and doc.expect(
            ("evaluation", "escape_measure"), ev["escape_measure"], "string", choices=ESCAPE_MEASURES
        ):
            cfg.evaluation["escape_measure"] = ev["escape_measure"]


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
