"""``vrex erase PATIENT [--sessions DIR] [--yes]``: every session of a patient, removed."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.errors import VrexError
from engine.records.erase import ERASURE_LOG, erase_patient, patient_folder
from engine.records.seal import session_folders


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "erase",
        help="erase every session of a patient (right to erasure)",
        description="Remove DIR/PATIENT: every session of the patient, sealed or not, and everything in them. "
        f"One line is added to DIR/{ERASURE_LOG}: the date, a random erasure id and the number of sessions, "
        "never the patient id. Asks for the patient id again to confirm, unless --yes. Copies made elsewhere "
        "(reports with --out, exports, backups) are not touched: delete them too.",
    )
    p.add_argument("patient", metavar="PATIENT", help="the patient's pseudonymous id")
    p.add_argument(
        "--sessions", type=Path, default=Path("out/sessions"), help="the sessions folder (default out/sessions)"
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder = patient_folder(args.sessions, args.patient)
    count = len(session_folders(args.sessions, args.patient))
    if not args.yes:
        try:
            answer = input(
                f"erase {count} session(s) of {args.patient} in {folder} for good? type the patient id to confirm: "
            )
        except EOFError:
            raise VrexError("no answer on standard input: nothing erased; add --yes to erase without asking") from None
        if answer.strip() != args.patient:
            print("nothing erased (the answer was not the patient id)")
            return 1
    erasure = erase_patient(args.sessions, args.patient)
    print(f"erased {erasure.sessions} session(s), {erasure.files} file(s); erasure id {erasure.erasure_id}")
    print(f"logged in {erasure.log} (without the patient id)")
    return 0
