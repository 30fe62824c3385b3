"""``vrex validate FILE...``: check scenario files, print every problem as FILE:LINE:COL.

Every stage runs in one pass (reading, the schema, the checks across the file, the sound and
model files, which are loaded by the session's own loaders); a problem that only follows
from one already reported is not repeated (``engine/scenario/salvage.py``).

``--target hmd`` also reports where a scenario would move the patient's head in a headset
(``engine/scenario/comfort.py`` and ``rigspeed.py`` have the rules, their limits and sources).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from engine.scenario import ScenarioError, load_scenario
from engine.scenario.comfort import check_hmd

TARGETS = ("desktop", "hmd")
log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check scenario files and report every problem",
        description="Check scenario files. Each problem is printed as FILE:LINE:COL: what is wrong — what is expected.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    p.add_argument(
        "--target",
        choices=TARGETS,
        default="desktop",
        help="where the scenario will be shown: 'desktop' (a screen, the default) or 'hmd' "
        "(a headset: also report pitch, roll, zoom, turns and fast moves of the viewpoint)",
    )
    p.set_defaults(run=run)


def check_file(path: Path, target: str = "desktop") -> list[str]:
    """Problems in one file as printable lines; [] when it is valid for ``target``."""
    try:
        spec = load_scenario(path)
        if target == "hmd":
            return [str(p) for p in check_hmd(spec)]
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    except Exception as exc:  # never show an author a traceback; the line still says where
        log.debug("checking %s failed", path, exc_info=True)
        return [
            (
                f"{path}:1:1: vrex could not check this file ({type(exc).__name__}: {exc}) — "
                "please report this with the file attached"
            )
        ]
    return []


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        lines = check_file(path, args.target)
        for line in lines:
            print(line)
        if lines:
            failed += 1
        elif not args.quiet:
            print(f"{path}: ok" + (" for a headset" if args.target == "hmd" else ""))
    if not args.quiet:
        print(f"{len(args.files)} file(s) checked, {failed} with problems", file=sys.stderr)
    return 1 if failed else 0
