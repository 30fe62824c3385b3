"""Issue 4's done-when, measured: the shipped policy against every rule baseline on seeds the tests do not use.

    python benchmarks/policy_vs_baselines.py [--seeds 3031,5101,6067,7001,8009] [--episodes 500]
        [--policy PATH] [--population default] [--json OUT]

For each seed, every controller (fixed, suds, threshold, balan, policy) runs on the same
``--episodes`` simulated people behind today's default shield (``adaptation.evaluate.evaluate``,
what ``vrex evaluate`` runs). The criteria, per seed:

- ``success``: the policy's ``success_rate`` is above every baseline's;
- ``escape``: its ``escape_rate`` is no higher than the lowest baseline's;
- ``violations``: ``invariant_violations`` is 0 for every controller.

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
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # _machine, also when imported rather than run

from _machine import machine_info, write_result  # noqa: E402

BASELINES = ("fixed", "suds", "threshold", "balan")


def judge(result: dict) -> dict[str, bool]:
    """The three criteria on one seed's ``evaluate`` result."""
    rows = {name: groups["all"] for name, groups in result["controllers"].items()}
    policy, base = rows["policy"], [rows[b] for b in BASELINES]
    return {
        "success": all(policy["success_rate"] > b["success_rate"] for b in base),
        "escape": policy["escape_rate"] <= min(b["escape_rate"] for b in base),
        "violations": all(r["invariant_violations"] == 0 for r in rows.values()),
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
            f"p_no_escape_in_{episodes}": math.exp(-expected / n * episodes),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--seeds",
        default="3031,5101,6067,7001,8009",
        help="comma-separated seeds (default 3031,5101,6067,7001,8009: no test uses them, and "
        "none was used to tune the shield's rules)",
    )
    ap.add_argument("--episodes", type=int, default=500, help="people per controller and seed (default 500)")
    ap.add_argument("--policy", help="policy .npz (default: the shipped one)")
    ap.add_argument("--population", default="default", help="population YAML or built-in name")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "policy_vs_baselines_cpu.json")
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
    from adaptation.evaluate import controller_factory, evaluate, table
    from adaptation.population import Population

    try:  # a bad population or policy: say so before any run
        population = Population.named_or_file(args.population)
        controller_factory("policy", args.policy)
    except AdaptationError as exc:
        ap.error(str(exc))
    results, verdicts, seconds = [], {}, {}
    for seed in seeds:
        t0 = time.perf_counter()
        r = evaluate([*BASELINES, "policy"], population, args.episodes, seed, policy_path=args.policy)
        seconds[seed] = round(time.perf_counter() - t0, 1)
        results.append(r)
        verdicts[seed] = judge(r)
        print(
            f"seed {seed} ({seconds[seed]} s)\n{table(r)}\n criteria: "
            + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in verdicts[seed].items())
            + "\n"
        )
    pooled = pool(results, args.episodes)
    print(f"pooled over seeds {seeds}:")
    for name, p in pooled.items():
        print(
            f"  {name:<10} success {p['success_rate']:6.1%}  escapes {p['escapes']:3d}  expected "
            f"{p['expected_escapes']:6.2f} ({p['expected_escape_rate']:.3%})  "
            f"P(no escape in {args.episodes}) {p[f'p_no_escape_in_{args.episodes}']:.0%}"
        )
    lowest = min(pooled[b]["expected_escape_rate"] for b in BASELINES)
    expected_ok = pooled["policy"]["expected_escape_rate"] <= lowest
    print(
        f"pooled expected escape rate: policy {pooled['policy']['expected_escape_rate']:.3%} vs the lowest "
        f"baseline's {lowest:.3%} ({'no higher' if expected_ok else 'HIGHER'}; reported, not part of the exit status)"
    )
    ok = all(all(v.values()) for v in verdicts.values())
    write_result(
        args.json,
        {
            "benchmark": "policy_vs_baselines",
            "seeds": seeds,
            "episodes": args.episodes,
            "population": args.population,
            "policy": args.policy or "shipped",
            "all_criteria_met": ok,
            "criteria": {str(s): v for s, v in verdicts.items()},
            "pooled": pooled,
            "pooled_expected_escape_rate_no_higher_than_lowest_baseline": expected_ok,
            "seconds": seconds,
            "per_seed": {
                str(r["seed"]): {"subgroup_sizes": r["subgroup_sizes"], "controllers": r["controllers"]}
                for r in results
            },
            "machine": machine_info(),
        },
    )
    print("every criterion met on every seed" if ok else "a criterion is NOT met (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
