"""Real LSL outlets and inlets on this machine, each stream with a unique source_id."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from sensors import lsl
from sensors.acquire import Acquisition, MarkerReader, make_reader
from sensors.errors import SensorError, StreamFormatError, StreamNotFound
from sensors.stream_reader import StreamReader
from sensors.types import StreamSpec
from sensors.watchdog import Status

RESOLVE_S = 15.0  # generous: a loaded 2-core CI machine


def wait_until(predicate, timeout=10.0, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def spec(name, type, rate, sid, channels=1, fmt="float32", labels=(), units=()):
    return StreamSpec(name, type, rate, channels, fmt, sid, labels=labels, units=units)


def connect(out, sid, closing, **kwargs):
    inlet = closing(lsl.find_stream(source_id=sid, timeout=RESOLVE_S).open(timeout=RESOLVE_S))
    assert out.wait_for_consumers(RESOLVE_S)
    return inlet


# --- resolving ------------------------------------------------------------------------------
def test_find_by_kind_synonym_by_name_and_by_source_id(uid, closing):
    sid, name = uid(), uid("vrex-test-e4-bvp")
    closing(lsl.make_outlet(spec(name, "bvp", 64.0, sid)))
    assert lsl.find_stream("PPG", source_id=sid, timeout=RESOLVE_S).spec.name == name
    assert lsl.find_stream(name=name, timeout=RESOLVE_S).spec.source_id == sid
    found = lsl.find_stream("ppg", name=name, source_id=sid, timeout=RESOLVE_S)
    assert found.kind == "ppg" and found.spec.rate == 64.0 and found.spec.hostname
    assert lsl.find_streams("ECG", source_id=sid, timeout=0.3) == []
    assert any(s.source_id == sid for s in lsl.list_streams(1.0))


def test_missing_stream_times_out_and_lists_the_streams_found(uid, closing):
    sid, name = uid(), uid("vrex-test-polar")
    closing(lsl.make_outlet(spec(name, "ECG", 130.0, sid)))
    host = lsl.find_stream(source_id=sid, timeout=RESOLVE_S).spec.hostname
    start = time.monotonic()
    with pytest.raises(StreamNotFound) as err:
        lsl.find_stream("ECG", name=name + "x", timeout=0.5)
    elapsed = time.monotonic() - start
    assert 0.5 <= elapsed < 0.5 + lsl.LIST_WAIT_S + 30.0  # it gives up (a loaded machine is slow, not stuck)
    message = str(err.value)
    for part in (
        "within 0.5 s",
        f"Did you mean '{name}'?",
        f"'{name}' (ECG, 130 Hz, 1 ch",
        f"source '{sid}'",
        f"on {host}",
        "Start the missing device",
    ):
        assert part in message, part


def test_not_found_with_nothing_on_the_network_says_what_to_do():
    message = lsl._not_found_message("a EDA stream", 2.0, [], None)
    assert "No LSL streams are visible at all" in message and "vrex simulate" in message


def test_bad_queries():
    with pytest.raises(ValueError, match="kind, a name or a source_id"):
        lsl.find_stream(timeout=0.1)
    with pytest.raises(ValueError, match="unknown signal kind 'EEG'"):
        lsl.find_stream("EEG", timeout=0.1)


def test_names_with_quotes_are_escaped(uid, closing):
    sid = uid()
    name = "Dr O'Neil's \"ECG\""
    closing(lsl.make_outlet(spec(name, "ECG", 100.0, sid)))
    assert lsl.find_stream(name=name, source_id=sid, timeout=RESOLVE_S).spec.name == name


# --- metadata -----------------------------------------------------------------------------
def test_labels_and_units_are_read_back_and_converted(uid, closing):
    sid = uid()
    out = closing(
        lsl.make_outlet(
            spec(
                uid("vrex-test-bitalino"),
                "GSR",
                100.0,
                sid,
                channels=2,
                labels=("EDA hand", "EDA foot"),
                units=("\u03bcS", "kOhm"),
            )
        )
    )
    inlet = connect(out, sid, closing)
    assert inlet.spec.labels == ("EDA hand", "EDA foot")
    assert inlet.spec.units == ("\u03bcS", "kOhm")
    assert (inlet.spec.rate, inlet.spec.channel_format, inlet.kind) == (100.0, "float32", "eda")
    reader = StreamReader(inlet)
    assert [c.unit for c in reader.conversions] == ["uS", "uS"]
    out.push(np.array([[2.0, 100.0], [3.0, 200.0]]))
    assert wait_until(lambda: reader.poll().new or reader.buffer.total >= 2)
    assert wait_until(lambda: reader.poll() and reader.buffer.total >= 2)
    assert reader.window(10.0, "EDA hand").values.tolist() == [2.0, 3.0]
    np.testing.assert_allclose(reader.window(10.0, "EDA foot").values, [10.0, 5.0])
    assert reader.window(10.0).unit == "uS"


def test_a_stream_without_units_gets_the_default_and_a_warning(uid, closing):
    sid = uid()
    out = closing(lsl.make_outlet(spec(uid("vrex-test-ecg"), "ECG", 250.0, sid)))
    reader = StreamReader(connect(out, sid, closing))
    assert reader.conversions[0].assumed
    events = reader.poll().events
    assert [e.kind for e in events] == ["units"] and "assuming mV" in events[0].message


def test_outlet_spec_is_checked(uid):
    with pytest.raises(StreamFormatError, match="channel_format 'float16'"):
        lsl.make_outlet(spec("x", "ECG", 100.0, uid(), fmt="float16"))
    with pytest.raises(StreamFormatError, match="1 labels for 2 channel"):
        lsl.make_outlet(spec("x", "ECG", 100.0, uid(), channels=2, labels=("a",)))
    with pytest.raises(StreamFormatError, match="rate must be >= 0"):
        lsl.make_outlet(spec("x", "ECG", -1.0, uid()))


# --- several rates at once ------------------------------------------------------------------
RATES = [1.0, 64.0, 250.0, 1000.0, 2000.0]


def test_several_rates_and_irregular_rr_at_once(uid, closing):
    outlets, readers = {}, {}
    for rate in RATES:
        sid = uid()
        outlets[rate] = closing(
            lsl.make_outlet(spec(f"vrex-test-ecg-{rate:g}", "ECG", rate, sid, channels=2, units=("uV", "mV")))
        )
        readers[rate] = StreamReader(connect(outlets[rate], sid, closing))
    rr_sid = uid()
    rr_out = closing(lsl.make_outlet(spec("vrex-test-rr", "RR", 0.0, rr_sid, units=("s",))))
    rr = StreamReader(connect(rr_out, rr_sid, closing))
    assert rr.buffer.rate == 0.0 and rr.watchdog.stale_after == 3.0 and not rr.inlet.dejitter

    sent = dict.fromkeys(RATES, 0)
    rr_sent = []
    duration = 2.2

    def pusher():
        t0 = lsl.local_clock()
        while (now := lsl.local_clock()) - t0 < duration:
            for rate, out in outlets.items():
                due = int((now - t0) * rate) + 1
                if due > sent[rate]:
                    index = np.arange(sent[rate], due, dtype=np.float64)
                    out.push(np.column_stack([index, -index]), t0 + index / rate)
                    sent[rate] = due
            if len(rr_sent) < (now - t0) / 0.3:
                rr_sent.append(0.8 + 0.01 * len(rr_sent))
                rr_out.push([rr_sent[-1]], now)
            time.sleep(0.004)

    thread = threading.Thread(target=pusher)
    thread.start()
    statuses = []
    while thread.is_alive():
        statuses.append({r.name: r.poll().status for r in [*readers.values(), rr]})
        time.sleep(0.02)
    thread.join()
    # every stream was alive throughout (the last poll while data still flowed)
    assert all(status is Status.OK for status in statuses[-2].values()), statuses[-2]
    assert not any(Status.STALE in polled.values() for polled in statuses)
    assert wait_until(
        lambda: (
            [r.poll() for r in readers.values()]
            and all(readers[rate].buffer.total == sent[rate] for rate in RATES)
            and rr.poll()
            and rr.buffer.total == len(rr_sent)
        ),
        timeout=5.0,
    )
    for rate, reader in readers.items():
        w = reader.window(60.0)
        np.testing.assert_allclose(w.values, np.arange(sent[rate]) * 1e-3)  # uV -> mV
        np.testing.assert_allclose(reader.window(60.0, 1).values, -np.arange(sent[rate]))
        if sent[rate] > 1:
            np.testing.assert_allclose(np.diff(w.times), 1.0 / rate, atol=1e-4)
        assert reader.buffer.rate == rate
    assert sent[1.0] >= 3 and sent[2000.0] >= 4000
    np.testing.assert_allclose(rr.window(60.0).values, np.array(rr_sent) * 1e3)  # s -> ms


# --- markers --------------------------------------------------------------------------------
def test_markers_text_and_numeric(uid, closing):
    sid, code_sid = uid(), uid()
    out = closing(lsl.make_marker_outlet(name=uid("vrex-test-markers"), source_id=sid))
    codes = closing(lsl.make_outlet(spec("vrex-test-codes", "Markers", 0.0, code_sid, fmt="int32")))
    reader = make_reader(connect(out, sid, closing))
    code_reader = make_reader(connect(codes, code_sid, closing))
    assert isinstance(reader, MarkerReader) and isinstance(code_reader, MarkerReader)
    now = lsl.local_clock()
    out.push_marker("intensity 0.30 (therapist)", now)
    out.push_marker("stop \u2013 calm", now + 0.001)
    codes.push_sample([7])
    assert wait_until(
        lambda: reader.poll() and code_reader.poll() and len(reader.markers) == 2 and len(code_reader.markers) == 1
    )
    assert [m[1] for m in reader.markers] == ["intensity 0.30 (therapist)", "stop \u2013 calm"]
    assert reader.markers[0][0] == pytest.approx(now, abs=1e-3)
    assert code_reader.markers[0][1] == "7"
    with pytest.raises(StreamFormatError, match="use pull_markers"):
        reader.inlet.pull()


# --- bad input ------------------------------------------------------------------------------
def test_nan_and_inf_are_flagged_and_other_streams_go_on(uid, closing):
    ecg_sid, eda_sid = uid(), uid()
    ecg = closing(lsl.make_outlet(spec(uid("vrex-test-ecg"), "ECG", 250.0, ecg_sid, units=("mV",))))
    eda = closing(lsl.make_outlet(spec(uid("vrex-test-eda"), "EDA", 4.0, eda_sid, units=("uS",))))
    acq = closing(
        Acquisition.open(
            {"ecg": {"kind": "ECG", "source_id": ecg_sid}, "eda": {"kind": "EDA", "source_id": eda_sid}},
            timeout=RESOLVE_S,
        )
    )
    assert set(acq.readers) == {"ecg", "eda"} and not acq.failed
    assert ecg.wait_for_consumers(RESOLVE_S) and eda.wait_for_consumers(RESOLVE_S)
    values = np.arange(10.0)
    values[3], values[7], values[8] = np.nan, np.inf, -np.inf
    ecg.push(values)
    eda.push([5.0, 5.1])
    polls = []
    assert wait_until(
        lambda: (
            polls.append(acq.poll()) or (acq.readers["ecg"].buffer.total == 10 and acq.readers["eda"].buffer.total == 2)
        )
    )
    nonfinite = [e for p in polls for e in p["ecg"].events if e.kind == "nonfinite"]
    assert sum(p["ecg"].nonfinite for p in polls) == 3 and nonfinite
    assert "stream 'vrex-test-ecg-" in nonfinite[0].message and "ch1" in nonfinite[0].message
    stored = acq.readers["ecg"].window(60.0).values
    assert np.isnan(stored[[3, 7, 8]]).all() and stored[9] == 9.0
    assert acq.readers["eda"].window(60.0).values.tolist() == pytest.approx([5.0, 5.1])
    assert not any(p["eda"].events for p in polls)
    ecg.push(np.full(5, 1.5))
    assert wait_until(lambda: acq.poll() and acq.readers["ecg"].buffer.total == 15)
    assert acq.readers["ecg"].status is Status.OK and not acq.failed


def test_bad_streams_fail_alone_at_open(uid, closing):
    sids = {role: uid() for role in ("ecg", "eda", "resp", "ppg", "ecg3")}
    good = closing(lsl.make_outlet(spec("vrex-test-good", "ECG", 250.0, sids["ecg"], units=("mV",))))
    closing(lsl.make_outlet(spec("vrex-test-furlongs", "EDA", 4.0, sids["eda"], units=("furlongs",))))
    closing(lsl.make_outlet(spec("vrex-test-text", "RESP", 25.0, sids["resp"], fmt="string")))
    closing(lsl.make_outlet(spec("vrex-test-norate", "PPG", 0.0, sids["ppg"])))
    closing(lsl.make_outlet(spec("vrex-test-3ch", "ECG", 250.0, sids["ecg3"], channels=3)))
    wanted = {role: {"kind": role.rstrip("3").upper(), "source_id": sid} for role, sid in sids.items()}
    wanted["ecg3"]["channels"] = 1
    wanted["rr"] = {"kind": "RR", "source_id": uid(), "timeout": 0.3}
    acq = closing(Acquisition.open(wanted, timeout=RESOLVE_S))
    assert set(acq.readers) == {"ecg"}
    errors = {role: str(err) for role, err in acq.failed.items()}
    assert isinstance(acq.failed["eda"], StreamFormatError)
    assert "'vrex-test-furlongs'" in errors["eda"] and "'furlongs'" in errors["eda"]
    assert "'vrex-test-text'" in errors["resp"] and "strings" in errors["resp"]
    assert "'vrex-test-norate'" in errors["ppg"] and "irregular rate" in errors["ppg"]
    assert "'vrex-test-3ch'" in errors["ecg3"] and "3 channel(s), expected 1" in errors["ecg3"]
    assert isinstance(acq.failed["rr"], StreamNotFound)
    assert good.wait_for_consumers(RESOLVE_S)
    good.push(np.ones(5))
    assert wait_until(lambda: acq.poll()["ecg"].new or acq.readers["ecg"].buffer.total == 5)


def test_a_stream_lost_while_running_fails_alone(uid, closing):
    """Without a source_id LSL cannot recover a stream; its loss is a SensorError for that
    stream only."""
    name, sid = uid("vrex-test-norecover"), uid()
    doomed = lsl.make_outlet(spec(name, "ECG", 100.0, ""))
    keeper = closing(lsl.make_outlet(spec(uid("vrex-test-keeper"), "EDA", 4.0, sid)))
    acq = closing(
        Acquisition.open(
            {"ecg": {"kind": "ECG", "name": name}, "eda": {"kind": "EDA", "source_id": sid}}, timeout=RESOLVE_S
        )
    )
    assert doomed.wait_for_consumers(RESOLVE_S) and keeper.wait_for_consumers(RESOLVE_S)
    doomed.close()
    results = []
    assert wait_until(lambda: results.append(acq.poll()) or "ecg" in acq.failed, timeout=20.0)
    assert isinstance(acq.failed["ecg"], SensorError) and name in str(acq.failed["ecg"])
    assert results[-1]["ecg"].error is acq.failed["ecg"]
    keeper.push([1.0, 2.0])
    assert wait_until(lambda: acq.poll() and acq.readers["eda"].buffer.total == 2)


def test_polling_never_waits_for_liblsl(uid, closing):
    """liblsl's own clock sync would block the first pull for 0.64 s (its first offset
    estimate); the reader holds the data in liblsl until the offset exists instead."""
    sid = uid()
    out = closing(lsl.make_outlet(spec(uid("vrex-test-ecg"), "ECG", 500.0, sid, units=("mV",))))
    reader = StreamReader(connect(out, sid, closing))
    out.push(np.zeros(50))
    start = time.monotonic()
    reader.poll()
    assert time.monotonic() - start < 0.3
    assert wait_until(lambda: reader.poll() and reader.buffer.total == 50)
    assert reader.inlet.offset == pytest.approx(0.0, abs=0.01)  # same machine, same clock


def test_outlet_push_checks_shapes(uid, closing):
    out = closing(lsl.make_outlet(spec("vrex-test-shape", "ECG", 100.0, uid(), channels=2)))
    with pytest.raises(StreamFormatError, match=r"2 channel\(s\); got values of shape \(3, 3\)"):
        out.push(np.zeros((3, 3)))
    out.push(np.zeros((0, 2)))  # nothing to send is not an error
    out.close()
    with pytest.raises(SensorError, match="closed"):
        out.push(np.zeros((1, 2)))
