"""The console's server messages (uvicorn's, and asyncio's from the console's thread): at most
one line per kind of message every ``every_s``, with a count of those left out, one line each
(no tracebacks), written where the session writes its alerts (above the live status, never
over it), or to stderr when the session shows no status.

A client sending garbage, or a flood of sockets, must not fill the therapist's terminal (issue
16: 768k lines of tracebacks) nor break the in-place status lines with its own."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
EVERY_S = 30.0


class RateLimited(logging.Handler):
    def __init__(self, say: Callable[[str], None] | None = None, every_s: float = EVERY_S):
        super().__init__(logging.WARNING)
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}
        self.written = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            kind = f"{record.name}:{record.msg}"
            now = time.monotonic()
            if now - self._last.get(kind, -1e9) < self.every_s:
                self._skipped[kind] = self._skipped.get(kind, 0) + 1
                return
            self._last[kind] = now
            skipped = self._skipped.pop(kind, 0)
            text = " ".join(record.getMessage().split())[:200]
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({type(record.exc_info[1]).__name__}: {str(record.exc_info[1])[:100]})"
            more = f" (and {skipped} more like it in the last {self.every_s:g} s)" if skipped else ""
            self.written += 1
            self.say(f"console server: {text}{more}")
        except Exception:  # noqa: BLE001 — logging must never take the session down
            pass


class Split(logging.Handler):
    """asyncio's logger is the whole process's: records from the console's thread go to the
    rate-limited handler, all others on to the root logger as before."""

    def __init__(self, limited: RateLimited, thread: str):
        super().__init__()
        self.limited, self.thread = limited, thread

    def emit(self, record: logging.LogRecord) -> None:
        if record.threadName == self.thread:
            self.limited.handle(record)
        else:
            logging.getLogger().handle(record)


def route(say: Callable[[str], None] | None, thread: str) -> RateLimited:
    """Send the server's records to one rate-limited handler; nothing reaches the root logger."""
    handler = RateLimited(say)
    for name in LOGGERS:  # all of them end at "uvicorn", which goes no further
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, RateLimited)]:
            logger.removeHandler(old)
        logger.propagate = name != "uvicorn"
    logging.getLogger("uvicorn").addHandler(handler)
    aio = logging.getLogger("asyncio")
    for old in [h for h in aio.handlers if isinstance(h, Split)]:
        aio.removeHandler(old)
    aio.addHandler(Split(handler, thread))
    aio.propagate = False
    return handler
