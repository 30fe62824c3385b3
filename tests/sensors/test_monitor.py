"""``vrex monitor`` shows values, the reason for each missing one, and signal health."""

import math
import re
import subprocess
import sys

import pytest

from engine.commands.monitor import render
from sensors.types import Features, Quality
from tests.conftest import ROOT


class FakeLive:  # only what render() reads
    failed = {"EDA": RuntimeError("no EDA stream found within 3 s")}


def test_render_shows_values_reasons_and_quality():
    f = Features(
        time=0.0,
        hr_bpm=72.4,
        hr_source="ecg",
        rmssd_ms=41.0,
        resp_rate_bpm=math.nan,
        quality={"ecg": Quality(1.0), "resp": Quality(0.0, "flat line")},
        age_s={"ecg": 0.2},
        reasons={"resp_rate_bpm": "resp flat line"},
    )
    text = "\n".join(render(f, FakeLive()))
    assert "72.4 bpm   from ecg" in text
    assert "resp flat line" in text
    assert "!! resp  quality 0.00  flat line" in text
    assert "ok ecg   quality 1.00" in text and "0.2 s old" in text
    assert "EDA   not used: no EDA stream found" in text


# --- run for real: outlets on loopback, the commands as a therapist runs them ---------------
def _vrex(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "engine.cli", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _outlet(name: str, kind: str, unit: str, closing):
    from sensors.lsl import make_outlet
    from sensors.types import StreamSpec

    spec = StreamSpec(name, kind, 250.0, 1, "float32", source_id=name, labels=("lead II",), units=(unit,))
    return closing(make_outlet(spec))


def test_streams_shows_each_streams_units_from_its_full_header(uid, closing):
    """A resolved stream's header has no channel description: units were '-' for every stream."""
    ecg, eda = uid("units-ecg")[:24], uid("units-eda")[:24]
    _outlet(ecg, "ECG", "mV", closing)
    _outlet(eda, "EDA", "uS", closing)
    result = _vrex("streams", "--timeout", "2")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()}
    assert re.search(r"\s1\s+mV\s", rows[ecg]) and re.search(r"\s1\s+uS\s", rows[eda]), result.stdout


def test_monitor_lists_every_candidate_of_an_ambiguous_role(uid, closing):
    first, second = uid("amb-a")[:24], uid("amb-b")[:24]
    kind = "EKG"  # a synonym of ECG few others publish; both candidates must be named, not just counted
    for name in (first, second):
        _outlet(name, kind, "mV", closing)
    result = _vrex("monitor", "--seconds", "1", "--timeout", "3", "--stream", "ecg=type:EKG")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "vrex needs exactly one" in result.stdout
    assert f"'{first}'" in result.stdout and f"'{second}'" in result.stdout, result.stdout


@pytest.mark.slow  # ~4 s of real LSL streams
def test_monitor_stream_role_name_picks_the_named_stream(uid, closing):
    wanted, other = uid("pick-a")[:24], uid("pick-b")[:24]
    _outlet(wanted, "ECG", "mV", closing)
    _outlet(other, "ECG", "mV", closing)
    result = _vrex("monitor", "--seconds", "2", "--timeout", "3", "--stream", f"ecg={wanted}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"ecg\s+quality", result.stdout) and "not used" not in result.stdout, result.stdout
    bad = _vrex("monitor", "--stream", "heart=Polar")
    assert bad.returncode == 1 and "write ROLE=NAME" in bad.stderr and "Traceback" not in bad.stderr
