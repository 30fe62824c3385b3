"""``vrex export``: one session in a research format, or everything held about one patient.

Two modes:
- ``vrex export SESSION_DIR --format bids|fif|edf --out DIR``: one session converted for analysis
  (``engine.report.export.export_session``);
- ``vrex export --patient PATIENT --out FILE.zip|.tar|.tar.gz``: the right of access, every
  session of the patient decrypted into one archive (``engine.records.patient_export``).
Sealed sessions are opened with ``--identity FILE`` (or ``$VREX_IDENTITY``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.errors import VrexError
from engine.records.unseal import opened, refuse_inside

RESEARCH_FORMATS = ("bids", "fif", "edf")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a session (research format) or all of a patient's data",
        description="Two modes. (1) Research: `vrex export SESSION_DIR --format bids|fif|edf --out DIR` "
        "converts one session for analysis tools. (2) Patient (right of access): `vrex export --patient "
        "PATIENT --out FILE.zip|.tar|.tar.gz` writes everything vrex holds about the patient — every session "
        "folder, decrypted where sealed — into one archive. Both write health data in the clear: keep the "
        "output private and delete it when done.",
    )
    p.add_argument("session", nargs="?", type=Path, metavar="SESSION_DIR", help="research mode: the session folder")
    p.add_argument("--format", choices=RESEARCH_FORMATS, help="research mode: the format to write")
    p.add_argument("--patient", metavar="PATIENT", help="patient mode: the patient's pseudonymous id")
    p.add_argument(
        "--sessions",
        type=Path,
        default=Path("out/sessions"),
        help="patient mode: the sessions folder (default out/sessions)",
    )
    p.add_argument("--out", type=Path, required=True, help="research mode: a folder; patient mode: the archive file")
    p.add_argument("--identity", type=Path, help="the identity file that opens sealed sessions (or $VREX_IDENTITY)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.patient is not None:
        if args.session is not None or args.format is not None:
            raise VrexError("--patient exports everything about a patient: give no SESSION_DIR or --format with it")
        from engine.records.patient_export import export_patient

        index = export_patient(args.sessions, args.patient, args.out, args.identity)
        print(f"exported {len(index['sessions'])} session(s) of {args.patient} to {args.out}")
        print("it holds health data in the clear: hand it over securely and delete this copy")
        return 0
    if args.session is None or args.format is None:
        raise VrexError(
            "give SESSION_DIR --format bids|fif|edf (one session for research) or --patient PATIENT (everything "
            "about a patient, in one archive)"
        )
    try:
        from engine.report.export import export_session
    except ModuleNotFoundError as exc:
        if exc.name != "engine.report.export":
            raise
        raise VrexError(f"--format {args.format}: research export is not available in this version of vrex") from None
    refuse_inside(args.session, args.out)
    with opened(args.session, args.identity) as plain:
        written = export_session(plain, args.format, args.out)
    print(f"exported {args.session} as {args.format} to {args.out}: {', '.join(p.name for p in written)}")
    return 0
