"""An outlet in another process, killed with SIGKILL or frozen with SIGSTOP: the reader
must say "stale" within the issue's bound, flag the backlog after a freeze as old, and
report recovery only when fresh data returns. Detection is timed with the watchdog's own
clock (LSL's local_clock) and must come within 1.5 s of the last expected sample, plus
the interval between the poll that noticed it and the poll before."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from sensors import lsl
from sensors.stream_reader import StreamReader
from sensors.watchdog import Status

pytestmark = pytest.mark.slow

RESOLVE_S = 20.0
POLL_S = 0.02
BOUND_S = 1.5


class Poller:
    """Polls a reader every POLL_S and remembers what each poll saw."""

    def __init__(self, reader: StreamReader):
        self.reader = reader
        self.polls = []  # (time, Poll)
        self.stale_gap = None  # interval before the poll that noticed staleness

    def until(self, predicate, timeout: float, what: str):
        end = lsl.local_clock() + timeout
        while lsl.local_clock() < end:
            now = lsl.local_clock()
            before = self.reader.status
            poll = self.reader.poll(now)
            if poll.status is Status.STALE and before is not Status.STALE:
                self.stale_gap = now - self.polls[-1][0]
            self.polls.append((now, poll))
            if predicate(poll):
                return poll
            time.sleep(POLL_S)
        raise AssertionError(f"{what} did not happen within {timeout} s; last: {self.polls[-1]}")

    def events(self, since: float = -np.inf):
        return [e for t, p in self.polls if t >= since for e in p.events]


def open_reader(sid, closing):
    inlet = closing(lsl.find_stream(source_id=sid, timeout=RESOLVE_S).open(timeout=RESOLVE_S))
    return StreamReader(inlet)


def check_detection(poller: Poller, t_event: float) -> float:
    dog = poller.reader.watchdog
    expected = dog.last_time + dog.expected_interval  # the sample that never came
    latency = dog.detected_at - expected
    assert latency <= BOUND_S + poller.stale_gap, (latency, poller.stale_gap)
    assert dog.detected_at - t_event <= BOUND_S + poller.stale_gap
    assert dog.detected_at - dog.last_time >= dog.stale_after  # and not too early
    return dog.detected_at - t_event


@pytest.mark.parametrize("rate", [250.0, 4.0])
def test_outlet_killed_then_restarted_with_the_same_source_id(rate, uid, outlet_process, closing):
    sid = uid()
    proc = outlet_process(sid, rate=rate)
    reader = open_reader(sid, closing)
    poller = Poller(reader)
    poller.until(lambda p: reader.buffer.total >= max(4, rate), RESOLVE_S, "first second of data")

    t_kill = lsl.local_clock()
    os.kill(proc.pid, signal.SIGKILL)
    poller.until(lambda p: p.status is Status.STALE, 10.0, "staleness after kill -9")
    latency = check_detection(poller, t_kill)
    assert reader.inlet.smoothing_resets >= 1  # dejitter restarts with the next data

    t_restart = lsl.local_clock()
    outlet_process(sid, rate=rate)
    poller.until(lambda p: any(e.kind == "recovered" for e in p.events), 30.0, "recovery")
    t_recovered = lsl.local_clock()
    assert reader.status is Status.OK
    # Keep reading: LSL's timestamps for the new outlet must be right, not extrapolated from
    # the dead one (liblsl's own dejitter puts a 4 Hz stream up to 1 s into the future).
    end = lsl.local_clock() + max(1.0, 4.0 / rate)
    poller.until(lambda p: lsl.local_clock() > end, 10.0, "reading on")
    later = poller.events(since=t_recovered)
    assert not [e for e in later if e.kind in ("stale", "future")], later
    assert reader.status is Status.OK and -0.05 < reader.age() < reader.watchdog.stale_after
    fresh = reader.window(1.5)
    np.testing.assert_allclose(np.diff(fresh.times[-3:]), 1.0 / rate, rtol=0.05)
    print(
        f"\n{rate:g} Hz kill -9: stale {latency:.3f} s after the kill; recovered "
        f"{t_recovered - t_restart:.2f} s after the restart"
    )


def test_outlet_frozen_then_resumed_flags_the_backlog_as_old(uid, outlet_process, closing):
    rate, freeze = 250.0, 2.5
    sid = uid()
    proc = outlet_process(sid, rate=rate)
    reader = open_reader(sid, closing)
    poller = Poller(reader)
    poller.until(lambda p: reader.buffer.total >= rate, RESOLVE_S, "first second of data")

    t_stop = lsl.local_clock()
    os.kill(proc.pid, signal.SIGSTOP)
    poller.until(lambda p: p.status is Status.STALE, 10.0, "staleness after SIGSTOP")
    latency = check_detection(poller, t_stop)
    poller.until(lambda p: lsl.local_clock() > t_stop + freeze, 10.0, "the freeze")
    assert reader.status is Status.STALE

    t_cont = lsl.local_clock()
    os.kill(proc.pid, signal.SIGCONT)
    recovered = poller.until(lambda p: any(e.kind == "recovered" for e in p.events), 10.0, "recovery")
    after = [p for t, p in poller.polls if t >= t_cont]
    old = sum(p.old for p in after)
    assert old >= 0.5 * (freeze - reader.watchdog.stale_after) * rate, old
    kinds = [e.kind for p in after for e in p.events]
    assert "old" in kinds and kinds.index("old") < kinds.index("recovered")
    assert recovered.new - recovered.old >= reader.watchdog.confirm  # fresh data did it
    # nothing was lost: the device's sample counter runs on without a gap through the freeze
    index = reader.window(60.0).values
    assert np.all(np.diff(index) == 1.0) and index[-1] >= (freeze + 1.0) * rate * 0.9
    assert reader.status is Status.OK
    print(
        f"\nSIGSTOP: stale {latency:.3f} s after the freeze; backlog {old} old samples; "
        f"recovered {poller.polls[-1][0] - t_cont:.3f} s after SIGCONT"
    )
