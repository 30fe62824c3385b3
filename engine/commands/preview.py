"""``vrex preview [SCENARIO] --out DIR``: a PNG of every level and a contact sheet, offscreen."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.commands import scenario_argument
from engine.commands.view import parse_size
from engine.preview import render_previews
from engine.scenario import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preview", help="render every level to PNG and a contact sheet (offscreen)")
    p.add_argument("scenario", nargs="?", type=scenario_argument, default=scenario_argument("heights"),
                   help="scenario file or built-in name (default: heights)")
    p.add_argument("--out", type=Path, default=Path("out/preview"), help="output folder (default: out/preview)")
    p.add_argument("--size", type=parse_size, default=(1280, 720), help="WIDTHxHEIGHT (default 1280x720)")
    p.add_argument("--display", choices=("p3headlessgl", "p3tinydisplay"),
                   help="offscreen renderer (default: p3headlessgl, else p3tinydisplay)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    spec = load_scenario(args.scenario)
    start = time.perf_counter()
    result = render_previews(spec, args.out, size=args.size, display=args.display)
    print(f"{len(result.levels)} levels of '{spec.meta.title}' rendered in {time.perf_counter() - start:.1f} s")
    print(f"contact sheet: {result.contact_sheet}")
    return 0
