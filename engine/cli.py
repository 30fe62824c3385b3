"""``vrex`` command line: one module per subcommand in ``engine/commands``.

Only ``VrexError`` (bad input the user can fix) is caught here and printed in one line;
anything else is a bug and keeps its traceback.

The subcommands are listed in ``COMMANDS`` by name, module and one-line help, and a
command's module is imported only when that command is chosen: the modules pull in numpy,
scipy, panda3d, pylsl and fastapi (about 1.4 s), which ``vrex --help`` and ``vrex
--version`` never need. ``vrex COMMAND --help`` imports just that command's module, so it
still shows every option. tests/engine/test_cli.py checks that each help line here is the
one its module registers.
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import logging
import os
import signal
import sys
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import NamedTuple

from adaptation.errors import AdaptationError
from engine import __version__
from engine.errors import VrexError
from engine.logsetup import configure_logging
from sensors.errors import SensorError


class Command(NamedTuple):
    """A subcommand: its name, the module with ``add_parser(sub)`` and ``run(args)``, and the
    help line ``vrex --help`` shows (the same text the module's ``add_parser`` gives)."""

    name: str
    module: str
    help: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


COMMANDS: tuple[Command | ModuleType, ...] = (
    Command("demo", "engine.commands.demo", "a closed-loop session with a simulated patient (no hardware)"),
    Command("session", "engine.commands.session", "a supervised session with a real patient and real sensors"),
    Command("report", "engine.commands.report", "write a session's report (HTML with plots, and PNGs)"),
    Command("history", "engine.commands.history", "list a patient's sessions and their progress"),
    Command("verify", "engine.commands.verify", "check that a session's event log was not altered"),
    Command("export", "engine.commands.export", "export a session (research format) or all of a patient's data"),
    Command("keys", "engine.commands.keys", "make the key pair that seals session records at rest"),
    Command("seal", "engine.commands.seal", "seal session folders left in the clear (after a crash)"),
    Command("erase", "engine.commands.erase", "erase every session of a patient (right to erasure)"),
    Command("new", "engine.commands.new", "write a commented starting scenario that validates"),
    Command("validate", "engine.commands.validate", "check scenario files and report every problem"),
    Command("preview", "engine.commands.preview", "render every level to PNG and a contact sheet (offscreen)"),
    Command("view", "engine.commands.view", "show a scenario; keys change intensity"),
    Command("schema", "engine.commands.schema", "export the scenario format as JSON Schema or Markdown"),
    Command("simulate", "engine.commands.simulate", "publish simulated ECG, PPG, EDA, respiration and RR over LSL"),
    Command("replay", "engine.commands.replay", "play a recording back as live LSL streams"),
    Command("streams", "engine.commands.streams", "list the LSL streams on the network"),
    Command("monitor", "engine.commands.monitor", "show live features and signal quality in the terminal"),
    Command("train", "engine.commands.train", "train a controller on simulated patients (PPO by default)"),
    Command(
        "evaluate",
        "engine.commands.evaluate",
        "compare controllers on simulated patients, per population (--populations A,B)",
    ),
)
"""Entries may also be command modules themselves (imported already, e.g. by a test); one of
the same name replaces the ``Command``."""


def commands() -> dict[str, Command | ModuleType]:
    """``COMMANDS`` by name, in order; a later entry of the same name replaces an earlier one."""
    named: dict[str, Command | ModuleType] = {}
    for entry in COMMANDS:
        named[entry.name if isinstance(entry, Command) else entry.__name__.rpartition(".")[2]] = entry
    return named


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``vrex`` parser. ``load``: the commands whose modules are imported for their full
    options (None: all of them); the others are listed by name and help only."""
    parser = argparse.ArgumentParser(prog="vrex", description="Adaptive VR exposure-therapy engine.")
    parser.add_argument("--version", action="version", version=f"vrex {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="also show what vrex's parts say at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, entry in commands().items():
        if isinstance(entry, Command) and load is not None and name not in load:
            sub.add_parser(name, help=entry.help).set_defaults(run=None)
        else:
            (entry.load() if isinstance(entry, Command) else entry).add_parser(sub)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``, if any. vrex's own options (-h, --version, -v) take no
    value, so the first argument that is not an option is the command, as argparse sees it."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


REAL_TIME = ("demo", "session", "simulate", "replay", "monitor")  # commands that run live loops


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 PID` prints every thread's Python stack to stderr: where a session that
        # will not stop is stuck (a user's bug report, or a test that gives up on it)
        try:
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except (AttributeError, ValueError, OSError):  # stderr without a file descriptor (captured)
            pass
    argv = sys.argv[1:] if argv is None else list(argv)
    command = chosen_command(argv)
    if command in REAL_TIME and "numpy" not in sys.modules:
        # A session's arrays are small, and OpenBLAS's own threads only fight the renderer and
        # the recorder for the cores: a synthetic 1 kHz feature tick took 10-18 ms with its
        # default threads on a loaded 2-core machine, 2.5 ms with one. Set before numpy loads.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = build_parser(load=() if command is None else (command,))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.run is None:  # argparse chose another command than chosen_command saw: load it too
        args = build_parser(load=(args.command,)).parse_args(argv)
    root, level = logging.getLogger(), logging.getLogger().level
    handler = configure_logging(args.verbose)
    try:
        return int(args.run(args) or 0)
    except (VrexError, SensorError, AdaptationError) as exc:
        print(f"vrex {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:  # a caller running main in its own process (a test) gets its logging back as it was
        root.removeHandler(handler)
        root.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
