"""What the terminal shows while a session runs: phase, level, HR, EDA, the controller's last
decision and its reason, and a progress bar. Updated in place on a terminal; on a pipe or a
log file, one line every ``every_s`` of session time instead (no control characters)."""

from __future__ import annotations

import math
import re
import sys
import threading
from collections import deque
from typing import TextIO

from engine.session.core import CoreSnapshot, Phase
from sensors.types import Features

BAR = 24


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """``text`` without control characters (a line break, a tab or an escape code in a name or
    a reason would break, or rewrite, the therapist's terminal)."""
    return _CONTROL.sub(" ", text)


def _num(v: float, fmt: str, unit: str) -> str:
    return f"{v:{fmt}} {unit}" if isinstance(v, (int, float)) and math.isfinite(v) else f"— {unit}"


def progress(core: CoreSnapshot) -> float:
    p = core.plan
    total = p.baseline_s + p.exposure_s + p.recovery_s
    done = {
        Phase.BASELINE: 0.0,
        Phase.EXPOSURE: p.baseline_s,
        Phase.RECOVERY: p.baseline_s + p.exposure_s,
        Phase.DONE: total,
    }[core.phase]
    if core.phase is not Phase.DONE:
        done += core.time - core.phase_start
    return min(max(done / total, 0.0), 1.0)


def lines(core: CoreSnapshot, features: Features | None, shown: float) -> list[str]:
    frac = progress(core)
    bar = "█" * int(frac * BAR) + "·" * (BAR - int(frac * BAR))
    minutes, seconds = divmod(int(core.time), 60)
    f = features
    hr = _num(f.hr_bpm, ".0f", "bpm") if f else "—"
    eda = _num(f.eda_tonic_us, ".2f", "µS") if f else "—"
    rel = f.relative.get("hr_bpm", math.nan) if f else math.nan
    rel_text = f" ({rel:+.0%})" if math.isfinite(rel) else ""
    d = core.last_decision
    reason = plain(d.reason if d else "no decision yet")[:110]
    hold = f"  [{core.therapist.value}]" if core.therapist.value != "none" else ""
    forecast = [plain(core.forecast)[:140]] if core.forecast else []  # the predictive alert while it stands
    return [
        f"[{bar}] {frac:4.0%}  {minutes:02d}:{seconds:02d}  {core.phase.value:9} {core.mode.value}{hold}",
        f"level {core.level + 1}/{len(core.plan.levels)} '{plain(core.level_name)}'  "
        f"intensity {shown:.2f} → {core.target:.2f}"
        f"   HR {hr}{rel_text}   EDA {eda}   SUDS {_num(core.suds, '.0f', '')}".rstrip(),
        f"decision: {reason}",
        *forecast,
    ]


class StatusDisplay:
    """The live status and the alerts, written by a thread of their own: a terminal that
    stops reading (a full pipe, a paused or starved terminal emulator) blocks only that
    thread, never the control loop. Only the newest status is kept for it; alerts queue
    (the newest 1000). A write that fails is raised from the next ``update`` or ``say``, so
    the runner can drop the display and say so."""

    def __init__(self, stream: TextIO = sys.stdout, every_s: float = 60.0):
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.every_s = every_s
        self._shown = 0
        self._next = 0.0
        self._alerts: deque[str] = deque(maxlen=1000)
        self._status: list[str] | None = None
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._write_loop, name="vrex-terminal", daemon=True)
        self._thread.start()

    def update(self, core: CoreSnapshot, features: Features | None, shown: float) -> None:
        self._raise()
        if not self.live:
            if not (core.time >= self._next or core.done):
                return
            self._next = core.time + self.every_s
        self._status = lines(core, features, shown)
        self._kick()

    def say(self, text: str) -> None:
        """A message that stays (an alert): printed above the in-place status."""
        self._raise()
        self._alerts.append(text)
        self._kick()

    def flush(self, timeout: float = 1.0) -> None:
        """Wait (at most ``timeout``) until everything said so far is written."""
        self._idle.wait(timeout)

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _kick(self) -> None:
        self._idle.clear()
        self._wake.set()

    def _write_loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                while self._alerts:
                    self._write_alert(self._alerts.popleft())
                status, self._status = self._status, None
                if status is not None:
                    self._write_status(status)
                self.stream.flush()
            except BaseException as exc:  # noqa: BLE001 — told to the runner at its next call
                self.error = exc
                self._idle.set()
                return
            self._idle.set()
            if self._wake.is_set():  # more came meanwhile: not idle after all
                self._idle.clear()

    def _write_status(self, text: list[str]) -> None:
        if self.live:
            if self._shown:
                self.stream.write(f"\x1b[{self._shown}F")  # back up: update in place
            self.stream.write(
                "".join(f"\x1b[2K{line}\n" for line in text) + "\x1b[J"
            )  # J: a shorter status leaves no line behind
            self._shown = len(text)
        else:
            self.stream.write(" | ".join(text) + "\n")

    def _write_alert(self, text: str) -> None:
        if self.live and self._shown:
            self.stream.write(f"\x1b[{self._shown}F\x1b[J")
            self._shown = 0
        self.stream.write("\n".join(plain(line) for line in text.split("\n")) + "\n")
