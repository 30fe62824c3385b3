"""The head-direction heat map and the time looking away per level, from synthetic sessions
(``synth.py``) with a hand-written recording (``xdf_writer.py``) whose head-pose stream is
known: the samples in each cell are counted by hand, and they do not depend on the frame
rate; a head that never moved, or no recording, leaves the report as it was."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.report import load_session, summarise, write_report
from engine.report.headpose import LOOK_AWAY_DEG, gaze_target, heat_map, sample, track
from engine.report.summary import Span
from tests.conftest import SCENARIOS
from tests.engine.report.synth import write_session
from tests.engine.report.xdf_writer import write_xdf

LSL0 = 5000.0  # synth.py's events have lsl = 5000 + t
SWITCH = 300.15  # the head turns from A to B here (between two sampling instants)
A, B = (12.0, -7.0), (-42.0, 22.0)


def head_stream(gap: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exposure (120–480 s): heading/pitch A at 90 frames a second until SWITCH, then B at
    30 a second; no samples at all in ``gap`` (a stalled renderer)."""
    t = np.concatenate([np.arange(100.0, SWITCH, 1 / 90), np.arange(SWITCH, 500.0, 1 / 30)])
    if gap is not None:
        t = t[(t < gap[0]) | (t >= gap[1])]
    values = np.zeros((len(t), 6))
    values[:, 3:5] = np.where((t < SWITCH)[:, None], A, B)
    return LSL0 + t, values


def bin_of(heat, heading: float, pitch: float) -> int:
    i = np.searchsorted(heat.heading_edges, heading, side="right") - 1
    j = np.searchsorted(heat.pitch_edges, pitch, side="right") - 1
    return int(heat.counts[i, j])


def test_samples_per_cell_are_counted_at_a_fixed_rate_not_per_frame():
    events = [{"t": 0.0, "lsl": LSL0}, {"t": 10.0, "lsl": LSL0 + 10.0}]
    head = track(*head_stream(), events)
    heat = heat_map(head, [Span(120.0, 480.0, "exposure")], target=(0.0, 0.0))
    # instants 120.0, 120.3, ..., 479.7 (1200): up to 300.0 (601 of them) the head is at A,
    # from 300.3 (599) at B, although A had three times as many frames a second
    assert heat.samples == 1200 and bin_of(heat, *A) == 601 and bin_of(heat, *B) == 599
    assert heat.counts.sum() == bin_of(heat, *A) + bin_of(heat, *B)  # nothing anywhere else
    assert heat.seconds.sum() == pytest.approx(360.0)
    assert heat.near_target == 601  # A is 13.9° from straight ahead, B 47°: looking away


def test_a_gap_in_the_frames_counts_as_unknown_not_as_the_last_head():
    events = [{"t": 0.0, "lsl": LSL0}]
    heat = heat_map(track(*head_stream(gap=(200.0, 230.0)), events), [Span(120.0, 480.0)])
    # the newest frame before the gap is at 199.99; instants from 201.0 to 229.8 (97) find
    # it more than 1 s old
    assert bin_of(heat, *A) == 601 - 97 and bin_of(heat, *B) == 599 and heat.near_target is None


def test_only_the_windows_count_and_headings_wrap():
    head = track(
        np.array([LSL0 + 0.0, LSL0 + 50.0]),
        np.array([[0, 0, 0, 170.0, 0, 0], [0, 0, 0, 190.0, 5, 0]]),
        [{"t": 0.0, "lsl": LSL0}],
    )
    heading, pitch = sample(head, [Span(0.0, 0.9), Span(50.0, 50.6)])
    assert heading.tolist() == [170.0] * 3 + [-170.0] * 2 and pitch.tolist() == [0.0] * 3 + [5.0] * 2


def test_the_report_draws_the_heat_map_and_says_how_much_was_near_the_target(tmp_path):
    folder = write_session(tmp_path / "p01" / "20261120-090000-heights")
    write_xdf(folder / "recording.xdf", [("vrex-headpose", "HeadPose", *head_stream())])
    report = write_report(folder)
    heat = report.summary.head
    assert heat is not None and heat.target == (0.0, 0.0) and bin_of(heat, *A) == 601
    assert (folder / "plots" / "headpose.png").read_bytes().startswith(b"\x89PNG")
    html = (folder / "report.html").read_text()
    assert "Where the head pointed during exposure" in html and "alt='headpose plot'" in html
    assert "within 30° of the gaze target 50 % of the time" in html


@pytest.mark.parametrize("recording", ["still", "none"])
def test_a_session_without_head_movement_has_no_heat_map_and_a_whole_report(tmp_path, recording):
    folder = write_session(tmp_path / "p01" / "20261120-090000-heights")
    if recording == "still":  # a desktop session: the head is all zeros
        t = LSL0 + np.arange(0.0, 600.0, 1 / 60)
        write_xdf(folder / "recording.xdf", [("vrex-headpose", "HeadPose", t, np.zeros((len(t), 6)))])
    report = write_report(folder)
    assert report.summary.head is None and not (folder / "plots" / "headpose.png").exists()
    html = (folder / "report.html").read_text()
    assert "no head movement recorded" in html and "looking away (s)" in html


def test_the_gaze_target_of_a_headset_session_comes_from_its_unchanged_scenario(tmp_path):
    from engine.session.folder import file_sha256

    spiders = SCENARIOS / "spiders.yaml"
    meta = {"display": {"kind": "hmd-sim"}, "scenario": {"file": str(spiders), "sha256": file_sha256(spiders)}}
    target, how = gaze_target(meta)
    assert target == (0.0, -28.0) and "spiders.yaml" in how
    target, how = gaze_target({**meta, "scenario": {"file": str(spiders), "sha256": "00" * 32}})
    assert target is None and "changed" in how
    target, how = gaze_target({**meta, "scenario": {"file": str(tmp_path / "gone.yaml")}})
    assert target is None and "not on this machine" in how
    assert gaze_target({"display": {"kind": "window"}})[0] == (0.0, 0.0)
    assert gaze_target({})[0] == (0.0, 0.0)  # before headsets: every session was on a screen


def test_looking_away_seconds_per_level(tmp_path):
    """synth.py looks away 345–352 and 455–461 (both at level 4, 0-based 3); added here: a turn
    across the step from level 2 to 3 at 240 s (4.5 s before, 4 after), one that began in the
    baseline (only its 5 s of exposure count, at level 1) and one never ended (to the end of
    exposure at 480 s: 10 s)."""
    folder = write_session(tmp_path / "p01" / "20261120-090000-heights")
    events = folder / "events.jsonl"
    seq = len(events.read_text().splitlines())
    added = [(110.0, True), (125.0, False), (235.5, True), (244.0, False), (470.0, True)]
    with open(events, "a") as f:
        for i, (t, away) in enumerate(added):
            f.write(
                json.dumps(
                    {
                        "seq": seq + i,
                        "t": t,
                        "lsl": LSL0 + t,
                        "wall": "2026-11-20T09:00:00Z",
                        "source": "patient",
                        "kind": "looked_away" if away else "looked_back",
                        "reason": "",
                        "looking_away": away,
                        "angle_deg": 40.0 if away else 10.0,
                    }
                )
                + "\n"
            )
    s = summarise(load_session(folder))
    away = {r.level: r.away_s for r in s.levels}
    assert away == pytest.approx({0: 5.0, 1: 4.5, 2: 4.0, 3: 7.0 + 6.0 + 10.0})


def test_the_heat_maps_looking_away_circle_is_the_sessions():
    from engine.session import stages

    assert LOOK_AWAY_DEG == stages.LOOK_AWAY_DEG
