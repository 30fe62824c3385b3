"""Wall time of ``vrex --help`` and ``vrex --version`` as a user starts them (issue 12).

    python benchmarks/cli_startup.py [--runs 10] [--vrex .venv/bin/vrex] [--json OUT]

Each case is the venv's ``vrex`` script run ``--runs`` times as a fresh process (stdout to
/dev/null), timed from ``Popen`` to exit with ``time.perf_counter``; the cases take turns
so that drift in the machine's load falls on all of them alike. ``python -c pass`` is timed
the same way: the interpreter's own start, which no change to vrex can remove. Goal: both
commands within 0.3 s, judged on the median (the max is reported too: on a loaded machine
even ``python -c pass`` has been seen above 0.3 s). For each command one more run under ``-X
importtime`` records how many modules it imported and whether any heavy one (numpy, scipy,
panda3d, pylsl, fastapi, matplotlib, torch) was among them.

Reported: median, max and min seconds per case, and the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import machine_info, write_result  # noqa: E402

GOAL_S = 0.3
HEAVY = ("numpy", "scipy", "panda3d", "pylsl", "fastapi", "matplotlib", "torch")
CASES = {"vrex --help": ["--help"], "vrex --version": ["--version"]}


def timed_run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - start


def imports(vrex: Path, args: list[str]) -> dict:
    """Top-level modules one run imports (``-X importtime`` on stderr), and the heavy ones."""
    python = vrex.parent / "python"
    r = subprocess.run(
        [str(python), "-X", "importtime", str(vrex), *args], capture_output=True, text=True, cwd=ROOT, check=True
    )
    names = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    names.discard("imported package")  # the header line
    return {"modules": len(names), "heavy": sorted({m.split(".")[0] for m in names} & set(HEAVY))}


def summary(seconds: list[float]) -> dict:
    return {
        "runs": len(seconds),
        "median_s": round(statistics.median(seconds), 4),
        "max_s": round(max(seconds), 4),
        "min_s": round(min(seconds), 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10, help="runs per case (default 10)")
    ap.add_argument("--vrex", type=Path, default=ROOT / ".venv" / "bin" / "vrex", help="the vrex script to time")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "cli_startup_cpu.json")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs: give at least 1")
    if not args.vrex.is_file():
        ap.error(f"--vrex {args.vrex}: no such script — install the venv (run.sh) or give its path")
    python = args.vrex.parent / "python"
    cases = {name: [str(args.vrex), *argv] for name, argv in CASES.items()}
    cases["python -c pass"] = [str(python), "-c", "pass"]
    for cmd in cases.values():  # warm the file cache once, untimed
        timed_run(cmd)
    load_before = [round(x, 2) for x in os.getloadavg()]
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, cmd in cases.items():
            times[name].append(timed_run(cmd))
    result = {
        "benchmark": "cli_startup",
        "machine": machine_info(),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "goal_s": GOAL_S,
        "cases": {name: summary(t) for name, t in times.items()},
        "imports": {name: imports(args.vrex, argv) for name, argv in CASES.items()},
    }
    for name, s in result["cases"].items():
        print(f"{name:16} median {s['median_s']:.3f} s  max {s['max_s']:.3f} s  min {s['min_s']:.3f} s")
    for name, s in result["imports"].items():
        print(f"{name:16} {s['modules']} modules imported; heavy: {', '.join(s['heavy']) or 'none'}")
    write_result(args.json, result)
    met = all(result["cases"][n]["median_s"] <= GOAL_S for n in CASES) and not any(
        s["heavy"] for s in result["imports"].values()
    )
    print(f"goal (median ≤ {GOAL_S} s, no heavy imports): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
