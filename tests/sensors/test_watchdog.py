"""The watchdog on a hand-driven clock: no LSL, no sleeping."""

import math

import numpy as np
import pytest

from sensors.watchdog import Status, Watchdog


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def feed(dog, clock, start, stop, rate):
    """Deliver samples stamped start..stop (exclusive) as they fall due, one poll per 20 ms."""
    t = start
    while t < stop:
        clock.t = t
        due = np.arange(math.ceil(max(start, t - 0.02) * rate), math.floor(t * rate) + 1) / rate
        dog.arrived(due[due >= start])
        dog.check()
        t += 0.02


def kinds(events):
    return [e.kind for e in events]


@pytest.mark.parametrize("rate", [1.0, 4.0, 64.0, 250.0, 2000.0])
def test_stale_within_bound_of_last_expected_sample(rate):
    clock = Clock()
    dog = Watchdog("ECG", rate, clock=clock)
    feed(dog, clock, 1000.0, 1003.0, rate)
    assert dog.status is Status.OK
    last = dog.last_time
    clock.t = last + dog.stale_after - 0.001
    assert dog.check() is Status.OK  # not a moment too early
    poll = 0.05
    while dog.check() is not Status.STALE:
        clock.t += poll
    latency = dog.detected_at - (last + 1.0 / rate)  # from the sample that never came
    assert latency <= 1.5 + poll
    assert dog.stale_since == pytest.approx(last + dog.stale_after)
    assert kinds(dog.pop_events()) == ["stale"]


def test_backlog_is_old_and_does_not_count_as_recovery():
    clock = Clock()
    dog = Watchdog("ECG", 100.0, clock=clock)
    feed(dog, clock, 1000.0, 1002.0, 100.0)
    clock.t = 1005.0
    assert dog.check() is Status.STALE
    dog.pop_events()
    # the frozen device's queue, 1002..1003.9: all older than stale_after (1.01 s) on arrival
    arrival = dog.arrived(np.arange(1002.0, 1003.9, 0.01))
    assert arrival.fresh == 0 and arrival.old == 190
    assert dog.check() is Status.STALE
    assert kinds(dog.pop_events()) == ["old"]
    # then data from now on
    arrival = dog.arrived(np.array([1004.995]))
    assert arrival.fresh == 1 and dog.status is Status.STALE  # one straggler is not enough
    clock.t = 1005.01
    dog.arrived(np.array([1005.005]))
    assert dog.status is Status.OK
    events = dog.pop_events()
    assert kinds(events) == ["gap", "recovered"]  # 1003.9 .. 1004.995 never arrived
    assert "stale" in events[-1].message


def test_burst_with_fresh_tail_flags_old_then_recovers():
    clock = Clock()
    dog = Watchdog("ECG", 250.0, clock=clock)
    feed(dog, clock, 1000.0, 1001.0, 250.0)
    clock.t = 1003.0
    dog.check()
    dog.pop_events()
    arrival = dog.arrived(np.arange(1001.0, 1003.0, 0.004))  # 2 s backlog up to now
    assert arrival.old == pytest.approx(250, abs=2) and arrival.fresh == pytest.approx(250, abs=2)
    assert kinds(dog.pop_events()) == ["old", "recovered"]


def test_a_lone_straggler_resets_confirmation():
    clock = Clock()
    dog = Watchdog("EDA", 4.0, clock=clock)
    feed(dog, clock, 1000.0, 1002.0, 4.0)
    clock.t = 1004.0
    dog.check()
    dog.arrived(np.array([1003.9]))
    clock.t = 1006.0
    dog.check()  # the straggler went stale too
    dog.arrived(np.array([1005.9]))
    assert dog.status is Status.STALE
    dog.arrived(np.array([1005.95]))
    assert dog.status is Status.OK


def test_future_timestamps_cannot_keep_a_dead_stream_alive():
    clock = Clock()
    dog = Watchdog("ECG", 100.0, clock=clock)
    arrival = dog.arrived(np.array([1000.0, 1003.0]))  # second one 3 s ahead
    assert arrival.future == 1 and dog.last_time == 1000.0
    assert kinds(dog.pop_events()) == ["future"]
    clock.t = 1000.0 + dog.stale_after + 0.01
    assert dog.check() is Status.STALE


def test_irregular_streams_need_an_expected_interval():
    with pytest.raises(ValueError, match="expected_interval"):
        Watchdog("RR", 0.0, clock=Clock())
    clock = Clock()
    dog = Watchdog("RR", 0.0, clock=clock, expected_interval=2.0)
    assert dog.stale_after == 3.0
    dog.arrived(np.array([1000.0]))
    clock.t = 1002.9
    assert dog.check() is Status.OK
    clock.t = 1003.1
    assert dog.check() is Status.STALE


def test_only_old_data_explains_the_clock():
    clock = Clock()
    dog = Watchdog("E4 EDA", 4.0, clock=clock)
    dog.arrived(np.array([10.0, 10.25]))  # stamped on some other clock
    assert dog.status is Status.NO_DATA and not dog.usable
    assert "local_clock" in dog.describe()
    assert math.isinf(dog.age())


def test_gap_in_timestamps_is_reported_even_if_never_seen_stale():
    clock = Clock()
    dog = Watchdog("ECG", 100.0, clock=clock)
    dog.arrived(np.array([999.98, 999.99]))
    clock.t = 1003.0
    dog.arrived(np.array([1002.99]))  # the reader itself was away 3 s
    assert "gap" in kinds(dog.pop_events())
    assert dog.check() is Status.OK


def test_old_events_are_rate_limited_but_counted():
    clock = Clock()
    dog = Watchdog("ECG", 100.0, clock=clock)
    for k in range(10):
        clock.t = 1000.0 + k * 0.1
        dog.arrived(np.array([900.0 + k]))
    assert kinds(dog.pop_events()) == ["old"]
    assert dog.old_total == 10


def test_bad_arguments():
    with pytest.raises(ValueError):
        Watchdog("x", 10.0, clock=Clock(), grace=0.0)
    with pytest.raises(ValueError):
        Watchdog("x", 10.0, clock=Clock(), confirm=0)
