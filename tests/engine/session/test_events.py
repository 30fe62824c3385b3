"""events.jsonl: real files, real threads; another reader sees each line at once."""

from __future__ import annotations

import json
import math
import os
import threading
import time

import numpy as np
import pytest

from engine.session import events as events_module
from engine.session.events import EventLog, read_events


def strict(line: str):
    """json.loads that refuses NaN and Infinity, as strict JSON readers do."""

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(line, parse_constant=refuse)


@pytest.fixture
def clock():
    now = [0.0]
    return now, (lambda: now[0])


def test_every_event_is_readable_by_another_reader_before_close(tmp_path, clock):
    now, session_clock = clock
    log = EventLog(tmp_path / "events.jsonl", session_clock, lsl_clock=lambda: 1234.5)
    now[0] = 1.25
    returned = log.log("session", "session_start", patient="demo", mode="auto")
    now[0] = 2.5
    log.log("therapist", "command", "asked to pause", command="hold", args=[], accepted=True)

    events, problems = read_events(tmp_path / "events.jsonl")  # log still open
    assert problems == []
    assert [e["seq"] for e in events] == [0, 1]
    assert events[0] == returned
    first, second = events
    assert (first["t"], first["lsl"]) == (1.25, 1234.5)
    assert (first["source"], first["kind"]) == ("session", "session_start")
    assert first["reason"] == "" and first["patient"] == "demo"
    assert first["wall"].endswith("Z") and len(first["wall"]) == len("2026-11-27T08:15:00.123Z")
    assert (second["t"], second["reason"], second["command"]) == (2.5, "asked to pause", "hold")
    log.close()


def test_append_only_reopen_keeps_bytes_and_continues_seq(tmp_path, clock):
    path = tmp_path / "events.jsonl"
    with EventLog(path, clock[1]) as log:
        log.log("session", "phase", phase="baseline")
        log.log("session", "phase", phase="exposure")
    before = path.read_bytes()
    with EventLog(path, clock[1]) as log:
        assert log.count == 2
        log.log("session", "phase", phase="recovery")
    after = path.read_bytes()
    assert after.startswith(before)
    events, problems = read_events(path)
    assert problems == []
    assert [(e["seq"], e["phase"]) for e in events] == [(0, "baseline"), (1, "exposure"), (2, "recovery")]


def test_last_line_cut_short_is_ignored_and_reopening_starts_a_new_line(tmp_path, clock):
    path = tmp_path / "events.jsonl"
    with EventLog(path, clock[1]) as log:
        log.log("session", "phase", phase="baseline")
        log.log("sensors", "tick", hr_bpm=71.0)
    whole = path.read_bytes()
    path.write_bytes(whole[:-15])  # a crash in the middle of the second line
    events, problems = read_events(path)
    assert [e["seq"] for e in events] == [0]
    assert problems == []

    with EventLog(path, clock[1]) as log:  # e.g. a session resumed in the same folder
        log.log("session", "note", text="resumed")
    events, problems = read_events(path)
    assert [e["kind"] for e in events] == ["phase", "note"]
    assert [e["seq"] for e in events] == [0, 1]
    assert len(problems) == 1 and f"{path}:2:" in problems[0]  # the cut line, kept apart


def test_bad_lines_are_reported_with_their_numbers(tmp_path):
    path = tmp_path / "events.jsonl"

    def good(seq):
        return json.dumps({"seq": seq, "t": seq, "source": "session", "kind": "note"})

    path.write_text(
        "\n".join(
            [
                good(0),
                "{not json",
                "[1, 2]",
                json.dumps({"seq": 1, "t": 1}),
                good(1),
                good(5),
                '{"seq": 6, "t": 6, "sou',
            ]
        )
    )
    events, problems = read_events(path)
    assert [e["seq"] for e in events] == [0, 1, 5]
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (2, 3, 4, 6)]
    assert "not a JSON line" in problems[0]
    assert "list" in problems[1]
    assert "no source, kind" in problems[2]
    assert "seq 5 follows 1" in problems[3]


def test_nan_and_infinity_become_null_in_strict_json(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path, lambda: math.nan, lsl_clock=lambda: math.inf) as log:
        returned = log.log(
            "sensors",
            "tick",
            hr_bpm=math.nan,
            rmssd_ms=np.float32("nan"),
            eda_tonic_us=np.float64(-np.inf),
            resp_bpm=np.float32(14.5),
            relative={"hr_bpm": float("nan"), "eda_tonic_us": 0.25},
            quality=(np.nan, 1.0),
            samples=np.array([1.0, np.nan]),
            level=np.int64(3),
        )
    line = path.read_text().strip()
    event = strict(line)  # raises if NaN or Infinity slipped through
    assert "NaN" not in line and "Infinity" not in line
    assert event["t"] is None and event["lsl"] is None
    assert event["hr_bpm"] is None and event["rmssd_ms"] is None and event["eda_tonic_us"] is None
    assert event["resp_bpm"] == 14.5 and event["level"] == 3
    assert event["relative"] == {"hr_bpm": None, "eda_tonic_us": 0.25}
    assert event["quality"] == [None, 1.0] and event["samples"] == [1.0, None]
    assert returned == event


def test_unicode_line_separators_stay_inside_their_line(tmp_path, clock):
    path = tmp_path / "events.jsonl"
    with EventLog(path, clock[1]) as log:
        log.log("console", "note", text="first\u2028second\nthird, Zürich")
        log.log("console", "note", text="next")
    events, problems = read_events(path)
    assert problems == []
    assert [e["text"] for e in events] == ["first\u2028second\nthird, Zürich", "next"]


def test_fields_may_not_replace_the_standard_keys(tmp_path, clock):
    with EventLog(tmp_path / "events.jsonl", clock[1]) as log:
        with pytest.raises(ValueError, match="seq"):
            log.log("session", "note", seq=7)
        assert log.count == 0


def test_closed_log_refuses_and_close_is_idempotent(tmp_path, clock):
    log = EventLog(tmp_path / "events.jsonl", clock[1])
    log.close()
    log.close()
    with pytest.raises(ValueError, match="closed"):
        log.log("session", "note")


def test_many_threads_write_whole_lines_in_seq_order(tmp_path, clock):
    path = tmp_path / "events.jsonl"
    published = []
    log = EventLog(path, clock[1], publish=published.append, fsync_interval=0.0)
    threads_n, per_thread = 8, 300
    start = threading.Barrier(threads_n)

    def work(name):
        start.wait()
        for i in range(per_thread):
            log.log("console", "note", text="x" * (i % 50), thread=name, i=i)
            if i % 7 == 0:
                log.sync()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    events, problems = read_events(path)
    assert problems == []
    assert [e["seq"] for e in events] == list(range(threads_n * per_thread))
    for name in range(threads_n):  # each thread's events in its own order
        assert [e["i"] for e in events if e["thread"] == name] == list(range(per_thread))
    assert published == path.read_text(encoding="utf-8").splitlines()  # same lines, same order


class FsyncSpy:
    """Counts os.fsync calls on one file descriptor, then does the real fsync."""

    def __init__(self, monkeypatch):
        self.fds: list[int] = []
        real = os.fsync

        def fsync(fd):
            self.fds.append(fd)
            real(fd)

        monkeypatch.setattr(events_module.os, "fsync", fsync)


def test_fsync_at_most_once_per_interval(tmp_path, clock, monkeypatch):
    spy = FsyncSpy(monkeypatch)
    log = EventLog(tmp_path / "events.jsonl", clock[1], fsync_interval=3600.0)
    for i in range(50):
        log.log("sensors", "tick", i=i)
        log.sync()
    assert spy.fds == []  # flushed every line, fsynced not yet
    assert len(read_events(tmp_path / "events.jsonl")[0]) == 50
    log.close()
    assert len(spy.fds) == 1  # close always fsyncs


def test_sync_fsyncs_an_idle_second_once(tmp_path, clock, monkeypatch):
    spy = FsyncSpy(monkeypatch)
    log = EventLog(tmp_path / "events.jsonl", clock[1], fsync_interval=3600.0)
    log.log("sensors", "tick")
    log.fsync_interval = 0.0  # as if the second had passed
    log.sync()
    assert len(spy.fds) == 1
    log.sync()
    log.sync()  # nothing new: nothing to sync
    assert len(spy.fds) == 1
    log.close()


def test_log_never_fsyncs_on_the_callers_thread_the_writer_thread_does(tmp_path, clock, monkeypatch):
    """An fsync takes up to 18 ms: whoever logs (the control loop, the console) must not wait
    for it. The line is readable by another reader at once; the writer thread syncs it."""
    threads = []
    real = os.fsync
    monkeypatch.setattr(
        events_module.os, "fsync", lambda fd: (threads.append(threading.current_thread().name), real(fd))
    )
    log = EventLog(tmp_path / "events.jsonl", clock[1], fsync_interval=0.05)
    for i in range(20):
        log.log("sensors", "tick", i=i)
        assert read_events(tmp_path / "events.jsonl")[0][-1]["i"] == i  # readable before any fsync
    end = time.monotonic() + 30.0
    while not threads and time.monotonic() < end:
        time.sleep(0.01)
    assert threads and set(threads) == {"vrex-events-fsync"}
    log.close()
    assert threads[-1] == threading.current_thread().name  # close syncs what is left, itself
