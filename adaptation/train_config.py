"""Reading ``vrex train``'s config (format ``vrex-train/1``): ``load_config(path)`` →
``TrainConfig``, every problem a ``ConfigError`` with FILE:LINE:COL (``adaptation/train.py``
says what training does with it). A leaf of its own, so the trainer (``_training.py``) and
the sweep runner (``sweep.py``) read the config without importing each other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config as cfgio
from .env import Constraints, RewardWeights
from .population import Population
from .randomise import MixedPopulation, widened
from .shield import ShieldConfig
from .sim import SessionConfig
from .train_sections import (  # noqa: F401 — train.py and _training.py import these from here
    ACTIVATIONS,
    ALGORITHMS,
    _algorithm_class,
    _hyperparameters,
    parse_sweep,
    schedule,
)

FORMAT = "vrex-train/1"
ESCAPE_MEASURES = ("observed", "expected")  # how checkpoints count escapes (evaluation.escape_measure)


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
    mask_raises: bool = False  # "up" while the shield holds raises acts as "stay" (adaptation.env)
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
        "mask_raises",
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
    if "mask_raises" in d and doc.expect(("mask_raises",), d["mask_raises"], "boolean"):
        cfg.mask_raises = d["mask_raises"]


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
