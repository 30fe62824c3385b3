"""Call a controller so that whatever it does (raise, hang, return garbage) costs nothing
but a ``None`` and a readable reason; the safety shield then falls back to a rule controller.

Two modes:

* inline (``threaded=False``, the default, used in training and simulation): the controller
  runs on the caller's thread and its elapsed time is measured with the injectable clock; an
  answer that arrives after ``timeout_s`` is discarded. A controller that truly hangs blocks
  the caller here: nothing inline can interrupt it, so live sessions use the threaded mode.
* threaded: one persistent daemon worker thread runs the controller and the caller waits at
  most ``timeout_s`` of real time. A timed-out call leaves the worker busy; later calls return
  ``None`` ("still busy with a previous call") until it finishes, and its late answer is
  dropped. Python cannot kill a thread, so a hung controller keeps its worker forever: the
  shield keeps working on the fallback.
"""

from __future__ import annotations

import math
import numbers
import queue
import threading
import time
from collections.abc import Callable

from adaptation.types import Controller, Decision, Observation


def check_decision(result: object, who: str) -> tuple[Decision | None, str]:
    """``(decision, "")`` when ``result`` is a Decision with a finite real target, else
    ``(None, reason)``. A numpy scalar target is converted to a plain float."""
    if not isinstance(result, Decision):
        return None, f"{who} returned {type(result).__name__} not a Decision"
    t = result.target
    if type(t) is not float:  # fast path above; numpy scalars and ints are converted
        if isinstance(t, bool) or not isinstance(t, numbers.Real):
            return None, f"{who} returned target {t!r} ({type(t).__name__}), not a number"
        t = float(t)
        result = Decision(t, result.reason, result.source, result.interventions)
    if not math.isfinite(t):
        return None, f"{who} returned {'NaN' if t != t else t} target"
    return result, ""


class ControllerGuard:
    """``call(obs)`` returns the controller's valid Decision, or ``None`` with ``last_error``
    saying why (raised, NaN target, wrong type, too slow, still busy)."""

    def __init__(
        self,
        controller: Controller | None,
        timeout_s: float = 0.25,
        threaded: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ):
        if not (isinstance(timeout_s, (int, float)) and 0.0 < timeout_s < math.inf):
            raise ValueError(f"timeout_s={timeout_s!r}: must be a finite number of seconds > 0")
        self.controller = controller
        # None: no controller (a filter-only shield in training); every call fails cleanly
        self.name = "none" if controller is None else str(getattr(controller, "name", type(controller).__name__))
        self.who = f"controller '{self.name}'"
        self.timeout_s = float(timeout_s)
        self.threaded = threaded
        self.clock = clock
        self.last_error = ""
        self._busy = False
        self._jobs: queue.SimpleQueue | None = None
        if threaded and controller is not None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(
                target=self._work, args=(self._jobs, controller), name=f"guard-{self.name}", daemon=True
            ).start()

    def reset(self) -> bool:
        """Reset the controller; False (and ``last_error``) if it raised. Runs inline: a
        session start is not a control tick, and a busy worker's call is dropped anyway."""
        if self.controller is None:
            return True
        try:
            self.controller.reset()
        except Exception as e:  # noqa: BLE001 — any failure of the controller is its own
            self.last_error = f"{self.who} reset raised {type(e).__name__}: {e}"
            return False
        self.last_error = ""
        return True

    def call(self, obs: Observation) -> Decision | None:
        if self.controller is None:
            self.last_error = "no controller (a filter-only shield)"
            return None
        if self.threaded:
            return self._call_threaded(obs)
        t0 = self.clock()
        try:
            result = self.controller.decide(obs)
        except Exception as e:  # noqa: BLE001
            self.last_error = f"{self.who} raised {type(e).__name__}: {e}"
            return None
        elapsed = self.clock() - t0
        if not elapsed <= self.timeout_s:  # also rejects a NaN reading of a broken clock
            self.last_error = f"{self.who} took {elapsed:.2f} s > {self.timeout_s:g} s"
            return None
        decision, self.last_error = check_decision(result, self.who)
        return decision

    def _call_threaded(self, obs: Observation) -> Decision | None:
        if self._busy:
            self.last_error = f"{self.who} still busy with a previous call (> {self.timeout_s:g} s)"
            return None
        done = threading.Event()
        box: list = []  # the worker appends (result, error) and sets ``done``
        self._busy = True
        assert self._jobs is not None  # threaded with a controller: the worker's queue exists
        self._jobs.put((obs, box, done))
        if not done.wait(self.timeout_s):
            self.last_error = f"{self.who} took more than {self.timeout_s:g} s"
            return None  # the worker stays busy; its late answer goes nowhere
        result, error = box[0]
        if error:
            self.last_error = error
            return None
        decision, self.last_error = check_decision(result, self.who)
        return decision

    def _work(self, jobs: queue.SimpleQueue, controller: Controller) -> None:
        while True:
            obs, box, done = jobs.get()
            try:
                box.append((controller.decide(obs), ""))
            except BaseException as e:  # noqa: BLE001 — the worker must survive anything
                box.append((None, f"{self.who} raised {type(e).__name__}: {e}"))
            self._busy = False  # before ``set``: a caller woken by it may call again at once
            done.set()
