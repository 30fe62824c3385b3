"""The display options every command that draws shares: ``--display`` (what the patient
looks at), ``--renderer`` (how offscreen pixels are made), and a headset's profile, scale
and head.

Before wave 2, ``vrex view`` and ``vrex preview`` used ``--display`` for the offscreen
renderer; ``--display p3headlessgl`` and ``--display p3tinydisplay`` still work, with a note
(they mean ``--display offscreen --renderer ...``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from engine.errors import VrexError

QUALITIES = ("auto", "low", "high")  # engine/scene/quality.py; not imported here: --help stays light
QUALITY_ENV = "VREX_QUALITY"

DISPLAY_KINDS = ("window", "offscreen", "hmd-sim", "openxr")
RENDERERS = ("p3headlessgl", "p3tinydisplay")


def add_display_arguments(
    p: argparse.ArgumentParser, kinds: tuple[str, ...] = DISPLAY_KINDS, head: bool = True
) -> None:
    p.add_argument(
        "--display",
        choices=kinds + RENDERERS,
        default=None,
        metavar="{" + ",".join(kinds) + "}",
        help=f"what the patient looks at: {', '.join(kinds)} (default: a window when a display exists, else offscreen)",
    )
    p.add_argument(
        "--renderer",
        choices=RENDERERS,
        default=None,
        help="offscreen renderer (default: p3headlessgl, else p3tinydisplay, the software one)",
    )
    p.add_argument(
        "--hmd-profile",
        type=Path,
        default=None,
        metavar="FILE",
        help="hmd-sim: a headset profile (YAML; default: Quest-3-like, see docs/headset.md)",
    )
    p.add_argument(
        "--hmd-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="hmd-sim: render at this fraction of the headset's resolution (default 1; CI: 0.125)",
    )
    p.add_argument(
        "--msaa", type=int, default=0, choices=(0, 2, 4, 8), help="hmd-sim: multisamples per eye (default 0)"
    )
    p.add_argument(
        "--space",
        choices=("local", "stage"),
        default="local",
        help="headsets: local (the eyes start at the scenario's viewpoint; seated) or stage (the patient "
        "stands on the real floor, eyes at their real height over the scenario's floor)",
    )
    p.add_argument(
        "--eye-height",
        type=float,
        default=1.65,
        metavar="M",
        help="hmd-sim with --space stage: the simulated patient's eyes above the floor (default 1.65)",
    )
    p.add_argument(
        "--quality",
        choices=QUALITIES,
        default=None,
        help="rendering: low (fixed-function, textures; cheap on software renderers), high (PBR, shadows, "
        "tone mapping, MSAA, fog) or auto (default: low on a software renderer, high on a GPU)",
    )
    if head:
        p.add_argument(
            "--head",
            default=None,
            metavar="MOTION",
            help="hmd-sim: the head's motion: look-around (default), still, or a CSV file "
            "t,x,y,z,heading,pitch,roll (a demo's head is the simulated patient's)",
        )


def display_from(args: argparse.Namespace, demo: bool = False) -> tuple[Any, bool, str | None]:
    """(DisplayConfig, whether the desktop window is offscreen, offscreen renderer) from the
    arguments; refuses impossible combinations with one line each."""
    from engine.app import display_available
    from engine.display import SHARED_HEAD, DisplayConfig

    quality = getattr(args, "quality", None)
    if quality is not None:  # the environment carries it to the runner, and to a session's render process
        os.environ[QUALITY_ENV] = quality
    kind, renderer = args.display, args.renderer
    if kind in RENDERERS:  # the old spelling
        if renderer not in (None, kind):
            raise VrexError(f"--display {kind} and --renderer {renderer}: give the renderer once, with --renderer")
        print(
            f"note: '--display {kind}' is now '--display offscreen --renderer {kind}' "
            "(--display names what the patient looks at)",
            file=sys.stderr,
        )
        kind, renderer = "offscreen", kind
    have_screen = display_available()
    if getattr(args, "offscreen", False):  # vrex view --offscreen
        kind = kind or "offscreen"
    if kind == "window" and not have_screen:
        raise VrexError("--display window: no display found (DISPLAY/WAYLAND_DISPLAY unset); use --display offscreen")
    if kind is None:
        kind = "window" if have_screen else "offscreen"
        if not have_screen:
            print("no display found: rendering offscreen")
    if not (math.isfinite(args.hmd_scale) and 0.01 <= args.hmd_scale <= 1.0):
        raise VrexError(f"--hmd-scale {args.hmd_scale}: give a fraction from 0.01 to 1 (1 = the headset's resolution)")
    if kind != "hmd-sim" and (args.hmd_profile is not None or args.hmd_scale != 1.0 or args.msaa):
        raise VrexError("--hmd-profile, --hmd-scale and --msaa apply to --display hmd-sim only")
    head = getattr(args, "head", None)
    if head is not None and demo:
        print(
            f"note: --head {head} replaces the simulated patient's own head (which looks away when afraid): "
            "looking away then follows --head",
            file=sys.stderr,
        )
    if head is None:
        head = SHARED_HEAD if demo else ("look-around" if kind == "hmd-sim" else None)
    elif kind == "openxr":
        raise VrexError("--head: a real headset tracks the head itself; leave --head out with --display openxr")
    if kind not in ("hmd-sim", "openxr") and args.space != "local":
        raise VrexError("--space applies to headsets (--display hmd-sim or openxr) only")
    config = DisplayConfig(
        kind=kind,
        profile=str(args.hmd_profile) if args.hmd_profile else None,
        scale=args.hmd_scale,
        head=head,
        msaa=args.msaa,
        space=args.space,
        eye_height=args.eye_height,
    )
    config.check()
    offscreen = kind == "offscreen" or (kind in ("hmd-sim", "openxr") and not have_screen)
    return config, offscreen, renderer
