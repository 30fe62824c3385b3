"""The session's event log as the console shows it, read from ``events.jsonl`` on the
server thread.

Reading the file, rather than hooking the log, keeps the server away from the session's
objects entirely, and what the page shows is exactly what was recorded: a command appears
on the page only once it is in the log. The file is append-only and every line is
flushed as it is written (``engine/session/events.py``), so reading new bytes from where
the last read stopped sees every event; a line still being written is kept until its end.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

# what the page's log lists; ticks (one a second) and the demo's hidden truth are left out
SHOWN = frozenset(
    {
        "session_start",
        "phase",
        "baseline",
        "intensity",
        "shown",
        "command",
        "suds",
        "prompt",
        "sensor",
        "shield",
        "note",
        "escape",
        "avoidance",
        "looked_away",
        "looked_back",
        "pace",
        "stall",
        "session_end",
    }
)
KEEP = 300


class EventTail:
    """New events of ``path`` on each ``poll()``; ``recent`` holds the last ``keep`` shown ones."""

    def __init__(self, path: str | Path, keep: int = KEEP):
        self.path = Path(path)
        self.recent: deque[dict] = deque(maxlen=keep)
        self.last_seq = -1  # seq of the newest event read, shown or not
        self._file = None
        self._rest = b""

    def poll(self) -> list[dict]:
        """Events appended since the last poll that the page shows (oldest first)."""
        if self._file is None:
            try:
                self._file = open(self.path, "rb")
            except OSError:
                return []  # not written yet
        data = self._file.read()
        if not data:
            return []
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()  # b"" after a whole line, else the part still being written
        new = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line a crash cut short: the log's readers skip it too
            if not isinstance(event, dict):
                continue
            if isinstance(event.get("seq"), int):
                self.last_seq = max(self.last_seq, event["seq"])
            if event.get("kind") in SHOWN:
                new.append(event)
                self.recent.append(event)
        return new

    def after(self, seq: int) -> list[dict]:
        """Shown events newer than ``seq``."""
        return [e for e in self.recent if e.get("seq", -1) > seq]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
