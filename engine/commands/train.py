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

    cfg = load_config(args.config)
    out = args.out or Path("out") / "train" / cfg.name
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
