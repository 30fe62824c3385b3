"""``vrex seal --pending [--sessions DIR]``: seal sessions left in the clear (a crash, a kill,
or a failed seal at the end), or ``vrex seal SESSION_DIR``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.errors import VrexError
from engine.records.keyfiles import RECIPIENTS_FILE, load_recipients
from engine.records.seal import last_change, pending, plaintext_files, seal_folder

QUIET_S = 300.0  # a running session writes every second; a folder unchanged this long is not running


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "seal",
        help="seal session folders left in the clear (after a crash)",
        description=f"Encrypt session folders to the public keys in DIR/{RECIPIENTS_FILE} (written by "
        "`vrex keys init --sessions DIR`). Sessions are sealed when they end; this seals those that did not "
        "end normally. A folder changed in the last 5 minutes may belong to a running session and is "
        "skipped unless --force.",
    )
    p.add_argument("session", nargs="?", type=Path, metavar="SESSION_DIR", help="one session folder to seal")
    p.add_argument("--pending", action="store_true", help="every session folder under --sessions with plaintext")
    p.add_argument(
        "--sessions", type=Path, default=Path("out/sessions"), help="the sessions folder (default out/sessions)"
    )
    p.add_argument("--force", action="store_true", help="seal folders changed in the last 5 minutes too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.session is None) == (not args.pending):
        raise VrexError("give either SESSION_DIR or --pending (every unsealed session under --sessions)")
    # resolved first: "." or "S/" typed inside the sessions folder has no useful parent as typed
    root = args.session.resolve().parent.parent if args.session is not None else args.sessions
    recipients = load_recipients(root)
    if not recipients:
        raise VrexError(
            f"{root / RECIPIENTS_FILE} does not exist: nothing to seal to; run `vrex keys init --sessions {root}`"
        )
    if args.session is not None:
        if not args.session.is_dir():
            raise VrexError(f"{args.session}: no such session folder")
        folders = [args.session] if plaintext_files(args.session) else []
    else:
        folders = pending(root)
    sealed = skipped = 0
    for folder in folders:
        quiet = time.time() - last_change(folder)
        if quiet < QUIET_S and not args.force:
            print(f"skipped {folder}: changed {quiet:.0f} s ago, it may be a running session (--force seals it)")
            skipped += 1
            continue
        files = seal_folder(folder, recipients)
        print(f"sealed {folder}: {len(files)} file(s)")
        sealed += 1
    print(f"{sealed} session(s) sealed, {skipped} skipped; sealed to {', '.join(recipients)}")
    return 1 if skipped else 0
