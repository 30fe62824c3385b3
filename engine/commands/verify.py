"""``vrex verify SESSION_DIR``: is the session's events.jsonl as it was written?"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from engine.errors import VrexError

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="check that a session's event log was not altered",
        description="Check the hash chain of SESSION_DIR/events.jsonl: each line holds "
        "the hash of the line before it, and session.json the last one. "
        "Prints 'ok: N events, chain intact' (exit 0) or the first line "
        "altered, removed or inserted (exit 1). Logs written before the "
        "chain existed are reported as not chained (exit 0).",
    )
    p.add_argument(
        "session",
        type=Path,
        metavar="SESSION_DIR",
        help="a session folder, e.g. out/sessions/<patient>/<date>-<scenario>",
    )
    p.add_argument(
        "--identity",
        type=Path,
        help="the identity file that opens a sealed session (or $VREX_IDENTITY); it is read from a private "
        "decrypted copy, removed afterwards",
    )
    p.set_defaults(run=run)


def _head(folder: Path) -> dict | None:
    """session.json's ``events_chain``, if the file can be read and has one."""
    try:
        meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s (%s): the end of the log is not checked", folder / "session.json", exc)
        return None
    head = meta.get("events_chain") if isinstance(meta, dict) else None
    return head if isinstance(head, dict) else None


def run(args: argparse.Namespace) -> int:
    from engine.records.unseal import opened

    with opened(args.session, args.identity) as folder:  # a sealed session: decrypted in a private place
        return _verify(folder)


def _verify(folder: Path) -> int:
    from engine.session.verify import verify_events

    events = folder / "events.jsonl"
    if not events.is_file():
        raise VrexError(f"{events} does not exist: give a session folder (out/sessions/<patient>/<date>-<scenario>)")
    head = _head(folder)
    verdict = verify_events(events, head)
    if verdict.ok and head is not None and verdict.message.startswith("not chained"):
        # session.json says this session wrote a chain: a log without one was replaced, or had
        # every line's prev stripped (which would otherwise pass as an old, unchained log)
        print(
            f"{events}: no line carries the hash chain, but session.json records one of {head.get('lines')} "
            f"lines: the log was replaced or every line altered",
            file=sys.stderr,
        )
        return 1
    print(verdict.message, file=sys.stdout if verdict.ok else sys.stderr)
    for note in verdict.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0 if verdict.ok else 1
