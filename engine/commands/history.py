"""``vrex history PATIENT [--root out/sessions]``: a patient's sessions and their progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.errors import VrexError
from engine.report.history import format_history, patient_history, validate_patient


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "history",
        help="list a patient's sessions and their progress",
        description="List a patient's sessions, oldest first: scenario, duration, highest level "
        "reached and held, peak SUDS, how each ended, and progress per scenario.",
    )
    p.add_argument("patient", type=_patient, metavar="PATIENT", help="the patient's pseudonymous id")
    p.add_argument(
        "--sessions",
        "--root",
        dest="root",
        type=Path,
        default=Path("out/sessions"),
        help="the sessions folder, as for vrex session: one folder per patient "
        "(default: out/sessions; --root is its older name)",
    )
    p.add_argument(
        "--identity", type=Path, help="the identity file that opens sealed sessions (or $VREX_IDENTITY; vrex keys)"
    )
    p.set_defaults(run=run)


def _patient(value: str) -> str:
    try:
        return validate_patient(value)
    except VrexError as exc:  # a bad argument: argparse shows usage and exits 2, like --size
        raise argparse.ArgumentTypeError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    print(format_history(patient_history(args.root, args.patient, args.identity)))
    return 0
