"""Every command a session takes, declared once: name, arguments and their ranges, who may
send it, its key in the window, and what it does.

The window's keys (``keys.py``), the console's first check (``engine/console/requests.py``),
the session's own check before it applies a command (``handlers.py``) and the command table
in ``docs/commands.md`` (written from here by ``markdown()``; a test keeps it current) all
read this table, so a command cannot take one argument in the console and another in the
session, or exist in the docs only.

Who sends what (``origin``): ``therapist`` (keys in the window), ``console`` (the
therapist's browser console), ``patient`` (the patient's stop key, their SUDS answers; a
simulated patient in a demo) and ``session`` (the session itself, e.g. ending a demo's
exposure after an escape).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any  # a command's name and arguments arrive as JSON from the console: anything

from vrexbase.real import is_finite

THERAPIST = frozenset({"therapist", "console"})
ORIGINS = ("therapist", "console", "patient", "session")
MAX_NOTE = 2000
MODES = ("manual", "suggest", "auto")  # core.Mode's values (a test keeps them equal)
SSQ_MAX = 235.62  # Kennedy et al. 1993: total = (nausea + oculomotor + disorientation raw) × 3.74
# Kennedy et al. 1993: each subscale is its raw sum (7 items of 0–3) times its weight
SSQ_SUBSCALE_MAX = {"nausea": 21 * 9.54, "oculomotor": 21 * 7.58, "disorientation": 21 * 13.92}


class Refused(ValueError):
    """A command that could never be right; ``str()`` says what was wrong and what to send."""


def request_id() -> str:
    """A new id for one command: its verdict in the log carries it back to whoever asked."""
    return secrets.token_hex(6)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str  # level | mode | suds | text | index | ssq_total | ssq_part
    required: bool = True
    help: str = ""

    def check(self, value: Any, levels: int) -> Any:
        """The value as the session stores it, or ``Refused`` saying what to give."""
        k = self.kind
        if k == "level":
            if not (_whole(value) and 1 <= value <= levels):
                raise Refused(f"level {value!r} does not exist: give a whole number from 1 to {levels}")
        elif k == "mode":
            if value not in MODES:
                raise Refused(f"mode {value!r} is not one of {', '.join(MODES)}")
        elif k == "suds":
            if not (is_finite(value) and 0 <= value <= 100):
                raise Refused(f"SUDS {value!r} is not a number from 0 to 100")
        elif k == "text":
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_NOTE:
                raise Refused(f"a note is text of 1 to {MAX_NOTE} characters")
            return value.strip()
        elif k == "index":
            if not (_whole(value) and value >= 0):
                raise Refused(f"alert {value!r} does not exist: give the alert's index (a whole number from 0)")
        elif k == "ssq_total":
            if not (is_finite(value) and 0 <= value <= SSQ_MAX):
                raise Refused(f"SSQ total {value!r} is not a number from 0 to {SSQ_MAX}")
        elif k == "ssq_part":
            top = SSQ_SUBSCALE_MAX[self.name]
            if not (is_finite(value) and 0 <= value <= top):
                raise Refused(f"SSQ {self.name} {value!r} is not a number of 0 or more (at most {top:.2f})")
        return value


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help: str
    args: tuple[Arg, ...] = ()
    senders: frozenset[str] = THERAPIST
    keys: tuple[str, ...] = ()  # keys in the session window (F-keys for levels: see keys.py)

    def check(self, args: Any, origin: str, levels: int) -> dict:
        """The arguments, checked and normalised, or ``Refused``."""
        if origin not in self.senders:
            who = " or ".join(sorted(self.senders))
            hint = " (the therapist's is 'stop')" if self.name == "patient_stop" else ""
            raise Refused(f"{self.name} is sent by the {who} only, not by the {origin}{hint}")
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise Refused(f"'args' of {self.name} must be a JSON object, not {type(args).__name__}")
        known = {a.name for a in self.args}
        extra = sorted(set(args) - known)
        missing = [a.name for a in self.args if a.required and a.name not in args]
        if extra or missing:
            takes = ", ".join(a.name + ("" if a.required else " (optional)") for a in self.args) or "no arguments"
            wrong = (
                f"unknown argument(s) {', '.join(map(repr, extra))}"
                if extra
                else f"missing argument(s) {', '.join(map(repr, missing))}"
            )
            raise Refused(f"{self.name}: {wrong}; it takes {takes}")
        return {a.name: a.check(args[a.name], levels) for a in self.args if a.name in args}


SPECS: dict[str, CommandSpec] = {
    s.name: s
    for s in (
        CommandSpec(
            "stop", "calm state at once (the veil closes on the next frame); the controller waits", keys=("s",)
        ),
        CommandSpec(
            "patient_stop",
            "the patient's own stop: calm state at once, logged as the patient's, alerts the therapist",
            senders=frozenset({"patient"}),
            keys=("space",),
        ),
        CommandSpec(
            "hold",
            "the controller may not raise intensity until resume (the session holds by itself when "
            "a headset loses focus or is taken off)",
            senders=THERAPIST | {"session"},
            keys=("h",),
        ),
        CommandSpec("resume", "end a hold or a stop; the controller waits before its first raise", keys=("r",)),
        CommandSpec("step_up", "one level up", keys=("page_up",)),
        CommandSpec("step_down", "one level down", keys=("page_down",)),
        CommandSpec(
            "set_level",
            "go to a level (the console asks for a second click for 2+ levels up)",
            (Arg("level", "level", help="1 … number of levels"),),
            keys=("f1 … f12",),
        ),
        CommandSpec("mode", "who changes levels", (Arg("mode", "mode", help=", ".join(MODES)),)),
        CommandSpec("accept", "apply the controller's proposal (suggest mode), if it still holds", keys=("a",)),
        CommandSpec("reject", "drop the controller's proposal", keys=("x",)),
        CommandSpec(
            "suds",
            "a SUDS rating (0 calm … 100 the most ever)",
            (Arg("value", "suds", help="0 … 100"),),
            senders=THERAPIST | {"patient"},
            keys=("0 … 9 (× 10)", "o (100)"),
        ),
        CommandSpec("ask_suds", "show the SUDS question to the patient", keys=("q",)),
        CommandSpec("note", "a note in the record", (Arg("text", "text", help=f"1 … {MAX_NOTE} characters"),)),
        CommandSpec(
            "end", "end the exposure: recovery in the calm state", senders=THERAPIST | {"session"}, keys=("e",)
        ),
        CommandSpec(
            "recentre",
            "a headset's forward becomes where the patient looks now (turn and place only; the view never tilts)",
            senders=THERAPIST | {"patient"},
            keys=("c",),
        ),
        CommandSpec(
            "ack", "acknowledge an alert (it stays listed)", (Arg("index", "index", help="the alert's index"),)
        ),
        CommandSpec(
            "ssq",
            "the Simulator Sickness Questionnaire as scored (Kennedy et al. 1993)",
            (
                Arg("total", "ssq_total", help=f"0 … {SSQ_MAX}"),
                *(Arg(k, "ssq_part", required=False, help=f"0 … {top:.2f}") for k, top in SSQ_SUBSCALE_MAX.items()),
            ),
        ),
    )
}


def check(name: Any, args: Any, origin: str, levels: int) -> tuple[str, dict]:
    """``(name, args)`` checked against the table for a sender of ``origin``, or ``Refused``."""
    spec = SPECS.get(name) if isinstance(name, str) else None
    if spec is None:
        known = ", ".join(n for n, s in SPECS.items() if origin in s.senders)
        raise Refused(f"unknown command {name!r}; the {origin}'s commands are: {known}")
    return name, spec.check(args, origin, levels)


def markdown() -> str:
    """The command table of ``docs/commands.md``."""
    rows = ["| command | arguments | who may send it | key | what it does |", "| --- | --- | --- | --- | --- |"]
    for s in SPECS.values():
        args = ", ".join(f"`{a.name}`{'' if a.required else '?'} ({a.help})" for a in s.args) or "—"
        keys = ", ".join(s.keys) or "—"
        rows.append(f"| `{s.name}` | {args} | {', '.join(o for o in ORIGINS if o in s.senders)} | {keys} | {s.help} |")
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Command:
    """One command on its way to the session (``command_spec.py`` lists them), with the id
    that its verdict in the log will carry back to whoever asked."""

    name: str
    args: dict = field(default_factory=dict)
    origin: str = "therapist"
    request: str = field(default_factory=request_id)
