"""A stream that declares 32 Hz but delivers 1 sample a second is unusable, and says so:
in each window's quality (so its features are NaN with the reason), in the watchdog's
verdict and events, and over real LSL."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from sensors import lsl
from sensors.features import extract
from sensors.quality import completeness, signal_quality
from sensors.stream_reader import StreamReader
from sensors.types import StreamSpec, Window
from sensors.watchdog import Status, Watchdog
from tests.sensors.test_features_synthetic import synth_ecg, synth_eda
from tests.sensors.test_watchdog import Clock, kinds


def thinned(w: Window, keep_every: int) -> Window:
    return Window(w.times[::keep_every], w.values[::keep_every], w.rate, w.unit)


@pytest.fixture(scope="module")
def eda():
    t, x, _ = synth_eda(60.0, 32.0, onsets=[10.0, 30.0, 45.0], amplitudes=[0.3, 0.2, 0.4])
    return Window(t, x, 32.0, "uS")


def test_a_trickle_is_unusable_and_says_how_much_arrives(eda):
    q = signal_quality(thinned(eda, 32), "eda")
    assert q.index == 0.0 and not q.usable
    assert q.reason == "incomplete: receiving 1.0 samples/s of 32 nominal"


def test_a_whole_window_costs_nothing_and_a_small_loss_is_named(eda):
    assert completeness(eda) == (1.0, "ok") and signal_quality(eda, "eda").reason == "ok"
    # every 7th sample lost: 86 % of the declared rate, usable but not fully trusted
    keep = np.ones(eda.times.size, bool)
    keep[::7] = False
    q = signal_quality(Window(eda.times[keep], eda.values[keep], 32.0, "uS"), "eda")
    assert 0.5 <= q.index < 1.0 and q.reason.startswith("incomplete: receiving 27.")
    # a stream with no declared rate (RR intervals) is not held to one
    assert completeness(Window(eda.times[::32], eda.values[::32], 0.0)) == (1.0, "ok")


def test_features_of_a_trickling_stream_are_nan_with_the_reason(eda):
    t, x, _ = synth_ecg(30.0, 250.0, hr_bpm=70.0, seed=2)
    now = float(t[-1])
    ecg = Window(t, x, 250.0, "mV")
    eda = Window(eda.times + now - eda.times[-1], eda.values, 32.0, "uS")  # ends with the ECG
    whole = extract(now, {"ecg": ecg, "eda": eda})
    assert math.isfinite(whole.hr_bpm) and math.isfinite(whole.eda_tonic_us)
    trickle = extract(now, {"ecg": thinned(ecg, 250), "eda": thinned(eda, 32)})
    assert math.isnan(trickle.hr_bpm) and math.isnan(trickle.eda_tonic_us)
    assert trickle.reasons["hr_bpm"].startswith("ecg incomplete: receiving 1.0 samples/s of 250 nominal")
    assert "incomplete: receiving 1.0 samples/s of 32 nominal" in trickle.reasons["eda_tonic_us"]


def deliver(
    dog: Watchdog, clock: Clock, start: float, stop: float, rate: float, every: int = 1, poll: float = 0.02
) -> None:
    """Samples stamped at ``rate`` (every ``every``-th one sent), delivered as they fall due."""
    n = int(round(start * rate))
    t = start
    while t < stop:
        clock.t = t
        due = np.arange(n, math.floor(t * rate) + 1)
        n = max(n, int(due[-1]) + 1) if due.size else n
        sent = due[due % every == 0] / rate
        dog.arrived(sent)
        dog.check()
        t += poll


def test_watchdog_judges_the_delivered_rate_once_a_window_has_arrived():
    clock = Clock()
    dog = Watchdog("EDA", 32.0, clock=clock)
    deliver(dog, clock, 1000.0, 1004.0, 32.0, every=32)  # 1 sample/s, less than a window
    assert dog.status is Status.OK and not dog.incomplete and math.isnan(dog.delivered_rate)
    deliver(dog, clock, 1004.0, 1008.0, 32.0, every=32)
    assert dog.status is Status.OK and dog.incomplete and not dog.usable
    assert dog.delivered_rate == pytest.approx(1.0, abs=0.21)
    events = dog.pop_events()
    assert kinds(events) == ["incomplete"]
    assert "receiving 1.0 samples/s of 32 nominal" in events[0].message
    assert "incomplete: receiving 1.0 samples/s of 32 nominal" in dog.describe()
    deliver(dog, clock, 1008.0, 1014.0, 32.0)  # the link heals
    assert not dog.incomplete and dog.usable and dog.delivered_rate == pytest.approx(32.0, rel=0.02)
    assert kinds(dog.pop_events()) == ["complete"]


@pytest.mark.parametrize("rate, packet_s", [(32.0, 0.0), (130.0, 0.5), (4.0, 1.0), (2000.0, 0.1)])
def test_whole_streams_in_packets_are_never_incomplete(rate, packet_s):
    clock = Clock()
    dog = Watchdog("S", rate, clock=clock)
    deliver(dog, clock, 1000.0, 1012.0, rate, poll=max(packet_s, 0.02))
    assert dog.usable and dog.delivered_rate == pytest.approx(rate, rel=0.15), dog.delivered_rate
    assert "incomplete" not in kinds(dog.pop_events())


def test_a_gap_is_staleness_not_incompleteness():
    clock = Clock()
    dog = Watchdog("PPG", 64.0, clock=clock)
    deliver(dog, clock, 1000.0, 1006.0, 64.0)
    clock.t = 1010.0
    assert dog.check() is Status.STALE
    deliver(dog, clock, 1010.0, 1013.0, 64.0)  # back, with a 4 s hole behind it
    assert dog.status is Status.OK and not dog.incomplete
    assert kinds(dog.pop_events()) == ["stale", "gap", "recovered"]


# --- over real LSL ------------------------------------------------------------------------------
RESOLVE_S = 15.0


@pytest.mark.slow  # ~4 s of real LSL streams
def test_a_trickling_lsl_stream_is_judged_incomplete_and_a_whole_one_is_not(uid, closing):
    outlets, readers = {}, {}
    for key in ("trickle", "whole"):
        sid = uid()
        outlets[key] = closing(
            lsl.make_outlet(StreamSpec(f"vrex-test-eda-{key}", "EDA", 32.0, 1, "float32", sid, units=("uS",)))
        )
        inlet = closing(lsl.find_stream(source_id=sid, timeout=RESOLVE_S).open(timeout=RESOLVE_S))
        assert outlets[key].wait_for_consumers(RESOLVE_S)
        readers[key] = StreamReader(inlet, completeness_window=2.0)
    duration = 3.5
    stop = threading.Event()

    def pusher():
        t0 = lsl.local_clock()
        sent = 0
        while not stop.is_set() and (now := lsl.local_clock()) - t0 < duration:
            outlets["trickle"].push([[5.0]], now)  # 4 a second, declared 32
            due = int((now - t0) * 32.0) + 1  # the whole one: every sample due
            if due > sent:
                index = np.arange(sent, due, dtype=np.float64)
                outlets["whole"].push((5.0 + 0.01 * np.sin(index))[:, None], t0 + index / 32.0)
                sent = due
            time.sleep(0.25)

    thread = threading.Thread(target=pusher)
    thread.start()
    try:
        events = {k: [] for k in readers}
        polls = {}
        while thread.is_alive():
            for key, reader in readers.items():
                polls[key] = reader.poll()
                events[key] += polls[key].events
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join()
    trickle, whole = readers["trickle"], readers["whole"]
    assert trickle.status is Status.OK and trickle.incomplete and polls["trickle"].incomplete
    assert trickle.delivered_rate <= 8.0
    assert any(e.kind == "incomplete" and "samples/s of 32 nominal" in e.message for e in events["trickle"])
    q = signal_quality(trickle.window(2.0), "eda")
    assert not q.usable and q.reason.startswith("incomplete: receiving") and q.reason.endswith("of 32 nominal")
    assert not whole.incomplete and not polls["whole"].incomplete
    assert whole.delivered_rate == pytest.approx(32.0, rel=0.1)
    assert "incomplete" not in [e.kind for e in events["whole"]]
    assert completeness(whole.window(2.0)) == (1.0, "ok")
