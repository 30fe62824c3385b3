"""``vrex train CONFIG.yaml``: train a controller on simulated patients (needs the train extra)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.errors import VrexError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a controller on simulated patients (PPO by default)",
        description="Train a controller with stable-baselines3 from a YAML of constructor "
        "arguments (see adaptation/configs/ppo_default.yaml). Writes the numpy "
        "policy, evaluations, a learning curve and a summary to --out.",
    )
    p.add_argument("config", type=Path, metavar="CONFIG.yaml")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: out/train/NAME)")
    p.add_argument(
        "--timesteps", type=int, default=None, metavar="N", help="override total_timesteps (e.g. a quick trial run)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run the config's sweep (seeds, hyperparameter grid) on Ray Tune: on this machine, "
        "or on the cluster at ADDRESS (needs the scale extra)",
    )
    p.add_argument(
        "--seeds",
        type=str,
        default=None,
        metavar="S1,S2,…",
        help="with --ray: the seeds to run (default: the config's)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.timesteps is not None and args.timesteps < 1:
        raise VrexError(f"--timesteps {args.timesteps}: expected a positive number of environment steps")
    try:
        import stable_baselines3  # noqa: F401  (only to say what is missing, before anything else)
    except ImportError:
        raise VrexError(
            "training needs the train extra: .venv/bin/pip install -e '.[train]' (torch==2.13.0 first, see run.sh)"
        ) from None
    from adaptation.train import load_config, train

    seeds = _seeds(args.seeds)
    if seeds is not None and args.ray is None:
        raise VrexError("--seeds goes with --ray (one run trains one seed: write it in the config)")
    cfg = load_config(args.config)
    out = args.out or Path("out") / "train" / cfg.name
    if args.ray is not None:
        return _sweep(args, cfg, out, seeds)
    summary = train(cfg, out, progress=not args.no_progress, total_timesteps=args.timesteps)
    best = summary["best"]
    print(
        f"trained {summary['total_timesteps']:,} steps in {summary['wall_s']:.0f} s "
        f"({summary['steps_per_s']:.0f} steps/s); best at {best['timesteps']:,}: "
        f"success {best['success_rate']:.1%}, escape {best['escape_rate']:.1%}"
    )
    print(f"policy: {out / 'policy.npz'}   learning curve: {out / 'learning_curve.png'}")
    print(json.dumps({"out": str(out)}))
    return 0


def _seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        seeds = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        seeds = []
    if not seeds or any(x < 0 for x in seeds):
        raise VrexError(f"--seeds {text!r}: expected whole numbers ≥ 0 separated by commas, e.g. --seeds 1,2,3")
    return seeds


def _sweep(args: argparse.Namespace, cfg, out: Path, seeds: list[int] | None) -> int:
    try:
        from ray import tune  # noqa: F401  (only to say what is missing)
    except ImportError:
        raise VrexError("--ray needs the scale extra: .venv/bin/pip install -e '.[scale]'") from None
    from adaptation.sweep import run_sweep

    try:
        rows = run_sweep(cfg, out, address=args.ray, seeds=seeds, total_timesteps=args.timesteps)
    except RuntimeError as exc:  # a failed trial, or no Ray at ADDRESS: one line, the trials' folders stay
        raise VrexError(f"--ray: {exc}") from None
    for r in rows:
        print(
            f"{r['trial']}: seed {r['seed']} {r['hyperparameters'] or ''} score {r['score']:.3f}  "
            f"success {r['success_rate']:.1%}  expected escapes {r['expected_escape_rate']:.2%}  "
            f"shield/ep {r['shield_interventions']:.1f}  held/ep {r.get('held_raises', 0.0):.1f}"
        )
    print(json.dumps({"out": str(out), "sweep": str(Path(out) / "sweep.json")}))
    return 0
