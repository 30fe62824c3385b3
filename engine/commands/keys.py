"""``vrex keys init [--out FILE] [--sessions DIR]``: the clinic's key pair for sealed sessions."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.records.keyfiles import add_recipient, default_identity_path, write_identity


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "keys",
        help="make the key pair that seals session records at rest",
        description="keys init: make an identity (secret key, age format) and print its public key (the "
        "recipient). With --sessions DIR the recipient goes into DIR/recipients.txt, and every session "
        "that ends under DIR is sealed to it from then on. The identity opens the sealed sessions: keep "
        "an offline copy (a second medium, or printed) — lost, every session sealed to it is lost.",
    )
    keys = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = keys.add_parser("init", help="make an identity file and print its public key")
    init.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"where to write the identity (default {default_identity_path()}); never overwritten",
    )
    init.add_argument(
        "--sessions",
        type=Path,
        default=None,
        help="also seal sessions under this folder to the new key (adds it to DIR/recipients.txt)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = args.out or default_identity_path()
    recipient = write_identity(out)
    print(f"identity: {out} (secret; 0600)")
    print(f"public key (recipient): {recipient}")
    if args.sessions is not None:
        print(f"sessions under {args.sessions} are sealed to it: {add_recipient(args.sessions, recipient)}")
    else:
        print(
            "to seal sessions to it: vrex keys init does this with --sessions DIR, or add the key to DIR/recipients.txt"
        )
    print(
        "back it up now: copy the identity file to an offline medium (or print it); lost, the sealed sessions are lost"
    )
    return 0
