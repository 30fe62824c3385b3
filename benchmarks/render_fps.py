"""Frames per second of each scenario at its highest level, offscreen, every frame read back.

    python benchmarks/render_fps.py [--size 1280x720] [--seconds 5] [--json OUT]

Each (scenario, renderer) pair runs in its own process, because Panda3D allows one
ShowBase per process. A frame is: the scene runner's tick (easing, bindings, motion),
rendering, and copying the frame into a numpy array — so the number is real, not a
count of frames the GPU might have skipped.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DISPLAYS = ("p3headlessgl", "p3tinydisplay")


def measure(scenario: str, display: str, size: tuple[int, int], seconds: float) -> dict:
    import numpy as np
    from engine.app import FrameGrabber, SceneRunner, open_base, renderer_name
    from engine.easing import IntensityDriver
    from engine.scene import Scene
    from engine.scenario import load_scenario

    spec = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml")
    base = open_base(offscreen=True, size=size, display=display)
    renderer = renderer_name(base)
    top = spec.levels[-1].intensity
    scene = Scene(spec, base.render)
    runner = SceneRunner(scene, IntensityDriver(spec.comfort, spec.calm, start=top), base)
    runner.stop()
    grabber = FrameGrabber(base)
    dt = 1 / 60
    for _ in range(10):                      # warm-up: shaders, textures, first uploads
        runner.tick(dt)
        base.graphicsEngine.renderFrame()
    times = []
    checksum = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        runner.tick(dt)
        base.graphicsEngine.renderFrame()
        frame = grabber.grab()
        checksum += int(frame[::97, ::89].sum())        # use the pixels so nothing is skipped
        times.append(time.perf_counter() - t0)
    base.destroy()
    ms = np.array(times) * 1000
    return {"scenario": scenario, "display": display, "renderer": renderer, "size": f"{size[0]}x{size[1]}",
            "level": spec.levels[-1].name, "frames": len(times), "fps": round(len(times) / sum(times), 1),
            "ms_p50": round(float(np.percentile(ms, 50)), 2), "ms_p95": round(float(np.percentile(ms, 95)), 2),
            "checksum": checksum}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--scenarios", default="heights,spiders")
    parser.add_argument("--displays", default=",".join(DISPLAYS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--one", nargs=2, metavar=("SCENARIO", "DISPLAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], size, args.seconds)))
        return 0
    rows = []
    for scenario in args.scenarios.split(","):
        for display in args.displays.split(","):
            proc = subprocess.run([sys.executable, __file__, "--one", scenario, display, "--size", args.size,
                                   "--seconds", str(args.seconds)], capture_output=True, text=True)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode != 0 or not lines:
                rows.append({"scenario": scenario, "display": display, "error": proc.stderr.strip()[-300:]})
                continue
            rows.append(json.loads(lines[-1]))
    print(f"{'scenario':10} {'display':14} {'fps':>7} {'p50 ms':>8} {'p95 ms':>8}  renderer")
    for r in rows:
        if "error" in r:
            print(f"{r['scenario']:10} {r['display']:14} failed: {r['error']}")
        else:
            print(f"{r['scenario']:10} {r['display']:14} {r['fps']:7.1f} {r['ms_p50']:8.2f} {r['ms_p95']:8.2f}  {r['renderer']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": platform.platform(), "processor": platform.processor(),
                                         "results": rows}, indent=2) + "\n")
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
