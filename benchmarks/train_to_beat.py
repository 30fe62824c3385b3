"""Training wall time until the learned policy beats the best rule baseline (aim: < 15 min, 2 cores).

    python benchmarks/train_to_beat.py [--config adaptation/configs/ppo_default.yaml]
        [--timesteps N] [--eval-every N] [--episodes N] [--out out/bench/train_to_beat] [--json OUT]

1. Baselines. The rule controllers ``fixed``, ``suds``, ``threshold`` and ``balan`` are run
   with ``adaptation.evaluate.run_episodes`` on exactly the people training evaluates on:
   ``cfg.evaluation['episodes']`` drawn from the config's population with
   ``default_rng(cfg.evaluation['seed'])``, run with seed ``evaluation.seed + 1``, the config's
   session and shield (what ``adaptation._training`` does for the policy). Timed apart.
2. Training. ``adaptation.train.train`` on the config as ``vrex train`` runs it (n_envs,
   torch threads, evaluation every ``every_timesteps``), all cores the machine gives it.
   Afterwards ``evaluations.csv`` (timesteps, wall_s, success_rate, escape_rate, … per
   evaluation of the greedy policy) is read, and the first row that **beats** the
   baselines is found: success_rate above the best baseline's, escape_rate no higher
   than the lowest baseline escape rate, expected_escape_rate no higher than the lowest
   baseline's (where the run records it) and at most 10 shield interventions per session
   (issue 15). ``--ray [ADDRESS] --seeds S1,S2`` trains those seeds side by side on Ray
   Tune (``adaptation.sweep``) and reports the trial that beat first.

Reported: that row's ``wall_s`` (from the start of learning, evaluations included: they
are part of training's wall time), the same plus model setup (``time_to_beat_s``), the
baselines' cost, total training wall time, steps per second, torch threads and cores.
``--timesteps``, ``--eval-every`` and ``--episodes`` override the config for a quick
check; a run with fewer timesteps or evaluation episodes than the config is marked
``"smoke": true`` (``--smoke`` forces it): its time is not the benchmark's answer.

A full run is ``python benchmarks/train_to_beat.py`` on an otherwise idle machine (the
default config trains 1 000 000 steps); the JSON records the load average and any other
``vrex train`` processes seen.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import machine_info, training_runs, write_result  # noqa: E402

BASELINES = ("fixed", "suds", "threshold", "balan")
AIM_S = 15 * 60


def baselines(cfg, names: list[str]) -> tuple[dict, dict]:
    """Each rule controller on training's evaluation people; (results, seconds per name)."""
    from adaptation.evaluate import controller_factory, run_episodes

    ev = cfg.evaluation
    params = cfg.load_population().sample(ev["episodes"], np.random.default_rng(ev["seed"]))
    results, seconds = {}, {}
    for name in names:
        t0 = time.perf_counter()
        ep = run_episodes(controller_factory(name), params, seed=ev["seed"] + 1, config=cfg.session, shield=cfg.shield)
        seconds[name] = round(time.perf_counter() - t0, 2)
        results[name] = {
            "success_rate": float(ep.success.mean()),
            "escape_rate": float(ep.escaped.mean()),
            "expected_escape_rate": float(ep.escape_risk.mean()),
            "shield_interventions": float(ep.interventions.mean()),
            "held_raises": float(ep.held_raises.mean()) if ep.held_raises is not None else 0.0,
            "mean_top_level": float(ep.top_level.mean()),
            "time_in_band": float(ep.time_in_band.mean()),
        }
        print(
            f"  baseline {name:<10} success {results[name]['success_rate']:6.1%}  "
            f"escape {results[name]['escape_rate']:6.1%}  ({seconds[name]:.1f} s)",
            flush=True,
        )
    return results, seconds


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return [
            {k: (float(v) if k != "timesteps" else int(float(v))) for k, v in row.items()} for row in csv.DictReader(fh)
        ]


MAX_INTERVENTIONS = 10.0  # issue 15's criterion: shield interventions per session


def beats(row: dict, best_success: float, lowest_escape: float, lowest_expected: float | None = None) -> bool:
    """Success above the best baseline's, escapes no more than the safest baseline's — observed
    and, where the row has them (training runs since issue 15), expected — and at most
    ``MAX_INTERVENTIONS`` shield interventions per session."""
    ok = row["success_rate"] > best_success and row["escape_rate"] <= lowest_escape + 1e-12
    if lowest_expected is not None and "expected_escape_rate" in row:
        ok = ok and row["expected_escape_rate"] <= lowest_expected + 1e-12
    if "shield_interventions" in row and row["shield_interventions"] == row["shield_interventions"]:
        ok = ok and row["shield_interventions"] <= MAX_INTERVENTIONS
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--config",
        type=Path,
        default=None,
        help="training config (default adaptation/configs/ppo_default.yaml; with --from-run, the run's copy)",
    )
    ap.add_argument("--timesteps", type=int, help="override total_timesteps")
    ap.add_argument("--eval-every", type=int, help="override evaluation.every_timesteps")
    ap.add_argument("--episodes", type=int, help="override evaluation.episodes (baselines use the same people)")
    ap.add_argument(
        "--baselines", default=",".join(BASELINES), help=f"rule controllers (default {','.join(BASELINES)})"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "train_to_beat", help="training output folder")
    ap.add_argument("--smoke", action="store_true", help="mark the result as a smoke test whatever the budget")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "train_to_beat_cpu.json")
    ap.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="train --seeds side by side on Ray (adaptation.sweep); time to beat is the first trial's",
    )
    ap.add_argument(
        "--seeds", default=None, help="with --ray: seeds to train at once (default: 2 seeds from the config's)"
    )
    ap.add_argument(
        "--from-run",
        type=Path,
        metavar="DIR",
        help="do not train: judge a finished `vrex train` run (its config.yaml, summary.json, "
        "evaluations.csv) against the baselines on the same evaluation people",
    )
    args = ap.parse_args()
    for flag in ("timesteps", "eval_every", "episodes"):
        v = getattr(args, flag)
        if v is not None and v < 1:
            ap.error(f"--{flag.replace('_', '-')} {v}: expected a positive number")

    from adaptation.train import load_config, train

    if args.from_run:
        # the run's own copy, unless its relative paths (warm_start, start_from) need the original's place
        args.config = args.config or args.from_run / "config.yaml"
        args.out = args.from_run
    args.config = args.config or ROOT / "adaptation" / "configs" / "ppo_default.yaml"
    cfg = load_config(args.config)
    configured = {"total_timesteps": cfg.total_timesteps, **cfg.evaluation}
    if args.eval_every:
        cfg.evaluation["every_timesteps"] = args.eval_every
    if args.episodes:
        cfg.evaluation["episodes"] = args.episodes
    timesteps = args.timesteps or cfg.total_timesteps
    smoke = bool(
        args.smoke or timesteps < configured["total_timesteps"] or cfg.evaluation["episodes"] < configured["episodes"]
    )
    load_before = [round(x, 2) for x in os.getloadavg()]
    others = training_runs()
    if others:
        print(f"note: {len(others)} other training run(s) active; timings will be slow:\n  " + "\n  ".join(others))

    names = [n for n in args.baselines.split(",") if n]
    print(f"baselines on {cfg.evaluation['episodes']} evaluation people (seed {cfg.evaluation['seed']}):", flush=True)
    t0 = time.perf_counter()
    base, base_s = baselines(cfg, names)
    baseline_wall = time.perf_counter() - t0
    best_name = max(base, key=lambda k: (base[k]["success_rate"], -base[k]["escape_rate"]))
    best_success = base[best_name]["success_rate"]
    lowest_escape = min(r["escape_rate"] for r in base.values())
    lowest_expected = min(r["expected_escape_rate"] for r in base.values())
    print(
        f"to beat: success > {best_success:.1%} ({best_name}) with escape ≤ {lowest_escape:.1%}, expected "
        f"escapes ≤ {lowest_expected:.2%} and ≤ {MAX_INTERVENTIONS:g} shield interventions per session",
        flush=True,
    )

    print(
        f"training {timesteps:,} steps, evaluating every {cfg.evaluation['every_timesteps']:,} "
        f"on {cfg.evaluation['episodes']} people → {args.out}",
        flush=True,
    )
    t0 = time.perf_counter()
    if args.from_run:
        summary = json.loads((args.from_run / "summary.json").read_text())
        timesteps = summary["total_timesteps"]
    elif args.ray:
        from adaptation.sweep import run_sweep

        seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [cfg.seed, cfg.seed + 1]
        trials = run_sweep(cfg, args.out, address=args.ray, seeds=seeds, total_timesteps=timesteps)
        # the trial that beat first (by its own wall clock; they all started together)
        judged = []
        for t in trials:
            t_rows = read_rows(args.out / t["trial"] / "evaluations.csv")
            t_hit = next((r for r in t_rows if beats(r, best_success, lowest_escape, lowest_expected)), None)
            judged.append((t_hit["wall_s"] if t_hit else float("inf"), t["trial"]))
        args.out = args.out / min(judged)[1]
        summary = json.loads((args.out / "summary.json").read_text())
    else:
        summary = train(cfg, args.out, progress=False, total_timesteps=timesteps)
    train_call_s = summary["wall_s"] if args.from_run else time.perf_counter() - t0
    load_after_train = [round(x, 2) for x in os.getloadavg()]
    rows = read_rows(args.out / "evaluations.csv")
    hit = next((r for r in rows if beats(r, best_success, lowest_escape, lowest_expected)), None)
    # learn() started after building the env and model: setup ≈ summary wall − last evaluation's wall_s
    setup_s = max(summary["wall_s"] - rows[-1]["wall_s"], 0.0) if rows else None

    # what one evaluation of the policy costs (it is inside the training wall time)
    from adaptation.evaluate import run_episodes
    from adaptation.policy import NumpyPolicy, PolicyController

    policy = NumpyPolicy.load(args.out / "final.npz")
    ev = cfg.evaluation
    params = cfg.load_population().sample(ev["episodes"], np.random.default_rng(ev["seed"]))
    t1 = time.perf_counter()
    run_episodes(lambda: PolicyController(policy), params, seed=ev["seed"] + 1, config=cfg.session, shield=cfg.shield)
    eval_s = time.perf_counter() - t1

    import torch

    info = machine_info()
    info["load_average_before"] = load_before
    info["load_average_after_training"] = load_after_train
    info["other_training_runs_at_start"] = others
    out = {
        "benchmark": "train_to_beat",
        "smoke": smoke,
        "machine": info,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "config": str(args.config.resolve().relative_to(ROOT))
        if args.config.resolve().is_relative_to(ROOT)
        else str(args.config),
        "configured": configured,
        "used": {"total_timesteps": timesteps, **cfg.evaluation},
        "n_envs": cfg.n_envs,
        "torch_threads_config": cfg.threads,
        "torch_threads_after": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "aim_s": AIM_S,
        "baselines": base,
        "baseline_seconds": base_s,
        "baselines_wall_s": round(baseline_wall, 2),
        "criterion": {
            "best_baseline": best_name,
            "success_rate_above": best_success,
            "escape_rate_at_most": lowest_escape,
            "expected_escape_rate_at_most": lowest_expected,
            "shield_interventions_at_most": MAX_INTERVENTIONS,
        },
        "ray": args.ray,
        "evaluations": rows,
        "beaten": hit is not None,
        "beaten_at_timesteps": hit["timesteps"] if hit else None,
        "beaten_at_wall_s": hit["wall_s"] if hit else None,
        "setup_s": round(setup_s, 1) if setup_s is not None else None,
        "time_to_beat_s": round(hit["wall_s"] + (setup_s or 0.0), 1) if hit else None,
        "meets_aim": bool(hit and hit["wall_s"] + (setup_s or 0.0) < AIM_S),
        "training_wall_s": summary["wall_s"],
        "train_call_wall_s": round(train_call_s, 1),
        "steps_per_s": summary["steps_per_s"],
        "evaluations_run": len(rows),
        "one_policy_evaluation_s": round(eval_s, 2),
        "evaluation_share_of_training_est": round(min(len(rows) * eval_s / summary["wall_s"], 1.0), 3),
        "best_row": summary["best"],
        "out": str(args.out),
    }

    print(f"\n{'timesteps':>10} {'wall_s':>8} {'success':>8} {'escape':>7}  beats?")
    for r in rows:
        print(
            f"{r['timesteps']:>10,} {r['wall_s']:>8.1f} {r['success_rate']:>8.1%} {r['escape_rate']:>7.1%}  "
            f"{'yes' if beats(r, best_success, lowest_escape, lowest_expected) else 'no'}"
        )
    if hit:
        print(
            f"beat {best_name} ({best_success:.1%}, escape ≤ {lowest_escape:.1%}) at {hit['timesteps']:,} steps, "
            f"{out['time_to_beat_s']:.0f} s of training (aim {AIM_S} s: {'met' if out['meets_aim'] else 'NOT met'})"
        )
    else:
        print(f"did not beat {best_name} ({best_success:.1%}, escape ≤ {lowest_escape:.1%}) in {timesteps:,} steps")
    print(
        f"training {summary['wall_s']:.0f} s, {summary['steps_per_s']:.0f} steps/s (evaluations included; "
        f"one evaluation ≈ {eval_s:.1f} s × {len(rows)}), baselines {baseline_wall:.1f} s, "
        f"torch threads {cfg.threads}, {os.cpu_count()} cores{'  [SMOKE RUN]' if smoke else ''}"
    )
    print(
        f"load average before {load_before}, after training {load_after_train}"
        + (f"; other training runs: {len(others)}" if others else "")
    )
    write_result(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
