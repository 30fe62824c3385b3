"""Issue 4's done-when, measured: the shipped policy against every rule baseline on seeds the tests do not use.

    python benchmarks/policy_vs_baselines.py [--seeds 12007,23011,34019,45061,56081] [--episodes 500]
        [--policy PATH] [--populations default,more_afraid,...] [--ray [ADDRESS]] [--json OUT]
        [--baselines-from EARLIER.json]

Issue 15: by default every built-in population (``default`` and the five shifted ones in
``adaptation/populations/``) on five seeds no earlier figure used (wave 1 used 3031, 5101,
6067, 7001 and 8009; the shield's limits were chosen on 11–13, 2026 and 4049), each person
drawing from their own seed stream (``adaptation.streams``). Pooled figures carry 95 %
intervals over the pooled people (Clopper–Pearson for observed rates, a bootstrap over
people for the expected escape rate). The JSON is written after each population, with
``complete: false`` until the last one is done, so a run cut short keeps what it finished
and says so.

For each seed, every controller (fixed, suds, threshold, balan, policy) runs on the same
``--episodes`` simulated people behind today's default shield (``adaptation.evaluate.evaluate``,
what ``vrex evaluate`` runs). The criteria, per seed:

- ``success``: the policy's ``success_rate`` is above every baseline's;
- ``escape``: its ``escape_rate`` is no higher than the lowest baseline's;
- ``violations``: ``invariant_violations`` is 0 for every controller;
- ``interventions``: the policy's ``shield_interventions`` are at most 10 per session
  (issue 15; the raises it held back itself, ``held_raises``, are reported beside them).

Escapes are rare (a few in a thousand sessions), so whether ``escape`` holds on one seed
of 500 people depends on who happened to flee. The result therefore also pools the seeds
and gives each controller's **expected** escapes (the simulator's escape probabilities
summed: what ``escape_rate`` estimates, without the luck) and, from them, the chance that a
fresh sample of ``--episodes`` people holds no escape at all (Poisson, exp(−expected)):
the chance the ``escape`` criterion is met against a baseline that itself escapes never.

The pooled expected escape rates of the policy and the lowest baseline are compared too,
and reported (not part of the exit status: the issue words the criterion per seed).

Exit status 1 when any criterion fails on any seed, so the run can fail; the JSON (in
``benchmarks/results/`` by default) holds every number and the machine it ran on.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # _machine, also when imported rather than run

from _machine import machine_info, write_result  # noqa: E402

BASELINES = ("fixed", "suds", "threshold", "balan")
SEEDS = "12007,23011,34019,45061,56081"  # new in issue 15: used by no test and no earlier figure
MAX_INTERVENTIONS = 10.0  # per session (issue 15)
POPULATIONS = "default,more_afraid,slow_habituation,under_reporting,physiology_atypical,noisy_sensors"
print = functools.partial(print, flush=True)  # progress shows in a log file as it happens


def judge(result: dict) -> dict[str, bool]:
    """The three criteria on one seed's ``evaluate`` result."""
    rows = {name: groups["all"] for name, groups in result["controllers"].items()}
    policy, base = rows["policy"], [rows[b] for b in BASELINES]
    return {
        "success": all(policy["success_rate"] > b["success_rate"] for b in base),
        "escape": policy["escape_rate"] <= min(b["escape_rate"] for b in base),
        "violations": all(r["invariant_violations"] == 0 for r in rows.values()),
        "interventions": policy["shield_interventions"] <= MAX_INTERVENTIONS,
    }


def pool(results: list[dict], episodes: int) -> dict[str, dict]:
    """Per controller over every seed: sessions, successes, escapes, expected escapes, and
    the chance of no escape in a fresh sample of ``episodes`` sessions."""
    out = {}
    for name in results[0]["controllers"]:
        rows = [r["controllers"][name]["all"] for r in results]
        n = sum(r["n"] for r in rows)
        expected = sum(r["expected_escape_rate"] * r["n"] for r in rows)
        out[name] = {
            "sessions": n,
            "success_rate": sum(r["success_rate"] * r["n"] for r in rows) / n,
            "escapes": round(sum(r["escape_rate"] * r["n"] for r in rows)),
            "expected_escapes": expected,
            "expected_escape_rate": expected / n,
            "shield_interventions": sum(r["shield_interventions"] * r["n"] for r in rows) / n,
            "held_raises": sum(r.get("held_raises", 0.0) * r["n"] for r in rows) / n,
            f"p_no_escape_in_{episodes}": math.exp(-expected / n * episodes),
        }
    return out


def pooled_intervals(episodes: dict[str, list]) -> dict[str, dict]:
    """Per controller: the rates and their 95 % intervals over every seed's people together."""
    import numpy as np

    from adaptation.evaluate import Episodes, summarise

    out = {}
    for name, parts in episodes.items():
        ep = Episodes.concat(parts)
        row = summarise(ep, np.ones(len(ep.success), bool), seed=0)
        out[name] = {k: row[k] for k in ("n", "success_rate", "success_rate_ci", "escape_rate", "escape_rate_ci")}
        out[name] |= {k: row[k] for k in ("expected_escape_rate", "expected_escape_rate_ci")}
    return out


def fingerprint(population, seed: int, episodes: int) -> str:
    """What the baselines' numbers depend on besides the code: the people drawn (the
    population file's content, not its name) and the shield's and session's settings."""
    import hashlib

    import numpy as np

    from adaptation.shield import ShieldConfig
    from adaptation.sim import SessionConfig

    h = hashlib.sha256()
    params = population.sample_people(seed, range(episodes))
    for name in sorted(params):
        h.update(name.encode())
        h.update(np.ascontiguousarray(params[name], np.float64).tobytes())
    h.update(repr((ShieldConfig(), SessionConfig())).encode())  # what evaluate() runs with
    return h.hexdigest()[:16]


def earlier_baselines(doc: dict | None, population: str, seed: int, episodes: int) -> dict | None:
    """The rule baselines' rows for ``population`` and ``seed`` from an earlier run of this
    benchmark (``--baselines-from``), or None without one. The rule controllers do not read
    the policy or the shield's verdict on a raise (tests/adaptation/test_raise_mask.py), so
    on the same seeds and people their numbers are the same — provided the earlier run's
    code simulated them as today's does: use it for a policy compared within one commit's
    code, not across changes to the simulator or the shield (a file from another commit
    differed here by up to 0.2 points of success). The people and settings are checked by
    ``fingerprint`` (an earlier run without one: by the subgroup sizes); the code is not."""
    if doc is None:
        return None
    where = f"--baselines-from: population {population!r}, seed {seed}"
    if doc.get("episodes") != episodes:
        raise SystemExit(f"{where}: the earlier run had {doc.get('episodes')} people per seed, not {episodes}")
    try:
        row = doc["populations"][population]["per_seed"][str(seed)]
        controllers = row["controllers"]
        doc["populations"][population]["pooled"]
    except (KeyError, TypeError):
        raise SystemExit(f"{where}: not in the earlier run; run without --baselines-from") from None
    missing = [b for b in BASELINES if b not in controllers]
    if missing:
        raise SystemExit(f"{where}: the earlier run lacks {', '.join(missing)}")
    return row


def run_population(args, population, seeds: list[int], runner, earlier: dict | None = None) -> dict:
    """Every seed on one population: per-seed verdicts and results, pooled figures.
    ``earlier``: a previous run's JSON whose baseline rows are reused (``--baselines-from``)."""
    from adaptation.evaluate import evaluate, table

    results, verdicts, seconds, episodes = [], {}, {}, {}
    for seed in seeds:
        t0 = time.perf_counter()
        kept: dict = {}
        old = earlier_baselines(earlier, population.name, seed, args.episodes)
        mark = fingerprint(population, seed, args.episodes)
        if old and "fingerprint" in old and old["fingerprint"] != mark:  # refused before the run, not after
            raise SystemExit(
                f"--baselines-from: population {population.name!r}, seed {seed}: other people or settings than "
                "this run's (the population file's content, the shield's or the session's settings differ); "
                "run without --baselines-from"
            )
        r = evaluate(
            ["policy"] if old else [*BASELINES, "policy"],
            population,
            args.episodes,
            seed,
            policy_path=args.policy,
            runner=runner,
            shard_count=1 if runner is None else 2 * runner.workers,
            episodes_out=kept,
        )
        seconds[seed] = round(time.perf_counter() - t0, 1)
        r["fingerprint"] = mark
        if old:
            if old.get("subgroup_sizes") != r["subgroup_sizes"]:
                raise SystemExit(
                    f"--baselines-from: population {population.name!r}, seed {seed}: other people than this run's "
                    f"(subgroup sizes {old['subgroup_sizes']} vs {r['subgroup_sizes']})"
                )
            r["controllers"] = {**{b: old["controllers"][b] for b in BASELINES}, **r["controllers"]}
        results.append(r)
        verdicts[seed] = judge(r)
        for name, ep in kept.items():
            episodes.setdefault(name, []).append(ep)
        print(
            f"{population.name}, seed {seed} ({seconds[seed]} s)\n{table(r)}\n criteria: "
            + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in verdicts[seed].items())
            + "\n"
        )
    pooled = pool(results, args.episodes)
    intervals = pooled_intervals(episodes)
    if earlier is not None:  # the baselines' pooled intervals come with their rows
        intervals |= {b: earlier["populations"][population.name]["pooled"][b] for b in BASELINES}
    for name in pooled:
        pooled[name] |= {k: v for k, v in intervals[name].items() if k.endswith("_ci")}
    print(f"{population.name}, pooled over seeds {seeds} (95 % intervals):")
    for name, p in pooled.items():
        lo, hi = p["success_rate_ci"]
        elo, ehi = p["expected_escape_rate_ci"]
        print(
            f"  {name:<10} success {p['success_rate']:6.1%} [{lo:.1%}–{hi:.1%}]  escapes {p['escapes']:3d}  "
            f"expected {p['expected_escapes']:6.2f} ({p['expected_escape_rate']:.3%} [{elo:.3%}–{ehi:.3%}])  "
            f"P(no escape in {args.episodes}) {p[f'p_no_escape_in_{args.episodes}']:.0%}  "
            f"shield/session {p['shield_interventions']:.1f} (held raises {p['held_raises']:.1f})"
        )
    lowest = min(pooled[b]["expected_escape_rate"] for b in BASELINES)
    expected_ok = pooled["policy"]["expected_escape_rate"] <= lowest
    print(
        f"pooled expected escape rate: policy {pooled['policy']['expected_escape_rate']:.3%} vs the lowest "
        f"baseline's {lowest:.3%} ({'no higher' if expected_ok else 'HIGHER'}; reported, not part of the exit status)\n"
    )
    return {
        "all_criteria_met": all(all(v.values()) for v in verdicts.values()),
        "criteria": {str(s): v for s, v in verdicts.items()},
        "pooled": pooled,
        "pooled_expected_escape_rate_no_higher_than_lowest_baseline": expected_ok,
        "seconds": seconds,
        "per_seed": {
            str(r["seed"]): {
                "subgroup_sizes": r["subgroup_sizes"],
                "fingerprint": r["fingerprint"],
                "controllers": r["controllers"],
            }
            for r in results
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--seeds",
        default=SEEDS,
        help=f"comma-separated seeds (default {SEEDS}: no test uses them, none was used to tune the "
        "shield's rules, and none gave an earlier published figure)",
    )
    ap.add_argument("--episodes", type=int, default=500, help="people per controller and seed (default 500)")
    ap.add_argument("--policy", help="policy .npz (default: the shipped one)")
    ap.add_argument(
        "--populations",
        "--population",
        default=POPULATIONS,
        help=f"comma-separated population YAMLs or built-in names (default {POPULATIONS})",
    )
    ap.add_argument(
        "--ray", nargs="?", const="", default=None, metavar="ADDRESS", help="run shards on Ray (see vrex evaluate)"
    )
    ap.add_argument("--workers", type=int, default=2, help="CPUs of a local Ray (default 2)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "policy_vs_baselines_cpu.json")
    ap.add_argument(
        "--baselines-from",
        type=Path,
        metavar="JSON",
        help="reuse the rule baselines' results of an earlier run of this benchmark on the same seeds and "
        "people, made by the same code (run the policy only; the JSON says where they came from)",
    )
    args = ap.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--seeds {args.seeds!r}: expected whole numbers separated by commas, e.g. 3031,5101")
    if not seeds or args.episodes < 1:
        ap.error("give at least one seed and --episodes ≥ 1")
    if min(seeds) < 0 or len(set(seeds)) != len(seeds):
        ap.error(f"--seeds {args.seeds!r}: each seed once, none negative (numpy's generators take 0 and up)")

    from adaptation.errors import AdaptationError
    from adaptation.evaluate import controller_factory
    from adaptation.population import Population

    names = [n.strip() for n in args.populations.split(",") if n.strip()]
    try:  # a bad population or policy: say so before any run
        populations = [Population.named_or_file(n) for n in names]
        controller_factory("policy", args.policy)
    except AdaptationError as exc:
        ap.error(str(exc))
    earlier = None
    if args.baselines_from is not None:
        import json

        try:
            earlier = json.loads(args.baselines_from.read_text())
        except (OSError, ValueError) as exc:
            ap.error(f"--baselines-from {args.baselines_from}: cannot read it ({exc})")
        if not (isinstance(earlier, dict) and isinstance(earlier.get("populations"), dict)):
            ap.error(f"--baselines-from {args.baselines_from}: not a result of this benchmark (no 'populations')")
        # the baselines' pooled intervals are copied whole: they must pool the same seeds
        if sorted(earlier.get("seeds") or []) != sorted(seeds):
            ap.error(
                f"--baselines-from {args.baselines_from}: the earlier run had seeds {earlier.get('seeds')}, "
                f"this one {seeds}; give the same --seeds"
            )
    runner = None
    if args.ray is not None:
        from adaptation.distributed import RayRunner

        runner = RayRunner(args.ray or None, workers=args.workers)
    doc: dict = {
        "benchmark": "policy_vs_baselines",
        "seeds": seeds,
        "episodes": args.episodes,
        "policy": args.policy or "shipped",
        "seed_streams": "per person (adaptation.streams): parameters SeedSequence(seed, (i,)), noise (seed + 1, (i,))",
        "ray": None if runner is None else {"address": args.ray or "local", "cpus": runner.workers},
        "baselines_from": None if earlier is None else str(args.baselines_from),
        "complete": False,
        "populations": {},
    }
    try:
        for population in populations:
            doc["populations"][population.name] = run_population(args, population, seeds, runner, earlier)
            doc["all_criteria_met"] = all(p["all_criteria_met"] for p in doc["populations"].values())
            doc["complete"] = len(doc["populations"]) == len(populations)
            write_result(args.json, {**doc, "machine": machine_info()})
    finally:
        if runner is not None:
            runner.close()
    ok = doc["all_criteria_met"]
    for name, p in doc["populations"].items():
        print(f"{name}: {'every criterion met on every seed' if p['all_criteria_met'] else 'a criterion is NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
