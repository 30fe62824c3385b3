"""``vrex view [SCENARIO]``: walk through a scenario's intensities in a window or offscreen.

Keys: up/down change the target intensity by 0.05; 1–9 and 0 jump to levels 1–10,
page up/down step one level; space goes to the calm state at once; escape quits.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from engine.app import FrameGrabber, SceneRunner, open_base, renderer_name
from engine.commands import scenario_argument
from engine.commands.display_args import add_display_arguments, display_from
from engine.easing import IntensityDriver
from engine.errors import VrexError
from engine.scene import Scene
from engine.scenario import load_scenario

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


def run(args: argparse.Namespace) -> int:
    spec = load_scenario(args.scenario)
    if not 1 <= args.level <= len(spec.levels):
        raise VrexError(f"--level {args.level} does not exist — '{spec.meta.id}' has levels 1 to {len(spec.levels)}")
    display, offscreen, renderer = display_from(args)
    base = open_base(offscreen=offscreen, size=args.size, display=renderer, title=spec.meta.title)
    start = spec.levels[args.level - 1].intensity
    driver = IntensityDriver(spec.comfort, spec.calm, start=start)
    scene = Scene(spec, base.render, audio=base.sfxManagerList[0] if base.sfxManagerList else None)
    runner = SceneRunner(scene, driver, base, display=display.backend())
    controls = KeyControls(driver, [lv.intensity for lv in spec.levels], base.userExit)
    for key, action in controls.bindings().items():
        base.accept(key, action)
    print(
        f"'{spec.meta.title}' on {renderer_name(base)}, {len(spec.levels)} levels. "
        "Keys: up/down, 1-9/0, page up/down, space = calm, escape = quit"
    )
    seconds = args.seconds if args.seconds is not None else (10.0 if offscreen else None)
    grabber = FrameGrabber(base) if offscreen and not display.stereo else None
    frames, t0 = 0, time.perf_counter()
    try:
        while seconds is None or time.perf_counter() - t0 < seconds:
            base.taskMgr.step()
            frames += 1
    except SystemExit:
        pass
    elapsed = time.perf_counter() - t0
    if grabber is not None:
        grabber.grab()
    elif display.stereo:
        runner.display.eye_image("left")  # the eyes were drawn (raises if not)
    print(
        f"{frames} frames in {elapsed:.1f} s ({frames / max(elapsed, 1e-9):.0f} fps), "
        f"final intensity {driver.intensity:.2f}"
    )
    base.destroy()
    return 0
