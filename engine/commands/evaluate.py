"""``vrex evaluate``: every controller on the same simulated patients, with subgroups."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from engine.errors import VrexError

SUBGROUPS = ("all", "eda_non_responders", "hr_decelerators", "high_baseline_arousal", "slow_habituators")


def _names(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one controller, e.g. fixed,suds,threshold,policy")
    return names


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="compare controllers on simulated patients",
        description="Run each controller on the same simulated patients (each decision "
        "through the safety shield) and print success, escape, top level, time "
        "in band, shield interventions and invariant violations, per subgroup.",
    )
    p.add_argument(
        "--controllers",
        type=_names,
        default=["fixed", "suds", "threshold", "balan", "policy"],
        help="comma-separated: fixed, suds, threshold, balan, policy (default: all)",
    )
    p.add_argument("--population", default="default", help="population YAML or built-in name (default: default)")
    p.add_argument("--episodes", type=int, default=200, help="simulated sessions per controller (default 200)")
    p.add_argument("--seed", type=int, default=0, help="draws the people and their noise (default 0)")
    p.add_argument("--policy", type=Path, default=None, help="policy .npz for 'policy' (default: the shipped one)")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the full results as JSON")
    p.add_argument("--subgroups", action="store_true", help="print a table for every subgroup, not only 'all'")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from adaptation.evaluate import evaluate, table
    from adaptation.population import Population

    if args.episodes < 1:
        raise VrexError(f"--episodes {args.episodes}: expected at least 1")
    if args.seed < 0:
        raise VrexError(f"--seed {args.seed}: expected a whole number ≥ 0")
    population = Population.named_or_file(args.population)
    if args.json is not None and not args.json.parent.exists():
        raise VrexError(f"--json {args.json}: folder {args.json.parent} does not exist")
    started = time.perf_counter()
    try:
        result = evaluate(
            args.controllers,
            population,
            args.episodes,
            args.seed,
            policy_path=args.policy,
            progress=lambda name: print(f"running {name} on {args.episodes} patients…", file=sys.stderr),
        )
    except ValueError as exc:
        if type(exc) is ValueError:  # a bad name; ConfigError and others keep their type
            raise VrexError(str(exc)) from None
        raise
    result["wall_s"] = round(time.perf_counter() - started, 1)
    for group in SUBGROUPS if args.subgroups else ("all",):
        print(table(result, group))
        print()
    bad = {name: ex for name, ex in result["violation_examples"].items() if ex}
    for name, examples in bad.items():
        print(f"{name}: invariant violations, e.g. {examples[0]}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"results: {args.json}")
    return 0
