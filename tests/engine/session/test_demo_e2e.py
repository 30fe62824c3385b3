"""End to end: ``vrex demo`` as a user runs it (a separate process, offscreen, real LSL,
real LabRecorder, real files), at high speed, with an injected heart-rate surge and a
dropout of every physiological stream. Then what it left on disk is checked against
what the issue asks for. Two demo runs (with a heart-rate surge; with a dropout) serve all
the checks, about 75 s each.

Person seed 2 of the default population: an HR accelerator whose fear threshold (0.63)
lets the policy climb within the first minutes, so the surge and the dropout find the
scene above the calm state. Times are session seconds.

Speed 10, not faster: at ``--speed 20`` a loaded 2-core machine drew frames more than a
session second apart, sensor data looked stale and the loop rightly held back (3 runs of 4
with three busy loops beside it; one CI failure). At speed 10 the same load left the run
as an unloaded one. A machine that falls behind says so (``pace`` events), and a failing
check here prints the changes, sensor states and pace events around it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pyxdf = pytest.importorskip("pyxdf")

ROOT = Path(__file__).resolve().parents[3]
SURGE = (330.0, 40.0, 60.0)  # start, seconds, extra bpm
DROPOUT = (480.0, 50.0)  # start, seconds
EXPOSURE_START = 60.0  # --baseline 60

pytestmark = pytest.mark.slow


def vrex(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def events_of(folder: Path) -> list[dict]:
    from engine.session.events import read_events

    events, problems = read_events(folder / "events.jsonl")
    return events


def run_demo(out: Path, *extra: str) -> tuple[Path, list[dict], str]:
    p = vrex(
        "demo",
        "--speed",
        "10",
        "--seed",
        "2",
        "--minutes",
        "10",
        "--baseline",
        str(EXPOSURE_START),
        "--recovery",
        "20",
        "--out",
        str(out),
        "--display",
        "offscreen",
        "--renderer",
        "p3tinydisplay",
        *extra,
    )
    output, _ = p.communicate(timeout=600)
    assert p.returncode == 0, output[-3000:]
    (folder,) = [d for d in (out / "demo").iterdir() if d.is_dir()]
    return folder, events_of(folder), output


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo as shipped (the learned policy), with a heart-rate surge."""
    return run_demo(tmp_path_factory.mktemp("sessions"), "--inject", "hr_surge@{:g}:{:g}:{:g}".format(*SURGE))


@pytest.fixture(scope="module")
def demo_dropout(tmp_path_factory):
    """Every physiological stream stops for 50 s. The fixed schedule is the controller here
    because it keeps asking to go up whatever the sensors say, so what holds and then lowers
    the scene can only be the shield (the policy steps down by itself when it sees nothing)."""
    return run_demo(
        tmp_path_factory.mktemp("sessions"), "--controller", "fixed", "--inject", "dropout@{:g}:{:g}".format(*DROPOUT)
    )


def ticks(events):
    return [e for e in events if e["kind"] == "tick" and e["phase"] == "exposure"]


def story(events, t0: float, t1: float) -> str:
    """What happened between t0 and t1, for a failure message: changes of intensity with
    their causes, SUDS, sensor states, and whether the machine kept up."""
    lines = []
    for e in events:
        if not t0 <= e["t"] <= t1:
            continue
        if e["kind"] == "intensity":
            lines.append(f'{e["t"]:7.1f} {e["previous"]:.3f}->{e["target"]:.3f} {e["source"]}: {e["reason"][:120]}')
        elif e["kind"] in ("suds", "sensor", "pace", "escape"):
            lines.append(
                f'{e["t"]:7.1f} {e["kind"]} {e.get("value", e.get("status", ""))} {e.get("signal", "")} '
                f'{e["reason"][:120]}'
            )
    return "\n".join(lines)


def test_demo_prints_where_the_recording_and_report_are(demo):
    folder, events, output = demo
    assert str(folder) in output and "report" in output
    assert "decision:" in output  # the live status line, printed per minute on a pipe


def test_intensity_rose_as_the_patient_habituated(demo):
    folder, events, _ = demo
    truth = [e for e in events if e["kind"] == "simulated"]
    before_surge = [e for e in ticks(events) if e["t"] < SURGE[0]]
    early = [e["target"] for e in before_surge if e["t"] < EXPOSURE_START + 30]
    late = [e["target"] for e in before_surge if e["t"] > SURGE[0] - 60]
    assert max(late) >= 0.3 and sum(late) / len(late) > sum(early) / len(early) + 0.2, story(events, 0, SURGE[0])
    rises = [
        e for e in events if e["kind"] == "intensity" and e["source"] == "controller" and e["target"] > e["previous"]
    ]
    assert len(rises) >= 3
    h = [(e["t"], e["habituation"]) for e in truth]
    at = lambda t: min(h, key=lambda x: abs(x[0] - t))[1]  # noqa: E731
    # habituated while it rose: by the surge, 0.04–0.06 in runs on a loaded 2-core machine since
    # heights climbs at walking pace (1.4 m/s, a headset's comfort limit); none would be 0
    assert at(SURGE[0]) > at(EXPOSURE_START) + 0.02


def test_an_hr_surge_lowers_intensity_within_two_control_ticks(demo):
    folder, events, _ = demo
    exposure = ticks(events)
    crossing = next(e for e in exposure if e["t"] >= SURGE[0] and (e["relative"].get("hr_bpm") or 0) > 0.4)
    assert crossing["t"] < SURGE[0] + 15  # the detectors saw it
    around = story(events, SURGE[0] - 60, SURGE[0] + SURGE[1])
    assert crossing["target"] > 0.0, "the scene must be above calm for the test to mean anything\n" + around
    after = [e for e in exposure if e["t"] > crossing["t"]][:2]
    # the beat-to-beat fast path may act before the 10-s window's HR crosses: the first step
    # down after the surge began comes no later than two ticks after that crossing
    lowered = next(e for e in events if e["kind"] == "intensity" and e["t"] >= SURGE[0] and e["target"] < e["previous"])
    assert lowered["t"] <= after[-1]["t"], around
    assert lowered["source"] == "shield" and "above baseline" in lowered["reason"], around


def test_a_lost_stream_holds_then_ramps_down(demo_dropout):
    folder, events, _ = demo_dropout
    start, seconds = DROPOUT
    stale = [e for e in events if e["kind"] == "sensor" and e["status"] == "stale" and start <= e["t"] <= start + 10]
    assert {e["signal"] for e in stale} >= {"ecg"}
    lost_at = min(e["t"] for e in stale)
    window = [e for e in events if lost_at <= e["t"] <= start + seconds]
    assert not any(e["kind"] == "intensity" and e["target"] > e["previous"] for e in window)  # never up
    holds = [
        e
        for e in window
        if e["kind"] == "shield"
        and any("stale" in i or "untrustworthy" in i or "hold" in i for i in e["interventions"])
    ]
    assert holds
    # the shield's 15 s hold counts from the last tick with a trustworthy heart rate
    last_heart = max(e["t"] for e in ticks(events) if e["t"] <= lost_at and e["hr_bpm"] is not None)
    target = [e for e in ticks(events) if e["t"] <= last_heart][-1]["target"]
    around = story(events, start - 60, start + seconds + 20)
    assert target > 0.0, "the scene must be above calm for the test to mean anything\n" + around
    ramps = [e for e in window if e["kind"] == "intensity" and "ramp down" in e["reason"]]
    assert ramps, "no ramp-down while the streams were lost\n" + around
    first = min(e["t"] for e in ramps)
    assert last_heart + 14.0 <= first <= last_heart + 20.0, around  # hold ~15 s first, then ramp
    assert all(e["source"] == "shield" and e["target"] < e["previous"] for e in ramps)
    assert any(a for a in events if a["kind"] == "sensor" and a["status"] == "fresh" and a["t"] > start + seconds)


def test_xdf_and_event_log_load_and_agree(demo):
    folder, events, _ = demo
    streams, _ = pyxdf.load_xdf(str(folder / "recording.xdf"))
    by_name = {s["info"]["name"][0]: s for s in streams}
    assert {"vrex-events", "vrex-markers", "vrex-intensity", "vrex-features", "vrex-frames"} <= set(by_name)
    assert any(s["info"]["type"][0] == "ECG" for s in streams)
    for name in ("vrex-frames", "vrex-intensity"):  # stamped by the frame thread, on the session's clock
        stamps = by_name[name]["time_stamps"]
        assert len(stamps) > 100 and (stamps[1:] >= stamps[:-1]).all(), f"{name}: stamps go backwards"
    recorded = [json.loads(x[0]) for x in by_name["vrex-events"]["time_series"]]
    logged = {e["seq"]: e for e in events}
    assert len(recorded) >= 0.95 * len(events)
    for r in recorded:
        assert logged[r["seq"]] == r
    shown = [e for e in events if e["kind"] == "shown"]
    markers = [json.loads(x[0]) for x in by_name["vrex-markers"]["time_series"]]
    levels = [m["level"] for m in markers if m["kind"] == "shown"]
    assert levels == [e["level"] for e in shown][: len(levels)] and len(levels) >= len(shown) - 1
    # every change of target is announced, with its cause, in the order the log has them
    changes = [(m["target"], m["cause"]) for m in markers if m["kind"] == "change"]
    logged = [(round(e["target"], 4), e["source"]) for e in events if e["kind"] == "intensity"]
    assert changes == logged[: len(changes)] and len(changes) >= len(logged) - 2


def test_report_exists_with_its_plots(demo):
    folder, events, _ = demo
    html = (folder / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 1
    assert list((folder / "plots").glob("*.png"))
    meta = json.loads((folder / "session.json").read_text())
    assert meta["end_reason"] == "completed" and meta["controller"]["name"] == "policy"


def test_sigkill_leaves_a_recording_that_loads_up_to_the_last_second(tmp_path):
    """kill -9 of a running session (real time, speed 1): what is on disk loads and reaches
    to within a second of the kill, in the event log and in the XDF."""
    from sensors.lsl import local_clock

    p = vrex(
        "demo",
        "--speed",
        "1",
        "--seed",
        "2",
        "--baseline",
        "5",
        "--minutes",
        "5",
        "--out",
        str(tmp_path),
        "--display",
        "offscreen",
        "--renderer",
        "p3tinydisplay",
        "--quiet",
    )
    try:
        deadline = time.monotonic() + 120
        log = None
        while time.monotonic() < deadline:
            found = list(tmp_path.glob("demo/*/events.jsonl"))
            if found and any(e.get("phase") == "exposure" for e in events_of(found[0].parent)):
                log = found[0]
                break
            assert p.poll() is None, p.stdout.read()[-3000:]
            time.sleep(0.2)
        assert log is not None, "the demo did not reach exposure in 120 s"
        time.sleep(4.0)
        killed_at = local_clock()
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    folder = log.parent
    # the recorder runs in a process of its own: it sees vrex gone, takes the last second of
    # samples and closes the file (sensors/recorder.py); give it time to finish
    deadline = time.monotonic() + 60
    while "recording stopped" not in (folder / "recording.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    from engine.session.events import read_events
    from sensors.recorder import load_xdf

    events, problems = read_events(folder / "events.jsonl")
    assert events and not [p for p in problems if "cut short" not in p], problems
    streams, _ = load_xdf(folder / "recording.xdf")
    newest = {s["info"]["name"][0]: float(s["time_stamps"][-1]) for s in streams if len(s["time_stamps"])}
    ecg = [v for k, v in newest.items() if k.endswith("-ecg")]
    lag = {
        "events.jsonl": killed_at - max(e["lsl"] for e in events),
        "xdf ecg": killed_at - ecg[0],
        **{f"xdf {k}": killed_at - newest[k] for k in ("vrex-frames", "vrex-intensity", "vrex-features")},
    }
    print("seconds lost before the kill:", {k: round(v, 3) for k, v in lag.items()})
    assert all(v <= 1.0 for v in lag.values()), lag
    assert json.loads((folder / "session.json").read_text())["ended_utc"] is None  # it never ended cleanly
