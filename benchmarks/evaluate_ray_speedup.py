"""``vrex evaluate --ray`` on this machine: serial against a local 2-worker Ray, same people.

    python benchmarks/evaluate_ray_speedup.py [--episodes 200] [--controllers fixed,balan,policy]
        [--workers 2] [--json OUT]

Runs ``adaptation.evaluate.evaluate`` once serially and once through ``RayRunner`` (a local
Ray with ``--workers`` CPUs, 2 shards per worker), checks that both results are identical,
and records wall time, this process's CPU time and the load average around each. Ray's
start-up (``ray.init``) is timed apart: it is paid once per ``vrex evaluate`` call, not per
population. On a machine shared with other work the speed-up is whatever the other load
leaves: read it with the load averages beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import machine_info, write_result  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--controllers", default="fixed,balan,policy")
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "evaluate_ray_speedup_cpu.json")
    args = ap.parse_args(argv)

    from adaptation.distributed import RayRunner
    from adaptation.evaluate import evaluate
    from adaptation.population import Population

    names = [n for n in args.controllers.split(",") if n]
    population = Population.builtin("default")
    cases = {}

    load0 = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    serial = evaluate(names, population, args.episodes, args.seed)
    cases["serial"] = {
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s_this_process": round(time.process_time() - c0, 2),
        "load_before": load0,
        "load_after": os.getloadavg(),
    }
    print(f"serial: {cases['serial']['wall_s']} s", flush=True)

    load0 = os.getloadavg()
    t0 = time.perf_counter()
    with RayRunner(workers=args.workers) as runner:
        init_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        sharded = evaluate(names, population, args.episodes, args.seed, runner=runner, shard_count=2 * runner.workers)
        run_s = time.perf_counter() - t1
    cases[f"ray_{args.workers}_workers"] = {
        "init_s": round(init_s, 2),
        "wall_s": round(run_s, 2),
        "wall_s_with_init": round(init_s + run_s, 2),
        "load_before": load0,
        "load_after": os.getloadavg(),
    }
    same = json.dumps(serial, sort_keys=True) == json.dumps(sharded, sort_keys=True)
    ray_case = cases[f"ray_{args.workers}_workers"]
    speedup = cases["serial"]["wall_s"] / ray_case["wall_s"]
    speedup_init = cases["serial"]["wall_s"] / ray_case["wall_s_with_init"]
    print(
        f"ray ({args.workers} workers): init {ray_case['init_s']} s, run {ray_case['wall_s']} s; "
        f"speed-up {speedup:.2f}× ({speedup_init:.2f}× counting start-up); identical results: {same}"
    )
    write_result(
        args.json,
        {
            "benchmark": "evaluate_ray_speedup",
            "episodes": args.episodes,
            "controllers": names,
            "seed": args.seed,
            "cases": cases,
            "speedup": round(speedup, 2),
            "speedup_with_init": round(speedup_init, 2),
            "identical_results": same,
            "machine": machine_info(),
        },
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
