"""``vrex`` command line: one module per subcommand in ``engine/commands``.

Only ``VrexError`` (bad input the user can fix) is caught here and printed in one line;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys

from engine import __version__
from adaptation.errors import AdaptationError
from engine.commands import (demo, evaluate, history, monitor, preview, replay, report, schema, session, simulate,
                             streams, train, validate, view)
from engine.errors import VrexError
from sensors.errors import SensorError

COMMANDS = (demo, session, report, history, validate, preview, view, schema, simulate, replay, streams, monitor,
            train, evaluate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vrex", description="Adaptive VR exposure-therapy engine.")
    parser.add_argument("--version", action="version", version=f"vrex {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 PID` prints every thread's Python stack to stderr: where a session that
        # will not stop is stuck (a user's bug report, or a test that gives up on it)
        try:
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except (AttributeError, ValueError, OSError):   # stderr without a file descriptor (captured)
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (VrexError, SensorError, AdaptationError) as exc:
        print(f"vrex {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
