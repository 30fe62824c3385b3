"""The root of vrex's own exceptions.

The CLI catches ``VrexError`` only, prints its message and exits non-zero; anything else is
a bug and is allowed to show its traceback (the httpx habit).
"""


class VrexError(Exception):
    """An error caused by input (a file, an argument, a stream) that the user can fix."""


def explained(head: str, error: BaseException) -> list[str]:
    """An error in full, under ``head``: an ambiguous stream's message lists every candidate
    on the lines after its first (the first line alone once hid them all)."""
    first, *rest = [_printable(line) for line in str(error).splitlines()] or [""]
    return [head + first] + [" " * len(head) + line.strip() for line in rest if line.strip()]


def _printable(line: str) -> str:
    """Stream names and units come from anyone on the network: no escape code reaches the
    therapist's terminal through a message."""
    return "".join(ch if ch.isprintable() else "?" for ch in line)
