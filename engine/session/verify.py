"""Check the hash chain of a session's ``events.jsonl`` (``vrex verify SESSION``).

Each line's ``prev`` is ``line_hash`` of the line before it (``GENESIS`` on the first), and
session.json's ``events_chain`` (written at the session's end) holds the number of lines
and the link to the last one. So an edited line breaks the link of the line after it, a
removed line leaves a link that points at nothing, an inserted line leaves the next line
pointing past it, and lines cut from or added to the end no longer match session.json.

The chain shows changes made with an editor or a script that does not recompute it; it
does not stop someone who rewrites every later ``prev`` and session.json too (there is no
secret key): docs/security.md.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from engine.session.events import GENESIS, line_hash

log = logging.getLogger(__name__)


@dataclass
class Verdict:
    """What ``verify_events`` found: ``ok`` (exit 0) or not, one line for the user, and notes."""

    ok: bool
    message: str
    notes: list[str] = field(default_factory=list)
    line: int | None = None  # the first line found altered, removed or inserted


def _prev_of(raw: bytes) -> str | None:
    """The ``prev`` of one line, or None for a line that is not an event object or has none."""
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    prev = event.get("prev") if isinstance(event, dict) else None
    return prev if isinstance(prev, str) else None


def _seq_of(raw: bytes) -> int | None:
    try:
        seq = json.loads(raw.decode("utf-8")).get("seq")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) else None


def _is_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError):
        return False


def _explain_break(lines: list[bytes], links: list[str], m: int) -> tuple[int, str]:
    """Line ``m`` (1-based) has a ``prev`` that is not the link to line m-1: say what most
    likely happened, by the line number a person should look at."""
    prev = _prev_of(lines[m - 1])
    link_before = links[m - 2] if m > 1 else GENESIS  # the link line m should hold
    if m < len(lines) and _prev_of(lines[m]) == link_before:
        return m, f"line {m} inserted (line {m + 1}'s prev points at line {m - 1}, before it)"
    earlier = ([GENESIS] + links[: m - 2]) if m > 1 else []  # earlier[j]: the link to line j
    if prev in earlier:
        j = earlier.index(prev)  # line m follows line j: j+1..m-1 are extra
        if j < m - 2 and m == len(lines):  # a last line copied from further up
            return m, f"line {m} inserted (its prev points at line {j}, not at line {m - 1})"
        what = f"line {j + 1}" if j + 1 == m - 1 else f"lines {j + 1} to {m - 1}"
        return j + 1, f"{what} inserted (line {m}'s prev points at line {j}, before it)"
    if m < len(lines) and _prev_of(lines[m]) not in (None, links[m - 1]):
        # line m+1 does not match line m either: line m itself was changed, its prev included
        return m, f"line {m} altered: its prev and its hash both break the chain"
    if m == 1:
        return 1, "line 1 does not start the chain: lines were removed from the start"
    before, after = _seq_of(lines[m - 2]), _seq_of(lines[m - 1])
    if before is not None and after is not None and after > before + 1:
        return m, (
            f"line(s) removed before line {m} (seq {before} is followed by {after}, "
            f"and line {m}'s prev matches no line before it)"
        )
    return m - 1, f"line {m - 1} altered: its hash no longer matches line {m}'s prev"


def verify_events(path: str | Path, head: dict | None = None) -> Verdict:
    """Check ``path``'s chain; ``head``: session.json's ``events_chain``, if it has one."""
    path = Path(path)
    data = path.read_bytes()
    lines = data.split(b"\n")  # not splitlines(): U+2028 may sit in a string
    cut = not data.endswith(b"\n")
    if not cut:
        lines.pop()
    if cut and lines == [b""]:
        lines = []
    notes: list[str] = []
    links = [line_hash(raw) for raw in lines]
    first = next((i for i, raw in enumerate(lines) if _prev_of(raw) is not None), None)
    if first is None:
        return Verdict(
            True,
            f"not chained (recorded before vrex wrote a hash chain into "
            f"events.jsonl): {len(lines)} lines, nothing to check",
            ["an old log: edits to it cannot be detected"],
        )
    if first:
        notes.append(f"lines 1 to {first} were written before the chain started (not checked)")
    for i in range(first, len(lines)):
        m, raw = i + 1, lines[i]
        prev = _prev_of(raw)
        if prev is None:
            if _is_object(raw):  # vrex writes prev on every chained line
                return Verdict(
                    False,
                    f"{path}:{m}: line {m} inserted: it has no prev, and "
                    f"every line vrex writes after line {first + 1} has one",
                    notes,
                    m,
                )
            if cut and m == len(lines):
                notes.append(f"line {m}: the last line was cut short (a crash); not an event")
            else:
                notes.append(f"line {m}: not an event (a line cut short by a crash); the next line's prev checks it")
            continue
        expected = links[i - 1] if i else GENESIS
        if prev != expected:
            at, what = _explain_break(lines, links, m)
            return Verdict(False, f"{path}:{at}: {what}", notes, at)
    events = sum(1 for raw in lines if _prev_of(raw) is not None)
    if head is not None:
        broken = _check_head(path, lines, links, head)
        if broken is not None:
            return Verdict(False, broken[1], notes, broken[0])
    else:
        notes.append(
            "session.json has no events_chain (the session did not end normally): "
            "lines removed from the end, or the last line altered, cannot be detected"
        )
    return Verdict(True, f"ok: {events} events, chain intact", notes)


def _check_head(path: Path, lines: list[bytes], links: list[str], head: dict) -> tuple[int, str] | None:
    """Compare the end of the file with session.json's ``events_chain``."""
    count, last = head.get("lines"), head.get("last")
    if not isinstance(count, int) or not isinstance(last, str):
        return 0, f"{path}: session.json's events_chain is damaged ({head!r})"
    if len(lines) < count:
        return len(lines) + 1, (
            f"{path}:{len(lines) + 1}: {count - len(lines)} line(s) removed "
            f"from the end (session.json says {count} lines)"
        )
    if count and links[count - 1] != last:
        return count, (
            f"{path}:{count}: line {count} altered: it no longer matches the last line recorded in session.json"
        )
    if len(lines) > count:
        return count + 1, (f"{path}:{count + 1}: line(s) {count + 1} to {len(lines)} added after the session ended")
    return None
