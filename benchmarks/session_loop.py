"""The closed loop's cost to the frame thread, and its latencies, in one real session.

    python benchmarks/session_loop.py [--seconds 20] [--rounds 3] [--size 640x360]
                                      [--renderer p3headlessgl] [--fps 60] [--json OUT]

A real session (renderer process, simulated patient publishing ECG, PPG, EDA, respiration
and RR over LSL at real time, ``sensors`` reading them, the shield and a controller, vrex's
own outlets, the event log and LabRecorder writing the XDF) held at the heights scene's
highest level.

1. **Frame time with and without the loop**, in interleaved blocks of ``--block`` seconds
   in one session: "with" the control side steps as in a session; "without" it only keeps
   its heartbeat (no LSL, features, decisions, outlets or disk). Frame time is the frame
   thread's work (snapshot, easing, scene, render, stamp), from the frames' own records,
   not the pacing wait. Per round, p50/p99 of each; the JSON's figures are the median over
   ``--rounds`` rounds of ``--seconds`` per condition each. **Loop cost per frame** is the
   frame thread's work outside the scene and the render (reading the control side's
   snapshot, writing its report): all the loop costs the frame thread.
2. **Generation-2 collections** during the measured run, in each process (``gc.callbacks``).
3. **Ceiling → calmer frame**: a heart-rate surge is injected; from the newest heart
   sample at the tick whose features first cross the ceiling to the first frame drawn at a
   lower intensity (frame stamps); also from the surge's start, which adds the detectors'
   window (``benchmarks/surge_latency.py`` measures the fast path on its own).
4. **Stop → calm frame**: a stop is put on the session's queue from another thread (as the
   console does) at a random moment; time to the first frame drawn with the veil closing.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def percentiles(values: list[float]) -> dict:
    import numpy as np

    a = np.asarray(values, float)
    if a.size == 0:
        return {"n": 0}
    return {
        "n": int(a.size),
        "p50_ms": round(float(np.percentile(a, 50)), 3),
        "p99_ms": round(float(np.percentile(a, 99)), 3),
        "max_ms": round(float(a.max()), 3),
    }


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


class Driver:
    """Runs the session's control side as ``SessionRunner.loop`` does, and collects every
    frame the renderer drew (from the frame ring) with the condition it was drawn under."""

    def __init__(self, session):
        self.s, self.runner = session, session.runner
        self.rows: list[tuple] = []  # (the ring's fields: stamp, work_ms, shown, veil, ..., with_loop last)
        self.step_ms: list[float] = []
        self._seen = self.runner.frame_count
        self.with_loop = True

    def collect(self) -> None:
        n, rows, _ = self.runner.share.frames_since(self._seen)
        self._seen = n
        self.rows.extend((*map(float, r), self.with_loop) for r in rows)

    def run(self, seconds: float, until=None, loop: bool = True) -> bool:
        import queue

        self.with_loop = loop
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            if loop:
                t0 = time.perf_counter()
                self.runner.step()
                self.step_ms.append((time.perf_counter() - t0) * 1000.0)
            else:
                self.runner.share.control_beat()  # alive, doing nothing
            self.collect()
            if until is not None and until():
                return True
            try:
                self.runner._early.append(self.runner.commands.get(timeout=0.01))
            except queue.Empty:
                pass
        return until is None


def main() -> int:
    from _machine import machine_info, write_result

    from engine.commands.view import parse_size

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=parse_size, default=(640, 360))
    ap.add_argument("--renderer", "--display", dest="renderer", choices=("p3headlessgl", "p3tinydisplay"), default=None)
    ap.add_argument("--fps", type=float, default=None, help="frame rate (default: a session's offscreen default)")
    ap.add_argument(
        "--frames",
        choices=("process", "thread"),
        default="process",
        help="the frame thread in a renderer process (sessions) or a thread of this process",
    )
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds per condition per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--block",
        type=float,
        default=2.0,
        help="seconds per interleaved block (< 3 s: the renderer calls a silent control side lost after 3 s)",
    )
    ap.add_argument("--surges", type=int, default=3)
    ap.add_argument("--stops", type=int, default=10)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "session_loop_cpu.json")
    args = ap.parse_args()
    if not 0.1 <= args.block < 3.0:
        ap.error("--block must be from 0.1 to under 3 seconds")

    import tempfile

    from adaptation.live_patient import Surge
    from adaptation.shield import alarm
    from engine.session.core import Mode
    from engine.session.launch import OpenSession, SessionOptions
    from engine.session.runner import Command
    from sensors import lsl

    out = Path(tempfile.mkdtemp(prefix="vrex-bench-"))
    opts = SessionOptions(
        scenario=ROOT / "scenarios" / "heights.yaml",
        patient="bench",
        mode=Mode.AUTO,
        offscreen=True,
        renderer=args.renderer,
        size=args.size,
        root=out,
        speed=1.0,
        demo=True,
        seed=2,
        baseline_s=25.0,
        exposure_s=3600.0,
        recovery_s=5.0,
        status=False,
        fps=args.fps,
        frames=args.frames,
    )
    result: dict = {"machine": machine_info(), "size": list(args.size), "frames": args.frames}
    gen2 = [0]
    gc.callbacks.append(
        lambda phase, info: gen2.__setitem__(0, gen2[0] + (phase == "stop" and info.get("generation") == 2))
    )
    with OpenSession(opts, controller=StayAtTarget()) as s:
        runner, core = s.runner, s.core
        unafraid(s)
        result["renderer"], result["fps"] = s.renderer, s.fps
        s.begin()
        d = Driver(s)
        top = core.plan.levels[-1]

        def until(pred, limit: float, what: str) -> None:
            if not d.run(limit, pred):
                raise SystemExit(
                    f"benchmark: {what} not reached in {limit} s (phase {core.phase.value}, shown "
                    f"{runner.shown.intensity:.2f}, target {core.target:.2f})"
                )

        print("baseline ...", flush=True)
        until(lambda: core.phase.value == "exposure", 120, "exposure")
        print("to the top level ...", flush=True)
        runner.commands.put(Command("set_level", {"level": len(core.plan.levels)}))
        until(lambda: runner.shown.intensity >= top - 1e-6, 60, "the top level")

        # 1. interleaved blocks, with and without the loop
        rounds = []
        gen2_before, frame_gen2_before = gen2[0], runner.share.report().gc2
        for r in range(args.rounds):
            print(f"round {r + 1}: {args.seconds:g} s with and {args.seconds:g} s without the loop ...", flush=True)
            d.rows.clear()
            for _ in range(max(1, round(args.seconds / args.block))):
                d.run(args.block, loop=True)
                d.run(args.block, loop=False)
            d.run(0.2, loop=True)  # the last frames of the block
            on = [x for x in d.rows if x[-1]]
            off = [x for x in d.rows if not x[-1]]
            rounds.append(
                {
                    "with_loop": {
                        "frame": percentiles([x[1] for x in on]),
                        "loop_cost_per_frame": percentiles([x[4] for x in on]),
                    },
                    "without_loop": {
                        "frame": percentiles([x[1] for x in off]),
                        "loop_cost_per_frame": percentiles([x[4] for x in off]),
                    },
                }
            )
        result["gen2_collections"] = {
            "control_process": gen2[0] - gen2_before,
            "frame_process": runner.share.report().gc2 - frame_gen2_before,
            "seconds": round(2 * args.seconds * args.rounds, 1),
        }

        def median(cond: str, part: str, key: str) -> float:
            return round(statistics.median(x[cond][part][key] for x in rounds), 3)

        result["rounds"] = rounds
        result["with_loop"] = {
            "frame": {k: median("with_loop", "frame", k) for k in ("p50_ms", "p99_ms", "max_ms")},
            "loop_cost_per_frame": {
                k: median("with_loop", "loop_cost_per_frame", k) for k in ("p50_ms", "p99_ms", "max_ms")
            },
        }
        result["without_loop"] = {
            "frame": {k: median("without_loop", "frame", k) for k in ("p50_ms", "p99_ms", "max_ms")}
        }
        result["frame_p99_ratio"] = round(
            result["with_loop"]["frame"]["p99_ms"] / result["without_loop"]["frame"]["p99_ms"], 3
        )
        result["control_step"] = percentiles(d.step_ms)

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
            runner.commands.put(Command("resume"))
            runner.commands.put(Command("set_level", {"level": len(core.plan.levels)}))
            until(
                lambda: (
                    runner.shown.intensity >= top - 1e-6
                    and runner.features is not None
                    and not alarm(
                        core.observation(core.time, runner.features, runner.shown.intensity), core.shield_config
                    )
                ),
                240,
                "a calm heart at the top level",
            )
            surge_at = s.clock.now() + 1.0
            s.patient.injections.surges.append(Surge(surge_at, 25.0, 60.0))
            cross: list = []

            def crossed(cross: list = cross, surge_at: float = surge_at) -> bool:
                if not cross and watch.last is not None:
                    f, at = watch.last
                    watch.last = None
                    why = alarm(core.observation(core.time, f, top), core.shield_config)
                    if "above baseline" in why or "limit" in why:
                        heart = [
                            r.window(2.0).times for kind, r in s.live.signals.items() if kind in ("ecg", "ppg", "rr")
                        ]
                        cross.append((max(float(t[-1]) for t in heart if len(t)), s.clock.lsl_time(surge_at)))
                lower = [x for x in d.rows if cross and x[0] > cross[0][0] and x[2] < top - 1e-9]
                if lower:
                    crossings.append(
                        {
                            "from_sample_ms": (lower[0][0] - cross[0][0]) * 1000.0,
                            "from_surge_start_ms": (lower[0][0] - cross[0][1]) * 1000.0,
                        }
                    )
                return bool(lower)

            d.rows.clear()
            d.run(60.0, crossed)
            d.run(max(0.0, surge_at + 40.0 - s.clock.now()))
        core.tick = ticked
        result["ceiling_to_lower_frame"] = {
            "runs": crossings,
            "from_sample_ms": percentiles([c["from_sample_ms"] for c in crossings]),
            "from_surge_start_ms": percentiles([c["from_surge_start_ms"] for c in crossings]),
        }

        # 4. stop → first frame with the veil closing
        stops = []
        for k in range(args.stops):
            print(f"stop {k + 1} ...", flush=True)
            runner.commands.put(Command("resume"))
            runner.commands.put(Command("set_level", {"level": 4}))
            until(lambda: runner.shown.intensity > 0.25 and not runner.shown.calming, 60, "level 4")
            put_at: list[float] = []
            threading.Timer(
                random.uniform(0.0, 0.05),
                lambda put_at=put_at: (put_at.append(lsl.local_clock()), runner.commands.put(Command("stop"))),
            ).start()
            d.rows.clear()
            d.run(10.0, lambda put_at=put_at: bool(put_at) and any(x[3] > 0.0 and x[0] > put_at[0] for x in d.rows))
            first = next(x for x in d.rows if x[3] > 0.0 and x[0] > put_at[0])
            stops.append(
                {
                    "ms": (first[0] - put_at[0]) * 1000.0,
                    "frames": sum(1 for x in d.rows if put_at[0] < x[0] <= first[0]),
                }
            )
            until(lambda: not runner.shown.calming, 30, "the veil to lift")
        result["stop_to_calm_frame"] = {
            "runs": stops,
            "time": percentiles([x["ms"] for x in stops]),
            "frames_max": max(x["frames"] for x in stops),
        }
        s.end_reason = "benchmark done"
    print_result(result)
    write_result(args.json, result)
    return 0


def print_result(r: dict) -> None:
    print(f"renderer {r['renderer']}, {r['size'][0]}x{r['size'][1]}, {r['fps']} fps, frames in a {r['frames']}")
    print(f"frame time without loop: {r['without_loop']['frame']}")
    print(f"frame time with loop:    {r['with_loop']['frame']}  (p99 ratio {r['frame_p99_ratio']})")
    print(f"frame-thread loop cost:  {r['with_loop']['loop_cost_per_frame']}")
    print(f"control step:            {r['control_step']}")
    print(f"gen-2 collections:       {r['gen2_collections']}")
    print(f"ceiling sample → lower frame: {r['ceiling_to_lower_frame']['from_sample_ms']}")
    print(
        f"stop → first calm frame: {r['stop_to_calm_frame']['time']}, frames ≤ {r['stop_to_calm_frame']['frames_max']}"
    )


if __name__ == "__main__":
    sys.exit(main())
