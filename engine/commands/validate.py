"""``vrex validate FILE...``: check scenario files, print every problem as FILE:LINE:COL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.scenario import ScenarioError, load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario files and report every problem",
                       description="Check scenario files. Each problem is printed as "
                                   "FILE:LINE:COL: what is wrong — what is expected.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    p.set_defaults(run=run)


def check_file(path: Path) -> list[str]:
    """Problems in one file as printable lines; [] when it is valid."""
    try:
        load_scenario(path)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    except Exception as exc:   # never show an author a traceback; the line still says where
        return [f"{path}:1:1: vrex could not check this file ({type(exc).__name__}: {exc}) — "
                "please report this with the file attached"]
    return []


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        lines = check_file(path)
        for line in lines:
            print(line)
        if lines:
            failed += 1
        elif not args.quiet:
            print(f"{path}: ok")
    if not args.quiet:
        print(f"{len(args.files)} file(s) checked, {failed} with problems", file=sys.stderr)
    return 1 if failed else 0
