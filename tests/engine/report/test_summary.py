"""The summary's numbers against the hand-worked values in synth.EXPECTED."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.report import load_session, summarise
from engine.report.summary import Step, highest_held
from tests.engine.report.synth import EXPECTED, write_session


def test_time_and_suds_at_each_level(session):
    s = summarise(load_session(session))
    assert {r.level: r.time_s for r in s.levels} == pytest.approx(EXPECTED["time_at_level"])
    assert {r.level: (r.peak_suds, r.end_suds) for r in s.levels} == EXPECTED["peak_end_suds"]
    assert {r.level: r.visits for r in s.levels} == EXPECTED["visits"]
    assert [r.name for r in s.levels] == ["street", "first floor", "third floor", "over the trees"]
    assert s.level_source == "tick"


def test_reached_held_and_counts(session):
    s = summarise(load_session(session))
    assert (s.highest_reached, s.highest_held) == (EXPECTED["highest_reached"], EXPECTED["highest_held"])
    assert s.held_s == pytest.approx(EXPECTED["held_s"])
    assert (s.decisions, s.decisions_applied) == (EXPECTED["decisions"], EXPECTED["applied"])
    assert s.shield_events == EXPECTED["shield"] and s.shield_kinds == {"rate_limit": 1, "hr_ceiling": 1}
    assert s.stops == [(480.0, "therapist")]  # the refused step_up is not a stop
    assert s.escapes == []
    assert len(s.avoidance) == EXPECTED["avoidance"]
    assert sum(a.seconds for a in s.avoidance) == pytest.approx(EXPECTED["avoidance_s"])
    assert (s.peak_suds, s.end_suds) == (EXPECTED["peak_suds"], EXPECTED["end_suds"])
    assert [e["total"] for e in s.ssq] == [7.48, 18.7]
    assert s.end_reason == "stopped"
    assert [(p.label, p.start, p.end) for p in s.phases] == [
        ("baseline", 0, 120),
        ("exposure", 120, 480),
        ("recovery", 480, 600),
    ]


def test_held_is_a_stretch_at_or_above_the_level():
    # 40 s at 3 then 30 s at 4: level 3 or above for 70 s, so 3 is held; 4 alone is not.
    steps = [Step(0, 100, 1), Step(100, 140, 3), Step(140, 170, 4), Step(170, 200, 2)]
    assert highest_held(steps) == (3, 70)
    # A gap (lost ticks) breaks the stretch: 40 s + 40 s is not 60 s held.
    assert highest_held([Step(0, 40, 5), Step(50, 90, 5)]) == (None, 0.0)
    assert highest_held([]) == (None, 0.0)


def test_an_escape_is_counted_and_ends_the_exposure(tmp_path):
    folder = write_session(
        tmp_path / "s", schedule=[(120, 200, 1), (200, 400, 4)], stop_at=None, escape_at=400, end_reason="escaped"
    )
    s = summarise(load_session(folder))
    assert s.escapes == [400.0] and s.stops == []
    assert s.end_reason == "escaped"
    assert (s.highest_reached, s.highest_held) == (4, 4)


def test_a_patient_stop_without_an_escape_is_a_stop(session):
    with open(session / "events.jsonl", "a") as f:
        f.write(
            json.dumps(
                {
                    "seq": 692,
                    "t": 590,
                    "source": "patient",
                    "kind": "command",
                    "command": "patient_stop",
                    "args": {},
                    "accepted": True,
                    "reason": "patient pressed stop",
                }
            )
            + "\n"
        )
    assert summarise(load_session(session)).stops == [(480.0, "therapist"), (590.0, "patient")]


def test_without_ticks_the_level_comes_from_shown_events(session):
    lines = [ln for ln in (session / "events.jsonl").read_text().splitlines() if json.loads(ln)["kind"] != "tick"]
    (session / "events.jsonl").write_text("\n".join(lines) + "\n")
    s = summarise(load_session(session))
    assert s.level_source == "shown"
    # shown events come 2 s after each change (2:02, 2:32, 4:02, 5:32, 6:12, 7:12), and the stop's level 0 has
    # none, so level 3 runs to the end of exposure at 8:00: 0 → 30 s, 1 → 90, 2 → 90 + 60, 3 → 40 + 48.
    assert {r.level: r.time_s for r in s.levels} == pytest.approx({0: 30.0, 1: 90.0, 2: 150.0, 3: 88.0})
    assert s.highest_held == 2


def test_ticks_on_heart_beats_do_not_split_a_held_level(tmp_path):
    """The real cadence: a tick every second, and between them ticks on heart beats (as often
    as every 0.2 s). With beats during most seconds the median gap is ~0.3 s; the ordinary 1-s
    gaps of beat-less seconds must not be read as lost ticks (a report once said a level held
    for 126 s was never held, and counted its visits by the dozen)."""
    import numpy as np

    folder = write_session(tmp_path / "s")
    lines = (folder / "events.jsonl").read_text().splitlines()
    extra, seq = [], len(lines)
    for line in lines:
        e = json.loads(line)
        if e["kind"] == "tick" and int(e["t"]) % 4 != 0:  # three seconds in four have beats
            for dt in (0.25, 0.5, 0.75):
                seq += 1
                extra.append(json.dumps({**e, "seq": seq, "t": e["t"] + dt, "lsl": e["lsl"] + dt}))
    merged = sorted(lines + extra, key=lambda ln: json.loads(ln)["t"])
    (folder / "events.jsonl").write_text("\n".join(merged) + "\n")
    s = summarise(load_session(folder))
    ticks = sorted(json.loads(ln)["t"] for ln in merged if json.loads(ln)["kind"] == "tick")
    assert float(np.median(np.diff(ticks))) < 0.4  # as in the session that went wrong
    assert (s.highest_held, s.held_s) == (EXPECTED["highest_held"], pytest.approx(EXPECTED["held_s"]))
    assert {r.level: r.visits for r in s.levels if r.time_s > 0} == EXPECTED["visits"]
    assert {r.level: r.time_s for r in s.levels if r.time_s > 0} == pytest.approx(EXPECTED["time_at_level"])


def test_the_ending_says_who_stopped_a_session_that_then_ran_out(tmp_path):
    """A session the therapist stopped at 8:00 and nobody resumed ends "completed" in
    session.json (its time ran out); the report says who stopped it and when."""
    stopped = summarise(load_session(write_session(tmp_path / "a", end_reason="completed")))
    assert stopped.end_reason == "completed"
    assert stopped.ending == "stopped by the therapist at 8:00 (completed)"
    calm = summarise(load_session(write_session(tmp_path / "b", stop_at=None, end_reason="completed")))
    assert calm.ending == "completed"
    crashed = summarise(load_session(write_session(tmp_path / "c", stop_at=None, end_reason="error: RuntimeError: x")))
    assert crashed.ending == "crashed (error: RuntimeError: x)"
    escaped = summarise(
        load_session(write_session(tmp_path / "d", stop_at=None, escape_at=400, end_reason="completed"))
    )
    assert escaped.ending == "stopped by the patient (escaped) at 6:40 (completed)"


def test_lost_ticks_are_drawn_as_a_gap_and_commands_read_as_words():
    from engine.report.html_sections import detail as _detail
    from engine.report.plots import with_gaps

    minutes = np.array([0, 1, 2, 3, 17, 18]) / 60  # 14 s without ticks between 3 s and 17 s
    xs, ys = with_gaps(minutes, np.array([70.0, 71, 72, 73, 120, 121]))
    assert np.isnan(xs[4]) and np.isnan(ys[4]) and len(xs) == 7  # the line breaks there, nowhere else
    assert not np.isnan(with_gaps(minutes[:4], np.ones(4))[1]).any()
    assert (
        _detail({"kind": "command", "command": "set_level", "args": {"level": 5}, "accepted": True})
        == "set_level level 5"
    )
    refused = {"kind": "command", "command": "step_up", "args": {}, "accepted": False, "reason": "held"}
    assert _detail(refused) == "step_up (refused — held)"
