"""ControllerGuard: every way a controller can fail becomes None plus a readable reason."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from adaptation.guard import ControllerGuard
from adaptation.types import Decision, Observation
from sensors.types import Features
from tests.adaptation.fakes import FakeClock

LEVELS = tuple(i / 10 for i in range(11))


def obs(t: float = 0.0, target: float = 0.2) -> Observation:
    return Observation(
        time=t, intensity=target, target=target, levels=LEVELS, level=2, time_at_level=0.0, features=Features(time=t)
    )


class Scripted:
    """Returns (or raises) whatever ``answer`` is; advances a fake clock by ``cost`` s."""

    name = "scripted"

    def __init__(self, answer: object = None, clock: FakeClock | None = None, cost: float = 0.0):
        self.answer, self.clock, self.cost = answer, clock, cost
        self.calls = 0
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def decide(self, o: Observation):
        self.calls += 1
        if self.clock is not None:
            self.clock.now += self.cost
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.mark.parametrize("threaded", [False, True])
def test_a_valid_decision_passes_unchanged(threaded):
    d = Decision(0.3, "one step up", "scripted")
    g = ControllerGuard(Scripted(d), threaded=threaded)
    assert g.call(obs()) is d
    assert g.last_error == ""


@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize(
    "answer, error",
    [
        (ValueError("boom"), "controller 'scripted' raised ValueError: boom"),
        (Decision(math.nan, "x"), "controller 'scripted' returned NaN target"),
        (Decision(math.inf, "x"), "controller 'scripted' returned inf target"),
        (Decision(-math.inf, "x"), "controller 'scripted' returned -inf target"),
        (None, "controller 'scripted' returned NoneType not a Decision"),
        (0.5, "controller 'scripted' returned float not a Decision"),
        (Decision("0.5", "x"), "controller 'scripted' returned target '0.5' (str), not a number"),
        (Decision(True, "x"), "controller 'scripted' returned target True (bool), not a number"),
    ],
)
def test_failures_give_none_and_a_readable_reason(threaded, answer, error):
    g = ControllerGuard(Scripted(answer), threaded=threaded)
    assert g.call(obs()) is None
    assert g.last_error == error


def test_numpy_and_int_targets_become_plain_floats():
    for t in (np.float32(0.25), np.float64(0.25), 0):
        d = ControllerGuard(Scripted(Decision(t, "r", "s", ("kept",)))).call(obs())
        assert type(d.target) is float and d.target == float(t)
        assert (d.reason, d.source, d.interventions) == ("r", "s", ("kept",))


def test_inline_discards_a_late_answer_measured_on_the_injected_clock():
    clock = FakeClock()
    slow = Scripted(Decision(0.3, "late"), clock, cost=0.41)
    g = ControllerGuard(slow, timeout_s=0.25, clock=clock)
    assert g.call(obs()) is None
    assert g.last_error == "controller 'scripted' took 0.41 s > 0.25 s"
    slow.cost = 0.25  # exactly the limit is still in time
    assert g.call(obs()).target == 0.3 and g.last_error == ""


def test_a_clock_reading_nan_counts_as_too_slow():
    g = ControllerGuard(Scripted(Decision(0.3, "r")), clock=lambda: math.nan)
    assert g.call(obs()) is None and "took nan s" in g.last_error


class Blocking:
    """Blocks in decide until released; answers with the observation's time as target."""

    name = "blocking"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def reset(self) -> None:
        pass

    def decide(self, o: Observation) -> Decision:
        self.entered.set()
        self.release.wait(10.0)
        return Decision(o.time, f"answer for t={o.time}")


def wait_idle(g: ControllerGuard, limit_s: float = 5.0) -> None:
    end = time.monotonic() + limit_s
    while g._busy and time.monotonic() < end:
        time.sleep(0.001)
    assert not g._busy


def test_threaded_timeout_then_busy_then_recovers_without_the_late_answer():
    c = Blocking()
    g = ControllerGuard(c, timeout_s=0.05, threaded=True)
    c.release.clear()
    assert g.call(obs(0.1)) is None
    assert g.last_error == "controller 'blocking' took more than 0.05 s"
    assert g.call(obs(0.2)) is None  # the worker is still stuck in the first call
    assert g.last_error == "controller 'blocking' still busy with a previous call (> 0.05 s)"
    c.release.set()
    wait_idle(g)
    d = g.call(obs(0.3))  # a fresh answer, not the late one for t=0.1
    assert d.target == 0.3 and g.last_error == ""


def test_threaded_worker_survives_exceptions_and_keeps_one_thread():
    c = Scripted(ValueError("first"))
    before = threading.active_count()
    g = ControllerGuard(c, threaded=True)
    assert g.call(obs()) is None and "ValueError: first" in g.last_error
    c.answer = Decision(0.4, "ok")
    for _ in range(20):
        assert g.call(obs()).target == 0.4
    assert threading.active_count() == before + 1


def test_reset_reports_a_raising_reset():
    class BadReset(Scripted):
        def reset(self) -> None:
            raise RuntimeError("no state")

    g = ControllerGuard(BadReset(Decision(0.1, "r")))
    assert g.reset() is False
    assert g.last_error == "controller 'scripted' reset raised RuntimeError: no state"
    ok = Scripted(Decision(0.1, "r"))
    assert ControllerGuard(ok).reset() is True and ok.resets == 1


def test_a_controller_without_a_name_is_named_by_its_type():
    class Anonymous:
        def reset(self) -> None: ...
        def decide(self, o):
            raise KeyError("k")

    g = ControllerGuard(Anonymous())
    assert g.call(obs()) is None and g.last_error.startswith("controller 'Anonymous' raised KeyError")


@pytest.mark.parametrize("bad", [0, -1.0, math.nan, math.inf, "1"])
def test_timeout_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="timeout_s="):
        ControllerGuard(Scripted(), timeout_s=bad)
