"""Session time: ``SessionClock`` counts session seconds on LSL's clock
(``pylsl.local_clock``, the one base every stream's stamps use), ``speed`` times faster than
real time in a demo, and maps session time to the LSL stamps the streams carry and back.
The runner reads it at every control step; the frame thread gets its ``start`` and ``speed``
through the frame share, so both sides agree on what time it is (docs/architecture.md).
"""

from __future__ import annotations

from sensors import lsl


class SessionClock:
    """Session seconds since ``start`` on LSL's clock, ``speed`` times faster than real time.
    ``lsl_time`` maps session time to the (simulated) LSL stamps the streams carry."""

    def __init__(self, speed: float = 1.0, start: float | None = None):
        self.speed = speed
        self.start = lsl.local_clock() if start is None else start

    def now(self) -> float:
        return (lsl.local_clock() - self.start) * self.speed

    def lsl_time(self, session_time: float | None = None) -> float:
        return self.start + (self.now() if session_time is None else session_time)

    def lsl_now(self) -> float:
        return self.lsl_time()

    def session_time(self, stamp: float) -> float:
        """The session time of an LSL stamp made by ``lsl_time``."""
        return stamp - self.start
