"""The plain-words paragraph at the top of a report, how a session ended, and held level and
visits at both tick cadences: on the hand-worked synthetic session (synth.EXPECTED) and on
a real demo session (conftest ``recorded``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.report import load_session, summarise, write_report
from engine.report.summary import Step, highest_held
from tests.engine.report.synth import EXPECTED, write_session


def test_the_paragraph_tells_the_constructed_session_in_words(session):
    text = summarise(load_session(session)).plain()
    # every figure below is worked out by hand from synth.py, not by this code
    assert "Exposure lasted 6.0 min (2:00–8:00)." in text
    assert "reached level 4 “over the trees” and held level 3 “third floor” for 4.0 min" in text
    assert (
        "Time per level: 1 “street” 30 s (SUDS peak 20, last 20); 2 “first floor” 1.5 min (SUDS peak 35, last 25); "
        "3 “third floor” 2.5 min (SUDS peak 55, last 45); 4 “over the trees” 1.5 min (SUDS peak 80, last 80)."
    ) in text
    # rest: the baseline event (72 bpm, 2.1 µS); peak: ticks at the shown intensity 0.3 → 70 + 60 × 0.3, 2 + 4 × 0.3
    assert "heart rate 72 bpm at rest, 88 bpm at its peak in exposure" in text
    assert "skin conductance 2.1 µS at rest, 3.2 µS at its peak" in text
    assert "No holds; 1 stop (by the therapist at 8:00)." in text
    assert "The safety shield stepped in 2 times (hr ceiling × 1, rate limit × 1)." in text
    assert "The picture never froze." in text
    assert "Notes: 5:00 “patient says the wind feels real”." in text
    assert text.endswith("The session ended: stopped by the therapist at 8:00 (stopped).")


def test_the_paragraph_counts_holds_stalls_and_escapes(tmp_path):
    folder = write_session(tmp_path / "s", stop_at=None, escape_at=400, end_reason="completed")
    extra = [
        {"t": 200.0, "source": "console", "kind": "command", "command": "hold", "args": {}, "accepted": True},
        {"t": 210.0, "source": "therapist", "kind": "command", "command": "hold", "args": {}, "accepted": False},
        {"t": 250.0, "source": "session", "kind": "stall", "state": "start", "start": 250.0},
        {"t": 254.0, "source": "session", "kind": "stall", "state": "end", "start": 250.0, "end": 253.5},
    ]
    with open(folder / "events.jsonl", "a") as f:
        f.writelines(json.dumps(e) + "\n" for e in extra)
    text = summarise(load_session(folder)).plain()
    # the refused hold is no hold; "console" is the therapist, said as the ending says it
    assert "1 hold (by the therapist (console) at 3:20); no stops; 1 escape (at 6:40)." in text
    assert "The picture froze once (3.5 s in all, first at 4:10)." in text
    assert "stopped by the patient (escaped) at 6:40" in text


def test_the_report_opens_with_the_paragraph(session):
    page = write_report(session).html.read_text()
    top = page.index("class='plain'")
    assert top < page.index("<h2>") and "held level 3 “third floor”" in page[top:]


@pytest.mark.slow
def test_the_paragraph_of_a_real_session_agrees_with_its_events(recorded):
    folder, events, _ = recorded
    s = summarise(load_session(folder))
    text = s.plain()
    ticks = [e for e in events if e["kind"] == "tick" and e.get("phase") == "exposure"]
    top = max(e["level"] for e in ticks if isinstance(e.get("level"), int))
    assert f"reached level {top + 1} " in text
    base = next(e["values"] for e in events if e["kind"] == "baseline")
    assert f"heart rate {base['hr_bpm']:.0f} bpm at rest" in text
    peak = max(e["hr_bpm"] for e in ticks if isinstance(e.get("hr_bpm"), (int, float)))
    assert f"{peak:.0f} bpm at its peak in exposure" in text
    shields = sum(1 for e in events if e["kind"] == "shield")
    said = {0: "never had to step in", 1: "stepped in once"}.get(shields, f"stepped in {shields} times")
    assert said in text
    assert text.endswith("The session ended: completed.")


# --- held level and visits at both tick cadences ----------------------------------------
def test_held_level_and_visits_with_one_second_ticks(tmp_path):
    """Ticks exactly 1 s apart (no beats): a level held 240 s is held, one visit per stay."""
    folder = write_session(tmp_path / "s")
    ticks = [json.loads(ln) for ln in (folder / "events.jsonl").read_text().splitlines()]
    gaps = np.diff([e["t"] for e in ticks if e["kind"] == "tick"])
    assert set(gaps.tolist()) == {1}  # the cadence under test
    s = summarise(load_session(folder))
    assert (s.highest_held, s.held_s) == (EXPECTED["highest_held"], pytest.approx(EXPECTED["held_s"]))
    assert {r.level: r.visits for r in s.levels} == EXPECTED["visits"]


@pytest.mark.slow
def test_held_level_and_visits_at_a_real_sessions_tick_cadence(recorded):
    """A real session ticks about every second of session time, off any grid (and on heart beats
    between, at most every 0.2 s of wall time: rare in a demo at speed 20, common at speed 1,
    where test_summary's beat test covers them): the levels its ticks give match the levels
    its scene showed (``shown`` events, one per change), visit for visit."""
    folder, events, _ = recorded
    s = summarise(load_session(folder))
    t = np.array([e["t"] for e in events if e["kind"] == "tick"])
    assert np.std(np.diff(t)) > 0.01 and np.diff(t).min() < 0.95  # irregular: the cadence under test
    # The scene's levels: calm (0) when exposure begins, then each ``shown`` change.
    window = s.exposure[0]
    marks = [(window.start, 0)] + [
        (e["t"], e["level"]) for e in events if e["kind"] == "shown" and window.start <= e["t"] < window.end
    ]
    steps = [Step(a, b, lv) for (a, lv), (b, _) in zip(marks, marks[1:] + [(window.end, None)])]
    visits: dict[int, int] = {}
    for i, st in enumerate(steps):
        if i == 0 or steps[i - 1].level != st.level:
            visits[st.level] = visits.get(st.level, 0) + 1
    assert len(marks) >= 2  # the level changed in this session: there is something to count
    assert {r.level: r.visits for r in s.levels if r.time_s > 0} == visits
    assert s.highest_reached == max(visits)
    held, held_s = highest_held(steps)
    assert s.highest_held == held and s.held_s == pytest.approx(held_s, abs=3.0)  # a tick sees a change late


# --- how it ended ------------------------------------------------------------------------
def _ended(tmp_path, name, extra=(), **kw):
    folder = write_session(tmp_path / name, **kw)
    with open(folder / "events.jsonl", "a") as f:
        f.writelines(json.dumps({"source": "session", **e}) + "\n" for e in extra)
    return summarise(load_session(folder)).ending


def test_each_way_a_session_ends_is_named(tmp_path):
    assert _ended(tmp_path, "therapist", end_reason="completed") == "stopped by the therapist at 8:00 (completed)"
    patient = [{"t": 500.0, "source": "patient", "kind": "command", "command": "patient_stop", "accepted": True}]
    assert (
        _ended(tmp_path, "patient", patient, stop_at=None, end_reason="quit") == "stopped by the patient at 8:20 (quit)"
    )
    assert _ended(tmp_path, "done", stop_at=None, end_reason="completed") == "completed"
    resumed = [{"t": 500.0, "source": "therapist", "kind": "command", "command": "resume", "accepted": True}]
    assert _ended(tmp_path, "resumed", resumed, end_reason="completed") == "completed"  # the stop was lifted
    assert (
        _ended(tmp_path, "error", stop_at=None, end_reason="error: RuntimeError: x")
        == "crashed (error: RuntimeError: x)"
    )
    # killed: no session_end line and no end in session.json; the record stops at its last tick (599 s)
    assert _ended(tmp_path, "killed", stop_at=None, end_reason=None) == (
        "crashed or killed: no end was recorded (the record stops at 9:59)"
    )
    frozen = [{"t": 590.0, "kind": "stall", "state": "start", "start": 583.0}]
    assert _ended(tmp_path, "stalled", frozen, stop_at=None, end_reason="quit") == (
        "stalled: no frame from 9:43 to the end (quit)"
    )
    gone = [{"t": 570.0, "kind": "renderer_exit", "exit_code": -9}]
    assert _ended(tmp_path, "renderer", gone, stop_at=None, end_reason="quit") == (
        "stalled: the renderer exited at 9:30, no frame after it (quit)"
    )


def test_a_hole_in_the_ticks_at_one_level_neither_splits_the_stay_nor_the_hold(tmp_path):
    """Ticks lost for 15 s in two stays (a stall, or a loaded machine at demo speed losing
    seconds of session time), the same level before and after and no level event between:
    the level did not change (only the control loop changes it, and it ticks when it runs), so
    each stay is one visit, its time is whole, and the hold is not cut."""
    folder = write_session(tmp_path / "s")
    path = folder / "events.jsonl"
    events = [json.loads(ln) for ln in path.read_text().splitlines()]
    lost = ((180, 195), (260, 275))  # inside 150–240 at level 1 and 240–330 at level 2 (0-based)
    kept = [e for e in events if not (e["kind"] == "tick" and any(a < e["t"] < b for a, b in lost))]
    assert len(kept) < len(events)
    path.write_text("".join(json.dumps(e) + "\n" for e in kept))
    s = summarise(load_session(folder))
    assert {r.level: r.visits for r in s.levels} == EXPECTED["visits"]
    assert {r.level: r.time_s for r in s.levels} == pytest.approx(EXPECTED["time_at_level"])
    assert (s.highest_held, s.held_s) == (EXPECTED["highest_held"], pytest.approx(EXPECTED["held_s"]))


def test_a_hole_with_a_level_change_inside_stays_unknown(tmp_path):
    """The same level on both sides of a hole, but the scene showed another level inside it:
    the level went away and came back (two visits), and the hole is not filled."""
    folder = write_session(tmp_path / "s")
    path = folder / "events.jsonl"
    events = [json.loads(ln) for ln in path.read_text().splitlines()]
    kept = [e for e in events if not (e["kind"] == "tick" and 180 < e["t"] < 195)]
    kept.append({"t": 186.0, "source": "session", "kind": "shown", "level": 2})
    kept.append({"t": 190.0, "source": "session", "kind": "shown", "level": 1})
    path.write_text("".join(json.dumps(e) + "\n" for e in sorted(kept, key=lambda e: e["t"])))
    s = summarise(load_session(folder))
    assert {r.level: r.visits for r in s.levels}[1] == 2
