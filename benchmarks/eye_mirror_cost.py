"""What the console's picture of the patient's view costs the frame thread, and the console.

    python benchmarks/eye_mirror_cost.py [--display hmd-sim,offscreen] [--hmd-scale 0.125]
                                         [--renderers p3tinydisplay,p3headlessgl] [--seconds 12]
                                         [--fps 72] [--json OUT]

The frame thread's loop as the renderer process runs it (``frames.build_stage`` and
``FrameStage.step``, paced at ``--fps``), with and without ``EyeMirror`` after each frame,
in 2 s blocks taking turns so that drift in the machine's load falls on both alike.
Per frame: the frame's work (``step``) and the added work (the mirror's call: nothing on
most frames; reading the eye's image back, stride-slicing it and copying it into the
shared block on the frames that take a picture, five a second). Reported: p50/p99 of the
frame's whole work (step + mirror) without and with the mirror, p50/p99 of the mirror's
call on the frames that took a picture, and the mean added ms per frame. Also the console
side's work per picture (read from the block + PNG + base64 + message), on its own thread.

``hmd-sim`` at ``--hmd-scale 0.125`` (258×276 per eye) with p3tinydisplay runs on any CPU;
on a GL pipe the read-back is ``extractTextureData`` (the eye stays on the GPU until then).
A GL pipe queues a frame's drawing and returns: a read-back then waits for the frame to be
drawn, which shows as the mirror's cost unless ``--finish`` makes every frame wait (as
``render_fps.py`` does); both are worth knowing.
A desktop's view is copied by a triggered copy attached at set-up (``prime_ms``), on the frame
after the one that asks; a picture that costs more than 2 % of the time between pictures
slows the mirror (``mirror_period_s``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
BLOCK_S = 2.0


def pct(values: list[float]) -> dict:
    a = np.asarray(values, float)
    if not len(a):
        return {"n": 0}
    return {
        "n": int(len(a)),
        "p50": round(float(np.percentile(a, 50)), 3),
        "p99": round(float(np.percentile(a, 99)), 3),
        "mean": round(float(a.mean()), 4),
        "max": round(float(a.max()), 3),
    }


def measure(display: str, renderer: str, scale: float, seconds: float, fps: float, scenario: str, finish: bool) -> dict:
    from engine.app import open_base, renderer_name
    from engine.console.eyes import message
    from engine.display.config import DisplayConfig
    from engine.scenario import load_scenario
    from engine.session.eyemirror import EyeMirror
    from engine.session.eyeshare import EyeShare
    from engine.session.frames import Pacer, build_stage
    from engine.session.frameshare import FrameShare

    spec = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml")
    stereo = display == "hmd-sim"
    base = open_base(offscreen=True, size=(64, 64) if stereo else (640, 360), display=renderer, audio=False)
    share, eyes = FrameShare(), EyeShare()
    start = time.perf_counter()
    cfg = DisplayConfig(kind=display, scale=scale if stereo else 1.0, head="look-around")
    stage = build_stage(
        spec,
        base,
        share,
        cfg,
        spec.levels[-1].intensity,
        now=lambda snap: time.perf_counter() - start,
        stamp=lambda snap, t: t,
        speed=lambda snap: 1.0,
    )
    share.publish(spec.levels[-1].intensity, 0, 0.0, False)
    mirror = EyeMirror(eyes)
    pacer = Pacer(fps)
    gl_finish = None
    if finish and "tiny" not in base.pipe.getType().getName().lower():
        from render_fps import gl_finish_function

        gl_finish = gl_finish_function()

    def step() -> None:
        stage.step()
        if gl_finish is not None:
            gl_finish()  # the frame's whole work, not only its queuing

    for _ in range(30):  # warm-up: shaders, textures, first uploads
        step()
        pacer.wait()
    rows = {False: [], True: []}  # mirror on? -> (step ms, mirror ms, took)

    def run(on: bool, seconds: float) -> float:
        start, end = time.perf_counter(), time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            step()
            t1 = time.perf_counter()
            took = mirror(stage) if on else False
            t2 = time.perf_counter()
            rows[on].append(((t1 - t0) * 1e3, (t2 - t1) * 1e3, took))
            pacer.wait()
        return time.perf_counter() - start

    prime_at = time.perf_counter()
    mirror.prime(stage)  # as frame_main does, before frames count
    prime_ms = (time.perf_counter() - prime_at) * 1e3
    # 2 s blocks taking turns, so that drift in the machine's load falls on both alike (a
    # desktop's triggered copy, attached by prime, costs nothing on the frames that do not
    # ask for it: 0.061 ms a frame with and without on p3tinydisplay at 640×360)
    on_s, end = 0.0, time.perf_counter() + seconds
    for k in range(10**6):
        if time.perf_counter() >= end:
            break
        spent = run(k % 2 == 1, min(BLOCK_S, end - time.perf_counter()))
        on_s += spent if k % 2 == 1 else 0.0
    console_ms, sizes = [], []
    for _ in range(20):  # the console's side: read + encode, per picture
        t0 = time.perf_counter()
        picture = eyes.read()
        text = json.dumps(message(picture))
        console_ms.append((time.perf_counter() - t0) * 1e3)
        sizes.append(len(text))
    name = renderer_name(base)
    width, height = (picture.width, picture.height) if picture is not None else (0, 0)
    base.destroy()
    off, with_ = rows[False], rows[True]
    taken = [m for _, m, took in with_ if took]
    return {
        "display": display,
        "renderer": renderer,
        "pipe": name,
        "scale": scale if stereo else None,
        "gl_finish": gl_finish is not None,
        "eye": "left" if stereo else "mono",
        "picture": f"{width}x{height}",
        "fps_paced": fps,
        "frames_without": len(off),
        "frames_with": len(with_),
        "pictures": len(taken),
        "pictures_per_s": round(len(taken) / on_s, 2) if on_s else 0.0,
        "frame_ms_without": pct([s + m for s, m, _ in off]),
        "frame_ms_with": pct([s + m for s, m, _ in with_]),
        "step_ms_without": pct([s for s, _, _ in off]),
        "step_ms_with": pct([s for s, _, _ in with_]),
        "mirror_ms_per_picture": pct(taken),
        "mirror_period_s": round(mirror.period_s, 3),
        "prime_ms": round(prime_ms, 2),
        "added_ms_per_frame_mean": round(
            float(np.mean([s + m for s, m, _ in with_]) - np.mean([s + m for s, m, _ in off])), 4
        ),
        "console_ms_per_picture": pct(console_ms),
        "message_bytes": int(np.median(sizes)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--display", default="hmd-sim,offscreen", help="hmd-sim and/or offscreen (desktop mono)")
    parser.add_argument("--renderers", default="p3tinydisplay", help="comma-separated Panda3D pipes")
    parser.add_argument("--hmd-scale", type=float, default=0.125)
    parser.add_argument("--seconds", type=float, default=12.0, help="per configuration, both conditions together")
    parser.add_argument("--fps", type=float, default=72.0, help="frames paced to this rate")
    parser.add_argument("--scenario", default="spiders")
    parser.add_argument(
        "--finish",
        action="store_true",
        help="glFinish after each frame (GL pipes): a frame's time is its whole work, so a "
        "read-back's wait for the frame is not counted as the mirror's",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--one", nargs=2, metavar=("DISPLAY", "RENDERER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(
            json.dumps(
                measure(args.one[0], args.one[1], args.hmd_scale, args.seconds, args.fps, args.scenario, args.finish)
            )
        )
        return 0
    from _machine import machine_info

    rows = []
    for display in args.display.split(","):
        for renderer in args.renderers.split(","):
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    display,
                    renderer,
                    "--hmd-scale",
                    str(args.hmd_scale),
                    "--seconds",
                    str(args.seconds),
                    "--fps",
                    str(args.fps),
                    "--scenario",
                    args.scenario,
                    *(["--finish"] if args.finish else []),
                ],
                capture_output=True,
                text=True,
            )
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            rows.append(
                json.loads(lines[-1])
                if proc.returncode == 0 and lines
                else {"display": display, "renderer": renderer, "error": proc.stderr.strip()[-400:]}
            )
    for r in rows:
        if "error" in r:
            print(f"{r['display']:9} {r['renderer']:14} failed: {r['error']}")
            continue
        a, b, m = r["frame_ms_without"], r["frame_ms_with"], r["mirror_ms_per_picture"]
        print(
            f"{r['display']:9} {r['renderer']:14} picture {r['picture']:8} {r['pictures_per_s']:.1f}/s | frame ms "
            f"without p50 {a['p50']:.2f} p99 {a['p99']:.2f} | with p50 {b['p50']:.2f} p99 {b['p99']:.2f} | "
            f"mirror call p50 {m.get('p50', 0):.2f} p99 {m.get('p99', 0):.2f} | added/frame "
            f"{r['added_ms_per_frame_mean']:+.3f} ms | console/picture p50 "
            f"{r['console_ms_per_picture']['p50']:.2f} ms, "
            f"{r['message_bytes'] / 1024:.0f} KiB  ({r['pipe']})"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"command": " ".join(sys.argv), "machine": machine_info(), "results": rows}, indent=2) + "\n"
        )
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
