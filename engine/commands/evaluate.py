"""``vrex evaluate``: every controller on the same simulated patients, per population and subgroup,
with 95 % intervals; ``--ray [ADDRESS]`` shards the people across Ray workers (same numbers)."""

from __future__ import annotations

import argparse
import functools
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


def _population_names(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one population, e.g. default,more_afraid")
    return names


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="compare controllers on simulated patients, per population (--populations A,B)",
        description="Run each controller on the same simulated patients (each decision "
        "through the safety shield) and print success, escape, expected escape (with 95 % "
        "intervals: Clopper-Pearson for observed rates, a bootstrap over people for expected "
        "ones), top level, time in band, shield interventions and invariant violations, per "
        "population and subgroup. Several populations: --populations default,more_afraid (or "
        "--population repeated); built-in names: adaptation/populations/. Large runs: --ray "
        "shards the people across a local Ray (or a cluster at ADDRESS) with the same numbers "
        "as a serial run.",
    )
    p.add_argument(
        "--controllers",
        type=_names,
        default=["fixed", "suds", "threshold", "balan", "policy"],
        help="comma-separated: fixed, suds, threshold, balan, policy (default: all)",
    )
    p.add_argument(
        "--population",
        action="append",
        default=None,
        metavar="NAME_OR_YAML",
        help="population YAML or built-in name; repeat for several (default: default)",
    )
    p.add_argument(
        "--populations",
        type=_population_names,
        default=None,
        metavar="A,B,...",
        help="comma-separated populations (built-in names or YAML files), each evaluated on its own "
        "people and reported on its own, e.g. default,more_afraid,noisy_sensors",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="shard the people across Ray workers (pip install 'vrex[scale]'): alone, a local Ray "
        "with --workers CPUs; with ADDRESS (HOST:PORT of a cluster's head, ray://HOST:10001, or "
        "auto), that cluster. Results equal the serial run's",
    )
    p.add_argument("--workers", type=int, default=2, help="CPUs of the local Ray (--ray without ADDRESS; default 2)")
    p.add_argument("--episodes", type=int, default=200, help="simulated sessions per controller (default 200)")
    p.add_argument("--seed", type=int, default=0, help="draws the people and their noise (default 0)")
    p.add_argument("--policy", type=Path, default=None, help="policy .npz for 'policy' (default: the shipped one)")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the full results as JSON")
    p.add_argument("--subgroups", action="store_true", help="print a table for every subgroup, not only 'all'")
    p.set_defaults(run=run)


def _progress(label: str, episodes: int, name: str) -> None:
    print(f"{label}running {name} on {episodes} patients…", file=sys.stderr)


def _populations(args: argparse.Namespace) -> list:
    """Every population named, loaded (and checked) before anything runs."""
    from adaptation.population import Population

    names = [*(args.population or []), *(args.populations or [])] or ["default"]
    loaded = [Population.named_or_file(name) for name in names]
    seen: dict[str, str] = {}
    for name, population in zip(names, loaded):
        if population.name in seen:
            raise VrexError(
                f"populations {seen[population.name]!r} and {name!r} are both named {population.name!r}; "
                "give each population once (its results are keyed by name)"
            )
        seen[population.name] = name
    return loaded


def run(args: argparse.Namespace) -> int:
    from adaptation.evaluate import evaluate, table

    if args.episodes < 1:
        raise VrexError(f"--episodes {args.episodes}: expected at least 1")
    if args.seed < 0:
        raise VrexError(f"--seed {args.seed}: expected a whole number ≥ 0")
    if args.workers < 1:
        raise VrexError(f"--workers {args.workers}: expected at least 1")
    populations = _populations(args)
    if args.json is not None and not args.json.parent.exists():
        raise VrexError(f"--json {args.json}: folder {args.json.parent} does not exist")
    runner = None
    if args.ray is not None:
        from adaptation.distributed import RayRunner

        print(f"starting Ray ({args.ray or f'local, {args.workers} CPUs'})…", file=sys.stderr)
        runner = RayRunner(args.ray or None, workers=args.workers)
    results = []
    try:
        for population in populations:
            started = time.perf_counter()
            label = f"{population.name}: " if len(populations) > 1 else ""
            try:
                result = evaluate(
                    args.controllers,
                    population,
                    args.episodes,
                    args.seed,
                    policy_path=args.policy,
                    progress=functools.partial(_progress, label, args.episodes),
                    runner=runner,
                    # shards of about 250 people, at least two per worker so none idles at the end
                    shard_count=1 if runner is None else max(2 * runner.workers, -(-args.episodes // 250)),
                )
            except ValueError as exc:
                if type(exc) is ValueError:  # a bad name; ConfigError and others keep their type
                    raise VrexError(str(exc)) from None
                raise
            result["wall_s"] = round(time.perf_counter() - started, 1)
            result["ray"] = None if runner is None else {"address": args.ray or "local", "cpus": runner.workers}
            results.append(result)
            for group in SUBGROUPS if args.subgroups else ("all",):
                print(table(result, group))
                print()
            bad = {name: ex for name, ex in result["violation_examples"].items() if ex}
            for name, examples in bad.items():
                print(f"{label}{name}: invariant violations, e.g. {examples[0]}", file=sys.stderr)
    finally:
        if runner is not None:
            runner.close()
    if args.json is not None:
        # one population: its result as before; several: {"populations": {name: result}}
        doc = results[0] if len(results) == 1 else {"populations": {r["population"]: r for r in results}}
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"results: {args.json}")
    return 0
