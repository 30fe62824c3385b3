"""A whole demo on the simulated headset: the head-pose stream is the head that was drawn,
and looking away (up, too) is logged at the frame that shows it. And the command line's
display options, good and bad."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine.display.head import RecordedHead, angle_deg
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
# the stamps as vrex wrote them: one machine, one clock (pyxdf's clock-offset estimate would
# move them by tens of microseconds, 0.01° on a head turning at 100°/s)
AS_STAMPED = {"synchronize_clocks": False, "dejitter_timestamps": False}


def vrex(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def gaze() -> tuple[float, float]:
    """Where spiders asks the patient to look (its viewpoint's 'look': the floor in front)."""
    from engine.scenario import load_scenario
    from tests.conftest import SCENARIOS

    return tuple(load_scenario(SCENARIOS / "spiders.yaml").viewpoint.look)


def trajectory(path: Path) -> Path:
    """Looks around the gaze target slowly, then up (50° above it) for 6 s, then left (45°)
    for 6 s, in exposure."""
    gh, gp = gaze()
    rows = ["t,x,y,z,heading,pitch,roll"]
    for t in np.arange(0.0, 150.0, 0.5):
        heading, pitch = gh + 12.0 * math.sin(t / 5.0), gp + 4.0 * math.sin(t / 7.0)
        if 60.0 <= t < 66.0:  # exposure runs from about 40 s (the baseline needs that) to 100 s
            pitch = gp + 50.0
        if 75.0 <= t < 81.0:
            heading = gh + 45.0
        rows.append(
            f"{t:.1f},{0.02 * math.sin(t / 3):.5f},{0.01 * math.cos(t / 4):.5f},0.0,{heading:.4f},{pitch:.4f},"
            f"{2.0 * math.sin(t / 9):.4f}"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def headset_demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hmd")
    head = trajectory(tmp / "head.csv")
    out = tmp / "sessions"
    done = vrex(
        "demo",
        "--scenario",
        "spiders",
        "--display",
        "hmd-sim",
        "--hmd-scale",
        "0.0625",
        "--head",
        str(head),
        "--renderer",
        "p3tinydisplay",
        "--speed",
        "5",
        "--minutes",
        "1",
        "--baseline",
        "20",
        "--recovery",
        "10",
        "--out",
        str(out),
        "--no-console",
        "--quiet",
        "--no-report",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (folder,) = [d for d in (out / "demo").iterdir() if d.is_dir()]
    return folder, RecordedHead(head)


def test_the_head_pose_stream_is_the_replayed_trajectory(headset_demo):
    import pyxdf

    from engine.session.events import read_events

    folder, head = headset_demo
    events, _ = read_events(folder / "events.jsonl")
    start = min(e["lsl"] - e["t"] for e in events)  # the clock start: each event reads t, then lsl (never sooner)
    streams, _ = pyxdf.load_xdf(str(folder / "recording.xdf"), **AS_STAMPED)
    (poses,) = [s for s in streams if s["info"]["name"][0] == "vrex-headpose"]
    values, stamps = np.asarray(poses["time_series"], float), np.asarray(poses["time_stamps"], float)
    assert len(stamps) > 100
    expected = np.array([head.pose(s - start) for s in stamps])
    assert np.abs(values[:, :3] - expected[:, :3]).max() <= 1e-4  # metres
    turn = (values[:, 3:] - expected[:, 3:] + 180.0) % 360.0 - 180.0
    assert np.abs(turn).max() <= 0.01  # degrees
    assert np.ptp(values[:, 3]) > 20 and np.ptp(values[:, 4]) > 40  # it moved


def test_looking_up_and_aside_are_logged_at_the_frame_that_shows_them(headset_demo):
    import pyxdf

    from engine.session.events import read_events

    folder, head = headset_demo
    events, _ = read_events(folder / "events.jsonl")
    start = min(e["lsl"] - e["t"] for e in events)
    turns = [e for e in events if e["kind"] in ("looked_away", "looked_back")]
    assert [e["kind"] for e in turns] == ["looked_away", "looked_back"] * 2, turns
    streams, _ = pyxdf.load_xdf(str(folder / "recording.xdf"), **AS_STAMPED)
    (poses,) = [s for s in streams if s["info"]["name"][0] == "vrex-headpose"]
    times = np.asarray(poses["time_stamps"], float) - start
    angles = np.array([angle_deg(h, p, *gaze()) for h, p in np.asarray(poses["time_series"], float)[:, 3:5]])
    for away, lo in zip(turns[::2], (60.0, 75.0)):
        first = times[(times >= lo - 1) & (angles > 30.0)][0]  # the first frame past 30°
        assert away["frame_t"] == pytest.approx(first, abs=1e-3)
        assert lo - 0.5 <= away["frame_t"] <= lo + 0.5  # the trajectory's own change


def test_openxr_without_a_runtime_says_so_in_one_line_before_anything_opens(tmp_path):
    t0 = time.monotonic()
    done = vrex("session", "--scenario", "heights", "--patient", "P1", "--display", "openxr", "--out", str(tmp_path))
    took = time.monotonic() - t0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1, lines
    assert "OpenXR" in lines[0] and "Traceback" not in lines[0]
    assert not any(tmp_path.iterdir()), "a session folder was made"
    assert took < 2.0 or os.getloadavg()[0] > 4, f"took {took:.2f} s"  # measured quiet; a loaded CI may be slower


def test_bad_display_options_are_refused_with_what_to_write(tmp_path):
    profile = tmp_path / "headset.yaml"
    profile.write_text(
        "name: x\neye_size: [1000, 1000]\nfov_deg: {left: -50, right: 40, up: 40, dwn: -40}\nipd_mm: 63\nrefresh: 90\n"
    )
    done = vrex("demo", "--display", "hmd-sim", "--hmd-profile", str(profile), "--out", str(tmp_path / "s"))
    assert done.returncode != 0
    text = done.stdout + done.stderr
    assert f"{profile}:3:" in text and "dwn" in text and "did you mean 'down'" in text
    assert f"{profile}:5:1: unknown key 'refresh'" in text and "refresh_hz" in text
    assert not (tmp_path / "s").exists()
    done = vrex("view", "--display", "hmd-sim", "--hmd-scale", "3")
    assert done.returncode != 0 and "--hmd-scale 3" in done.stdout + done.stderr
    done = vrex("view", "--display", "offscreen", "--hmd-scale", "0.5")
    assert done.returncode != 0 and "hmd-sim only" in done.stdout + done.stderr


def test_the_old_display_spelling_still_renders_with_a_note(tmp_path):
    done = vrex("view", "--display", "p3tinydisplay", "--seconds", "0.5", "--size", "64x64")
    assert done.returncode == 0, done.stderr
    assert "'--display p3tinydisplay' is now '--display offscreen --renderer p3tinydisplay'" in done.stderr


def test_preview_writes_a_left_and_a_right_image_per_level(tmp_path):
    done = vrex(
        "preview",
        "heights",
        "--display",
        "hmd-sim",
        "--hmd-scale",
        "0.0625",
        "--renderer",
        "p3tinydisplay",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    from engine.scenario import load_scenario
    from tests.conftest import SCENARIOS

    levels = len(load_scenario(SCENARIOS / "heights.yaml").levels)
    assert len(list(tmp_path.glob("level_*_left.png"))) == levels == len(list(tmp_path.glob("level_*_right.png")))
    assert (tmp_path / "contact_sheet.png").exists()
