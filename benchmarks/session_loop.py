"""The closed loop's cost and latencies, in one run (issue 5).

    python benchmarks/session_loop.py [--size 640x360] [--display p3headlessgl] [--json OUT]

1. Frame time (p50, p99) of the heights scene at its highest level **without the loop**:
   the scene runner's tick and rendering only.
2. The same **with the loop**: a real session (simulated patient publishing ECG, PPG, EDA,
   respiration and RR over LSL at real time, ``sensors`` reading them, the shield and a
   controller, vrex's own outlets, the event log and LabRecorder writing the XDF) held at
   the highest level. The loop's cost per frame is the frame's total time minus the
   scene-and-render part of it.
3. **Ceiling → calmer frame**: a heart-rate surge is injected; from the LSL time stamp of
   the newest heart sample at the tick whose features first cross the ceiling (the sample
   that made it cross) to the end of the first frame rendered at a lower intensity.
   Also reported: from the surge's start, which adds the detectors' window.
4. **Stop → calm frame**: a stop command is put on the session's queue from another
   thread (as the console does) at a random moment; the time to the end of the first frame
   drawn with the calm veil, and how many frames that took (goal: the next frame).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def percentiles(values: list[float]) -> dict:
    import numpy as np
    a = np.asarray(values)
    return {"n": int(a.size), "p50_ms": round(float(np.percentile(a, 50)), 3),
            "p99_ms": round(float(np.percentile(a, 99)), 3), "max_ms": round(float(a.max()), 3)}


def unafraid(session) -> None:
    """Make the demo's person one the top level does not frighten: the scene must stay at the
    top (fear would make the shield lower it, or the person escape and end the exposure), so
    that only what a benchmark injects acts."""
    model = session.patient.model
    model.p["fear_max"][:] = model.p["arousal_rest"]
    model.p["escape_hazard"][:] = 0.0


class StayAtTarget:
    """Keeps whatever target the therapist set: the loop runs, the level stays."""

    name = "stay"

    def reset(self) -> None:
        pass

    def decide(self, obs):
        from adaptation.types import Decision
        return Decision(obs.target, "benchmark: stay", self.name)


def main() -> int:
    from _machine import machine_info, write_result
    from engine.commands.view import parse_size

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=parse_size, default=(640, 360))
    ap.add_argument("--display", choices=("p3headlessgl", "p3tinydisplay"), default=None)
    ap.add_argument("--seconds", type=float, default=20.0, help="frames measured per condition")
    ap.add_argument("--surges", type=int, default=3)
    ap.add_argument("--stops", type=int, default=10)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "session_loop_cpu.json")
    args = ap.parse_args()

    import tempfile
    from adaptation.live_patient import Surge
    from adaptation.shield import alarm
    from engine.app import renderer_name
    from engine.session.core import Mode
    from engine.session.launch import OpenSession, SessionOptions
    from engine.session.runner import Command
    from sensors import lsl

    out = Path(tempfile.mkdtemp(prefix="vrex-bench-"))
    opts = SessionOptions(scenario=ROOT / "scenarios" / "heights.yaml", patient="bench", mode=Mode.AUTO,
                          offscreen=True, display=args.display, size=args.size, root=out, speed=1.0, demo=True,
                          seed=2, baseline_s=25.0, exposure_s=3600.0, recovery_s=5.0, status=False)
    result: dict = {"machine": machine_info(), "size": list(args.size)}
    with OpenSession(opts, controller=StayAtTarget()) as s:
        runner, core, driver = s.runner, s.core, s.driver
        unafraid(s)
        result["renderer"] = renderer_name(s.base)
        s.begin()
        top = core.plan.levels[-1]

        def frames_for(seconds: float) -> tuple[list[float], list[float]]:
            totals, renders = [], []
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                n = len(runner.frame_ms)
                t0 = time.perf_counter()
                runner.step()
                totals.append((time.perf_counter() - t0) * 1000.0)
                renders.append(runner.frame_ms[n] if len(runner.frame_ms) > n else math.nan)
            return totals, renders

        def until(pred, limit: float) -> None:
            end = time.perf_counter() + limit
            while not pred():
                if time.perf_counter() > end:
                    why = alarm(core.observation(core.time, runner.features, driver.intensity), core.shield_config) \
                        if runner.features is not None else "no features yet"
                    raise SystemExit(f"benchmark: condition not reached in {limit} s (phase {core.phase.value}, "
                                     f"intensity {driver.intensity:.2f}, target {core.target:.2f}, "
                                     f"therapist {core.therapist.value}, shield alarm: {why or 'none'})")
                runner.step()

        print("baseline ...", flush=True)
        until(lambda: core.phase.value == "exposure", 120)
        print("to the top level ...", flush=True)
        runner.commands.put(Command("set_level", {"level": len(core.plan.levels)}))
        until(lambda: driver.intensity >= top - 1e-6, 60)
        print("frames with the loop ...", flush=True)
        totals, renders = frames_for(args.seconds)
        loop = [a - b for a, b in zip(totals, renders) if b == b]
        result["with_loop"] = {"frame": percentiles(totals), "scene_and_render": percentiles(renders),
                               "loop_cost_per_frame": percentiles(loop)}

        # 3. ceiling crossing → first frame at a lower intensity
        crossings = []
        ticked = core.tick

        def watch(now, features, shown):
            ticked(now, features, shown)
            watch.last = (features, lsl.local_clock())
        watch.last = None
        core.tick = watch
        for k in range(args.surges):
            print(f"surge {k + 1} ...", flush=True)
            until(lambda: driver.intensity >= top - 1e-6 and not alarm(core.observation(core.time, runner.features, driver.intensity), core.shield_config), 240)
            surge_at = s.clock.now() + 1.0
            s.patient.injections.surges.append(Surge(surge_at, 25.0, 60.0))
            cross = None
            end = time.perf_counter() + 60
            while time.perf_counter() < end:
                before = driver.intensity
                runner.step()
                if cross is None and watch.last is not None:
                    f, at = watch.last
                    why = alarm(core.observation(core.time, f, before), core.shield_config)
                    if "above baseline" in why or "limit" in why:
                        heart = [r.window(2.0).times for kind, r in s.live.signals.items() if kind in ("ecg", "ppg", "rr")]
                        newest = max(float(t[-1]) for t in heart if len(t))
                        cross = (newest, at, before, s.clock.lsl_time(surge_at))
                if cross is not None and driver.intensity < cross[2] - 1e-9:
                    done = lsl.local_clock()
                    crossings.append({"from_sample_ms": (done - cross[0]) * 1000.0,
                                      "from_tick_ms": (done - cross[1]) * 1000.0,
                                      "from_surge_start_ms": (done - cross[3]) * 1000.0})
                    break
                watch.last = None
            runner.commands.put(Command("set_level", {"level": len(core.plan.levels)}))
            until(lambda: s.clock.now() > surge_at + 60.0, 120)
            runner.commands.put(Command("set_level", {"level": len(core.plan.levels)}))
        core.tick = ticked
        result["ceiling_to_lower_frame"] = {
            "runs": crossings,
            "from_sample_ms": percentiles([c["from_sample_ms"] for c in crossings]) if crossings else None,
            "from_surge_start_ms": percentiles([c["from_surge_start_ms"] for c in crossings]) if crossings else None}

        # 4. stop → first calm frame
        stops = []
        for k in range(args.stops):
            print(f"stop {k + 1} ...", flush=True)
            runner.commands.put(Command("resume"))
            runner.commands.put(Command("set_level", {"level": 4}))
            until(lambda: driver.intensity > 0.25 and not driver.calming, 60)
            put_at: list[float] = []
            delay = random.uniform(0.0, 0.05)
            threading.Timer(delay, lambda: (put_at.append(lsl.local_clock()), runner.commands.put(Command("stop")))).start()
            frames = 0
            while True:
                had = bool(put_at)
                runner.step()
                frames += had
                if had and driver.veil > 0.0:
                    stops.append({"ms": (lsl.local_clock() - put_at[0]) * 1000.0, "frames": frames})
                    break
            until(lambda: not driver.calming, 30)
        result["stop_to_calm_frame"] = {"runs": stops, "time": percentiles([x["ms"] for x in stops]),
                                        "frames_max": max(x["frames"] for x in stops)}
        s.end_reason = "benchmark done"
    # 1. without the loop, in a fresh process-free way: a bare scene at the top level
    result["without_loop"] = bare(args)
    print_result(result)
    write_result(args.json, result)
    return 0


def bare(args) -> dict:
    """Frame time at the top level with no loop, in a child process (one ShowBase per process)."""
    import json
    import subprocess
    code = f"""
import sys, time, json
sys.path.insert(0, {str(ROOT)!r})
from engine.app import SceneRunner, open_base
from engine.easing import IntensityDriver
from engine.scene import Scene
from engine.scenario import load_scenario
spec = load_scenario({str(ROOT / 'scenarios' / 'heights.yaml')!r})
base = open_base(offscreen=True, size={tuple(args.size)!r}, display={args.display!r})
runner = SceneRunner(Scene(spec, base.render), IntensityDriver(spec.comfort, spec.calm, start=spec.levels[-1].intensity), base)
runner.stop()
ms = []; last = time.perf_counter(); end = last + {args.seconds}
while time.perf_counter() < end:
    t0 = time.perf_counter(); runner.tick(t0 - last); last = t0; base.taskMgr.step(); ms.append((time.perf_counter() - t0) * 1000)
print(json.dumps(ms))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {"frame": percentiles(json.loads(out.stdout.strip().splitlines()[-1]))}


def print_result(r: dict) -> None:
    print(f"renderer {r['renderer']}, {r['size'][0]}x{r['size'][1]}")
    print(f"frame time without loop: {r['without_loop']['frame']}")
    print(f"frame time with loop:    {r['with_loop']['frame']}")
    print(f"loop cost per frame:     {r['with_loop']['loop_cost_per_frame']}")
    print(f"ceiling sample → lower frame: {r['ceiling_to_lower_frame']['from_sample_ms']}")
    print(f"stop → first calm frame: {r['stop_to_calm_frame']['time']}, frames ≤ {r['stop_to_calm_frame']['frames_max']}")


if __name__ == "__main__":
    sys.exit(main())
