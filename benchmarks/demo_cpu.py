"""CPU a real-time offscreen demo takes, and how steady its frames are (issue 12).

    python benchmarks/demo_cpu.py [--seconds 60] [--code DIR] [--label NAME] [--json OUT]

Runs ``vrex demo --speed 1`` offscreen as a user would (its own process; the renderer, the
recorder and the simulated patient's publisher are its children or threads), stops it with
Ctrl-C after ``--seconds`` of wall time, and reports the CPU time of the whole process tree
(user + system, from ``getrusage`` of the reaped children) as cores used, with the frame
rate and the longest gap between frames from the recording's ``vrex-frames`` stamps.
``--code DIR`` runs another checkout of vrex (e.g. ``git worktree add /tmp/before HEAD~1``)
with this venv, for a before/after on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    from _machine import machine_info, write_result

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="wall seconds the demo runs before Ctrl-C")
    ap.add_argument("--code", type=Path, default=ROOT, help="the vrex checkout to run (default: this one)")
    ap.add_argument("--label", default=None, help="name of this run in the JSON (default: the checkout's commit)")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more arguments for vrex demo")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "demo_cpu_cpu.json")
    args = ap.parse_args()
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=args.code, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    out = Path(tempfile.mkdtemp(prefix="vrex-demo-cpu-"))
    cmd = [
        sys.executable,
        "-m",
        "engine.cli",
        "demo",
        "--speed",
        "1",
        "--minutes",
        "30",
        "--baseline",
        "60",
        "--out",
        str(out),
        "--display",
        "offscreen",
        "--quiet",
        "--no-report",
        "--no-console",
        *args.extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.Popen(
        cmd,
        cwd=args.code,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(args.seconds)
    p.send_signal(signal.SIGINT)
    output, _ = p.communicate(timeout=120)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    folders = [d for d in (out / "demo").iterdir() if d.is_dir()] if (out / "demo").is_dir() else []
    if p.returncode != 0 or len(folders) != 1:
        print(output[-3000:])
        raise SystemExit(f"the demo failed (exit {p.returncode})")
    frames = frame_stats(folders[0] / "recording.xdf")
    run = {
        "commit": commit,
        "seconds_wall": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "cores_used": round(cpu / wall, 3),
        **frames,
    }
    label = args.label or commit
    result = json.loads(args.json.read_text()) if args.json.exists() else {}
    result.setdefault("runs", {})[label] = run
    result["machine"] = machine_info()
    print(f"{label}: {run}")
    write_result(args.json, result)
    return 0


def frame_stats(path: Path) -> dict:
    import numpy as np
    import pyxdf

    streams, _ = pyxdf.load_xdf(str(path), select_streams=[{"name": "vrex-frames"}])
    t = np.asarray(streams[0]["time_stamps"]) if streams else np.zeros(0)
    if t.size < 3:
        return {"frames": int(t.size)}
    gaps = np.diff(t)
    return {
        "frames": int(t.size),
        "fps": round(float(t.size / (t[-1] - t[0])), 1),
        "longest_gap_ms": round(float(gaps.max()) * 1000.0, 1),
        "gap_p99_ms": round(float(np.percentile(gaps, 99)) * 1000.0, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
