"""``vrex report SESSION_DIR [--out DIR]``: one self-contained HTML report and PNG plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.errors import VrexError
from engine.report import write_report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a session's report (HTML with plots, and PNGs)",
        description="Write report.html (self-contained: plots inside) and plots/*.png for one "
        "session folder. A damaged or incomplete folder is reported as far as it "
        "can be read, with what is missing listed in the report.",
    )
    p.add_argument(
        "session",
        type=Path,
        metavar="SESSION_DIR",
        help="a session folder, e.g. out/sessions/<patient>/<date>-<scenario>",
    )
    p.add_argument("--out", type=Path, help="write the report here instead of into the session folder")
    p.add_argument(
        "--identity",
        type=Path,
        help="the identity file that opens a sealed session (or $VREX_IDENTITY; a sealed session's report needs --out)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.records.keyfiles import identity_path
    from engine.records.seal import is_sealed
    from engine.records.unseal import refuse_inside, sealed_message

    if is_sealed(args.session) and identity_path(args.identity) is None:
        raise VrexError(sealed_message(args.session))
    if is_sealed(args.session) and args.out is None:
        raise VrexError(
            f"{args.session} is sealed: its report would be health data in the clear beside it; give --out DIR "
            f"(a private folder; delete it when done)"
        )
    refuse_inside(args.session, args.out)
    # a sealed session is read from a private decrypted copy, removed after (load_session)
    report = write_report(args.session, args.out, identity=args.identity)
    print(f"report: {report.html}")
    for path in report.plots:
        print(f"plot:   {path}")
    if report.problems:
        print(f"{len(report.problems)} thing(s) missing or damaged (listed in the report too):", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
    return 0
