"""``vrex preview [SCENARIO] --out DIR``: a PNG of every level and a contact sheet, offscreen."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.commands import scenario_argument
from engine.commands.display_args import add_display_arguments, display_from
from engine.commands.view import parse_size
from engine.preview import render_previews
from engine.scenario import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preview", help="render every level to PNG and a contact sheet (offscreen)")
    p.add_argument(
        "scenario",
        nargs="?",
        type=scenario_argument,
        default=scenario_argument("heights"),
        help="scenario file or built-in name (default: heights)",
    )
    p.add_argument("--out", type=Path, default=Path("out/preview"), help="output folder (default: out/preview)")
    p.add_argument("--size", type=parse_size, default=(1280, 720), help="WIDTHxHEIGHT (default 1280x720)")
    add_display_arguments(p, kinds=("offscreen", "hmd-sim"), head=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    spec = load_scenario(args.scenario)
    if args.display is None:
        args.display = "offscreen"  # a preview never opens a window
    display, _offscreen, renderer = display_from(args)
    start = time.perf_counter()
    result = render_previews(
        spec, args.out, size=args.size, display=renderer, headset=display if display.stereo else None
    )
    eyes = " (left and right eye each)" if display.stereo else ""
    print(f"{len(result.levels)} levels of '{spec.meta.title}' rendered{eyes} in {time.perf_counter() - start:.1f} s")
    print(f"contact sheet: {result.contact_sheet}")
    return 0
