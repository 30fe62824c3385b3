"""Which commands the console accepts, checked on the server thread before anything is queued.

The session (``engine/session/commands.py``) has the last word on every command and logs
it; this first check refuses what could never be right, with a reason the therapist can
act on, so that a malformed message never reaches the session at all: an unknown command,
an argument the command does not take, a level that does not exist, a mode that is not one.

``patient_stop`` is left out on purpose: it is the patient's button and is logged as the
patient's, so the therapist's console cannot give it; ``stop`` is the therapist's.
"""

from __future__ import annotations

import math
from typing import Any

# command -> the arguments it takes (all required)
CONSOLE_COMMANDS: dict[str, tuple[str, ...]] = {
    "stop": (), "hold": (), "resume": (), "step_up": (), "step_down": (),
    "set_level": ("level",), "mode": ("mode",), "accept": (), "reject": (),
    "suds": ("value",), "ask_suds": (), "note": ("text",), "end": (), "ack": ("index",),
    "ssq": ("total",),                    # the subscales are the session's to check (optional)
}
MODES = ("manual", "suggest", "auto")
SSQ_SUBSCALES = {"nausea", "oculomotor", "disorientation"}
MAX_NOTE = 2000
MAX_BODY = 16384          # bytes: a note of 2000 characters fits many times over


class Refused(ValueError):
    """A command the console will not queue; ``str()`` says what was wrong and what to send."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check(body: Any, levels: int) -> tuple[str, dict]:
    """``(name, args)`` from a parsed JSON body ``{"command": NAME, "args": {...}}``, or
    ``Refused`` with the reason. ``levels`` is the scenario's number of levels."""
    if not isinstance(body, dict):
        raise Refused('send a JSON object: {"command": NAME, "args": {...}}')
    extra = sorted(set(body) - {"command", "args"})
    if extra:
        raise Refused(f"unknown field(s) {', '.join(map(repr, extra))}: send only 'command' and 'args'")
    name = body.get("command")
    if name not in CONSOLE_COMMANDS:
        known = ", ".join(CONSOLE_COMMANDS)
        raise Refused(f"unknown command {name!r}; the console's commands are: {known}")
    args = body.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise Refused(f"'args' of {name} must be a JSON object, not {type(args).__name__}")
    wanted = CONSOLE_COMMANDS[name]
    extra = sorted(set(args) - set(wanted) - (SSQ_SUBSCALES if name == "ssq" else set()))
    missing = [k for k in wanted if k not in args]
    if extra or missing:
        takes = ", ".join(wanted) if wanted else "no arguments"
        wrong = (f"unknown argument(s) {', '.join(map(repr, extra))}" if extra
                 else f"missing argument(s) {', '.join(map(repr, missing))}")
        raise Refused(f"{name}: {wrong}; it takes {takes}")
    if name == "set_level" and not (_whole(args["level"]) and 1 <= args["level"] <= levels):
        raise Refused(f"level {args['level']!r} does not exist: give a whole number from 1 to {levels}")
    if name == "mode" and args["mode"] not in MODES:
        raise Refused(f"mode {args['mode']!r} is not one of {', '.join(MODES)}")
    if name == "suds":
        v = args["value"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 100:
            raise Refused(f"SUDS {v!r} is not a number from 0 to 100")
    if name == "note":
        text = args["text"]
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NOTE:
            raise Refused(f"a note is text of 1 to {MAX_NOTE} characters")
        args = {"text": text.strip()}
    if name == "ack" and not (_whole(args["index"]) and args["index"] >= 0):
        raise Refused(f"alert {args['index']!r} does not exist: give the alert's index (a whole number from 0)")
    return name, dict(args)
