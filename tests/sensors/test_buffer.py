import math

import numpy as np
import pytest

from sensors.buffer import RingBuffer


def stamps(start, n, rate):
    return start + np.arange(n) / rate


def test_window_by_seconds_across_the_wrap():
    buf = RingBuffer(seconds=2.0, rate=10.0, channels=2, unit="mV")
    assert buf.capacity == 21
    for k in range(7):  # 7 chunks of 5 -> wraps
        t = stamps(k * 0.5, 5, 10.0)
        buf.push(t, np.column_stack([t, -t]))
    assert len(buf) == 21 and buf.total == 35
    w = buf.window(1.0)
    assert len(w.times) == 10 and w.unit == "mV" and w.rate == 10.0
    np.testing.assert_allclose(w.times, stamps(2.5, 10, 10.0))
    np.testing.assert_allclose(w.values, w.times)
    np.testing.assert_allclose(buf.window(1.0, channel=1).values, -w.times)
    assert buf.window(0.35, end=3.0).times.tolist() == pytest.approx([2.7, 2.8, 2.9, 3.0])
    assert len(buf.window(100.0).times) == 21


def test_chunk_longer_than_capacity_keeps_the_newest():
    buf = RingBuffer(capacity=4)
    assert buf.push(np.arange(10.0), np.arange(10.0)) == 10
    assert buf.latest(10).values.tolist() == [6, 7, 8, 9]
    assert buf.oldest_time == 6 and buf.newest_time == 9


def test_new_samples_are_counted_until_read():
    buf = RingBuffer(seconds=1.0, rate=100.0)
    buf.push(stamps(0, 30, 100.0), np.zeros(30))
    buf.push(stamps(0.3, 20, 100.0), np.ones(20))
    assert buf.n_new == 50
    assert len(buf.new().times) == 50 and buf.n_new == 0
    buf.push(stamps(0.5, 5, 100.0), np.full(5, 2.0))
    assert buf.new().values.tolist() == [2.0] * 5
    buf.push(stamps(0.55, 5, 100.0), np.ones(5))
    buf.window(0.1)
    assert buf.n_new == 0


def test_times_going_backwards_are_dropped_and_counted():
    buf = RingBuffer(capacity=10)
    buf.push(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    kept = buf.push(np.array([2.5, 4.0, 3.5, 5.0, 5.0]), np.array([9.0, 4.0, 9.0, 5.0, 5.5]))
    assert kept == 3 and buf.dropped == 2
    assert buf.latest(10).values.tolist() == [1, 2, 3, 4, 5, 5.5]


def test_irregular_streams_need_a_capacity():
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(seconds=60.0, rate=0.0)
    buf = RingBuffer(capacity=3, rate=0.0)
    buf.push(np.array([0.0, 0.8, 1.7, 2.5]), np.array([800.0, 900.0, 800.0, 810.0]))
    assert buf.window(1.0).values.tolist() == [800.0, 810.0]


def test_empty_and_bad_input():
    buf = RingBuffer(seconds=1.0, rate=10.0, channels=2)
    w = buf.window(5.0)
    assert w.times.shape == (0,) and w.values.shape == (0,) and w.duration == 0.0
    assert math.isnan(buf.newest_time)
    assert buf.push(np.empty(0), np.empty((0, 2))) == 0
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        buf.push(np.arange(3.0), np.zeros((3, 3)))
    buf.push(np.arange(3.0), np.zeros((3, 2)))
    with pytest.raises(IndexError):
        buf.window(1.0, channel=2)


def test_window_is_a_copy():
    buf = RingBuffer(capacity=5)
    buf.push(np.arange(5.0), np.arange(5.0))
    w = buf.window(10.0)
    buf.push(np.arange(5.0, 10.0), np.arange(5.0, 10.0))
    assert w.values.tolist() == [0, 1, 2, 3, 4]


def test_tape_keeps_the_same_samples_as_concatenating_and_trimming():
    """The detectors' preallocated histories against the concatenation they replace: random
    chunk sizes (including ones larger than the array), drops, compactions and growth."""
    from sensors.buffer import Tape

    rng = np.random.default_rng(4)
    tape = Tape(2, keep=50)
    ref_a, ref_b = np.empty(0), np.empty(0)
    n = 0
    for _ in range(400):
        k = int(rng.choice([0, 1, 3, 17, 60, 400]))
        a = np.arange(n, n + k, dtype=float)
        tape.append(a, -a)
        ref_a, ref_b = np.concatenate([ref_a, a]), np.concatenate([ref_b, -a])
        n += k
        cut = max(0, ref_a.size - int(rng.integers(40, 60)))
        tape.drop(cut)
        ref_a, ref_b = ref_a[cut:], ref_b[cut:]
        got_a, got_b = tape.columns()
        assert len(tape) == ref_a.size
        assert np.array_equal(got_a, ref_a) and np.array_equal(got_b, ref_b)
    with pytest.raises(ValueError, match="keep >= 1"):
        Tape(1, 0)
