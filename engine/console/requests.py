"""Which commands the console accepts, checked on the server thread before anything is queued.

The session (``engine/session/handlers.py``) has the last word on every command and logs
it; this first check, against the same table (``engine/session/command_spec.py``), refuses
what could never be right, with a reason the therapist can act on, so that a malformed
message never reaches the session at all: an unknown command, an argument the command does
not take, a level that does not exist, a mode that is not one, a command that is not the
console's to send (``patient_stop`` is the patient's button; ``stop`` is the therapist's).
"""

from __future__ import annotations

from typing import Any

from engine.session.command_spec import MAX_NOTE, Refused
from engine.session.command_spec import check as check_command

__all__ = ["MAX_BODY", "MAX_NOTE", "Refused", "check"]
MAX_BODY = 16384  # bytes: a note of 2000 characters fits many times over


def check(body: Any, levels: int) -> tuple[str, dict]:
    """``(name, args)`` from a parsed JSON body ``{"command": NAME, "args": {...}}``, or
    ``Refused`` with the reason. ``levels`` is the scenario's number of levels."""
    if not isinstance(body, dict):
        raise Refused('send a JSON object: {"command": NAME, "args": {...}}')
    extra = sorted(set(body) - {"command", "args"})
    if extra:
        raise Refused(f"unknown field(s) {', '.join(map(repr, extra))}: send only 'command' and 'args'")
    return check_command(body.get("command"), body.get("args", {}), "console", levels)
