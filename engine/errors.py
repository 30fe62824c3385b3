"""The root of vrex's own exceptions.

The CLI catches ``VrexError`` only, prints its message and exits non-zero; anything else is
a bug and is allowed to show its traceback (the httpx habit).
"""


class VrexError(Exception):
    """An error caused by input (a file, an argument, a stream) that the user can fix."""
