"""``vrex view [SCENARIO]``: walk through a scenario's intensities in a window or offscreen.

Keys: up/down change the target intensity by 0.05; 1–9 and 0 jump to levels 1–10,
page up/down step one level; space goes to the calm state at once; escape quits.

``--watch``: reload the scenario whenever it (or a sound or model it names) is saved,
keeping the intensity; a broken save shows its problems over the last good scene.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from engine.app import FrameGrabber, SceneRunner, open_base, renderer_name
from engine.commands import scenario_argument
from engine.commands.display_args import add_display_arguments, display_from
from engine.easing import IntensityDriver
from engine.errors import VrexError
from engine.scenario import load_scenario
from engine.scene import Scene

STEP = 0.05


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size — write WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"'{text}' is out of range — each side from 16 to 8192 pixels")
    return w, h


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "view",
        help="show a scenario; keys change intensity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario",
        nargs="?",
        type=scenario_argument,
        default=scenario_argument("heights"),
        help="scenario file or built-in name (default: heights)",
    )
    p.add_argument("--offscreen", action="store_true", help="render without a window (automatic with no display)")
    add_display_arguments(p)
    p.add_argument("--size", type=parse_size, default=(1280, 720), help="WIDTHxHEIGHT (default 1280x720)")
    p.add_argument("--level", type=int, default=1, help="level to start at, counted from 1 (default 1)")
    p.add_argument(
        "--seconds", type=float, default=None, help="quit after this long (default: run until escape; 10 s offscreen)"
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="reload on every save of the scenario (and of the sounds and models it names), keeping the "
        "intensity; problems are shown over the last good scene until fixed",
    )
    p.add_argument(
        "--snapshot",
        type=Path,
        metavar="DIR",
        default=None,
        help="on the signal SIGUSR1, save the frame on screen as DIR/frame-N.png with the view's state "
        "(intensity, problems shown) as DIR/frame-N.json: for tests and bug reports",
    )
    p.set_defaults(run=run)


class KeyControls:
    """Maps keys to the driver. Kept apart from ShowBase so tests can press keys by name."""

    def __init__(self, driver: IntensityDriver, levels: list[float], quit: Any):
        self.driver, self.levels, self.quit = driver, levels, quit

    def bindings(self) -> dict[str, Any]:
        keys: dict[str, Any] = {
            "arrow_up": lambda: self.driver.set_target(self.driver.target + STEP),
            "arrow_down": lambda: self.driver.set_target(self.driver.target - STEP),
            "page_up": lambda: self.step_level(+1),
            "page_down": lambda: self.step_level(-1),
            "space": self.driver.calm_now,
            "escape": self.quit,
        }
        for digit in range(10):
            index = 9 if digit == 0 else digit - 1
            if index < len(self.levels):
                keys[str(digit)] = lambda i=index: self.driver.set_target(self.levels[i])
        return keys

    def step_level(self, direction: int) -> None:
        current = self.driver.target
        if direction > 0:
            above = [x for x in self.levels if x > current + 1e-9]
            self.driver.set_target(above[0] if above else self.levels[-1])
        else:
            below = [x for x in self.levels if x < current - 1e-9]
            self.driver.set_target(below[-1] if below else self.levels[0])


def _load(args: argparse.Namespace) -> tuple[Any, list[str]]:
    """The scenario, or with --watch on a file broken from the start a plain stand-in and
    the file's problems (the window opens anyway; the first valid save replaces it)."""
    from engine.watch import check, placeholder

    if not args.watch:
        return load_scenario(args.scenario), []
    spec, waiting = check(args.scenario)
    if spec is None:
        for line in waiting:
            print(line, flush=True)
        stand_in = Path(tempfile.mkdtemp(prefix="vrex-watch-"))
        spec = placeholder(stand_in)
        shutil.rmtree(stand_in, ignore_errors=True)  # read; nothing refers to the file again
    return spec, waiting


def run(args: argparse.Namespace) -> int:
    from engine.watch import LiveView

    spec, waiting = _load(args)
    if not 1 <= args.level <= len(spec.levels):
        raise VrexError(f"--level {args.level} does not exist — '{spec.meta.id}' has levels 1 to {len(spec.levels)}")
    if args.snapshot is not None and not args.snapshot.is_dir():
        raise VrexError(f"--snapshot {args.snapshot} is not a folder — the path of an existing folder")
    display, offscreen, renderer = display_from(args)
    base = open_base(offscreen=offscreen, size=args.size, display=renderer, title=spec.meta.title)
    audio = base.sfxManagerList[0] if base.sfxManagerList else None
    controls = KeyControls(None, [], base.userExit)

    def make_scene(s: Any) -> Scene:
        return Scene(s, base.render, audio=audio)

    def start(scene: Scene, intensity: float, target: float) -> tuple[IntensityDriver, SceneRunner]:
        driver = IntensityDriver(scene.spec.comfort, scene.spec.calm, start=intensity)
        driver.set_target(target)
        runner = SceneRunner(scene, driver, base, display=display.backend())
        controls.driver, controls.levels = driver, [lv.intensity for lv in scene.spec.levels]
        for digit in range(10):  # a reloaded file may have fewer levels
            base.ignore(str(digit))
        for key, action in controls.bindings().items():
            base.accept(key, action)
        return driver, runner

    intensity = spec.levels[args.level - 1].intensity
    if args.watch:
        path = args.scenario if waiting else None
        view: Any = LiveView(base, spec, make_scene, start, intensity, path=path, problems=waiting)
    else:
        view = _Still(*start(make_scene(spec), intensity, intensity))
    shots = _Snapshots(args.snapshot, base) if args.snapshot is not None else None  # before 'Watching'
    print(
        f"'{spec.meta.title}' on {renderer_name(base)}, {len(spec.levels)} levels. "
        "Keys: up/down, 1-9/0, page up/down, space = calm, escape = quit"
        + (f"\nWatching {view.path} for changes" if args.watch else ""),
        flush=True,  # a test or an editor plug-in reading the pipe waits for this line
    )
    seconds = args.seconds if args.seconds is not None else (10.0 if offscreen else None)
    grabber = FrameGrabber(base) if offscreen and not display.stereo else None
    frames, elapsed = _loop(base, view, shots, seconds)
    view.close()
    if grabber is not None:
        grabber.grab()
    elif display.stereo:
        view.runner.display.eye_image("left")  # the eyes were drawn (raises if not)
    print(
        f"{frames} frames in {elapsed:.1f} s ({frames / max(elapsed, 1e-9):.0f} fps), "
        f"final intensity {view.driver.intensity:.2f}"
    )
    base.destroy()
    return 0


class _Still:
    """A scene that is not watched: the same face as ``LiveView`` for the frame loop."""

    def __init__(self, driver: IntensityDriver, runner: SceneRunner):
        self.driver, self.runner = driver, runner

    def frame_shown(self) -> str | None:
        return None

    def state(self) -> dict[str, Any]:
        return {"intensity": self.driver.intensity, "target": self.driver.target}

    def close(self) -> None:
        pass


def _loop(base: Any, view: Any, shots: Any, seconds: float | None) -> tuple[int, float]:
    """Frames until ``seconds`` pass (None: until the window closes); (frames, seconds)."""
    frames, t0 = 0, time.perf_counter()
    try:
        while seconds is None or time.perf_counter() - t0 < seconds:
            base.taskMgr.step()
            frames += 1
            shown = view.frame_shown()
            if shown:
                print(shown, flush=True)
            if shots is not None and shots.wanted:
                shots.save(view.state())
    except SystemExit:
        pass
    return frames, time.perf_counter() - t0


class _Snapshots:
    """Saves the frame on screen and the view's state when SIGUSR1 arrives (between frames:
    the handler only raises a flag, the main loop does the work)."""

    def __init__(self, folder: Path, base: Any):
        self.folder, self.base, self.count, self.wanted = folder, base, 0, False
        signal.signal(signal.SIGUSR1, self._ask)

    def _ask(self, signum: int, frame: Any) -> None:
        self.wanted = True

    def save(self, state: dict[str, Any]) -> None:
        from panda3d.core import Filename

        self.wanted = False
        self.count += 1
        png = self.folder / f"frame-{self.count}.png"
        self.base.graphicsEngine.renderFrame()  # what the state describes is what is drawn
        if not self.base.win.saveScreenshot(Filename.fromOsSpecific(str(png))):
            print(f"could not save {png}", flush=True)
            return
        state = {**state, "frame": str(png), "time_ns": time.time_ns()}
        tmp = png.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(png.with_suffix(".json"))  # whole or not at all for a reader polling the folder
        print(f"snapshot {png}", flush=True)
