"""Cost of the per-frame scene work (easing with comfort limits, bindings, motion), no rendering.

    python benchmarks/tick_cost.py

While intensity ramps, the driver evaluates the viewpoint pose for each candidate step (a
full ``Scene.apply`` each), so a frame costs several applies; when intensity is steady it
costs one motion update. Both are measured on each shipped scenario.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from engine.app import SceneRunner, open_base
    from engine.easing import IntensityDriver
    from engine.scenario import load_scenario
    from engine.scene import Scene

    base = open_base(offscreen=True, size=(64, 64), display="p3tinydisplay")
    print(f"{'scenario':10} {'state':8} {'frames':>6} {'median ms':>10} {'p95 ms':>8} {'applies/frame':>14}")
    for name in ("heights", "spiders"):
        spec = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        scene = Scene(spec, base.render)
        driver = IntensityDriver(spec.comfort, spec.calm)
        runner = SceneRunner(scene, driver, base)
        runner.stop()
        applies = 0
        original = scene.apply

        def counting(i: float, original=original) -> None:
            nonlocal applies
            applies += 1
            original(i)

        scene.apply = counting
        for state in ("ramping", "steady"):
            if state == "ramping":
                driver.set_target(1.0)
            else:
                driver.jump_to(1.0)
            times, applies = [], 0
            for _ in range(600):
                t0 = time.perf_counter()
                runner.tick(1 / 60)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            print(
                f"{name:10} {state:8} {len(times):6d} {statistics.median(times):10.3f} "
                f"{times[int(0.95 * len(times))]:8.3f} {applies / len(times):14.2f}"
            )
        runner.close()
        scene.destroy()
    base.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
