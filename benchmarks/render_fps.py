"""Frame time of every scenario at its top level: a desktop view (mono) and a headset's two
eyes (stereo, ``hmd-sim`` at the profile's full resolution), offscreen, in one run.

    python benchmarks/render_fps.py [--display both|offscreen|hmd-sim] [--size 1280x720] [--quality low,high]
                                    [--hmd-scale 1] [--msaa 0,4] [--renderers p3headlessgl,p3tinydisplay]
                                    [--seconds 5] [--json OUT]

A frame is the scene runner's tick (easing, bindings, motion, head), rendering every
buffer, and ``glFinish`` (through ctypes on the current GL context): the GPU has finished
the frame, and nothing is read back. p3tinydisplay renders on the CPU and is finished when
``renderFrame`` returns. Each (scenario, renderer, display, msaa) runs in its own process,
because Panda3D allows one ShowBase per process. Goal (issue 13): stereo p99 ≤ 8.9 ms at
2×2064×2208 on a GPU, with and without 4× MSAA; on a CPU the figure is for comparison only.
Each run is also per quality tier (``--quality``, default low,high; issue 14): ``low`` must
stay within 1.5× the flat-coloured scenes' frame time on llvmpipe, ``high`` is for GPUs
(p3tinydisplay has no shaders: high is not run there). ``cpu_ms`` is the process's CPU time
per frame (all threads, llvmpipe's included): on a shared machine it compares tiers where
wall-clock times swing with the neighbours' load.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RENDERERS = ("p3headlessgl", "p3tinydisplay")


def gl_finish_function():
    """glFinish from the system's GL dispatch library (it acts on the current context)."""
    for name in ("libOpenGL.so.0", "libGL.so.1", ctypes.util.find_library("GL")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name).glFinish
        except OSError:
            continue
    return None


def measure(
    scenario: str,
    renderer: str,
    display: str,
    size: tuple[int, int],
    seconds: float,
    scale: float,
    msaa: int,
    quality: str = "low",
) -> dict:
    import numpy as np

    from engine.app import SceneRunner, open_base, renderer_name
    from engine.display import QUEST3_LIKE, make_display
    from engine.display.head import ScriptedHead
    from engine.easing import IntensityDriver
    from engine.scenario import load_scenario
    from engine.scene import Scene

    spec = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml")
    stereo = display == "hmd-sim"
    base = open_base(offscreen=True, size=(64, 64) if stereo else size, display=renderer)
    name = renderer_name(base).rsplit(", quality", 1)[0]  # the tier run is in "quality"
    software = "tiny" in base.pipe.getType().getName().lower()
    finish = None if software else gl_finish_function()
    top = spec.levels[-1].intensity
    scene = Scene(spec, base.render)
    profile = QUEST3_LIKE.scaled(scale)
    backend = make_display("hmd-sim", profile=profile, head=ScriptedHead(0), msaa=msaa) if stereo else None
    runner = SceneRunner(
        scene, IntensityDriver(spec.comfort, spec.calm, start=top), base, display=backend, quality=quality
    )
    runner.stop()
    runner_quality = runner.quality  # the tier in use (high falls back to low where it cannot run)
    dt = 1 / (profile.refresh_hz if stereo else 60)
    for _ in range(10):  # warm-up: shaders, textures, first uploads
        runner.tick(dt)
        base.graphicsEngine.renderFrame()
    if finish is not None:
        finish()
    times = []
    cpu0 = time.process_time()  # CPU seconds of this process, all its threads (llvmpipe's too)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        t0 = time.perf_counter()
        runner.tick(dt)
        base.graphicsEngine.renderFrame()
        if finish is not None:
            finish()
        times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    pixels = runner.display.eye_image("left") if stereo else None  # once, after timing: it drew something
    runner.close()
    base.destroy()
    ms = np.array(times) * 1000
    eye = profile.render_size
    return {
        "scenario": scenario,
        "renderer": renderer,
        "pipe": name,
        "display": display,
        "size": f"2x{eye[0]}x{eye[1]}" if stereo else f"{size[0]}x{size[1]}",
        "msaa": msaa if stereo else 0,
        "quality": runner_quality,
        "level": spec.levels[-1].name,
        "frames": len(times),
        "finish": "glFinish" if finish is not None else ("cpu" if software else "none (no GL library found)"),
        "fps": round(len(times) / sum(times), 1),
        "ms_p50": round(float(np.percentile(ms, 50)), 2),
        "ms_p99": round(float(np.percentile(ms, 99)), 2),
        # CPU work per frame: on a shared, loaded machine wall-clock times vary with the
        # neighbours' load; the CPU seconds a frame takes do not (much), so tiers compare by it
        "cpu_ms": round(cpu * 1000 / len(times), 2),
        "budget_ms": round(1000 / profile.refresh_hz, 1) if stereo else None,
        "drew": bool(pixels is None or pixels.std() > 1.0),
    }


def scenarios() -> list[str]:
    return sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--display", choices=("both", "offscreen", "hmd-sim"), default="both")
    parser.add_argument("--size", default="1280x720", help="mono size (default 1280x720)")
    parser.add_argument("--hmd-scale", type=float, default=1.0, help="stereo: fraction of the profile's resolution")
    parser.add_argument("--msaa", default="0,4", help="stereo: multisample counts to run (default 0,4)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--scenarios", default=",".join(scenarios()))
    parser.add_argument("--renderers", "--displays", dest="renderers", default=",".join(RENDERERS))
    parser.add_argument("--quality", default="low,high", help="quality tiers to run (default low,high)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--one",
        nargs=6,
        metavar=("SCENARIO", "RENDERER", "DISPLAY", "SCALE", "MSAA", "QUALITY"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    if args.one:
        scenario, renderer, display, scale, msaa, quality = args.one
        print(json.dumps(measure(scenario, renderer, display, size, args.seconds, float(scale), int(msaa), quality)))
        return 0
    runs = []
    for scenario in args.scenarios.split(","):
        for renderer in args.renderers.split(","):
            for quality in args.quality.split(","):
                if renderer == "p3tinydisplay" and quality == "high":
                    continue  # no shaders in the software rasteriser
                if args.display in ("both", "offscreen"):
                    runs.append((scenario, renderer, "offscreen", 1.0, 0, quality))
                if args.display in ("both", "hmd-sim"):
                    runs += [
                        (scenario, renderer, "hmd-sim", args.hmd_scale, int(m), quality)
                        for m in args.msaa.split(",")
                        if not (renderer == "p3tinydisplay" and int(m))
                    ]  # software: no multisampling
    rows = []
    for scenario, renderer, display, scale, msaa, quality in runs:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                scenario,
                renderer,
                display,
                str(scale),
                str(msaa),
                quality,
                "--size",
                args.size,
                "--seconds",
                str(args.seconds),
            ],
            capture_output=True,
            text=True,
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            rows.append(
                {
                    "scenario": scenario,
                    "renderer": renderer,
                    "display": display,
                    "msaa": msaa,
                    "quality": quality,
                    "error": proc.stderr.strip()[-300:],
                }
            )
            continue
        rows.append(json.loads(lines[-1]))
    print(
        f"{'scenario':10} {'renderer':14} {'display':9} {'quality':7} {'size':16} {'msaa':>4} {'fps':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8}  pipe"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['scenario']:10} {r['renderer']:14} {r['display']:9} {r['quality']:7} failed: {r['error']}")
        else:
            print(
                f"{r['scenario']:10} {r['renderer']:14} {r['display']:9} {r['quality']:7} {r['size']:16} "
                f"{r['msaa']:>4} "
                f"{r['fps']:7.1f} {r['ms_p50']:8.2f} {r['ms_p99']:8.2f} {r['cpu_ms']:8.2f}  {r['pipe']}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": platform.platform(),
                    "processor": platform.processor(),
                    "command": " ".join(sys.argv),
                    "results": rows,
                },
                indent=2,
            )
            + "\n"
        )
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
