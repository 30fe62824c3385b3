"""``events.jsonl``: every event of a session, one JSON object per line, safe against crashes.

Each line is flushed to the operating system as soon as it is written, so a killed vrex
(even SIGKILL) loses nothing that ``log`` returned and another reader sees it at once;
``fsync`` (against a power cut or a kernel crash; up to 18 ms each, seen with strace) runs
at most once a second on a writer thread of its own, never in ``log``, so whoever logs
never waits for the disk. ``sync`` does the same on demand.

The file is only ever appended to. Opening one that a crash left with a cut-short last
line starts a new line first, so the cut line stays a bad line of its own; ``seq``
continues after the last event already in the file.

Every line carries ``prev``: the first 16 hex digits of the SHA-256 of the previous line's
bytes (without its newline; ``GENESIS`` on the first line), so a line later altered,
removed or inserted breaks the chain (``vrex verify``, ``engine.session.verify``). A
sha256 of one short line costs microseconds, on the caller's thread.

The file is created 0600 and never appended to through a symbolic link
(``engine.session.private``): a planted link is refused with a message naming it.

Values are written as strict JSON: NaN and infinities become null, numpy scalars and
arrays their Python values, anything else unknown its ``str()``; logging never fails on a
value.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from engine.session.private import open_append
from sensors.lsl import local_clock

FSYNC_INTERVAL_S = 1.0
BASE_KEYS = ("seq", "t", "lsl", "wall", "source", "kind", "reason", "prev")
GENESIS = "0" * 16  # the first line's prev: no line before it
REQUIRED_KEYS = ("seq", "t", "source", "kind")  # what a reader cannot do without


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as None, tuples and sets as lists, numpy values as
    Python ones and other unknown objects as their ``str()``: always valid strict JSON."""
    if isinstance(value, float):  # numpy.float64 included
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):  # an IntEnum becomes its number
        return int(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return json_safe(value.tolist())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def dumps(value: Any) -> str:
    """One line of strict JSON (no NaN, no newline) for any value."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError):  # NaN, numpy float32, a Path, ...
        return json.dumps(json_safe(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def line_hash(line: bytes) -> str:
    """The chain's link to ``line`` (its bytes without the newline): 16 hex digits of its
    SHA-256. 64 bits: ample to tell an edit; this is not a signature (docs/security.md)."""
    return hashlib.sha256(line).hexdigest()[:16]


def utc_iso(when: datetime | None = None) -> str:
    """UTC ISO-8601 with milliseconds and a Z, as in session.json: 2026-11-27T08:15:00.123Z."""
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class EventLog:
    """Appends events to ``path``; thread-safe (the render loop and the console both log)."""

    def __init__(
        self,
        path: str | Path,
        clock_session: Callable[[], float],
        lsl_clock: Callable[[], float] = local_clock,
        publish: Callable[[str], None] | None = None,
        *,
        fsync_interval: float = FSYNC_INTERVAL_S,
    ):
        self.path = Path(path)
        self.clock_session = clock_session
        self.lsl_clock = lsl_clock
        self.publish = publish
        self.fsync_interval = fsync_interval
        self._lock = threading.Lock()
        self._seq = 0
        self._unsynced = False
        self._last_sync = time.monotonic()
        # Opened first, refusing a link, so what is read below is the file appended to.
        self._file: BinaryIO | None = open_append(self.path)  # append-only: never truncates; None once closed
        self._prev, self._lines = GENESIS, 0
        data = self.path.read_bytes()
        if data:
            events, _ = read_events(self.path)
            self._seq = max((e["seq"] for e in events if isinstance(e["seq"], int)), default=-1) + 1
            if not data.endswith(b"\n"):
                self._file.write(b"\n")  # a crash cut the last line short
                data += b"\n"
            self._lines = data.count(b"\n")
            self._prev = line_hash(data[:-1].rsplit(b"\n", 1)[-1])  # the cut line too
        self._closed = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="vrex-events-fsync", daemon=True)
        self._syncer.start()

    @property
    def count(self) -> int:
        """The seq the next event will get."""
        return self._seq

    @property
    def head(self) -> dict:
        """How many lines the file has and the chain's link to the last one (``line_hash``):
        written into session.json at the end, so removing or altering the last lines shows."""
        with self._lock:
            return {"lines": self._lines, "last": self._prev}

    def log(self, source: str, kind: str, reason: str = "", **fields: Any) -> dict:
        """Write one event and return it as written (NaN as None, tuples as lists). The
        line is flushed before this returns; ``publish`` gets the same line, in seq order."""
        clash = [k for k in fields if k in BASE_KEYS]
        if clash:
            raise ValueError(f"event '{kind}': field(s) {', '.join(clash)} are set by the log itself; rename them")
        with self._lock:
            if self._file is None:
                raise ValueError(f"event log {self.path} is closed; cannot log '{kind}'")
            event = {
                "seq": self._seq,
                "t": self.clock_session(),
                "lsl": self.lsl_clock(),
                "wall": utc_iso(),
                "source": source,
                "kind": kind,
                "reason": reason,
                "prev": self._prev,
                **fields,
            }
            line = dumps(event)
            raw = line.encode("utf-8")
            self._file.write(raw + b"\n")
            self._file.flush()
            self._prev = line_hash(raw)
            self._lines += 1
            self._seq += 1
            self._unsynced = True
            if self.publish is not None:
                self.publish(line)
        return json.loads(line)

    def sync(self) -> None:
        """fsync if something is unsynced and a second has passed; cheap otherwise."""
        if not self._unsynced:
            return
        with self._lock:
            if self._file is not None:
                self._sync_if_due(self._file)

    def _sync_loop(self) -> None:
        """The writer thread: fsync what was written, at most every ``fsync_interval``. It
        syncs a duplicate of the file descriptor outside the lock, so ``log`` never waits."""
        period = max(self.fsync_interval, 0.05)
        while not self._closed.wait(period):
            if not self._unsynced or time.monotonic() - self._last_sync < self.fsync_interval:
                continue
            with self._lock:
                if self._file is None:
                    return
                fd = os.dup(self._file.fileno())
                self._unsynced = False
            try:
                os.fsync(fd)
            except OSError:
                self._unsynced = True  # tried again next time; close() syncs for sure
            finally:
                os.close(fd)
            self._last_sync = time.monotonic()

    def _sync_if_due(self, file: BinaryIO) -> None:
        now = time.monotonic()
        if self._unsynced and now - self._last_sync >= self.fsync_interval:
            os.fsync(file.fileno())
            self._last_sync = now
            self._unsynced = False

    def close(self) -> None:
        """Flush, fsync and close; later ``log`` calls raise. Idempotent."""
        self._closed.set()
        if self._syncer is not threading.current_thread():
            self._syncer.join(5.0)
        with self._lock:
            if self._file is None:
                return
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_events(path: str | Path) -> tuple[list[dict], list[str]]:
    """The events of ``path`` and a list of problems (``FILE:LINE: what``) for lines that
    are not events, which are skipped. A last line cut short by a crash is dropped without
    a problem, as the format says readers must."""
    path = Path(path)
    data = path.read_bytes()
    lines = data.split(b"\n")  # not splitlines(): U+2028 may sit in a string
    last_cut = not data.endswith(b"\n")
    if not last_cut:
        lines.pop()  # the empty piece after the final newline
    events: list[dict] = []
    problems: list[str] = []
    previous = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            if not (last_cut and number == len(lines)):
                problems.append(f"{path}:{number}: not a JSON line ({exc}); skipped")
            continue
        if not isinstance(event, dict):
            problems.append(f"{path}:{number}: a JSON {type(event).__name__}, not an event object; skipped")
            continue
        absent = [k for k in REQUIRED_KEYS if k not in event]
        if absent:
            problems.append(f"{path}:{number}: no {', '.join(absent)}; skipped")
            continue
        seq = event["seq"]
        if isinstance(previous, int) and isinstance(seq, int) and seq != previous + 1:
            problems.append(
                f"{path}:{number}: seq {seq} follows {previous} "
                f"({'events missing' if seq > previous else 'out of order'})"
            )
        previous = seq
        events.append(event)
    return events, problems
