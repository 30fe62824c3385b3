"""``vrex demo``: a whole closed-loop session with a simulated patient, no hardware needed.

A person drawn from the default population publishes ECG, PPG, EDA, breathing and RR
intervals as real LSL streams; vrex reads them through ``sensors/``, decides with the
shipped policy behind the safety shield, and drives the heights scene (offscreen when
there is no display). The session is recorded (XDF, event log, metadata) and a report is
written. ``--speed 15`` (the default) runs the 34-minute session in about 2.5 minutes.
"""

from __future__ import annotations

import argparse

from engine.commands import scenario_argument
from engine.commands.session import add_common, finish, options_from


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="a closed-loop session with a simulated patient (no hardware)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--scenario",
        type=scenario_argument,
        default=scenario_argument("heights"),
        help="scenario file or built-in name (default: heights)",
    )
    p.add_argument("--speed", type=float, default=15.0, help="simulated seconds per real second (default 15)")
    p.add_argument("--seed", type=int, default=0, help="which simulated person (default 0)")
    p.add_argument(
        "--inject",
        action="append",
        default=[],
        metavar="FAULT",
        help="hr_surge@START:SECONDS:BPM, dropout@START:SECONDS or stall@START:SECONDS (the frame "
        "thread blocks holding its GIL), in session seconds; repeatable",
    )
    add_common(p, demo=True)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.session.launch import run_session  # scipy, panda3d, pylsl: not for --help

    opts = options_from(args, demo=True)
    folder = run_session(opts)
    return finish(args, folder)
